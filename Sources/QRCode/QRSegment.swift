/// The data encoding modes the encoder offers: digits (3⅓ bits a character), the 45-character
/// alphanumeric set (5½ bits) and bytes (8 bits; text as UTF-8). Kanji mode is not offered: Chinese
/// text goes as UTF-8 bytes, which every current reader decodes.
public enum QRMode: Sendable, CaseIterable {
    case numeric, alphanumeric, byte

    /// The 4-bit mode indicator.
    var indicator: Int {
        switch self {
        case .numeric: 0b0001
        case .alphanumeric: 0b0010
        case .byte: 0b0100
        }
    }

    /// Bits of the character count field, which grows with the version (ISO/IEC 18004 table 3).
    func characterCountBits(version: Int) -> Int {
        let band = version <= 9 ? 0 : version <= 26 ? 1 : 2
        switch self {
        case .numeric: return [10, 12, 14][band]
        case .alphanumeric: return [9, 11, 13][band]
        case .byte: return [8, 16, 16][band]
        }
    }

    static let alphanumericCharset: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)

    /// The most compact mode that can carry every byte of `data`.
    static func best(for data: [UInt8]) -> QRMode {
        if !data.isEmpty, data.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return .numeric }
        if !data.isEmpty, data.allSatisfy({ alphanumericCharset.contains($0) }) { return .alphanumeric }
        return .byte
    }
}

/// One segment of the data stream: a mode, its character count and its encoded bits.
struct QRSegment {
    let mode: QRMode
    let characterCount: Int
    let payload: QRBitBuffer

    /// Encodes `data` in `mode`; the caller has checked the mode can carry it.
    init(_ data: [UInt8], mode: QRMode) {
        self.mode = mode
        characterCount = data.count
        var buffer = QRBitBuffer()
        switch mode {
        case .numeric:
            // Groups of three digits in 10 bits; a last group of two in 7, of one in 4.
            var i = 0
            while i < data.count {
                let group = data[i..<min(i + 3, data.count)]
                let value = group.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                buffer.append(value, bits: group.count * 3 + 1)
                i += 3
            }
        case .alphanumeric:
            // Pairs as 45·a + b in 11 bits; a last single character in 6.
            let codes = data.map { byte in QRMode.alphanumericCharset.firstIndex(of: byte) ?? 0 }
            var i = 0
            while i + 1 < codes.count {
                buffer.append(codes[i] * 45 + codes[i + 1], bits: 11)
                i += 2
            }
            if i < codes.count { buffer.append(codes[i], bits: 6) }
        case .byte:
            for byte in data { buffer.append(Int(byte), bits: 8) }
        }
        payload = buffer
    }

    /// Bits this segment takes in a symbol of `version`, header included; nil when its count overflows the field.
    func totalBits(version: Int) -> Int? {
        let countBits = mode.characterCountBits(version: version)
        guard characterCount < 1 << countBits else { return nil }
        return 4 + countBits + payload.count
    }
}
