import ChinaReference
import FHIRCore
import Synchronization

/// A code system ready for the terminology operations: its metadata, its concepts (a hierarchy
/// flattened in document order) indexed by code, and a type-ahead index built on first use.
/// Made from a catalogue file or from a FHIR CodeSystem resource, and turned back into one.
public final class CodeSystemContent: Sendable {
    public let id: String?
    public let url: String
    public let version: String?
    public let name: String?
    public let title: String?
    public let status: String
    public let publisher: String?
    /// The value set of all its codes (CodeSystem.valueSet).
    public let valueSetURL: String?
    public let caseSensitive: Bool
    /// Provenance of a shipped catalogue (kept in CodeSystem.copyright on the way out).
    public let sourceNote: String?
    public let propertyDefinitions: [PropertyDefinition]
    public let concepts: [TerminologyConcept]
    private let positions: [String: Int]
    private let typeAhead = Mutex<TypeAheadIndex?>(nil)

    public init(
        id: String?, url: String, version: String?, name: String?, title: String?, status: String = "active",
        publisher: String? = nil, valueSetURL: String? = nil, caseSensitive: Bool = true, sourceNote: String? = nil,
        propertyDefinitions: [PropertyDefinition] = [], concepts: [TerminologyConcept]
    ) {
        self.id = id
        self.url = url
        self.version = version
        self.name = name
        self.title = title
        self.status = status
        self.publisher = publisher
        self.valueSetURL = valueSetURL
        self.caseSensitive = caseSensitive
        self.sourceNote = sourceNote
        self.propertyDefinitions = propertyDefinitions
        self.concepts = concepts
        var positions: [String: Int] = [:]
        positions.reserveCapacity(concepts.count)
        for (i, c) in concepts.enumerated() where positions[c.code] == nil { positions[caseSensitive ? c.code : c.code.lowercased()] = i }
        self.positions = positions
    }

    /// The concept with `code`, if the code system has it.
    public func concept(_ code: String) -> TerminologyConcept? {
        positions[caseSensitive ? code : code.lowercased()].map { concepts[$0] }
    }

    /// The concepts matching a type-ahead filter (Chinese characters, full pinyin, pinyin initials,
    /// code prefix; every word must match), best match first.
    public func search(_ filter: String) -> [TerminologyConcept] {
        index.matches(filter).map { concepts[$0] }
    }

    var index: TypeAheadIndex {
        typeAhead.withLock { cached in
            if let cached { return cached }
            let built = TypeAheadIndex(concepts)
            cached = built
            return built
        }
    }

    /// Builds the type-ahead index now (at server start) rather than on the first `$expand`.
    public func prepareIndex() { _ = index }

    /// The pinyin designations Kangqiao adds to a Chinese display in `$lookup`: the full spelling
    /// (syllables separated by spaces) and the initials.
    public static func pinyinDesignations(of display: String) -> [Designation] {
        let pinyin = Pinyin.shared
        guard pinyin.containsHan(display) else { return [] }
        return [
            Designation(language: "zh-Latn-pinyin", use: Coding(system: ChinaProfile.CodeSystem.designationUse, code: "pinyin", display: "拼音"),
                        value: pinyin.syllables(display).joined(separator: " ")),
            Designation(language: "zh-Latn-pinyin", use: Coding(system: ChinaProfile.CodeSystem.designationUse, code: "pinyin-initials", display: "拼音首字母"),
                        value: pinyin.initials(display)),
        ]
    }
}

extension CodeSystemContent {
    /// Reads a FHIR CodeSystem resource; 422 when it has no url (the operations find code systems by url).
    public convenience init(fhir json: JSON) throws {
        guard json["resourceType"]?.stringValue == "CodeSystem" else { throw FHIRError.badRequest("not a CodeSystem resource") }
        guard let url = json["url"]?.stringValue else {
            throw FHIRError.unprocessable("a CodeSystem used for terminology operations needs a url", expression: ["CodeSystem.url"])
        }
        var definitions: [PropertyDefinition] = []
        for p in json["property"]?.arrayValue ?? [] {
            guard let code = p["code"]?.stringValue else { continue }
            definitions.append(PropertyDefinition(code: code, kind: PropertyDefinition.Kind(rawValue: p["type"]?.stringValue ?? "") ?? .string,
                                                  description: p["description"]?.stringValue))
        }
        var concepts: [TerminologyConcept] = []
        func collect(_ list: [JSON]) {
            for c in list {
                guard let code = c["code"]?.stringValue else { continue }
                let designations = (c["designation"]?.arrayValue ?? []).compactMap { d -> Designation? in
                    guard let value = d["value"]?.stringValue else { return nil }
                    return Designation(language: d["language"]?.stringValue, use: d["use"].map(Coding.init(json:)), value: value)
                }
                let properties = (c["property"]?.arrayValue ?? []).compactMap { p -> ConceptProperty? in
                    guard let code = p["code"]?.stringValue, let value = ConceptProperty.Value.from(p) else { return nil }
                    return ConceptProperty(code: code, value: value)
                }
                concepts.append(TerminologyConcept(code: code, display: c["display"]?.stringValue, definition: c["definition"]?.stringValue,
                                                   designations: designations, properties: properties))
                collect(c["concept"]?.arrayValue ?? [])
            }
        }
        collect(json["concept"]?.arrayValue ?? [])
        self.init(id: json["id"]?.stringValue, url: url, version: json["version"]?.stringValue, name: json["name"]?.stringValue,
                  title: json["title"]?.stringValue, status: json["status"]?.stringValue ?? "active",
                  publisher: json["publisher"]?.stringValue, valueSetURL: json["valueSet"]?.stringValue,
                  caseSensitive: json["caseSensitive"]?.boolValue ?? true, sourceNote: json["copyright"]?.stringValue,
                  propertyDefinitions: definitions, concepts: concepts)
    }

    /// The code system as a FHIR R4 CodeSystem resource (content complete).
    public var fhir: JSON {
        var m = canonicalHeader("CodeSystem", id: id, url: url, version: version, name: name, title: title, status: status)
        if let publisher { m.append(("publisher", .string(publisher))) }
        if let sourceNote { m.append(("copyright", .string(sourceNote))) }
        m.append(("caseSensitive", .bool(caseSensitive)))
        if let valueSetURL { m.append(("valueSet", .string(valueSetURL))) }
        m.append(("content", "complete"))
        m.append(("count", .number(JSONNumber(concepts.count))))
        if !propertyDefinitions.isEmpty {
            m.append(("property", .array(propertyDefinitions.map { p in
                var pm: [(String, JSON)] = [("code", .string(p.code))]
                if let d = p.description { pm.append(("description", .string(d))) }
                pm.append(("type", .string(p.kind.rawValue)))
                return .object(JSONObject(pm))
            })))
        }
        m.append(("concept", .array(concepts.map { c in
            var cm: [(String, JSON)] = [("code", .string(c.code))]
            if let d = c.display { cm.append(("display", .string(d))) }
            if let d = c.definition { cm.append(("definition", .string(d))) }
            if !c.designations.isEmpty { cm.append(("designation", .array(c.designations.map(\.json)))) }
            if !c.properties.isEmpty {
                cm.append(("property", .array(c.properties.map { p in
                    let (key, value) = p.value.fhir
                    return .object(JSONObject([("code", .string(p.code)), (key, value)]))
                })))
            }
            return .object(JSONObject(cm))
        })))
        return .object(JSONObject(m))
    }
}
