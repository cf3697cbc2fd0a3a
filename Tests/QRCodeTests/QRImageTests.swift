import Foundation
import QRTestSupport
import Testing
@testable import QRCode

/// PNG and zlib output checked by independent readers: zbar for the images, Python's zlib for the stream.
@Suite("QR images")
struct QRImageTests {
    @Test("CRC-32 and Adler-32 give the published check values")
    func checksums() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(Adler32.checksum(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(Adler32.checksum([UInt8](repeating: 0xFF, count: 100_000)) == Self.slowAdler([UInt8](repeating: 0xFF, count: 100_000)))
    }

    static func slowAdler(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for x in bytes {
            a = (a + UInt32(x)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }

    @Test("the zlib stream inflates with Python's zlib to the same bytes, and compresses runs")
    func deflateRoundTrip() throws {
        // python3 is on every machine the tests run on (the setup script uses it).
        let python = try #require(ZbarReader.find("python3"))
        var generator = SystemRandomNumberGenerator()
        let inputs: [[UInt8]] = [
            [],
            Array("a".utf8),
            Array(String(repeating: "康桥 health card ", count: 400).utf8),
            (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) },
            [UInt8](repeating: 0, count: 100_000) + (0..<300).map { UInt8($0 & 0xFF) },
        ]
        for input in inputs {
            let stream = Deflate.zlib(input)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("z-\(UUID().uuidString)")
            try Data(stream).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let (status, output) = try ZbarReader.run(python, ["-c", "import sys,zlib; sys.stdout.buffer.write(zlib.decompress(open(sys.argv[1],'rb').read()))", file.path])
            #expect(status == 0)
            #expect(output == input, "round trip of \(input.count) bytes")
        }
        #expect(Deflate.zlib([UInt8](repeating: 0, count: 100_000)).count < 1_000)
    }

    @Test("a PNG has the signature, an IHDR of the image with its quiet zone, and ends with IEND")
    func pngStructure() throws {
        let code = try QRCode(text: "KQ")
        let png = QRImage(code, scale: 5, quietZone: 4).png()
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(String(decoding: png[12..<16], as: UTF8.self) == "IHDR")
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == (21 + 8) * 5)
        #expect(String(decoding: png[(png.count - 8)..<(png.count - 4)], as: UTF8.self) == "IEND")
    }

    @Test("the SVG draws every dark module once, inside a 4-module quiet zone")
    func svgStructure() throws {
        let code = try QRCode(text: "KQ")
        let svg = QRImage(code, scale: 4).svg()
        #expect(svg.contains(#"viewBox="0 0 29 29""#))
        #expect(svg.contains(#"width="116""#))
        // The top-left finder's first row is a run of 7 modules at (4, 4).
        #expect(svg.contains("M4 4h7v1h-7z"))
    }
}
