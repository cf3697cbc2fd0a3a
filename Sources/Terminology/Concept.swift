import FHIRCore

/// One concept of a code system: its code, its display (Chinese for the shipped catalogues), other
/// designations (e.g. English) and its properties (a drug's control class, a lab test's unit, …).
public struct TerminologyConcept: Sendable, Hashable {
    public var code: String
    public var display: String?
    public var definition: String?
    public var designations: [Designation]
    public var properties: [ConceptProperty]

    public init(code: String, display: String?, definition: String? = nil, designations: [Designation] = [], properties: [ConceptProperty] = []) {
        self.code = code
        self.display = display
        self.definition = definition
        self.designations = designations
        self.properties = properties
    }

    /// The first value of property `code`, if the concept has it.
    public func property(_ code: String) -> ConceptProperty.Value? {
        properties.first { $0.code == code }?.value
    }
}

/// Another name of a concept, in a language (`en`, `zh-CN`, `zh-Latn-pinyin`) or for a use.
public struct Designation: Sendable, Hashable {
    public var language: String?
    public var use: Coding?
    public var value: String

    public init(language: String?, use: Coding? = nil, value: String) {
        self.language = language
        self.use = use
        self.value = value
    }

    var json: JSON {
        var members: [(String, JSON)] = []
        if let language { members.append(("language", .string(language))) }
        if let use { members.append(("use", use.json)) }
        members.append(("value", .string(value)))
        return .object(JSONObject(members))
    }
}

/// A FHIR Coding reduced to what terminology needs.
public struct Coding: Sendable, Hashable {
    public var system: String?
    public var version: String?
    public var code: String?
    public var display: String?

    public init(system: String?, version: String? = nil, code: String?, display: String? = nil) {
        self.system = system
        self.version = version
        self.code = code
        self.display = display
    }

    public init(json: JSON) {
        self.init(system: json["system"]?.stringValue, version: json["version"]?.stringValue,
                  code: json["code"]?.stringValue, display: json["display"]?.stringValue)
    }

    public var json: JSON {
        var members: [(String, JSON)] = []
        if let system { members.append(("system", .string(system))) }
        if let version { members.append(("version", .string(version))) }
        if let code { members.append(("code", .string(code))) }
        if let display { members.append(("display", .string(display))) }
        return .object(JSONObject(members))
    }
}

/// A property value of a concept (CodeSystem.concept.property).
public struct ConceptProperty: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        case code(String), string(String), integer(Int), decimal(String), boolean(Bool)

        /// The value as text, whatever its type.
        public var text: String {
            switch self {
            case .code(let s), .string(let s), .decimal(let s): return s
            case .integer(let i): return String(i)
            case .boolean(let b): return b ? "true" : "false"
            }
        }

        /// The FHIR `value[x]` member name and JSON value.
        var fhir: (String, JSON) {
            switch self {
            case .code(let s): return ("valueCode", .string(s))
            case .string(let s): return ("valueString", .string(s))
            case .integer(let i): return ("valueInteger", .number(JSONNumber(i)))
            case .decimal(let s): return ("valueDecimal", .number(JSONNumber(unchecked: s)))
            case .boolean(let b): return ("valueBoolean", .bool(b))
            }
        }

        /// Reads `value[x]` from a FHIR property element; nil when it has none of the supported types.
        static func from(_ element: JSON) -> Value? {
            if let s = element["valueCode"]?.stringValue { return .code(s) }
            if let s = element["valueString"]?.stringValue { return .string(s) }
            if let n = element["valueInteger"]?.numberValue?.intValue { return .integer(n) }
            if let n = element["valueDecimal"]?.numberValue { return .decimal(n.text) }
            if let b = element["valueBoolean"]?.boolValue { return .boolean(b) }
            if let c = element["valueCoding"]?["code"]?.stringValue { return .code(c) }
            if let s = element["valueDateTime"]?.stringValue { return .string(s) }
            return nil
        }
    }

    public var code: String
    public var value: Value

    public init(code: String, value: Value) {
        self.code = code
        self.value = value
    }
}

/// The declaration of a property in a code system (CodeSystem.property).
public struct PropertyDefinition: Sendable, Hashable {
    public enum Kind: String, Sendable { case code, string, integer, decimal, boolean, coding = "Coding", dateTime }
    public var code: String
    public var kind: Kind
    public var description: String?

    public init(code: String, kind: Kind, description: String? = nil) {
        self.code = code
        self.kind = kind
        self.description = description
    }
}
