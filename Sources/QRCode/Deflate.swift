/// A small DEFLATE compressor (RFC 1951) with zlib framing (RFC 1950): greedy LZ77 matching over a
/// 32 KiB window, coded with the fixed Huffman tables. QR images are long runs and repeated rows,
/// which this shrinks by two orders of magnitude without the dynamic-table machinery.
public enum Deflate {
    /// `data` as a zlib stream: header, one fixed-Huffman block, Adler-32.
    public static func zlib(_ data: [UInt8]) -> [UInt8] {
        // 0x78 0x01: deflate with a 32 KiB window, check bits making the header a multiple of 31.
        var out: [UInt8] = [0x78, 0x01]
        out += compress(data)
        let adler = Adler32.checksum(data)
        out += [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
        return out
    }

    static let window = 32_768
    static let minMatch = 3
    static let maxMatch = 258
    /// Candidates tried per position: enough for image rows, bounded so the worst case stays linear.
    static let maxChain = 64

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                               4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// The raw DEFLATE stream of `data` (one final block).
    static func compress(_ data: [UInt8]) -> [UInt8] {
        var bits = DeflateBitWriter()
        bits.write(1, count: 1)  // BFINAL
        bits.write(1, count: 2)  // BTYPE 01: fixed Huffman codes
        var head = [Int](repeating: -1, count: 1 << 15)
        var previous = [Int](repeating: -1, count: data.count)
        func hash(_ i: Int) -> Int { (Int(data[i]) << 10 ^ Int(data[i + 1]) << 5 ^ Int(data[i + 2])) & 0x7FFF }
        func insert(_ i: Int) {
            guard i + 2 < data.count else { return }
            let h = hash(i)
            previous[i] = head[h]
            head[h] = i
        }
        var i = 0
        while i < data.count {
            var bestLength = 0, bestDistance = 0
            if i + minMatch <= data.count {
                var candidate = head[hash(i)]
                var tries = 0
                let limit = min(maxMatch, data.count - i)
                while candidate >= 0, i - candidate <= window, tries < maxChain {
                    var length = 0
                    while length < limit, data[candidate + length] == data[i + length] { length += 1 }
                    if length > bestLength {
                        bestLength = length
                        bestDistance = i - candidate
                        if length == limit { break }
                    }
                    candidate = previous[candidate]
                    tries += 1
                }
            }
            if bestLength >= minMatch {
                writeLength(bestLength, to: &bits)
                writeDistance(bestDistance, to: &bits)
                for k in i..<i + bestLength { insert(k) }
                i += bestLength
            } else {
                writeLiteral(Int(data[i]), to: &bits)
                insert(i)
                i += 1
            }
        }
        writeLiteral(256, to: &bits)  // end of block
        return bits.finish()
    }

    /// A literal/length symbol with its fixed Huffman code (RFC 1951 3.2.6).
    static func writeLiteral(_ symbol: Int, to bits: inout DeflateBitWriter) {
        switch symbol {
        case 0...143: bits.writeCode(0x30 + symbol, length: 8)
        case 144...255: bits.writeCode(0x190 + symbol - 144, length: 9)
        case 256...279: bits.writeCode(symbol - 256, length: 7)
        default: bits.writeCode(0xC0 + symbol - 280, length: 8)
        }
    }

    static func writeLength(_ length: Int, to bits: inout DeflateBitWriter) {
        let code = (lengthBase.lastIndex { $0 <= length }) ?? 0
        writeLiteral(257 + code, to: &bits)
        bits.write(length - lengthBase[code], count: lengthExtra[code])
    }

    static func writeDistance(_ distance: Int, to bits: inout DeflateBitWriter) {
        let code = (distanceBase.lastIndex { $0 <= distance }) ?? 0
        bits.writeCode(code, length: 5)
        bits.write(distance - distanceBase[code], count: distanceExtra[code])
    }
}

/// DEFLATE's bit order: values least significant bit first, Huffman codes most significant first.
struct DeflateBitWriter {
    private var bytes: [UInt8] = []
    private var buffer: UInt32 = 0
    private var filled = 0

    mutating func write(_ value: Int, count: Int) {
        guard count > 0 else { return }
        buffer |= UInt32(value) << filled
        filled += count
        while filled >= 8 {
            bytes.append(UInt8(buffer & 0xFF))
            buffer >>= 8
            filled -= 8
        }
    }

    mutating func writeCode(_ code: Int, length: Int) {
        var reversed = 0
        for i in 0..<length where code >> i & 1 == 1 { reversed |= 1 << (length - 1 - i) }
        write(reversed, count: length)
    }

    mutating func finish() -> [UInt8] {
        if filled > 0 { bytes.append(UInt8(buffer & 0xFF)) }
        buffer = 0
        filled = 0
        return bytes
    }
}
