/// One FHIR R4 type as the compiled definitions describe it: a resource, a data type, a primitive type, or
/// a backbone element (an inline structure such as `Patient.contact`, named by its path).
public struct TypeDefinition: Sendable {
    /// What sort of type this is (`StructureDefinition.kind`, plus `backbone` for inline structures).
    public enum Kind: String, Sendable, Hashable {
        case resource
        case complexType = "complex-type"
        case primitiveType = "primitive-type"
        case backbone
    }

    /// The type code (`Patient`, `HumanName`, `dateTime`) or, for backbone elements, the path.
    public let name: String
    /// Resource, data type, primitive or backbone element.
    public let kind: Kind
    /// Abstract types (`Resource`, `DomainResource`, `Element`, `BackboneElement`) have no instances of their own.
    public let isAbstract: Bool
    /// The type this one specializes (`Patient` → `DomainResource`); nil for `Element` and `Resource`.
    public let baseType: String?
    /// The elements in definition order, inherited ones (`id`, `extension`, `meta`...) included.
    public internal(set) var elements: [ElementDefinition]
    /// The constraints that every instance of this type must meet, as defined on the type itself (inherited
    /// ones live on the ancestor that defines them; those on one element sit on `ElementDefinition.invariants`).
    public internal(set) var invariants: [Invariant] = []
    /// Every constraint of the type's definition, wherever it sits (root, backbone or element path).
    public let declaredInvariants: [Invariant]
    /// The constraints every instance must meet: `invariants` of this type and of its ancestors
    /// (`Age` → `age-1`, `qty-3`, `ele-1`; `Patient` → `dom-2`…`dom-6`).
    public internal(set) var applicableInvariants: [Invariant] = []
    /// For primitive types, the value regex from the definitions (kept for the record; validation uses
    /// hand-written checks).
    public let regex: String?
    /// For constraint profiles on data types (`SimpleQuantity`), the type they constrain.
    public let profileOf: String?

    let elementIndex: [String: Int]
    let jsonNames: [String: JSONMember]
    /// The positions of elements with a minimum cardinality above zero.
    let requiredElements: [Int]

    /// The element that a JSON member name selects, and the type that the name implies (for choice elements
    /// the suffix: `valueQuantity` → `Quantity`).
    struct JSONMember: Sendable {
        let element: Int
        let type: String
    }

    init(name: String, json: JSON) throws(DefinitionsError) {
        guard let kindText = json["k"]?.stringValue, let kind = Kind(rawValue: kindText) else {
            throw DefinitionsError("type \(name) has no valid kind")
        }
        self.name = name
        self.kind = kind
        isAbstract = json["a"] != nil
        baseType = json["b"]?.stringValue
        regex = json["re"]?.stringValue
        profileOf = json["profileOf"]?.stringValue
        var elements: [ElementDefinition] = []
        var index: [String: Int] = [:]
        var members: [String: JSONMember] = [:]
        for item in json["e"]?.arrayValue ?? [] {
            let element = try ElementDefinition(owner: name, json: item)
            let position = elements.count
            index[element.name] = position
            if element.isChoice {
                for type in element.types {
                    members[element.name + ElementDefinition.choiceSuffix(for: type)] =
                        JSONMember(element: position, type: type)
                }
            } else {
                members[element.name] = JSONMember(element: position, type: element.types.first ?? "")
            }
            elements.append(element)
        }
        self.elements = elements
        elementIndex = index
        jsonNames = members
        requiredElements = elements.indices.filter { elements[$0].min > 0 }
        var invariants: [Invariant] = []
        for item in json["inv"]?.arrayValue ?? [] {
            invariants.append(try Invariant(json: item))
        }
        declaredInvariants = invariants
    }

    /// The element named `name` (JSON name without a choice suffix), if the type has one.
    public func element(named name: String) -> ElementDefinition? {
        guard let i = elementIndex[name] else { return nil }
        return elements[i]
    }

    /// The element a JSON member name denotes and the type the name implies: `valueQuantity` →
    /// (`value[x]`, `Quantity`), `gender` → (`gender`, `code`). Nil for names the type does not have.
    public func element(forJSONName name: String) -> (element: ElementDefinition, type: String)? {
        guard let member = jsonNames[name] else { return nil }
        return (elements[member.element], member.type)
    }
}

/// One element of a type: its name, types, cardinality and flags (an R4 `ElementDefinition`, compiled).
public struct ElementDefinition: Sendable {
    /// The JSON name without the choice suffix (`value` for `value[x]`).
    public let name: String
    /// The full path, e.g. `Observation.value[x]` or `Patient.contact.name`.
    public let path: String
    /// The type codes; a backbone element's type is its own path; several for choice elements.
    public let types: [String]
    /// The resource types a `Reference` (or `canonical`) may point to; empty when any.
    public let targetTypes: [String]
    /// The minimum cardinality (1 or more: the element is required).
    public let min: Int
    /// The maximum cardinality; nil means unbounded (`*`).
    public let max: Int?
    /// True for `[x]` elements, written with a type suffix in JSON (`valueQuantity`).
    public let isChoice: Bool
    /// True when the element is part of the summary view (`_summary=true`).
    public let isSummary: Bool
    /// True when the element changes the meaning of its container (`status`, `active`).
    public let isModifier: Bool
    /// The canonical URL of the value set the element is bound to with strength `required`.
    public let requiredBinding: String?
    /// The path whose definition this element reuses (`Questionnaire.item.item` → `Questionnaire.item`).
    public let contentReference: String?
    /// The constraints that sit on this element (`Narrative.div` → `txt-1`, `txt-2`).
    public internal(set) var invariants: [Invariant] = []

    /// True when the element repeats, so its JSON form is an array.
    public var isArray: Bool { max != 1 }

    init(owner: String, json: JSON) throws(DefinitionsError) {
        guard let name = json["n"]?.stringValue else { throw DefinitionsError("element of \(owner) has no name") }
        self.name = name
        isChoice = json["ch"] != nil
        path = owner + "." + name + (isChoice ? "[x]" : "")
        types = (json["t"]?.arrayValue ?? []).compactMap(\.stringValue)
        targetTypes = (json["r"]?.arrayValue ?? []).compactMap(\.stringValue)
        min = json["min"]?.numberValue?.intValue ?? 0
        if let maxText = json["max"]?.stringValue {
            max = maxText == "*" ? nil : Int(maxText)
        } else {
            max = 1
        }
        isSummary = json["s"] != nil
        isModifier = json["m"] != nil
        requiredBinding = json["b"]?.stringValue
        contentReference = json["cr"]?.stringValue
    }

    /// The JSON name suffix of a choice type: `dateTime` → `DateTime`, `CodeableConcept` → `CodeableConcept`.
    public static func choiceSuffix(for type: String) -> String {
        guard let first = type.first else { return type }
        return first.uppercased() + type.dropFirst()
    }
}

/// A FHIRPath constraint (invariant) of the definitions, e.g. `ele-1`, `dom-2`, `pat-1`.
public struct Invariant: Sendable, Hashable {
    /// Whether breaking the constraint is an error or a warning.
    public enum Severity: String, Sendable, Hashable { case error, warning }
    /// The constraint key, e.g. `dom-2`.
    public let key: String
    /// Error or warning, as the specification grades the constraint.
    public let severity: Severity
    /// The rule in words, as the specification states it.
    public let human: String
    /// The FHIRPath expression that must be true.
    public let expression: String
    /// The element path the constraint sits on (`DomainResource`, `Patient.contact`, `Narrative.div`).
    public let path: String

    init(json: JSON) throws(DefinitionsError) {
        guard let key = json["k"]?.stringValue, let expression = json["x"]?.stringValue,
            let path = json["p"]?.stringValue
        else { throw DefinitionsError("invariant without key, expression or path") }
        self.key = key
        self.expression = expression
        self.path = path
        human = json["h"]?.stringValue ?? ""
        severity = Severity(rawValue: json["s"]?.stringValue ?? "error") ?? .error
    }
}

/// The definitions file is missing or not in the expected layout (a build defect, not a request error).
public struct DefinitionsError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with the definitions.
    public let description: String
    init(_ message: String) { description = "R4 definitions: " + message }
}
