import FHIRCore

/// A concept map (ConceptMap.group.element.target) ready for `$translate`.
public struct ConceptMapDefinition: Sendable {
    public struct Target: Sendable, Hashable {
        public var code: String?
        public var display: String?
        /// R4 ConceptMapEquivalence (`equivalent`, `wider`, `narrower`, `unmatched`, …).
        public var equivalence: String
        public var comment: String?
    }

    public struct Element: Sendable {
        public var code: String
        public var display: String?
        public var targets: [Target]
    }

    public struct Group: Sendable {
        public var source: String?
        public var sourceVersion: String?
        public var target: String?
        public var targetVersion: String?
        public var elements: [Element]
        /// Source code → positions in `elements`.
        let positions: [String: [Int]]

        public init(source: String?, sourceVersion: String? = nil, target: String?, targetVersion: String? = nil, elements: [Element]) {
            self.source = source
            self.sourceVersion = sourceVersion
            self.target = target
            self.targetVersion = targetVersion
            self.elements = elements
            var positions: [String: [Int]] = [:]
            for (i, e) in elements.enumerated() { positions[e.code, default: []].append(i) }
            self.positions = positions
        }
    }

    /// One answer of `$translate`.
    public struct Match: Sendable, Hashable {
        public var equivalence: String
        public var concept: Coding?
        public var source: String?
    }

    public var id: String?
    public var url: String?
    public var version: String?
    public var name: String?
    public var title: String?
    public var status: String
    public var sourceValueSet: String?
    public var targetValueSet: String?
    public var sourceNote: String?
    public var groups: [Group]

    public init(id: String?, url: String?, version: String? = nil, name: String? = nil, title: String? = nil, status: String = "active",
                sourceValueSet: String? = nil, targetValueSet: String? = nil, sourceNote: String? = nil, groups: [Group]) {
        self.id = id
        self.url = url
        self.version = version
        self.name = name
        self.title = title
        self.status = status
        self.sourceValueSet = sourceValueSet
        self.targetValueSet = targetValueSet
        self.sourceNote = sourceNote
        self.groups = groups
    }

    /// The targets of `code` (of `system` when given), optionally only those in `targetSystem`.
    /// `reverse` reads the map backwards (target → source), as `$translate?reverse=true` asks.
    public func translate(system: String?, code: String, targetSystem: String? = nil, reverse: Bool = false) -> [Match] {
        var matches: [Match] = []
        for g in groups {
            if reverse {
                if let system, g.target != system { continue }
                if let targetSystem, g.source != targetSystem { continue }
                for e in g.elements {
                    for t in e.targets where t.code == code && t.equivalence != "unmatched" {
                        matches.append(Match(equivalence: Self.reversed(t.equivalence),
                                             concept: Coding(system: g.source, version: g.sourceVersion, code: e.code, display: e.display), source: url))
                    }
                }
            } else {
                if let system, g.source != system { continue }
                if let targetSystem, g.target != targetSystem { continue }
                for i in g.positions[code] ?? [] {
                    for t in g.elements[i].targets {
                        let concept = t.code.map { Coding(system: g.target, version: g.targetVersion, code: $0, display: t.display) }
                        matches.append(Match(equivalence: t.equivalence, concept: concept, source: url))
                    }
                }
            }
        }
        return matches
    }

    /// Wider read backwards is narrower, and the other way round.
    static func reversed(_ equivalence: String) -> String {
        switch equivalence {
        case "wider": return "narrower"
        case "narrower": return "wider"
        case "subsumes": return "specializes"
        case "specializes": return "subsumes"
        default: return equivalence
        }
    }

    /// Whether a match means the code was translated (R4: any equivalence but unmatched and disjoint).
    public static func isPositive(_ equivalence: String) -> Bool {
        equivalence != "unmatched" && equivalence != "disjoint"
    }

    /// Reads a FHIR ConceptMap (R4).
    public init(fhir json: JSON) throws {
        guard json["resourceType"]?.stringValue == "ConceptMap" else { throw FHIRError.badRequest("not a ConceptMap resource") }
        let groups = (json["group"]?.arrayValue ?? []).map { g in
            Group(source: g["source"]?.stringValue, sourceVersion: g["sourceVersion"]?.stringValue, target: g["target"]?.stringValue,
                  targetVersion: g["targetVersion"]?.stringValue,
                  elements: (g["element"]?.arrayValue ?? []).compactMap { e in
                      guard let code = e["code"]?.stringValue else { return nil }
                      return Element(code: code, display: e["display"]?.stringValue, targets: (e["target"]?.arrayValue ?? []).map { t in
                          Target(code: t["code"]?.stringValue, display: t["display"]?.stringValue,
                                 equivalence: t["equivalence"]?.stringValue ?? "equivalent", comment: t["comment"]?.stringValue)
                      })
                  })
        }
        self.init(id: json["id"]?.stringValue, url: json["url"]?.stringValue, version: json["version"]?.stringValue,
                  name: json["name"]?.stringValue, title: json["title"]?.stringValue, status: json["status"]?.stringValue ?? "active",
                  sourceValueSet: json["sourceUri"]?.stringValue ?? json["sourceCanonical"]?.stringValue,
                  targetValueSet: json["targetUri"]?.stringValue ?? json["targetCanonical"]?.stringValue,
                  sourceNote: json["copyright"]?.stringValue, groups: groups)
    }

    /// The map as a FHIR R4 ConceptMap resource.
    public var fhir: JSON {
        var m = canonicalHeader("ConceptMap", id: id, url: url, version: version, name: name, title: title, status: status)
        if let sourceNote { m.append(("copyright", .string(sourceNote))) }
        if let sourceValueSet { m.append(("sourceCanonical", .string(sourceValueSet))) }
        if let targetValueSet { m.append(("targetCanonical", .string(targetValueSet))) }
        m.append(("group", .array(groups.map { g in
            var gm: [(String, JSON)] = []
            if let s = g.source { gm.append(("source", .string(s))) }
            if let s = g.sourceVersion { gm.append(("sourceVersion", .string(s))) }
            if let t = g.target { gm.append(("target", .string(t))) }
            if let t = g.targetVersion { gm.append(("targetVersion", .string(t))) }
            gm.append(("element", .array(g.elements.map { e in
                var em: [(String, JSON)] = [("code", .string(e.code))]
                if let d = e.display { em.append(("display", .string(d))) }
                em.append(("target", .array(e.targets.map { t in
                    var tm: [(String, JSON)] = []
                    if let c = t.code { tm.append(("code", .string(c))) }
                    if let d = t.display { tm.append(("display", .string(d))) }
                    tm.append(("equivalence", .string(t.equivalence)))
                    if let c = t.comment { tm.append(("comment", .string(c))) }
                    return .object(JSONObject(tm))
                })))
                return .object(JSONObject(em))
            })))
            return .object(JSONObject(gm))
        })))
        return .object(JSONObject(m))
    }
}
