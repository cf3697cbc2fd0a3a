/// The parser's engine: one pass over the bytes with raw pointers. Members and elements of open containers
/// collect on scratch stacks and are moved into exact-size arrays when the container closes, so no array
/// grows element by element and nothing is retained twice.
struct JSONReader: ~Copyable {
    let p: UnsafePointer<UInt8>
    let count: Int
    var pos = 0
    private let maxDepth: Int
    private var depth = 0
    private var values = ScratchStack<JSON>(capacity: 64)
    private var keys = ScratchStack<String>(capacity: 32)
    private var keyPrints = ScratchStack<UInt64>(capacity: 32)
    /// Decoded bytes of the string being unescaped (reused).
    var unescaped = JSONByteBuffer(capacity: 256)

    init(_ p: UnsafePointer<UInt8>, count: Int, maxDepth: Int) {
        self.p = p
        self.count = count
        self.maxDepth = maxDepth
    }

    // MARK: errors

    func fail(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let at = Swift.min(offset ?? pos, count)
        let (line, column) = JSONReader.lineAndColumn(of: at, in: UnsafeBufferPointer(start: p, count: count))
        return JSONParseError(message: message, offset: at, line: line, column: column)
    }

    static func lineAndColumn(of offset: Int, in buf: UnsafeBufferPointer<UInt8>) -> (Int, Int) {
        var line = 1
        var lineStart = 0
        for i in 0..<Swift.min(offset, buf.count) where buf[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart + 1)
    }

    /// A member name as error messages show it: at most 64 characters, control characters escaped.
    static func shown(_ name: String) -> String {
        let short = name.count > 64 ? String(name.prefix(64)) + "…" : name
        return short.unicodeScalars.map { $0.value < 0x20 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    }

    func describe(_ c: UInt8) -> String {
        switch c {
        case 0x20..<0x7F: return "'\(String(UnicodeScalar(c)))'"
        default: return "byte 0x" + (c < 0x10 ? "0" : "") + String(c, radix: 16, uppercase: true)
        }
    }

    // MARK: structure

    mutating func parseDocument() throws(JSONParseError) -> JSON {
        if count >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { pos = 3 }
        skipWhitespace()
        guard pos < count else { throw fail("empty document (no JSON value)") }
        let value = try parseValue()
        skipWhitespace()
        guard pos == count else { throw fail("unexpected \(describe(p[pos])) after the JSON value") }
        return value
    }

    @inline(__always) private mutating func skipWhitespace() {
        var i = pos
        while i < count {
            let c = p[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { break }
            i &+= 1
        }
        pos = i
    }

    private mutating func parseValue() throws(JSONParseError) -> JSON {
        guard pos < count else { throw fail("unexpected end of document, expected a value") }
        switch p[pos] {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "'"): throw fail("strings must be in double quotes, not single quotes")
        case UInt8(ascii: "+"): throw fail("a number must not start with '+'")
        case UInt8(ascii: "<"): throw fail("expected a JSON value, found '<' (XML or HTML is not JSON)")
        case let c: throw fail("expected a JSON value, found \(describe(c))")
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONParseError) {
        let n = word.utf8CodeUnitCount
        let w = word.utf8Start
        for i in 0..<n where pos + i >= count || p[pos + i] != w[i] {
            throw fail("invalid literal, expected '\(word)'")
        }
        pos += n
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > maxDepth { throw fail("nesting deeper than \(maxDepth) levels") }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSON {
        try enter()
        pos += 1
        skipWhitespace()
        if pos < count, p[pos] == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return .object(JSONObject(keys: [], values: []))
        }
        let keyBase = keys.count
        let valueBase = values.count
        // Objects with many members check names through a hash set (seeded per process, so no document
        // can make the check quadratic); small ones scan their few fingerprints.
        var manyNames: Set<Int>?
        while true {
            guard pos < count else { throw fail("unterminated object") }
            guard p[pos] == UInt8(ascii: "\"") else {
                if p[pos] == UInt8(ascii: "}") { throw fail("trailing comma before '}'") }
                if p[pos] == UInt8(ascii: "'") { throw fail("member names must be in double quotes, not single quotes") }
                throw fail("expected a member name in double quotes, found \(describe(p[pos]))")
            }
            let keyStart = pos
            let (key, print) = try parseKey()
            if keys.count - keyBase < JSONReader.linearNameCheckLimit {
                var j = keyBase
                while j < keys.count {
                    if keyPrints[j] == print && keys[j].utf8.elementsEqual(key.utf8) {
                        throw fail("duplicate member name '\(JSONReader.shown(key))'", at: keyStart)
                    }
                    j += 1
                }
            } else {
                var names: Set<Int>
                if let known = manyNames {
                    names = known
                    manyNames = nil  // keeps `names` uniquely referenced, so inserting does not copy it
                } else {
                    names = Set(minimumCapacity: 4 * JSONReader.linearNameCheckLimit)
                    for j in keyBase..<keys.count { names.insert(JSONReader.seededHash(keys[j])) }
                }
                if !names.insert(JSONReader.seededHash(key)).inserted {
                    // Equal hashes: confirm byte by byte (a true collision of 64-bit seeded hashes is negligible).
                    for j in keyBase..<keys.count where keys[j].utf8.elementsEqual(key.utf8) {
                        throw fail("duplicate member name '\(JSONReader.shown(key))'", at: keyStart)
                    }
                }
                manyNames = names
            }
            keys.push(key)
            keyPrints.push(print)
            skipWhitespace()
            guard pos < count, p[pos] == UInt8(ascii: ":") else {
                throw pos < count ? fail("expected ':' after member name '\(JSONReader.shown(key))'") : fail("unterminated object")
            }
            pos += 1
            skipWhitespace()
            values.push(try parseValue())
            skipWhitespace()
            guard pos < count else { throw fail("unterminated object") }
            let c = p[pos]
            pos += 1
            if c == UInt8(ascii: ",") {
                skipWhitespace()
                continue
            }
            if c == UInt8(ascii: "}") { break }
            throw fail("expected ',' or '}' after a member, found \(describe(c))", at: pos - 1)
        }
        keyPrints.removeAll(from: keyBase)
        let object = JSONObject(keys: keys.popArray(from: keyBase), values: values.popArray(from: valueBase))
        depth -= 1
        return .object(object)
    }

    private mutating func parseArray() throws(JSONParseError) -> JSON {
        try enter()
        pos += 1
        skipWhitespace()
        if pos < count, p[pos] == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return .array([])
        }
        let base = values.count
        while true {
            values.push(try parseValue())
            skipWhitespace()
            guard pos < count else { throw fail("unterminated array") }
            let c = p[pos]
            pos += 1
            if c == UInt8(ascii: ",") {
                skipWhitespace()
                if pos < count, p[pos] == UInt8(ascii: "]") { throw fail("trailing comma before ']'") }
                continue
            }
            if c == UInt8(ascii: "]") { break }
            throw fail("expected ',' or ']' after an array element, found \(describe(c))", at: pos - 1)
        }
        depth -= 1
        return .array(values.popArray(from: base))
    }

    // MARK: numbers

    private mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = pos
        var i = pos
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < count, isDigit(p[i]) else {
            let infinity = i < count && p[i] == UInt8(ascii: "I")
            throw fail(infinity ? "Infinity is not a JSON number" : "'-' must be followed by digits", at: start)
        }
        let intStart = i
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if i < count, isDigit(p[i]) { throw fail("leading zeros are not allowed in numbers", at: start) }
        } else {
            while i < count, isDigit(p[i]) { i += 1 }
        }
        let intDigits = i - intStart
        if i < count, p[i] == UInt8(ascii: ".") {
            i += 1
            guard i < count, isDigit(p[i]) else { throw fail("a decimal point must be followed by digits", at: i) }
            while i < count, isDigit(p[i]) { i += 1 }
        }
        var hasExponent = false
        if i < count, p[i] | 0x20 == UInt8(ascii: "e") {
            hasExponent = true
            i += 1
            if i < count, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            guard i < count, isDigit(p[i]) else { throw fail("an exponent must have digits", at: i) }
            while i < count, isDigit(p[i]) { i += 1 }
        }
        pos = i
        let text = JSONReader.asciiString(UnsafeBufferPointer(start: p + start, count: i - start))
        // Magnitudes beyond a double are refused: no FHIR consumer can represent them.
        if hasExponent || intDigits > 308, let d = Double(text), !d.isFinite {
            let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
            throw fail("number \(shown) is out of range (overflows a double)", at: start)
        }
        return JSONNumber(unchecked: text)
    }

    @inline(__always) private func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }
}
