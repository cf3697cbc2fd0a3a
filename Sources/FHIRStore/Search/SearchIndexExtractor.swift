import FHIRCore
import Foundation

/// Extracts search-index rows from a resource by evaluating every R4 search parameter's FHIRPath
/// expression (from the compiled registry) and turning each result into rows of its index table.
/// Expressions are compiled once, at start.
public final class SearchIndexExtractor: ResourceIndexing, SearchParameterLookup, Sendable {
    struct CompiledParameter: Sendable {
        let code: String
        let type: SearchParameterDefinition.ParameterType
        let expression: FHIRPathExpression
    }

    public let definitions: R4Definitions
    /// R4's parameters and a profile's own (`additionalParameters`), which index and search alike.
    public let searchParameters: SearchParameterRegistry
    /// R4's search expressions apply `as` to collections (`(Medication.ingredient.item as Reference)`);
    /// later FHIR versions say `ofType`, which is what they mean.
    static let options = FHIRPathOptions(asFiltersCollections: true)
    private let byType: [String: [CompiledParameter]]
    private let composites: [String: [CompiledComposite]]
    private let compartmentParameters: [String: Set<String>]
    /// String parameters that index exactly what another of the type indexes (R4's `phonetic` is
    /// `name` again on Patient, Person, Practitioner and RelatedPerson, and we have no phonetic
    /// algorithm of our own): by type, the alias's code → the code whose rows answer it. Their rows
    /// were a seventh of a Patient's index rows, written for nothing.
    private let aliases: [String: [String: String]]
    /// Parameters whose expression the evaluator could not compile (listed, not hidden).
    public let uncompiled: [(code: String, base: String, error: String)]

    public init(definitions: R4Definitions = .shared, additionalParameters: [SearchParameterDefinition] = []) {
        self.definitions = definitions
        let registry = definitions.searchParameters.adding(additionalParameters)
        self.searchParameters = registry
        var byType: [String: [CompiledParameter]] = [:]
        var cache: [String: FHIRPathExpression] = [:]
        var failed: [(String, String, String)] = []
        var compartments: [String: Set<String>] = [:]
        var composites: [String: [CompiledComposite]] = [:]
        var aliases: [String: [String: String]] = [:]
        for type in definitions.resourceTypeNames {
            composites[type] = CompiledComposite.compile(type: type, registry: registry, cache: &cache, failed: &failed)
            var list: [CompiledParameter] = []
            var stringSources: [String: String] = [:]
            // By code, so that the first of equal parameters (`name` before `phonetic`) keeps the rows.
            for p in registry.parameters(for: type).sorted(by: { $0.code < $1.code }) {
                guard p.type != .composite, p.type != .special || p.code == GeoDistance.parameter,
                    let source = p.expression(for: type)
                else { continue }
                // _id and _lastUpdated live on the resource row itself.
                if p.code == "_id" || p.code == "_lastUpdated" { continue }
                if p.type == .string {
                    if let first = stringSources[source] {
                        aliases[type, default: [:]][p.code] = first
                        continue
                    }
                    stringSources[source] = p.code
                }
                if let e = cache[source] {
                    list.append(CompiledParameter(code: p.code, type: p.type, expression: e))
                    continue
                }
                do {
                    let e = try FHIRPathExpression(source)
                    cache[source] = e
                    list.append(CompiledParameter(code: p.code, type: p.type, expression: e))
                } catch {
                    failed.append((p.code, type, "\(error)"))
                }
            }
            byType[type] = list
            if let params = definitions.patientCompartmentParameters(for: type) { compartments[type] = Set(params) }
        }
        self.byType = byType
        self.aliases = aliases
        self.composites = composites
        self.compartmentParameters = compartments
        self.uncompiled = failed
    }

    // MARK: SearchParameterLookup

    public func parameter(type: String, code: String) -> SearchParameterInfo? {
        guard let p = searchParameters.parameter(code, for: type) else { return nil }
        let kind = SearchParameterInfo.Kind(rawValue: p.type.rawValue) ?? .special
        // An alias is searched, sorted and tested for :missing through the rows of the one it repeats.
        var info = SearchParameterInfo(code: aliases[type]?[p.code] ?? p.code, kind: kind, targets: p.targets)
        if p.type == .composite {
            // Answered only when indexed: every component is a parameter of the type.
            guard let composite = composites[type]?.first(where: { $0.code == p.code }) else { return nil }
            info.components = p.components.compactMap { c in parameter(type: type, code: c.code) }
            info.componentsOnResource = composite.onResource
            info.unionOf = composite.unionOf.compactMap { parameter(type: type, code: $0) }
        }
        return info
    }

    public func isResourceType(_ name: String) -> Bool { definitions.isConcreteResourceType(name) }

    /// The enumerable R4 value sets the definitions carry (those of required bindings).
    public func valueSet(_ url: String) -> (systems: [String], codes: [String])? {
        guard let v = definitions.requiredBindingCodes(valueSet: url) else { return nil }
        return (v.systems.sorted(), v.codes.sorted())
    }

    public func summaryElements(of type: String) -> Set<String>? {
        guard let t = definitions.type(named: type) else { return nil }
        var names: Set<String> = []
        for e in t.elements where e.isSummary && e.path.split(separator: ".").count == 2 {
            names.insert(e.name.hasSuffix("[x]") ? String(e.name.dropLast(3)) : e.name)
        }
        return names
    }

    // MARK: ResourceIndexing

    public func indexRows(for resource: JSON, type: String) -> SearchIndexRows {
        indexRows(for: resource, type: type, only: nil)
    }

    /// The index rows of only the parameters named in `only` (all when nil): what sorting and
    /// `_include` need of a resource, without evaluating every expression.
    public func indexRows(for resource: JSON, type: String, only: Set<String>?) -> SearchIndexRows {
        var rows = SearchIndexRows()
        guard let params = byType[type] else { return rows }
        for p in params where only?.contains(p.code) ?? true {
            // A parameter whose expression fails on this resource indexes nothing for it; validation has
            // already accepted the resource, so this is a gap in the evaluator, not bad data.
            guard let values = try? p.expression.evaluate(on: resource, model: definitions, options: Self.options) else { continue }
            if p.type == .special {
                // `near`: a position is indexed as its latitude and longitude (GeoDistance).
                for v in values { GeoDistance.index(v.json, param: p.code, into: &rows) }
                continue
            }
            for v in values { IndexValueConversion.add(v, param: p.code, type: p.type, to: &rows) }
        }
        if only == nil {
            compositeRows(for: resource, composites: composites[type] ?? [], into: &rows)
            rows.text = TextIndexing.row(for: resource)
        }
        rows.deduplicate()
        return rows
    }

    public func compartment(for resource: JSON, type: String, rows: SearchIndexRows) -> String? {
        if type == "Patient" { return resource["id"]?.stringValue }
        guard let params = compartmentParameters[type] else { return nil }
        // The compartment parameters' references are already among the index rows: no second evaluation.
        for p in byType[type] ?? [] where params.contains(p.code) && p.type == .reference {
            if let row = rows.references.first(where: { $0.param == p.code && $0.targetType == "Patient" }) { return row.targetId }
        }
        return nil
    }
}

extension SearchIndexRows {
    /// Drops repeated rows (a value reached by two expression branches is indexed once).
    mutating func deduplicate() {
        func unique<T: Equatable>(_ a: [T]) -> [T] {
            var out: [T] = []
            for x in a where !out.contains(x) { out.append(x) }
            return out
        }
        if tokens.count > 1 { tokens = unique(tokens) }
        if strings.count > 1 { strings = unique(strings) }
        if references.count > 1 { references = unique(references) }
        if dates.count > 1 { dates = unique(dates) }
        if uris.count > 1 { uris = unique(uris) }
    }
}
