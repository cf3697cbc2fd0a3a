/// One R4 search parameter (a compiled `SearchParameter` resource).
public struct SearchParameterDefinition: Sendable, Hashable {
    /// The search parameter types of R4 (`SearchParameter.type`).
    public enum ParameterType: String, Sendable, Hashable {
        case number, date, string, token, reference, composite, quantity, uri, special
    }

    /// One component of a composite parameter: the component parameter's code and the FHIRPath expression
    /// evaluated on the composite's focus.
    public struct Component: Sendable, Hashable {
        /// The code of the component's own search parameter.
        public let code: String
        /// The FHIRPath evaluated on the composite's focus.
        public let expression: String
    }

    /// The id of the SearchParameter resource, e.g. `Patient-gender`, `clinical-patient`.
    public let id: String
    /// The parameter's name (usually its code).
    public let name: String
    /// The code used in URLs (`gender`, `_lastUpdated`).
    public let code: String
    /// The resource types the parameter applies to (`Resource` and `DomainResource` included).
    public let base: [String]
    /// How values are matched (token, reference, date...).
    public let type: ParameterType
    /// The FHIRPath expression extracting values; covers every base type (`A.x | B.y`). Nil for `_query`-like
    /// special parameters without one.
    public let expression: String?
    /// The resource types a reference parameter may point to.
    public let targets: [String]
    /// The modifiers the definition lists (`missing`, `exact`, `text`...); empty when it lists none.
    public let modifiers: [String]
    /// The prefixes allowed on values (`eq`, `ge`, `lt`...).
    public let comparators: [String]
    /// Whether several values may be given as alternatives (`a,b`); nil when unspecified.
    public let multipleOr: Bool?
    /// Whether the parameter may repeat; nil when unspecified.
    public let multipleAnd: Bool?
    /// The components of a composite parameter.
    public let components: [Component]

    /// Set for a profile's own parameter; the specification's are named by their id.
    let definitionURL: String?

    /// The canonical URL of the definition.
    public var url: String { definitionURL ?? ("http://hl7.org/fhir/SearchParameter/" + id) }

    /// A parameter defined outside the R4 specification (a regional profile's), with a FHIRPath
    /// `expression` evaluated like the specification's own.
    public init(id: String, code: String, base: [String], type: ParameterType, expression: String?, targets: [String] = [],
                modifiers: [String] = [], comparators: [String] = [], url: String? = nil) {
        self.id = id
        self.name = code
        self.code = code
        self.base = base
        self.type = type
        self.expression = expression
        self.targets = targets
        self.modifiers = modifiers
        self.comparators = comparators
        multipleOr = true
        multipleAnd = true
        components = []
        definitionURL = url
    }

    init(json: JSON) throws(DefinitionsError) {
        guard let id = json["id"]?.stringValue, let code = json["c"]?.stringValue,
            let typeText = json["t"]?.stringValue, let type = ParameterType(rawValue: typeText)
        else { throw DefinitionsError("search parameter without id, code or valid type") }
        func strings(_ key: String) -> [String] { (json[key]?.arrayValue ?? []).compactMap(\.stringValue) }
        func flag(_ key: String) -> Bool? { json[key]?.numberValue.map { $0.text != "0" } }
        self.id = id
        self.code = code
        self.type = type
        name = json["n"]?.stringValue ?? code
        base = strings("b")
        expression = json["x"]?.stringValue
        targets = strings("tg")
        modifiers = strings("m")
        comparators = strings("cmp")
        multipleOr = flag("mo")
        multipleAnd = flag("ma")
        definitionURL = nil
        components = (json["co"]?.arrayValue ?? []).compactMap { item in
            guard let c = item["c"]?.stringValue, let x = item["x"]?.stringValue else { return nil }
            return Component(code: c, expression: x)
        }
    }

    /// The part of `expression` that applies to `resourceType`: the union branches that start with that type
    /// (or with a base type such as `Resource`). `clinical-patient` for `Observation` →
    /// `Observation.subject.where(resolve() is Patient)`. Nil when no branch applies.
    public func expression(for resourceType: String) -> String? {
        guard let expression else { return nil }
        if base.count == 1 { return expression }
        let branches = SearchParameterDefinition.unionBranches(expression).filter { branch in
            var head = Substring(branch)
            while head.first == "(" { head = head.dropFirst() }
            return head.hasPrefix(resourceType + ".") || head.hasPrefix(resourceType + " ")
                || head == Substring(resourceType)
        }
        return branches.isEmpty ? nil : branches.joined(separator: " | ")
    }

    /// Splits a FHIRPath expression at its top-level `|` operators (outside parentheses and strings).
    static func unionBranches(_ expression: String) -> [String] {
        var branches: [String] = []
        var depth = 0
        var inString = false
        var current = ""
        var previous: Character = " "
        for ch in expression {
            if inString {
                if ch == "'" && previous != "\\" { inString = false }
            } else if ch == "'" {
                inString = true
            } else if ch == "(" {
                depth += 1
            } else if ch == ")" {
                depth -= 1
            } else if ch == "|" && depth == 0 {
                branches.append(current.trimmingSpaces())
                current = ""
                previous = ch
                continue
            }
            current.append(ch)
            previous = ch
        }
        branches.append(current.trimmingSpaces())
        return branches.filter { !$0.isEmpty }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

/// The R4 search parameters, looked up by resource type and code. A type's parameters include those of its
/// bases (`Resource`: `_id`, `_lastUpdated`, `_tag`, `_profile`, `_security`, `_source`; `DomainResource`:
/// `_text`), so `parameter("_id", for: "Patient")` answers.
public struct SearchParameterRegistry: Sendable {
    /// Every parameter, in definition order (1,375 for R4).
    public private(set) var all: [SearchParameterDefinition]
    private(set) var byType: [String: [String: SearchParameterDefinition]]
    private(set) var byID: [String: SearchParameterDefinition]

    /// Builds the registry; `ancestry` maps each concrete resource type to itself and its ancestors.
    init(json: JSON, ancestry: [String: [String]]) throws(DefinitionsError) {
        var all: [SearchParameterDefinition] = []
        for item in json.arrayValue ?? [] {
            all.append(try SearchParameterDefinition(json: item))
        }
        self.all = all
        var declared: [String: [String: SearchParameterDefinition]] = [:]
        var byID: [String: SearchParameterDefinition] = [:]
        for p in all {
            byID[p.id] = p
            for b in p.base { declared[b, default: [:]][p.code] = p }
        }
        var byType = declared
        for (type, chain) in ancestry {
            var merged: [String: SearchParameterDefinition] = [:]
            for t in chain.reversed() {
                merged.merge(declared[t] ?? [:]) { _, own in own }
            }
            byType[type] = merged
        }
        self.byType = byType
        self.byID = byID
    }

    /// This registry with a profile's own parameters added (each on the concrete types of its `base`);
    /// a profile parameter with the code of an R4 one on the same type replaces it.
    public func adding(_ extra: [SearchParameterDefinition]) -> SearchParameterRegistry {
        var copy = self
        for p in extra {
            copy.all.append(p)
            copy.byID[p.id] = p
            for b in p.base { copy.byType[b, default: [:]][p.code] = p }
        }
        return copy
    }

    /// The parameter `code` applicable to `resourceType` (own or inherited from `Resource`/`DomainResource`).
    public func parameter(_ code: String, for resourceType: String) -> SearchParameterDefinition? {
        byType[resourceType]?[code]
    }

    /// Every parameter applicable to `resourceType`, sorted by code.
    public func parameters(for resourceType: String) -> [SearchParameterDefinition] {
        (byType[resourceType] ?? [:]).values.sorted { $0.code < $1.code }
    }

    /// The parameter with the SearchParameter id (`Patient-gender`) or canonical URL.
    public func parameter(id: String) -> SearchParameterDefinition? {
        let prefix = "http://hl7.org/fhir/SearchParameter/"
        return byID[id.hasPrefix(prefix) ? String(id.dropFirst(prefix.count)) : id]
    }
}
