import Foundation
import FHIRCore

/// A value set's definition (ValueSet.compose): which codes of which code systems it includes and
/// excludes. Expansion (`ValueSetExpander`) needs the code systems, which a `TerminologySource` gives.
public struct ValueSetDefinition: Sendable {
    /// One `include` or `exclude` rule.
    public struct Rule: Sendable {
        public var system: String?
        public var version: String?
        /// Listed codes with an optional display; empty means every code of `system` (after `filters`).
        public var concepts: [(code: String, display: String?)]
        public var filters: [PropertyFilter]
        /// Other value sets whose codes the rule takes (intersected with the system part when both are given).
        public var valueSets: [String]

        public init(system: String?, version: String? = nil, concepts: [(code: String, display: String?)] = [],
                    filters: [PropertyFilter] = [], valueSets: [String] = []) {
            self.system = system
            self.version = version
            self.concepts = concepts
            self.filters = filters
            self.valueSets = valueSets
        }
    }

    /// `compose.include.filter`: `=` and `in` on a property (or `concept` for the code itself), `regex` on the code.
    public struct PropertyFilter: Sendable {
        public var property: String
        public var op: String
        public var value: String

        func accepts(_ c: TerminologyConcept) -> Bool {
            let actual: String? = property == "concept" || property == "code" ? c.code : c.property(property)?.text
            guard let actual else { return false }
            switch op {
            case "=": return actual == value
            case "in": return value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == actual }
            case "not-in": return !value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == actual }
            case "regex": return actual.range(of: "^(?:\(value))$", options: .regularExpression) != nil
            default: return false
            }
        }
    }

    public static let supportedFilterOperators: Set<String> = ["=", "in", "not-in", "regex"]

    public var id: String?
    public var url: String?
    public var version: String?
    public var name: String?
    public var title: String?
    public var status: String
    public var includes: [Rule]
    public var excludes: [Rule]

    public init(id: String?, url: String?, version: String? = nil, name: String? = nil, title: String? = nil, status: String = "active",
                includes: [Rule], excludes: [Rule] = []) {
        self.id = id
        self.url = url
        self.version = version
        self.name = name
        self.title = title
        self.status = status
        self.includes = includes
        self.excludes = excludes
    }

    /// The value set of every code of a code system (CodeSystem.valueSet).
    public static func allCodes(of system: CodeSystemContent) -> ValueSetDefinition? {
        guard let url = system.valueSetURL else { return nil }
        return ValueSetDefinition(id: system.id, url: url, version: system.version, name: system.name.map { $0 + "All" },
                                  title: system.title.map { $0 + "（全部代码）" }, includes: [Rule(system: system.url)])
    }

    /// Reads a FHIR ValueSet; a filter operator this server cannot evaluate is a 422, not a silent mismatch.
    public init(fhir json: JSON) throws {
        guard json["resourceType"]?.stringValue == "ValueSet" else { throw FHIRError.badRequest("not a ValueSet resource") }
        func rules(_ list: [JSON]?, _ path: String) throws -> [Rule] {
            try (list ?? []).enumerated().map { i, r in
                let filters = try (r["filter"]?.arrayValue ?? []).map { f -> PropertyFilter in
                    let op = f["op"]?.stringValue ?? ""
                    guard Self.supportedFilterOperators.contains(op), let property = f["property"]?.stringValue, let value = f["value"]?.stringValue else {
                        throw FHIRError(status: 422, code: .notSupported, "filter operator '\(op)' is not supported (supported: =, in, not-in, regex)",
                                        expression: ["ValueSet.compose.\(path)[\(i)].filter"])
                    }
                    return PropertyFilter(property: property, op: op, value: value)
                }
                return Rule(system: r["system"]?.stringValue, version: r["version"]?.stringValue,
                            concepts: (r["concept"]?.arrayValue ?? []).compactMap { c in c["code"]?.stringValue.map { ($0, c["display"]?.stringValue) } },
                            filters: filters, valueSets: (r["valueSet"]?.arrayValue ?? []).compactMap(\.stringValue))
            }
        }
        self.init(id: json["id"]?.stringValue, url: json["url"]?.stringValue, version: json["version"]?.stringValue,
                  name: json["name"]?.stringValue, title: json["title"]?.stringValue, status: json["status"]?.stringValue ?? "active",
                  includes: try rules(json["compose"]?["include"]?.arrayValue, "include"),
                  excludes: try rules(json["compose"]?["exclude"]?.arrayValue, "exclude"))
    }

    /// The definition as a FHIR R4 ValueSet resource.
    public var fhir: JSON {
        var m = canonicalHeader("ValueSet", id: id, url: url, version: version, name: name, title: title, status: status)
        func rules(_ list: [Rule]) -> JSON {
            .array(list.map { r in
                var rm: [(String, JSON)] = []
                if let s = r.system { rm.append(("system", .string(s))) }
                if let v = r.version { rm.append(("version", .string(v))) }
                if !r.concepts.isEmpty {
                    rm.append(("concept", .array(r.concepts.map { c in
                        .object(JSONObject([("code", .string(c.code))] + (c.display.map { [("display", JSON.string($0))] } ?? [])))
                    })))
                }
                if !r.filters.isEmpty {
                    rm.append(("filter", .array(r.filters.map {
                        .object(JSONObject([("property", .string($0.property)), ("op", .string($0.op)), ("value", .string($0.value))]))
                    })))
                }
                if !r.valueSets.isEmpty { rm.append(("valueSet", .array(r.valueSets.map { .string($0) }))) }
                return .object(JSONObject(rm))
            })
        }
        var compose: [(String, JSON)] = [("include", rules(includes))]
        if !excludes.isEmpty { compose.append(("exclude", rules(excludes))) }
        m.append(("compose", .object(JSONObject(compose))))
        return .object(JSONObject(m))
    }
}
