/// Strings and member names: scanned eight bytes at a time; escapes decoded in one pass.
extension JSONReader {
    /// A member name and its fingerprint (for the duplicate check).
    mutating func parseKey() throws(JSONParseError) -> (String, UInt64) {
        let contentStart = pos + 1
        let (s, escaped) = try parseStringReportingEscapes()
        if !escaped { return (s, fingerprint(p + contentStart, pos - 1 - contentStart)) }
        var copy = s
        let print = copy.withUTF8 { fingerprint($0.baseAddress ?? p, $0.count) }
        return (s, print)
    }

    mutating func parseString() throws(JSONParseError) -> String {
        try parseStringReportingEscapes().0
    }

    /// Advances `i` over plain string bytes eight at a time, stopping at the first '"', '\\' or control
    /// character (or where fewer than eight bytes remain), OR-ing every byte passed into `seen`.
    @inline(__always) private func skipPlainWords(_ i: inout Int, seen: inout UInt64) {
        let n = count
        while i &+ 8 <= n {
            let w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
            let special = JSONSWAR.specialBytes(w)
            seen |= w
            if special != 0 {
                i &+= special.trailingZeroBitCount >> 3
                return
            }
            i &+= 8
        }
    }

    /// Reads the string whose opening quote is at `pos`; `escaped` tells whether it held escapes.
    private mutating func parseStringReportingEscapes() throws(JSONParseError) -> (String, escaped: Bool) {
        let contentStart = pos + 1
        var i = contentStart
        var seen: UInt64 = 0  // OR of all bytes scanned: its high bits say whether anything was non-ASCII
        let n = count
        while true {
            skipPlainWords(&i, seen: &seen)
            guard i < n else { throw fail("unterminated string", at: contentStart - 1) }
            let c = p[i]
            if c == UInt8(ascii: "\"") { break }
            if c == UInt8(ascii: "\\") {
                return (try parseEscapedString(contentStart: contentStart, firstEscape: i, seen: seen), true)
            }
            if c < 0x20 { throw fail("unescaped control character (\(describe(c))) in string; write it as an escape", at: i) }
            seen |= UInt64(c)
            i &+= 1
        }
        pos = i + 1
        let content = UnsafeBufferPointer(start: p + contentStart, count: i - contentStart)
        let ascii = seen & JSONSWAR.highs == 0
        guard let s = ascii ? JSONReader.asciiString(content) : String(validating: content, as: UTF8.self) else {
            throw fail("invalid UTF-8 in string", at: contentStart + (JSONUTF8.firstInvalidOffset(content) ?? 0))
        }
        return (s, false)
    }

    /// A string with escapes: first find its end (checking for control characters), then decode it in one
    /// pass into a buffer of the raw length (decoding only shrinks). Pure-ASCII sources decode straight into
    /// the new string's storage; others into scratch memory, then validated as UTF-8.
    private mutating func parseEscapedString(
        contentStart: Int, firstEscape: Int, seen prefixSeen: UInt64
    ) throws(JSONParseError) -> String {
        var i = firstEscape
        var seen = prefixSeen
        let n = count
        while true {
            skipPlainWords(&i, seen: &seen)
            while i < n, !JSONSWAR.isSpecial(p[i]) {
                seen |= UInt64(p[i])
                i &+= 1
            }
            guard i < n else { throw fail("unterminated string", at: contentStart - 1) }
            let c = p[i]
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw fail("unescaped control character (\(describe(c))) in string; write it as an escape", at: i) }
            // A backslash: whatever it escapes, the next byte cannot end the string.
            guard i + 1 < n else { throw fail("unterminated string", at: contentStart - 1) }
            seen |= UInt64(p[i + 1])
            i &+= 2
        }
        let end = i
        let rawCount = end - contentStart
        if seen & JSONSWAR.highs == 0 {
            // ASCII source: escapes yield valid UTF-8, so the string's own check cannot find anything to repair.
            var failure: JSONParseError?
            let s = String(unsafeUninitializedCapacity: rawCount) { target in
                do throws(JSONParseError) {
                    guard let base = target.baseAddress else { return 0 }  // never: the capacity is at least 2
                    return try decodeEscapes(from: contentStart, to: end, into: base)
                } catch {
                    failure = error
                    return 0
                }
            }
            if let failure { throw failure }
            pos = end + 1
            return s
        }
        unescaped.removeAll()
        unescaped.reserve(rawCount)
        let decoded = try decodeEscapes(from: contentStart, to: end, into: unescaped.base)
        guard let s = String(validating: UnsafeBufferPointer(start: unescaped.base, count: decoded), as: UTF8.self) else {
            let raw = UnsafeBufferPointer(start: p + contentStart, count: rawCount)
            throw fail("invalid UTF-8 in string", at: contentStart + (JSONUTF8.firstInvalidOffset(raw) ?? 0))
        }
        pos = end + 1
        return s
    }

    /// Decodes the string content `start..<end` (known to hold no quote or control character) into `out`,
    /// which has room for `end - start` bytes; returns the decoded length.
    private func decodeEscapes(from start: Int, to end: Int, into out: UnsafeMutablePointer<UInt8>) throws(JSONParseError) -> Int {
        var i = start
        var o = 0
        while i < end {
            let runStart = i
            while i &+ 8 <= end {
                let w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                let backslash = JSONSWAR.bytesEqual(w, 0x5C)
                if backslash != 0 {
                    i &+= backslash.trailingZeroBitCount >> 3
                    break
                }
                i &+= 8
            }
            while i < end, p[i] != 0x5C { i &+= 1 }
            if i > runStart {
                (out + o).update(from: p + runStart, count: i - runStart)
                o &+= i - runStart
            }
            guard i < end else { break }
            let e = p[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out[o] = e
            case UInt8(ascii: "n"): out[o] = 0x0A
            case UInt8(ascii: "t"): out[o] = 0x09
            case UInt8(ascii: "r"): out[o] = 0x0D
            case UInt8(ascii: "b"): out[o] = 0x08
            case UInt8(ascii: "f"): out[o] = 0x0C
            case UInt8(ascii: "u"):
                let escapeStart = i - 2
                var scalar = try hex4(at: i, end: end)
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < end, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else {
                        throw fail("lone high surrogate in \\u escape (needs a following low surrogate)", at: escapeStart)
                    }
                    let low = try hex4(at: i + 2, end: end)
                    guard low >= 0xDC00 && low < 0xE000 else {
                        throw fail("high surrogate in \\u escape not followed by a low surrogate", at: escapeStart)
                    }
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw fail("lone low surrogate in \\u escape", at: escapeStart)
                }
                o += JSONUTF8.encode(scalar: scalar, into: out + o)
                continue
            default:
                let shown = e >= 0x20 && e < 0x7F ? String(UnicodeScalar(e)) : "<\(describe(e))>"
                throw fail("invalid escape '\\\(shown)' in string (allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)", at: i - 2)
            }
            o &+= 1
        }
        return o
    }

    private func hex4(at start: Int, end: Int) throws(JSONParseError) -> UInt32 {
        guard start + 4 <= end else { throw fail("truncated \\u escape", at: start - 2) }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = p[start + k]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail("invalid hex digit \(describe(c)) in \\u escape", at: start + k)
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// A string from bytes already known to be ASCII (so valid UTF-8): one copy, one stdlib check.
    @inline(__always) static func asciiString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return "" }
        return String(unsafeUninitializedCapacity: bytes.count) { target in
            target.baseAddress?.update(from: source, count: bytes.count)
            return bytes.count
        }
    }

    /// Objects with more members than this check for duplicate names with a hash set.
    static let linearNameCheckLimit = 32

    /// A hash of a name's UTF-8 bytes with the process's random seed.
    static func seededHash(_ name: String) -> Int {
        var hasher = Hasher()
        let done: Void? = name.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil { for b in name.utf8 { hasher.combine(b) } }
        return hasher.finalize()
    }

    /// A cheap 64-bit digest of a member name; equal names give equal digests (collisions are checked).
    @inline(__always) private func fingerprint(_ q: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = UInt64(truncatingIfNeeded: n) &* k
        if n >= 8 {
            let raw = UnsafeRawPointer(q)
            h = (h ^ raw.loadUnaligned(as: UInt64.self)) &* k
            h ^= raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        } else {
            for i in 0..<n { h = (h << 8) ^ UInt64(q[i]) }
        }
        return h
    }
}
