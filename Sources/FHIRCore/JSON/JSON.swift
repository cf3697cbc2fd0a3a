/// A JSON value exactly as FHIR needs it: object keys keep their order, numbers keep their lexical form
/// (so `1.50` is written back as `1.50`, never through `Double`), strings are validated UTF-8.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// The object's members, or nil when this is not an object.
    @inlinable public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }
    @inlinable public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }
    @inlinable public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    @inlinable public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    @inlinable public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }
    @inlinable public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Member lookup on objects; nil for other values or absent keys.
    @inlinable public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// A short name of the JSON kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// A JSON number kept as its exact source text (valid JSON number grammar).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number as written, e.g. `1.50` or `-3e2`.
    public let text: String

    /// Creates a number from text that is already valid JSON number grammar.
    public init(unchecked text: String) { self.text = text }

    public init(_ value: Int) { self.text = String(value) }

    /// Creates a number from text that must be exactly one JSON number (e.g. `"1.50"`, `"-3e2"`), within
    /// the range of a double; nil otherwise (`"+1"`, `"01"`, `"NaN"`, `"1e999"`, `" 1"`).
    public init?(validating text: String) {
        guard let first = text.utf8.first, first == UInt8(ascii: "-") || (first &- UInt8(ascii: "0")) < 10,
            let last = text.utf8.last, (last &- UInt8(ascii: "0")) < 10,
            case .number(let n)? = try? JSONParser.parse(text)
        else { return nil }
        self = n
    }

    /// True when the text has no fraction and no exponent.
    public var isInteger: Bool {
        !text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
    }

    public var intValue: Int? { Int(text) }
    public var doubleValue: Double? { Double(text) }
    public var description: String { text }
}

/// The members of a JSON object in document order, with unique names. Lookups are linear: FHIR objects
/// are small, and a linear scan over a few keys beats hashing. Names and values are kept in two parallel
/// arrays so that `keys`, which validation and FHIRPath walk often, costs nothing to read.
public struct JSONObject: Sendable, Hashable, Sequence {
    public internal(set) var keys: [String]
    public internal(set) var values: [JSON]

    public init() {
        keys = []
        values = []
    }

    /// An object of these members in this order; a repeated name keeps its first place and its last value,
    /// so the object never holds a name twice (which the parser, and FHIR, refuse).
    public init(_ members: [(String, JSON)]) {
        keys = []
        values = []
        keys.reserveCapacity(members.count)
        values.reserveCapacity(members.count)
        for (k, v) in members { self[k] = v }
    }

    init(keys: [String], values: [JSON]) {
        self.keys = keys
        self.values = values
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// The position of the member named `key`. A plain `firstIndex(of:)`: measured faster on FHIR-sized
    /// objects than skipping names by UTF-8 length first (see docs/benchmarks.md).
    @inline(__always) public func index(forKey key: String) -> Int? {
        keys.firstIndex(of: key)
    }

    public subscript(key: String) -> JSON? {
        get {
            guard let i = index(forKey: key) else { return nil }
            return values[i]
        }
        set {
            if let i = index(forKey: key) {
                if let newValue {
                    values[i] = newValue
                } else {
                    keys.remove(at: i)
                    values.remove(at: i)
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    /// Sets a member, inserting it at `position` when it is new (existing members keep their place).
    public mutating func set(_ key: String, _ value: JSON, insertingAt position: Int) {
        if let i = index(forKey: key) {
            values[i] = value
        } else {
            let p = Swift.min(Swift.max(position, 0), keys.count)
            keys.insert(key, at: p)
            values.insert(value, at: p)
        }
    }

    public func makeIterator() -> Zip2Sequence<[String], [JSON]>.Iterator {
        zip(keys, values).makeIterator()
    }

    /// Equality that ignores member order (JSON objects are unordered for meaning).
    public func sameMembers(as other: JSONObject) -> Bool {
        guard count == other.count else { return false }
        for (k, v) in self {
            guard let ov = other[k], ov.sameValue(as: v) else { return false }
        }
        return true
    }
}

extension JSON {
    /// Deep equality that ignores object member order.
    public func sameValue(as other: JSON) -> Bool {
        switch (self, other) {
        case (.object(let a), .object(let b)): return a.sameMembers(as: b)
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            for i in a.indices where !a[i].sameValue(as: b[i]) { return false }
            return true
        default: return self == other
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}
