import FHIRCore
import Foundation

/// The catalogues the server holds in memory: the shipped ones (Resources/, loaded once) and, when
/// configured, a region's directory that overrides (same url) or extends them. Read-only once built;
/// resources users store through the API are looked up in the store first (the server's source).
public final class TerminologyCatalogue: TerminologySource {
    public let codeSystems: [String: CodeSystemContent]
    public let valueSets: [String: ValueSetDefinition]
    public let conceptMaps: [String: ConceptMapDefinition]
    private let codeSystemIds: [String: String]
    private let valueSetIds: [String: String]
    private let conceptMapIds: [String: String]

    /// Later entries replace earlier ones with the same url; every code system with a `valueSet` url
    /// also gets that all-codes value set unless one is given.
    public init(_ entries: [CatalogueEntry]) {
        var codeSystems: [String: CodeSystemContent] = [:], valueSets: [String: ValueSetDefinition] = [:]
        var conceptMaps: [String: ConceptMapDefinition] = [:]
        var explicitValueSets = Set<String>()
        for entry in entries {
            switch entry {
            case .codeSystem(let c):
                codeSystems[c.url] = c
                if let vs = ValueSetDefinition.allCodes(of: c), let url = vs.url, !explicitValueSets.contains(url) { valueSets[url] = vs }
            case .valueSet(let v):
                guard let url = v.url else { continue }
                valueSets[url] = v
                explicitValueSets.insert(url)
            case .conceptMap(let m):
                guard let url = m.url else { continue }
                conceptMaps[url] = m
            }
        }
        self.codeSystems = codeSystems
        self.valueSets = valueSets
        self.conceptMaps = conceptMaps
        codeSystemIds = Dictionary(codeSystems.values.compactMap { c in c.id.map { ($0, c.url) } }, uniquingKeysWith: { a, _ in a })
        valueSetIds = Dictionary(valueSets.values.compactMap { v in v.id.flatMap { id in v.url.map { (id, $0) } } }, uniquingKeysWith: { a, _ in a })
        conceptMapIds = Dictionary(conceptMaps.values.compactMap { m in m.id.flatMap { id in m.url.map { (id, $0) } } }, uniquingKeysWith: { a, _ in a })
    }

    /// The catalogues shipped in the product (Sources/Terminology/Resources), parsed once per process.
    public static let shipped: TerminologyCatalogue = {
        guard let directory = Bundle.module.url(forResource: "Resources", withExtension: nil) else {
            fatalError("the Terminology resources are missing from the build")
        }
        do {
            return TerminologyCatalogue(try CatalogueFile.loadDirectory(directory))
        } catch {
            // The shipped files are tested (TerminologyTests); a failure here is a broken build, not bad input.
            fatalError("a shipped catalogue does not parse: \(error)")
        }
    }()

    /// The shipped catalogues with a region's directory on top (KANGQIAO_CATALOGUE_DIR).
    public static func shipped(overriddenBy directory: URL?) throws -> TerminologyCatalogue {
        guard let directory else { return shipped }
        return TerminologyCatalogue(shipped.entries + (try CatalogueFile.loadDirectory(directory)))
    }

    /// Every entry, code systems first, for re-layering and export.
    public var entries: [CatalogueEntry] {
        codeSystems.values.sorted { $0.url < $1.url }.map { .codeSystem($0) }
            + valueSets.values.sorted { ($0.url ?? "") < ($1.url ?? "") }.map { .valueSet($0) }
            + conceptMaps.values.sorted { ($0.url ?? "") < ($1.url ?? "") }.map { .conceptMap($0) }
    }

    public func codeSystem(url: String, version: String?) async throws -> CodeSystemContent? { codeSystem(url: url) }
    public func valueSet(url: String, version: String?) async throws -> ValueSetDefinition? { valueSets[url] }
    public func conceptMaps(url: String?, source: String?, target: String?) async throws -> [ConceptMapDefinition] {
        if let url { return conceptMaps[url].map { [$0] } ?? [] }
        return conceptMaps.values.filter { m in
            (source == nil || m.sourceValueSet == source) && (target == nil || m.targetValueSet == target)
        }.sorted { ($0.url ?? "") < ($1.url ?? "") }
    }

    public func codeSystem(url: String) -> CodeSystemContent? { codeSystems[url] }
    public func codeSystem(id: String) -> CodeSystemContent? { codeSystemIds[id].flatMap { codeSystems[$0] } }
    public func valueSet(id: String) -> ValueSetDefinition? { valueSetIds[id].flatMap { valueSets[$0] } }
    public func conceptMap(id: String) -> ConceptMapDefinition? { conceptMapIds[id].flatMap { conceptMaps[$0] } }

    /// Builds the type-ahead indexes of every code system now, so the first `$expand` is as fast as the rest.
    public func prepareIndexes() {
        for c in codeSystems.values { c.prepareIndex() }
    }
}
