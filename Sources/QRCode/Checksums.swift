/// CRC-32 (ISO 3309, as PNG chunks use it: reflected polynomial 0xEDB88320).
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<S: Sequence>(_ bytes: S, continuing crc: UInt32 = 0) -> UInt32 where S.Element == UInt8 {
        var c = ~crc
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return ~c
    }
}

/// Adler-32 (RFC 1950), the checksum that ends a zlib stream.
public enum Adler32 {
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        // 5552 bytes is the most that can be summed before the 32-bit sums could overflow.
        var i = 0
        while i < bytes.count {
            let end = min(i + 5552, bytes.count)
            for k in i..<end {
                a += UInt32(bytes[k])
                b += a
            }
            a %= 65521
            b %= 65521
            i = end
        }
        return b << 16 | a
    }
}
