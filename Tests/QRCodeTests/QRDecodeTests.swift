import Foundation
import QRTestSupport
import Testing
@testable import QRCode

/// What the encoder draws, read back by zbar (a real decoder) and compared byte for byte.
@Suite("QR codes read by zbar")
struct QRDecodeTests {
    /// zbar, or nil to skip (a failure under CI=true, where the setup script installs it).
    static func reader() -> ZbarReader? {
        let reader = ZbarReader.locate()
        if reader == nil, ZbarReader.mustBePresent { Issue.record("CI=true but zbarimg is not installed (scripts/test-setup.sh installs zbar-tools)") }
        return reader
    }

    /// The longest byte-mode payload a version holds at a level: it cannot fit one version lower.
    static func byteCapacity(version: Int, level: QRErrorCorrectionLevel) -> Int {
        let bits = QRBlockLayout(version: version, level: level).dataCodewords * 8 - 4 - QRMode.byte.characterCountBits(version: version)
        return bits / 8
    }

    static func text(length: Int, seed: Int) -> [UInt8] {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789 -_.:/?=&".utf8)
        return (0..<length).map { alphabet[($0 * 7 + seed * 13 + $0 / 5) % alphabet.count] }
    }

    @Test("every version 1–40 at every level decodes to its payload", arguments: QRErrorCorrectionLevel.allCases)
    func everyVersion(level: QRErrorCorrectionLevel) throws {
        guard let zbar = Self.reader() else { return }
        for version in 1...40 {
            let payload = Self.text(length: Self.byteCapacity(version: version, level: level), seed: version)
            let code = try QRCode(bytes: payload, errorCorrection: level)
            #expect(code.version == version, "\(payload.count) bytes at \(level)")
            // Two pixels a module keeps the 160 images small and quick to decode; other tests draw larger.
            let decoded = try zbar.decode(png: QRImage(code, scale: 2).png())
            #expect(decoded == [payload], "version \(version)-\(level), mask \(code.mask)")
        }
    }

    @Test("Chinese UTF-8 text decodes, short and long")
    func chineseText() throws {
        guard let zbar = Self.reader() else { return }
        let texts = [
            "电子健康卡",
            "康桥区域全民健康信息平台 · 居民电子健康卡 · 挂号 就诊 取药 支付",
            String(repeating: "福建省互联网医疗健康服务：预约诊疗、在线复诊、处方流转、医保结算。", count: 20),
        ]
        for (i, text) in texts.enumerated() {
            for level in [QRErrorCorrectionLevel.low, .high] where i < 2 || level == .low {
                let code = try QRCode(text: text, errorCorrection: level)
                let decoded = try zbar.decode(png: QRImage(code, scale: 3).png())
                #expect(decoded == [Array(text.utf8)], "\(text.prefix(8))… at \(level), version \(code.version)")
            }
        }
    }

    @Test("numeric and alphanumeric segments decode")
    func compactModes() throws {
        guard let zbar = Self.reader() else { return }
        let payloads = ["0", "42", "1234567890123456789012345678901234567890", String(repeating: "3141592653", count: 150),
                        "HELLO WORLD", "KQHC1:35010012345678901", String(repeating: "AB-12 $%*+./:", count: 60)]
        for payload in payloads {
            let code = try QRCode(text: payload, errorCorrection: .medium)
            #expect(code.mode != .byte)
            #expect(try zbar.decode(png: QRImage(code, scale: 3).png()) == [Array(payload.utf8)], "\(payload.prefix(12))")
        }
    }

    @Test("each of the eight masks decodes")
    func everyMask() throws {
        guard let zbar = Self.reader() else { return }
        for mask in 0..<8 {
            let payload = Array("mask \(mask): 电子健康卡 dynamic code".utf8)
            let code = try QRCode(bytes: payload, errorCorrection: .quartile, minimumVersion: 7, mask: mask)
            #expect(try zbar.decode(png: QRImage(code, scale: 4).png()) == [payload], "mask \(mask)")
        }
    }

    @Test("SVGs rasterized by librsvg decode too")
    func svgDecodes() throws {
        guard let zbar = Self.reader() else { return }
        if zbar.rsvgConvert == nil {
            if ZbarReader.mustBePresent { Issue.record("CI=true but rsvg-convert is not installed") }
            return
        }
        for (version, level) in [(1, QRErrorCorrectionLevel.low), (5, .medium), (12, .quartile), (25, .high), (40, .low)] {
            let payload = Self.text(length: Self.byteCapacity(version: version, level: level), seed: version + 100)
            let code = try QRCode(bytes: payload, errorCorrection: level)
            #expect(try zbar.decode(svg: QRImage(code, scale: 3).svg()) == [payload], "SVG \(version)-\(level)")
        }
    }
}
