/// A QR code symbol (ISO/IEC 18004, model 2): versions 1–40, levels L/M/Q/H, numeric,
/// alphanumeric or byte mode, the mask chosen by the standard's penalty rules unless one is given.
/// The symbol is plain data — a square of modules; `QRImage` draws it as PNG or SVG.
public struct QRCode: Sendable, Equatable {
    public let version: Int
    public let errorCorrection: QRErrorCorrectionLevel
    public let mode: QRMode
    /// The mask pattern applied (0–7).
    public let mask: Int
    /// Modules per side (4 × version + 17), without the quiet zone.
    public let size: Int
    private let modules: [Bool]

    /// True for a dark module; x is the column, y the row, both from the top-left corner.
    public subscript(x: Int, y: Int) -> Bool { modules[y * size + x] }

    /// Encodes text: digits alone in numeric mode, the alphanumeric set in alphanumeric mode,
    /// anything else as UTF-8 bytes.
    public init(text: String, errorCorrection: QRErrorCorrectionLevel = .medium, minimumVersion: Int = 1, mask: Int? = nil) throws(QRCodeError) {
        try self.init(bytes: Array(text.utf8), errorCorrection: errorCorrection, minimumVersion: minimumVersion, mask: mask)
    }

    /// Encodes bytes in the most compact mode that carries them, in the smallest version from
    /// `minimumVersion` that holds them at `errorCorrection`.
    public init(bytes: [UInt8], errorCorrection: QRErrorCorrectionLevel = .medium, minimumVersion: Int = 1, mask: Int? = nil) throws(QRCodeError) {
        guard (1...40).contains(minimumVersion) else { throw .versionOutOfRange(minimumVersion) }
        if let mask, !(0...7).contains(mask) { throw .maskOutOfRange(mask) }
        let mode = QRMode.best(for: bytes)
        let segment = QRSegment(bytes, mode: mode)
        guard let version = (minimumVersion...40).first(where: { v in
            segment.totalBits(version: v).map { $0 <= QRBlockLayout(version: v, level: errorCorrection).dataCodewords * 8 } ?? false
        }) else { throw .dataTooLong(bytes: bytes.count, level: errorCorrection) }

        let layout = QRBlockLayout(version: version, level: errorCorrection)
        let codewords = Self.interleave(Self.dataCodewords(segment, version: version, capacity: layout.dataCodewords), layout: layout)
        var grid = QRTemplate.grid(version: version)
        Self.place(codewords, in: &grid)
        let chosen = mask ?? QRMasking.bestMask(for: grid, level: errorCorrection)
        QRMasking.apply(chosen, to: &grid)
        QRTemplate.drawFormat(&grid, level: errorCorrection, mask: chosen)

        self.version = version
        self.errorCorrection = errorCorrection
        self.mode = mode
        self.mask = chosen
        self.size = grid.size
        self.modules = grid.dark
    }

    /// Header, data, terminator and padding, cut into codewords (ISO/IEC 18004 7.4.9–7.4.10).
    static func dataCodewords(_ segment: QRSegment, version: Int, capacity: Int) -> [UInt8] {
        var bits = QRBitBuffer()
        bits.append(segment.mode.indicator, bits: 4)
        bits.append(segment.characterCount, bits: segment.mode.characterCountBits(version: version))
        bits.append(segment.payload)
        let capacityBits = capacity * 8
        bits.append(0, bits: min(4, capacityBits - bits.count))
        bits.append(0, bits: (8 - bits.count % 8) % 8)
        var bytes = bits.bytes
        var pad: UInt8 = 0xEC
        while bytes.count < capacity {
            bytes.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return bytes
    }

    /// Splits the data into blocks, adds each block's Reed–Solomon codewords, and interleaves them:
    /// the i-th data codeword of every block in turn, then the i-th ECC codeword of every block.
    static func interleave(_ data: [UInt8], layout: QRBlockLayout) -> [UInt8] {
        let encoder = ReedSolomonEncoder(degree: layout.eccPerBlock)
        var blocks: [ArraySlice<UInt8>] = []
        var ecc: [[UInt8]] = []
        var start = 0
        for b in 0..<layout.blocks {
            let length = layout.shortBlockDataCodewords + (b < layout.shortBlocks ? 0 : 1)
            let block = data[start..<start + length]
            blocks.append(block)
            ecc.append(encoder.remainder(of: block))
            start += length
        }
        var out: [UInt8] = []
        out.reserveCapacity(layout.totalCodewords)
        for i in 0...layout.shortBlockDataCodewords {
            for block in blocks where i < block.count { out.append(block[block.startIndex + i]) }
        }
        for i in 0..<layout.eccPerBlock {
            for e in ecc { out.append(e[i]) }
        }
        return out
    }

    /// Places codeword bits in two-module columns from the bottom-right corner, upward then downward
    /// in turn, skipping function modules and the vertical timing column; remainder bits stay light.
    static func place(_ codewords: [UInt8], in grid: inout QRGrid) {
        let totalBits = codewords.count * 8
        var index = 0
        var right = grid.size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            let upward = (right + 1) & 2 == 0
            for step in 0..<grid.size {
                let y = upward ? grid.size - 1 - step : step
                for x in [right, right - 1] where !grid.isFunction[y * grid.size + x] && index < totalBits {
                    grid[x, y] = codewords[index >> 3] >> (7 - index & 7) & 1 == 1
                    index += 1
                }
            }
            right -= 2
        }
    }
}

public enum QRCodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// More data than version 40 holds at that level.
    case dataTooLong(bytes: Int, level: QRErrorCorrectionLevel)
    case versionOutOfRange(Int)
    case maskOutOfRange(Int)

    public var description: String {
        switch self {
        case .dataTooLong(let bytes, let level): "\(bytes) bytes do not fit in a QR code at level \(level)"
        case .versionOutOfRange(let v): "QR version \(v) is not in 1…40"
        case .maskOutOfRange(let m): "QR mask \(m) is not in 0…7"
        }
    }
}
