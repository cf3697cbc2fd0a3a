/// Draws a `QRCode` as an image: each module a square of `scale` pixels, surrounded by a light
/// quiet zone of `quietZone` modules (the standard asks for 4; readers fail without it).
public struct QRImage: Sendable {
    public let code: QRCode
    public let scale: Int
    public let quietZone: Int

    public init(_ code: QRCode, scale: Int = 8, quietZone: Int = 4) {
        self.code = code
        self.scale = max(1, scale)
        self.quietZone = max(0, quietZone)
    }

    /// Modules per side including the quiet zone.
    public var modulesPerSide: Int { code.size + 2 * quietZone }
    public var pixelsPerSide: Int { modulesPerSide * scale }

    func isDark(module x: Int, _ y: Int) -> Bool {
        let cx = x - quietZone, cy = y - quietZone
        guard cx >= 0, cy >= 0, cx < code.size, cy < code.size else { return false }
        return code[cx, cy]
    }

    /// A PNG file: 1-bit greyscale, one IDAT of zlib-compressed scanlines (filter type 0).
    public func png() -> [UInt8] {
        let side = pixelsPerSide
        let rowBytes = (side + 7) / 8
        var raw: [UInt8] = []
        raw.reserveCapacity((rowBytes + 1) * side)
        for module in 0..<modulesPerSide {
            var row = [UInt8](repeating: 0, count: rowBytes)
            for px in 0..<side where !isDark(module: px / scale, module) {
                row[px >> 3] |= UInt8(0x80 >> (px & 7))  // 1 is white in greyscale
            }
            for _ in 0..<scale {
                raw.append(0)  // filter: none
                raw += row
            }
        }
        var header: [UInt8] = []
        header += Self.bigEndian(UInt32(side))
        header += Self.bigEndian(UInt32(side))
        header += [1, 0, 0, 0, 0]  // bit depth 1, greyscale, deflate, adaptive filtering, no interlace
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file += Self.chunk("IHDR", header)
        file += Self.chunk("IDAT", Deflate.zlib(raw))
        file += Self.chunk("IEND", [])
        return file
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(CRC32.checksum(typeBytes + data))
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// An SVG document: a white background and one path of the dark modules, each row's runs merged.
    /// The view box is in modules, so the drawing scales without blur (`crispEdges`).
    public func svg() -> String {
        let side = modulesPerSide
        var path = ""
        for y in 0..<code.size {
            var x = 0
            while x < code.size {
                guard code[x, y] else {
                    x += 1
                    continue
                }
                var run = 1
                while x + run < code.size, code[x + run, y] { run += 1 }
                path += "M\(x + quietZone) \(y + quietZone)h\(run)v1h-\(run)z"
                x += run
            }
        }
        let pixels = side * scale
        return #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
            + #"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\#(pixels)" height="\#(pixels)" viewBox="0 0 \#(side) \#(side)" shape-rendering="crispEdges">"#
            + "<rect width=\"\(side)\" height=\"\(side)\" fill=\"#ffffff\"/>"
            + "<path d=\"\(path)\" fill=\"#000000\"/></svg>\n"
    }
}
