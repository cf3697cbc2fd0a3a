/// Writes JSON as compact UTF-8 (or indented for people), members in their stored order, numbers as
/// their exact text. Only what JSON requires is escaped: `"`, `\` and control characters (as `\n`, `\t`,
/// ... or `\u00XX`); everything else, non-ASCII included, is written as it is.
public struct JSONWriter {
    /// Spaces per nesting level, each member on its own line; nil writes compact JSON.
    public var indent: Int?

    public init(indent: Int? = nil) { self.indent = indent }

    public static func bytes(_ value: JSON, pretty: Bool = false) -> [UInt8] {
        var out = JSONByteBuffer(capacity: 4096)
        JSONWriter(indent: pretty ? 2 : nil).write(value, into: &out, level: 0)
        return out.array()
    }

    public static func string(_ value: JSON, pretty: Bool = false) -> String {
        var out = JSONByteBuffer(capacity: 4096)
        JSONWriter(indent: pretty ? 2 : nil).write(value, into: &out, level: 0)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// Appends the JSON text of `value` to `out`.
    public func write(_ value: JSON, into out: inout [UInt8]) {
        var buffer = JSONByteBuffer(capacity: 4096)
        write(value, into: &buffer, level: 0)
        out.append(contentsOf: buffer.bytes)
    }

    /// Appends `s` as a JSON string literal.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        var buffer = JSONByteBuffer(capacity: s.utf8.count + 16)
        writeString(s, into: &buffer)
        out.append(contentsOf: buffer.bytes)
    }

    private func newline(_ out: inout JSONByteBuffer, level: Int) {
        guard let indent else { return }
        let n = Swift.max(0, indent * level)
        out.reserve(n + 1)
        out.appendReserved(0x0A)
        (out.base + out.count).initialize(repeating: 0x20, count: n)
        out.skipReserved(n)
    }

    private func write(_ value: borrowing JSON, into out: inout JSONByteBuffer, level: Int) {
        switch value {
        case .string(let s): JSONWriter.writeString(s, into: &out)
        case .object(let o):
            if o.keys.isEmpty {
                out.append("{}")
                return
            }
            out.append(UInt8(ascii: "{"))
            let keys = o.keys
            let values = o.values
            for i in 0..<keys.count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if indent != nil { newline(&out, level: level + 1) }
                JSONWriter.writeString(keys[i], into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(0x20) }
                write(values[i], into: &out, level: level + 1)
            }
            if indent != nil { newline(&out, level: level) }
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            if items.isEmpty {
                out.append("[]")
                return
            }
            out.append(UInt8(ascii: "["))
            for i in 0..<items.count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if indent != nil { newline(&out, level: level + 1) }
                write(items[i], into: &out, level: level + 1)
            }
            if indent != nil { newline(&out, level: level) }
            out.append(UInt8(ascii: "]"))
        case .number(let n): JSONWriter.writeRaw(n.text, into: &out)
        case .bool(let b): out.append(b ? "true" : "false")
        case .null: out.append("null")
        }
    }

    /// Appends the UTF-8 bytes of `s` unchanged.
    private static func writeRaw(_ s: String, into out: inout JSONByteBuffer) {
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { utf8 in
            if let p = utf8.baseAddress { out.append(p, count: utf8.count) }
        }
        if done == nil {
            var s = s
            s.withUTF8 { utf8 in
                if let p = utf8.baseAddress { out.append(p, count: utf8.count) }
            }
        }
    }

    private static let escapes: StaticString = "0123456789abcdef"

    /// Appends `s` as a JSON string literal.
    static func writeString(_ s: String, into out: inout JSONByteBuffer) {
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { writeString(utf8: $0, into: &out) }
        if done == nil {
            var s = s
            s.withUTF8 { writeString(utf8: $0, into: &out) }
        }
    }

    /// Appends UTF-8 text as a JSON string literal, escaping runs found eight bytes at a time.
    private static func writeString(utf8: UnsafeBufferPointer<UInt8>, into out: inout JSONByteBuffer) {
        let n = utf8.count
        // Room for the common case: no escapes.
        out.reserve(n + 2)
        out.appendReserved(0x22)
        guard let p = utf8.baseAddress else {
            out.appendReserved(0x22)
            return
        }
        var runStart = 0
        var i = 0
        while true {
            while i &+ 8 <= n {
                let w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                let special = JSONSWAR.specialBytes(w)
                if special != 0 {
                    i &+= special.trailingZeroBitCount >> 3
                    break
                }
                i &+= 8
            }
            while i < n, !JSONSWAR.isSpecial(p[i]) { i &+= 1 }
            if i > runStart { out.append(p + runStart, count: i - runStart) }
            guard i < n else { break }
            let c = p[i]
            i += 1
            runStart = i
            out.reserve(6 + n - i + 1)
            out.appendReserved(0x5C)
            switch c {
            case 0x22: out.appendReserved(0x22)
            case 0x5C: out.appendReserved(0x5C)
            case 0x0A: out.appendReserved(UInt8(ascii: "n"))
            case 0x0D: out.appendReserved(UInt8(ascii: "r"))
            case 0x09: out.appendReserved(UInt8(ascii: "t"))
            case 0x08: out.appendReserved(UInt8(ascii: "b"))
            case 0x0C: out.appendReserved(UInt8(ascii: "f"))
            default:
                let hex = escapes.utf8Start
                out.appendReserved(UInt8(ascii: "u"))
                out.appendReserved(0x30)
                out.appendReserved(0x30)
                out.appendReserved(hex[Int(c >> 4)])
                out.appendReserved(hex[Int(c & 0xF)])
            }
        }
        out.append(0x22)
    }
}
