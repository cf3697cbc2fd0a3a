/// Why a document is not acceptable JSON: what is wrong and where (byte offset, and line and column for people).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// Zero-based byte offset in the document where the fault was found.
    public let offset: Int
    /// One-based line and column (in bytes) of `offset`; 0 when unknown.
    public let line: Int
    public let column: Int

    public init(message: String, offset: Int, line: Int = 0, column: Int = 0) {
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
    }

    public var description: String {
        line > 0 ? "\(message) at line \(line), column \(column) (byte \(offset))" : "\(message) at byte \(offset)"
    }
}

/// A strict JSON parser over UTF-8 bytes (RFC 8259 with FHIR's extra strictness): duplicate member names,
/// invalid UTF-8 (including overlong encodings and encoded or escaped lone surrogates), numbers that
/// overflow a double and nesting deeper than `maxDepth` are errors; numbers keep their exact text.
/// A leading UTF-8 byte order mark is skipped.
public struct JSONParser {
    /// Nesting deeper than this is refused (a 10,000-level document must not exhaust the stack).
    public static let defaultMaxDepth = 128
    /// A larger `maxDepth` is lowered to this: parsing recurses once per level, and secondary threads have small stacks.
    public static let maxDepthLimit = 1_000

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSON {
        try bytes.withUnsafeBufferPointer { (buf) throws(JSONParseError) -> JSON in
            try parse(buf, maxDepth: maxDepth)
        }
    }

    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSON {
        var text = text
        let result = text.withUTF8 { buf in
            Result { () throws(JSONParseError) -> JSON in try parse(buf, maxDepth: maxDepth) }
        }
        return try result.get()
    }

    /// Parses a buffer the caller owns (e.g. one NDJSON line) without copying it.
    public static func parse(_ buf: UnsafeBufferPointer<UInt8>, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSON {
        guard let base = buf.baseAddress, !buf.isEmpty else {
            throw JSONParseError(message: "empty document", offset: 0, line: 1, column: 1)
        }
        var reader = JSONReader(base, count: buf.count, maxDepth: Swift.min(maxDepth, maxDepthLimit))
        return try reader.parseDocument()
    }

    /// Parses a document whose top level must be an object, as every FHIR resource is.
    public static func parseObject(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONObject {
        try bytes.withUnsafeBufferPointer { (buf) throws(JSONParseError) -> JSONObject in
            try parseObject(buf, maxDepth: maxDepth)
        }
    }

    /// Parses a caller-owned buffer whose top level must be an object.
    public static func parseObject(
        _ buf: UnsafeBufferPointer<UInt8>, maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONObject {
        let value = try parse(buf, maxDepth: maxDepth)
        guard case .object(let o) = value else {
            var start = 0
            while start < buf.count, [0x20, 0x0A, 0x0D, 0x09, 0xEF, 0xBB, 0xBF].contains(buf[start]) { start += 1 }
            let (line, column) = JSONReader.lineAndColumn(of: start, in: buf)
            throw JSONParseError(
                message: "top level is not an object (found \(value.kindName))", offset: start, line: line, column: column)
        }
        return o
    }
}
