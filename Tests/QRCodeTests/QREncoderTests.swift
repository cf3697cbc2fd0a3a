import Testing
@testable import QRCode

/// The encoder's parts against values published in ISO/IEC 18004 and its worked examples.
@Suite("QR encoder internals")
struct QREncoderTests {
    @Test("GF(256) has the QR field's powers: α⁸ = 0x1D, α²⁵⁵ = 1")
    func galoisField() {
        #expect(GaloisField.exp[8] == 0x1D)
        #expect(GaloisField.exp[255] == 1)
        #expect(GaloisField.multiply(0x53, 0xCA) == GaloisField.exp[(GaloisField.log[0x53] + GaloisField.log[0xCA]) % 255])
        #expect(GaloisField.multiply(0, 0x77) == 0)
    }

    @Test("Reed–Solomon codewords of the standard's 01234567 1-M example")
    func reedSolomonExample() {
        // ISO/IEC 18004 annex I: "01234567" at 1-M, 16 data codewords, 10 error-correction codewords.
        let segment = QRSegment(Array("01234567".utf8), mode: .numeric)
        let data = QRCode.dataCodewords(segment, version: 1, capacity: 16)
        #expect(data == [0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11])
        let ecc = ReedSolomonEncoder(degree: 10).remainder(of: data[...])
        #expect(ecc == [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
    }

    @Test("format and version information carry their BCH codes")
    func formatAndVersionBits() {
        #expect(QRTemplate.formatBits(level: .medium, mask: 0) == 0b101010000010010)
        #expect(QRTemplate.formatBits(level: .low, mask: 4) == 0b110011000101111)
        #expect(QRTemplate.formatBits(level: .high, mask: 7) == 0b000100000111011)
        #expect(QRTemplate.formatBits(level: .high, mask: 0) == 0b001011010001001)
        #expect(QRTemplate.versionBits(version: 7) == 0b000111110010010100)
        #expect(QRTemplate.versionBits(version: 40) == 0b101000110001101001)
    }

    @Test("alignment pattern centres follow annex E")
    func alignmentCentres() {
        #expect(QRTemplate.alignmentCentres(version: 1) == [])
        #expect(QRTemplate.alignmentCentres(version: 2) == [6, 18])
        #expect(QRTemplate.alignmentCentres(version: 7) == [6, 22, 38])
        #expect(QRTemplate.alignmentCentres(version: 32) == [6, 34, 60, 86, 112, 138])
        #expect(QRTemplate.alignmentCentres(version: 40) == [6, 30, 58, 86, 114, 142, 170])
    }

    @Test("codeword totals per version match the standard (26 at version 1, 3706 at version 40)")
    func codewordTotals() {
        #expect(QRTemplate.dataModuleCount(version: 1) / 8 == 26)
        #expect(QRTemplate.dataModuleCount(version: 7) / 8 == 196)
        #expect(QRTemplate.dataModuleCount(version: 40) / 8 == 3706)
        // Every level's table fits every version: data codewords left, blocks differ by one codeword at most.
        for level in QRErrorCorrectionLevel.allCases {
            for v in 1...40 {
                let layout = QRBlockLayout(version: v, level: level)
                #expect(layout.dataCodewords > 0)
                #expect(layout.shortBlocks >= 1 && layout.shortBlocks <= layout.blocks)
            }
        }
    }

    @Test("capacity limits of the standard: 2953 bytes, 7089 digits, 4296 alphanumerics at 40-L; 17 digits at 1-H")
    func capacities() throws {
        #expect(try QRCode(bytes: [UInt8](repeating: 0x61, count: 2953), errorCorrection: .low).version == 40)
        #expect(throws: QRCodeError.dataTooLong(bytes: 2954, level: .low)) {
            try QRCode(bytes: [UInt8](repeating: 0x61, count: 2954), errorCorrection: .low)
        }
        #expect(try QRCode(text: String(repeating: "7", count: 7089), errorCorrection: .low).version == 40)
        #expect(try QRCode(text: String(repeating: "A", count: 4296), errorCorrection: .low).version == 40)
        #expect(try QRCode(text: String(repeating: "9", count: 17), errorCorrection: .high).version == 1)
        #expect(try QRCode(text: String(repeating: "9", count: 18), errorCorrection: .high).version == 2)
        #expect(try QRCode(text: "HELLO WORLD", errorCorrection: .quartile).mode == .alphanumeric)
        #expect(try QRCode(text: "电子健康卡").mode == .byte)
    }

    @Test("a given mask is used; the chosen mask has the lowest penalty")
    func masks() throws {
        for m in 0..<8 { #expect(try QRCode(text: "mask test", mask: m).mask == m) }
        #expect(throws: QRCodeError.maskOutOfRange(8)) { try QRCode(text: "x", mask: 8) }
        let chosen = try QRCode(text: "https://kangqiao.org/card", errorCorrection: .medium)
        let penalties = try (0..<8).map { m -> Int in
            let forced = try QRCode(text: "https://kangqiao.org/card", errorCorrection: .medium, mask: m)
            var grid = QRGrid(size: forced.size)
            for y in 0..<forced.size { for x in 0..<forced.size { grid[x, y] = forced[x, y] } }
            return QRMasking.penalty(grid)
        }
        #expect(penalties[chosen.mask] == penalties.min())
    }

    @Test("penalty rules: runs, 2×2 blocks, finder-like patterns")
    func penaltyRules() {
        #expect(QRMasking.runPenalty([true, true, true, true, true, false]) == 3)
        #expect(QRMasking.runPenalty([false, false, false, false, false, false, false]) == 5)
        #expect(QRMasking.runPenalty([true, false, true, false]) == 0)
        // Dark-light-dark×3-light-dark followed by four light modules.
        let line: [Bool] = [true, false, true, true, true, false, true, false, false, false, false, true]
        #expect(QRMasking.finderLikePenalty(line) == 40)
    }
}
