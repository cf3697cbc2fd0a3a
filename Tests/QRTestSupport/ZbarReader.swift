import Foundation
import QRCode

/// Reads QR images with a real decoder — `zbarimg` from Debian's zbar-tools, which
/// scripts/test-setup.sh installs — so the tests check what readers see, not what our encoder meant.
/// SVGs are rasterized with `rsvg-convert` (librsvg2-bin) first: zbar reads bitmaps only.
public struct ZbarReader: Sendable {
    public let zbarimg: URL
    public let rsvgConvert: URL?

    /// The reader, or nil when zbarimg is not installed (tests skip then, except under CI=true).
    public static func locate() -> ZbarReader? {
        guard let zbar = find("zbarimg") else { return nil }
        return ZbarReader(zbarimg: zbar, rsvgConvert: find("rsvg-convert"))
    }

    /// A missing decoder is a failure under CI (the setup script installs it), a skip elsewhere.
    public static var mustBePresent: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    public static func find(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":").map(String.init) + ["/usr/bin"] {
            let url = URL(fileURLWithPath: dir).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The payloads of the QR symbols zbar finds in a PNG, as raw bytes (`-Sbinary`: no charset guessing).
    public func decode(png: [UInt8]) throws -> [[UInt8]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString).png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try decode(file: file)
    }

    /// The payloads of an SVG, rasterized at its own size.
    public func decode(svg: String) throws -> [[UInt8]] {
        guard let rsvgConvert else { throw Failure(description: "rsvg-convert (librsvg2-bin) is not installed") }
        let dir = FileManager.default.temporaryDirectory
        let svgFile = dir.appendingPathComponent("qr-\(UUID().uuidString).svg")
        let pngFile = dir.appendingPathComponent("qr-\(UUID().uuidString).png")
        try Data(svg.utf8).write(to: svgFile)
        defer {
            try? FileManager.default.removeItem(at: svgFile)
            try? FileManager.default.removeItem(at: pngFile)
        }
        let (status, output) = try Self.run(rsvgConvert, ["--background-color=white", "-o", pngFile.path, svgFile.path])
        guard status == 0 else { throw Failure(description: "rsvg-convert failed (\(status)): \(String(decoding: output, as: UTF8.self))") }
        return try decode(file: pngFile)
    }

    func decode(file: URL) throws -> [[UInt8]] {
        // One symbol per image here, so the binary output is that symbol's bytes exactly.
        let (status, output) = try Self.run(zbarimg, ["--quiet", "--raw", "--nodbus", "-Sdisable", "-Sqrcode.enable", "-Sbinary", file.path])
        switch status {
        case 0: return [output]
        case 4: return []  // zbarimg: no symbol found
        default: throw Failure(description: "zbarimg failed (\(status)): \(String(decoding: output, as: UTF8.self))")
        }
    }

    public static func run(_ executable: URL, _ arguments: [String]) throws -> (Int32, [UInt8]) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, [UInt8](data))
    }
}
