import FHIRCore
import Foundation

/// The four terminology operations of FHIR R4 over a `TerminologySource`: `$lookup`,
/// `$validate-code` (code system and value set), `$expand` and `$translate`. Inputs are the
/// operation's parameters; outputs are the FHIR resources the specification names; problems are
/// `FHIRError`s with the status the specification implies.
public struct TerminologyService: Sendable {
    public let source: any TerminologySource
    public let policy: TerminologyPolicy

    public init(source: any TerminologySource, policy: TerminologyPolicy = .standard) {
        self.source = source
        self.policy = policy
    }

    // MARK: $lookup

    /// CodeSystem/$lookup: display, pinyin designations, other designations and properties of a code.
    public func lookup(_ p: OperationParameters) async throws -> JSON {
        guard let coding = try p.codings().first, let code = coding.code else {
            throw FHIRError.badRequest("$lookup needs code and system, or coding", expression: ["code"])
        }
        guard let systemURL = coding.system else { throw FHIRError.badRequest("$lookup needs the system of code \(code)", expression: ["system"]) }
        guard let system = try await source.codeSystem(url: systemURL, version: coding.version) else {
            throw FHIRError.notFound("code system \(systemURL) is not known to this server")
        }
        guard let concept = system.concept(code) else {
            throw FHIRError(status: 404, code: .codeInvalid, "code '\(code)' is not in code system \(systemURL)", expression: ["code"])
        }
        let wanted = Set(p.strings("property"))
        var out = ParametersBuilder()
        out.add("name", string: system.name ?? system.title ?? system.url)
        out.add("version", string: system.version)
        out.add("display", string: concept.display)
        out.add("definition", string: concept.definition)
        let designations = [concept.display.map { Designation(language: "zh-CN", value: $0) }].compactMap { $0 }
            + concept.designations + CodeSystemContent.pinyinDesignations(of: concept.display ?? "")
        for d in designations {
            var parts: [JSON] = []
            if let l = d.language { parts.append(ParametersBuilder.part("language", "valueCode", .string(l))) }
            if let u = d.use { parts.append(ParametersBuilder.part("use", "valueCoding", u.json)) }
            parts.append(ParametersBuilder.part("value", "valueString", .string(d.value)))
            out.add("designation", parts: parts)
        }
        let descriptions = Dictionary(system.propertyDefinitions.map { ($0.code, $0.description) }, uniquingKeysWith: { a, _ in a })
        for property in concept.properties where wanted.isEmpty || wanted.contains(property.code) {
            let (key, value) = property.value.fhir
            var parts = [ParametersBuilder.part("code", "valueCode", .string(property.code)), ParametersBuilder.part("value", key, value)]
            if let d = descriptions[property.code] ?? nil { parts.append(ParametersBuilder.part("description", "valueString", .string(d))) }
            out.add("property", parts: parts)
        }
        return out.json
    }

    // MARK: $validate-code

    /// CodeSystem/$validate-code against `system` (the instance) or the code system named by `url`.
    public func validateCode(in system: CodeSystemContent?, _ p: OperationParameters) async throws -> JSON {
        var codings = try p.codings(systemParameter: "url")
        guard !codings.isEmpty else { throw FHIRError.badRequest("$validate-code needs code, coding or codeableConcept", expression: ["code"]) }
        var resolved = system
        if resolved == nil {
            guard let url = try p.string("url") ?? codings.first?.system else {
                throw FHIRError.badRequest("CodeSystem/$validate-code at type level needs url (the code system)", expression: ["url"])
            }
            guard let found = try await source.codeSystem(url: url, version: try p.string("version")) else {
                throw FHIRError.notFound("code system \(url) is not known to this server")
            }
            resolved = found
        }
        guard let system = resolved else { throw FHIRError.internal("no code system") }
        codings = codings.map { c in var c = c; if c.system == nil { c.system = system.url }; return c }
        var messages: [String] = []
        for c in codings {
            guard c.system == system.url, let code = c.code else { continue }
            guard let concept = system.concept(code) else { messages.append("code '\(code)' is not in code system \(system.url)"); continue }
            return validation(concept.code, system: system.url, version: system.version, expected: concept.display, given: c.display)
        }
        if messages.isEmpty { messages.append("no coding of code system \(system.url) was given") }
        return failed(messages.joined(separator: "; "))
    }

    /// ValueSet/$validate-code against `valueSet` (the instance) or the value set named by `url`.
    public func validateCode(in valueSet: ValueSetDefinition?, _ p: OperationParameters) async throws -> JSON {
        let codings = try p.codings()
        guard !codings.isEmpty else { throw FHIRError.badRequest("$validate-code needs code, coding or codeableConcept", expression: ["code"]) }
        let vs = try await resolveValueSet(valueSet, p)
        let expander = ValueSetExpander(source: source, policy: policy)
        var messages: [String] = []
        for c in codings {
            guard let code = c.code else { continue }
            if let system = c.system, try await source.codeSystem(url: system, version: c.version) == nil,
               !(vs.includes.contains { $0.system == system && !$0.concepts.isEmpty }) {
                messages.append("code system \(system) is not known to this server")
                continue
            }
            if let hit = try await expander.member(vs, system: c.system, code: code) {
                return validation(hit.code, system: hit.system, version: hit.version, expected: hit.display, given: c.display)
            }
            messages.append("code '\(code)'\(c.system.map { " of \($0)" } ?? "") is not in value set \(vs.url ?? vs.id ?? "")")
        }
        return failed(messages.joined(separator: "; "))
    }

    private func validation(_ code: String, system: String, version: String?, expected: String?, given: String?) -> JSON {
        var out = ParametersBuilder()
        // A wrong display is an error: a Chinese record that shows another disease's name is worse than none.
        let displayOK = given == nil || expected == nil || given == expected
        out.add("result", "valueBoolean", .bool(displayOK))
        if !displayOK { out.add("message", string: "the display '\(given ?? "")' is not the display of \(code): '\(expected ?? "")'") }
        out.add("display", string: expected)
        out.add("code", "valueCode", .string(code))
        out.add("system", "valueUri", .string(system))
        out.add("version", string: version)
        return out.json
    }

    private func failed(_ message: String) -> JSON {
        var out = ParametersBuilder()
        out.add("result", "valueBoolean", false)
        out.add("message", string: message)
        return out.json
    }

    func resolveValueSet(_ valueSet: ValueSetDefinition?, _ p: OperationParameters) async throws -> ValueSetDefinition {
        if let valueSet { return valueSet }
        if let inline = p.resource("valueSet") { return try ValueSetDefinition(fhir: inline) }
        guard let url = try p.string("url") else {
            throw FHIRError.badRequest("the operation needs url (the value set) or a valueSet resource", expression: ["url"])
        }
        guard let found = try await source.valueSet(url: url, version: try p.string("valueSetVersion")) else {
            throw FHIRError.notFound("value set \(url) is not known to this server")
        }
        return found
    }

    // MARK: $expand

    /// ValueSet/$expand with type-ahead `filter` (Chinese, pinyin, initials) and `count`/`offset` paging.
    public func expand(_ valueSet: ValueSetDefinition?, _ p: OperationParameters) async throws -> JSON {
        let vs = try await resolveValueSet(valueSet, p)
        let filter = try p.string("filter")?.trimmingCharacters(in: .whitespaces)
        let offset = try p.count("offset") ?? 0
        let requested = try p.count("count")
        let all = try await ValueSetExpander(source: source, policy: policy).expand(vs, filter: filter)
        if requested == nil, all.count - offset > policy.defaultExpansionCount {
            throw FHIRError(status: 422, code: .tooCostly,
                            "the expansion has \(all.count) codes, more than \(policy.defaultExpansionCount) at once: give a filter, or page with count and offset")
        }
        let count = min(requested ?? policy.defaultExpansionCount, policy.maxExpansionCount)
        let page = offset >= all.count ? [] : all[offset..<min(all.count, offset + count)]
        var expansion: [(String, JSON)] = [
            ("identifier", .string("urn:uuid:\(UUID().uuidString.lowercased())")),
            ("timestamp", .string(ISO8601DateFormatter().string(from: Date()))),
            ("total", .number(JSONNumber(all.count))),
            ("offset", .number(JSONNumber(offset))),
        ]
        var used: [JSON] = []
        if let filter, !filter.isEmpty { used.append(.object(JSONObject([("name", "filter"), ("valueString", .string(filter))]))) }
        used.append(.object(JSONObject([("name", "offset"), ("valueInteger", .number(JSONNumber(offset)))])))
        used.append(.object(JSONObject([("name", "count"), ("valueInteger", .number(JSONNumber(count)))])))
        expansion.append(("parameter", .array(used)))
        if !page.isEmpty {
            expansion.append(("contains", .array(page.map { e in
                var m: [(String, JSON)] = [("system", .string(e.system))]
                if let v = e.version { m.append(("version", .string(v))) }
                m.append(("code", .string(e.code)))
                if let d = e.display { m.append(("display", .string(d))) }
                return .object(JSONObject(m))
            })))
        }
        var out = vs.fhir.objectValue ?? JSONObject()
        out.set("expansion", .object(JSONObject(expansion)), insertingAt: out.count)
        return .object(out)
    }

    // MARK: $translate

    /// ConceptMap/$translate: the targets of a code in `map` (the instance), the map named by `url`,
    /// or every known map whose groups translate the code's system.
    public func translate(_ map: ConceptMapDefinition?, _ p: OperationParameters) async throws -> JSON {
        guard let coding = try p.codings().first, let code = coding.code else {
            throw FHIRError.badRequest("$translate needs code and system, coding or codeableConcept", expression: ["code"])
        }
        let reverse = try p.bool("reverse") ?? false
        let targetSystem = try p.string("targetsystem")
        var maps: [ConceptMapDefinition]
        if let map {
            maps = [map]
        } else if let inline = p.resource("conceptMap") {
            maps = [try ConceptMapDefinition(fhir: inline)]
        } else if let url = try p.string("url") {
            maps = try await source.conceptMaps(url: url, source: nil, target: nil)
            if maps.isEmpty { throw FHIRError.notFound("concept map \(url) is not known to this server") }
        } else {
            let sourceValueSet = try p.string("source")
            guard coding.system != nil || sourceValueSet != nil else {
                throw FHIRError.badRequest("$translate without a concept map needs the code's system or a source value set", expression: ["system"])
            }
            maps = try await source.conceptMaps(url: nil, source: sourceValueSet, target: try p.string("target"))
        }
        var matches: [ConceptMapDefinition.Match] = []
        for m in maps { matches += m.translate(system: coding.system, code: code, targetSystem: targetSystem, reverse: reverse) }
        var out = ParametersBuilder()
        let positive = matches.contains { ConceptMapDefinition.isPositive($0.equivalence) }
        out.add("result", "valueBoolean", .bool(positive))
        if !positive {
            out.add("message", string: "no translation of '\(code)'\(coding.system.map { " (\($0))" } ?? "") in \(maps.isEmpty ? "any known concept map" : maps.compactMap(\.url).joined(separator: ", "))")
        }
        for m in matches {
            var parts = [ParametersBuilder.part("equivalence", "valueCode", .string(m.equivalence))]
            if let c = m.concept { parts.append(ParametersBuilder.part("concept", "valueCoding", c.json)) }
            if let s = m.source { parts.append(ParametersBuilder.part("source", "valueUri", .string(s))) }
            out.add("match", parts: parts)
        }
        return out.json
    }
}
