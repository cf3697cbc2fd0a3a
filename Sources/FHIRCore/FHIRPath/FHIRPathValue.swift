/// One item of a FHIRPath collection: a System value (from a literal or an operation) or an element of
/// the resource being evaluated.
///
/// System values keep FHIRPath semantics (`Decimal` is exact with its precision, dates keep theirs);
/// `.element` wraps the resource's own JSON with its FHIR type.
public enum FHIRPathValue: Sendable {
    case boolean(Bool)
    case integer(Int)
    case decimal(FHIRDecimal)
    case string(String)
    case date(FHIRDateTime)
    case dateTime(FHIRDateTime)
    case time(FHIRTime)
    case quantity(FHIRQuantity)
    /// A node of the FHIR resource (complex element, primitive element, or resource).
    case element(FHIRPathElement)

    /// The element node, when this item is one.
    public var element: FHIRPathElement? {
        if case .element(let e) = self { return e }
        return nil
    }

    /// The item's type name: the FHIR type for elements (`HumanName`, `string`, `Patient.contact`), the
    /// System type otherwise (`Boolean`, `Integer`, `Decimal`, `String`, `Date`, `DateTime`, `Time`, `Quantity`).
    public var typeName: String {
        switch self {
        case .boolean: return "Boolean"
        case .integer: return "Integer"
        case .decimal: return "Decimal"
        case .string: return "String"
        case .date: return "Date"
        case .dateTime: return "DateTime"
        case .time: return "Time"
        case .quantity: return "Quantity"
        case .element(let e): return e.typeName
        }
    }

    /// The item as JSON: the element's own JSON, or the FHIR JSON form of a System value (a Quantity
    /// becomes `{"value":..,"unit":..,"system":"http://unitsofmeasure.org","code":..}`).
    public var json: JSON {
        switch self {
        case .boolean(let b): return .bool(b)
        case .integer(let i): return .number(JSONNumber(i))
        case .decimal(let d): return .number(JSONNumber(unchecked: d.description))
        case .string(let s): return .string(s)
        case .date(let d), .dateTime(let d): return .string(d.description)
        case .time(let t): return .string(t.description)
        case .quantity(let q):
            var o = JSONObject()
            o["value"] = .number(JSONNumber(unchecked: q.value.description))
            if let code = q.ucumCode() {
                o["unit"] = .string(q.unit)
                o["system"] = "http://unitsofmeasure.org"
                o["code"] = .string(code)
            } else {
                o["unit"] = .string(q.unit)
            }
            return .object(o)
        case .element(let e): return e.json
        }
    }
}

/// A node of a FHIR resource reached by FHIRPath navigation.
public struct FHIRPathElement: Sendable {
    /// The element's JSON value; `.null` for a primitive that only has an `_name` sibling (extensions).
    public let json: JSON
    /// The FHIR type: `Identifier`, `string`, `Patient`, or a backbone path such as `Patient.contact`.
    /// Empty when the model does not know the element.
    public let typeName: String
    /// For primitives: the `_name` sibling object carrying `id` and `extension`, when present.
    public let primitiveElement: JSON?
    /// The JSON member name the node was read from (`valueQuantity`, `name`); empty for roots.
    public let name: String

    /// A node with its JSON, FHIR type, `_name` sibling and member name.
    public init(json: JSON, typeName: String, primitiveElement: JSON? = nil, name: String = "") {
        self.json = json
        self.typeName = typeName
        self.primitiveElement = primitiveElement
        self.name = name
    }

    /// The resource type when the node is a resource (`resourceType` member).
    public var resourceType: String? { json["resourceType"]?.stringValue }
}

extension FHIRPathValue {
    /// Wraps a resource (a JSON object with `resourceType`) as a FHIRPath item.
    public static func resource(_ json: JSON) -> FHIRPathValue {
        .element(FHIRPathElement(json: json, typeName: json["resourceType"]?.stringValue ?? ""))
    }

    /// The System value of a FHIR primitive element (or of a Quantity-like element), used whenever an
    /// element meets an operator or a function that works on values. Complex elements return themselves.
    func primitive() -> FHIRPathValue {
        guard case .element(let e) = self else { return self }
        switch e.json {
        case .bool(let b): return .boolean(b)
        case .number(let n):
            switch e.typeName {
            case "integer", "positiveInt", "unsignedInt", "integer64":
                if let i = n.intValue { return .integer(i) }
            case "decimal": break
            default:
                if n.isInteger, let i = n.intValue { return .integer(i) }
            }
            return FHIRDecimal(n.text).map { .decimal($0) } ?? self
        case .string(let s):
            switch e.typeName {
            case "date":
                if let d = FHIRDateTime(s) { return .date(d) }
            case "dateTime", "instant":
                if let d = FHIRDateTime(s) { return .dateTime(d) }
            case "time":
                if let t = FHIRTime(s) { return .time(t) }
            default: break
            }
            return .string(s)
        case .object(let o):
            if FHIRPathValue.quantityTypes.contains(e.typeName), let n = o["value"]?.numberValue,
               let v = FHIRDecimal(n.text) {
                let code = o["code"]?.stringValue
                let system = o["system"]?.stringValue
                let unit = (system == nil || system == "http://unitsofmeasure.org") ? (code ?? o["unit"]?.stringValue) : o["unit"]?.stringValue
                return .quantity(FHIRQuantity(value: v, unit: unit ?? "1"))
            }
            return self
        default:
            return self
        }
    }

    static let quantityTypes: Set<String> = [
        "Quantity", "SimpleQuantity", "MoneyQuantity", "Age", "Distance", "Duration", "Count",
    ]

    /// True when the item (after `primitive()`) is one of the FHIRPath System value kinds.
    var isSystemValue: Bool {
        if case .element = self { return false }
        return true
    }

    /// The string form used by `toString()`, `join()` and `&`; nil for complex elements.
    func stringForm() -> String? {
        switch primitive() {
        case .boolean(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .decimal(let d): return d.description
        case .string(let s): return s
        case .date(let d), .dateTime(let d): return d.description
        case .time(let t): return t.description
        case .quantity(let q): return q.description
        case .element: return nil
        }
    }
}
