/// Word-at-a-time byte tests (eight bytes in a `UInt64`, first byte lowest).
enum JSONSWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// High bit set in (at least) the lowest byte that is '"', '\' or below 0x20; zero when none is.
    @inline(__always) static func specialBytes(_ w: UInt64) -> UInt64 {
        let quote = w ^ (ones &* 0x22)
        let backslash = w ^ (ones &* 0x5C)
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        let control = (w &- ones &* 0x20) & ~w
        return (zeroQuote | zeroBackslash | control) & highs
    }

    /// High bit set in (at least) the lowest byte equal to `byte`; zero when none is.
    @inline(__always) static func bytesEqual(_ w: UInt64, _ byte: UInt8) -> UInt64 {
        let x = w ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & highs
    }

    @inline(__always) static func isSpecial(_ c: UInt8) -> Bool {
        c == 0x22 || c == 0x5C || c < 0x20
    }
}

/// Strict UTF-8 helpers (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
enum JSONUTF8 {
    /// Offset of the first byte that starts an invalid sequence, or nil when all is valid.
    static func firstInvalidOffset(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        while i < b.count {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let need: Int
            var lo: UInt8 = 0x80
            var hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return i
            }
            guard i + need < b.count, b[i + 1] >= lo, b[i + 1] <= hi else { return i }
            for k in 2..<(need + 1) where b[i + k] & 0xC0 != 0x80 { return i }
            i += need + 1
        }
        return nil
    }

    /// Writes the UTF-8 form of a scalar value known to be valid (not a surrogate, at most U+10FFFF);
    /// returns the number of bytes written (1 to 4).
    @inline(__always) static func encode(scalar v: UInt32, into out: UnsafeMutablePointer<UInt8>) -> Int {
        switch v {
        case 0..<0x80:
            out[0] = UInt8(v)
            return 1
        case 0x80..<0x800:
            out[0] = UInt8(0xC0 | v >> 6)
            out[1] = UInt8(0x80 | v & 0x3F)
            return 2
        case 0x800..<0x10000:
            out[0] = UInt8(0xE0 | v >> 12)
            out[1] = UInt8(0x80 | v >> 6 & 0x3F)
            out[2] = UInt8(0x80 | v & 0x3F)
            return 3
        default:
            out[0] = UInt8(0xF0 | v >> 18)
            out[1] = UInt8(0x80 | v >> 12 & 0x3F)
            out[2] = UInt8(0x80 | v >> 6 & 0x3F)
            out[3] = UInt8(0x80 | v & 0x3F)
            return 4
        }
    }
}
