import FHIRCore

/// One code of an expansion.
public struct ExpansionEntry: Sendable, Hashable {
    public var system: String
    public var version: String?
    public var code: String
    public var display: String?
}

/// Expands value sets and checks membership, resolving code systems and imported value sets
/// through a `TerminologySource`. A text filter uses each code system's type-ahead index.
public struct ValueSetExpander: Sendable {
    public let source: any TerminologySource
    public let policy: TerminologyPolicy

    public init(source: any TerminologySource, policy: TerminologyPolicy = .standard) {
        self.source = source
        self.policy = policy
    }

    /// Every code of `valueSet` matching `filter` (best match first when filtered, else definition order).
    public func expand(_ valueSet: ValueSetDefinition, filter: String? = nil) async throws -> [ExpansionEntry] {
        try await expand(valueSet, filter: filter?.isEmpty == true ? nil : filter, depth: 0)
    }

    private func expand(_ valueSet: ValueSetDefinition, filter: String?, depth: Int) async throws -> [ExpansionEntry] {
        guard depth <= policy.maxValueSetNesting else {
            throw FHIRError(status: 422, code: .processing, "value set \(valueSet.url ?? "?") imports value sets more than \(policy.maxValueSetNesting) levels deep (circular?)")
        }
        var out: [ExpansionEntry] = []
        for rule in valueSet.includes { out += try await entries(of: rule, filter: filter, depth: depth) }
        if valueSet.includes.count > 1 {
            var seen = Set<String>()
            out = out.filter { seen.insert($0.system + "|" + $0.code).inserted }
        }
        if !valueSet.excludes.isEmpty {
            var excluded = Set<String>()
            for rule in valueSet.excludes {
                for e in try await entries(of: rule, filter: nil, depth: depth) { excluded.insert(e.system + "|" + e.code) }
            }
            out = out.filter { !excluded.contains($0.system + "|" + $0.code) }
        }
        return out
    }

    private func entries(of rule: ValueSetDefinition.Rule, filter: String?, depth: Int) async throws -> [ExpansionEntry] {
        var fromSystem: [ExpansionEntry]?
        if let systemURL = rule.system {
            guard let system = try await source.codeSystem(url: systemURL, version: rule.version) else {
                if rule.concepts.isEmpty {
                    throw FHIRError(status: 422, code: .notFound, "the value set includes code system \(systemURL), which this server does not know")
                }
                // Listed codes of an unknown system can still be expanded, with the displays the value set gives.
                let listed = rule.concepts.map { ExpansionEntry(system: systemURL, version: rule.version, code: $0.code, display: $0.display) }
                return Self.filtered(listed, filter)
            }
            if !rule.concepts.isEmpty {
                let listed = rule.concepts.map { c in
                    ExpansionEntry(system: system.url, version: system.version, code: c.code, display: c.display ?? system.concept(c.code)?.display)
                }
                fromSystem = Self.filtered(listed, filter)
            } else {
                let concepts = filter.map { system.search($0) } ?? system.concepts
                fromSystem = concepts.lazy.filter { c in rule.filters.allSatisfy { $0.accepts(c) } }
                    .map { ExpansionEntry(system: system.url, version: system.version, code: $0.code, display: $0.display) }
            }
        }
        guard !rule.valueSets.isEmpty else { return fromSystem ?? [] }
        var imported: [[ExpansionEntry]] = []
        for url in rule.valueSets {
            guard let vs = try await source.valueSet(url: url, version: nil) else {
                throw FHIRError(status: 422, code: .notFound, "the value set imports \(url), which this server does not know")
            }
            imported.append(try await expand(vs, filter: filter, depth: depth + 1))
        }
        // Several imports (and a system part) intersect, as the R4 definition says.
        var result = fromSystem ?? imported.removeFirst()
        for other in imported {
            let keys = Set(other.map { $0.system + "|" + $0.code })
            result = result.filter { keys.contains($0.system + "|" + $0.code) }
        }
        return result
    }

    /// Ranks a short listed set with an ad-hoc type-ahead index (the same matching as a code system's).
    static func filtered(_ entries: [ExpansionEntry], _ filter: String?) -> [ExpansionEntry] {
        guard let filter else { return entries }
        let index = TypeAheadIndex(entries.map { TerminologyConcept(code: $0.code, display: $0.display) })
        return index.matches(filter).map { entries[$0] }
    }

    /// The value set's entry for `code` (of `system` when given), or nil when the code is not in it.
    public func member(_ valueSet: ValueSetDefinition, system: String?, code: String) async throws -> ExpansionEntry? {
        try await member(valueSet, system: system, code: code, depth: 0)
    }

    private func member(_ valueSet: ValueSetDefinition, system: String?, code: String, depth: Int) async throws -> ExpansionEntry? {
        guard depth <= policy.maxValueSetNesting else {
            throw FHIRError(status: 422, code: .processing, "value set \(valueSet.url ?? "?") imports value sets more than \(policy.maxValueSetNesting) levels deep (circular?)")
        }
        for rule in valueSet.excludes where try await ruleContains(rule, system: system, code: code, depth: depth) != nil { return nil }
        for rule in valueSet.includes {
            if let hit = try await ruleContains(rule, system: system, code: code, depth: depth) { return hit }
        }
        return nil
    }

    private func ruleContains(_ rule: ValueSetDefinition.Rule, system: String?, code: String, depth: Int) async throws -> ExpansionEntry? {
        var hit: ExpansionEntry?
        if let systemURL = rule.system {
            if let system, system != systemURL { return nil }
            let content = try await source.codeSystem(url: systemURL, version: rule.version)
            if !rule.concepts.isEmpty {
                guard let listed = rule.concepts.first(where: { $0.code == code }) else { return nil }
                hit = ExpansionEntry(system: systemURL, version: content?.version, code: code, display: listed.display ?? content?.concept(code)?.display)
            } else {
                guard let content, let c = content.concept(code), rule.filters.allSatisfy({ $0.accepts(c) }) else { return nil }
                hit = ExpansionEntry(system: content.url, version: content.version, code: c.code, display: c.display)
            }
        }
        for url in rule.valueSets {
            guard let vs = try await source.valueSet(url: url, version: nil),
                  let inner = try await member(vs, system: system, code: code, depth: depth + 1) else { return nil }
            hit = hit ?? inner
        }
        return hit
    }
}
