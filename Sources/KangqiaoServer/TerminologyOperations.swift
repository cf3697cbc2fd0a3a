import FHIRCore
import FHIRStore
import Foundation
import Synchronization
import Terminology

/// The terminology operations of FHIR R4 (terminology-service.html) at the levels the specification
/// names: `CodeSystem/$lookup` (type), `CodeSystem/$validate-code`, `ValueSet/$validate-code`,
/// `ValueSet/$expand` and `ConceptMap/$translate` (type and instance), GET and POST. Code systems,
/// value sets and concept maps stored through the API come first (they are the source of truth for
/// what users provide); the shipped or region catalogues answer the rest.
extension OperationRoute {
    static var terminologyOperations: [OperationRoute] {
        let both: Set<String> = ["GET", "POST"]
        return [
            OperationRoute(name: "$lookup", types: ["CodeSystem"], levels: [.type], methods: both) { d, call in
                try await d.terminologyAnswer(call) { service, p in try await service.lookup(p) }
            },
            OperationRoute(name: "$validate-code", types: ["CodeSystem"], levels: [.type, .instance], methods: both) { d, call in
                try await d.terminologyAnswer(call) { service, p in
                    try await service.validateCode(in: try await d.codeSystem(instance: call), p)
                }
            },
            OperationRoute(name: "$validate-code", types: ["ValueSet"], levels: [.type, .instance], methods: both) { d, call in
                try await d.terminologyAnswer(call) { service, p in
                    try await service.validateCode(in: try await d.valueSet(instance: call), p)
                }
            },
            OperationRoute(name: "$expand", types: ["ValueSet"], levels: [.type, .instance], methods: both) { d, call in
                try await d.terminologyAnswer(call) { service, p in try await service.expand(try await d.valueSet(instance: call), p) }
            },
            OperationRoute(name: "$translate", types: ["ConceptMap"], levels: [.type, .instance], methods: both) { d, call in
                try await d.terminologyAnswer(call) { service, p in try await service.translate(try await d.conceptMap(instance: call), p) }
            },
        ]
    }
}

extension FHIRDispatcher {
    /// The catalogues this server answers from when the store has no resource with the url.
    var catalogue: TerminologyCatalogue { terminology ?? .shipped }

    func terminologyAnswer(
        _ call: OperationCall, _ run: (TerminologyService, OperationParameters) async throws -> JSON
    ) async throws -> FHIRHTTPResponse {
        let source = StoredTerminology(repository: repository, catalogue: catalogue, context: call.request.context)
        return json(200, try await run(TerminologyService(source: source), OperationParameters(try call.parameters())))
    }

    /// The instance an instance-level call names: the stored resource (read with authorization and
    /// audit), else the catalogue entry with that id; nil at type level.
    func entry(instance call: OperationCall) async throws -> CatalogueEntry? {
        guard let type = call.type, let id = call.id else { return nil }
        do {
            let record = try await repository.read(type: type, id: id, context: call.request.context)
            return try StoredTerminology.compiled(record)
        } catch let error as FHIRError where error.status == 404 || error.status == 403 {
            // Shipped catalogues are reference data: a caller who may not read stored terminology
            // resources (a resident's token) still expands the shipped value set with that id.
            let shipped: CatalogueEntry? = switch type {
            case "CodeSystem": catalogue.codeSystem(id: id).map { .codeSystem($0) }
            case "ValueSet": catalogue.valueSet(id: id).map { .valueSet($0) }
            default: catalogue.conceptMap(id: id).map { .conceptMap($0) }
            }
            guard let shipped else { throw error }
            return shipped
        }
    }

    func codeSystem(instance call: OperationCall) async throws -> CodeSystemContent? {
        guard case .codeSystem(let c)? = try await entry(instance: call) else { return nil }
        return c
    }

    func valueSet(instance call: OperationCall) async throws -> ValueSetDefinition? {
        guard case .valueSet(let v)? = try await entry(instance: call) else { return nil }
        return v
    }

    func conceptMap(instance call: OperationCall) async throws -> ConceptMapDefinition? {
        guard case .conceptMap(let m)? = try await entry(instance: call) else { return nil }
        return m
    }
}

/// A `TerminologySource` that searches the store by canonical url first (with the caller's
/// authorization; a caller who may not read terminology resources gets the catalogues only) and
/// falls back to the catalogues.
struct StoredTerminology: TerminologySource {
    let repository: FHIRRepository
    let catalogue: TerminologyCatalogue
    let context: RequestContext

    /// Compiled stored resources by identity and version: a 33k-code CodeSystem is parsed once per version.
    private static let cache = Mutex<[String: CatalogueEntry]>([:])
    private static let cacheCapacity = 32

    static func compiled(_ record: ResourceRecord) throws -> CatalogueEntry {
        let key = "\(record.type)/\(record.id)/\(record.versionId)/\(record.lastUpdated)/\(record.json.count)"
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let entry = try CatalogueEntry(fhir: try JSONParser.parse(record.json))
        cache.withLock { cached in
            if cached.count >= cacheCapacity { cached.removeAll() }
            cached[key] = entry
        }
        return entry
    }

    /// Stored resources of `type` with canonical `url` (nil: the first page of all of them).
    private func stored(_ type: String, url: String?) async throws -> [CatalogueEntry] {
        do {
            try await repository.authorize(.search, target: ResourceKey(type: type, id: ""), context: context)
        } catch let error as FHIRError where error.status == 403 || error.status == 401 {
            return []
        }
        let query = try url.map { try repository.searchQuery(type: type, queryString: "url=\(Self.encode($0))") }
            ?? StoreQuery(type: type, filters: [], count: Self.unfilteredPage)
        let records = try await repository.backend.search(query).records
        if !records.isEmpty { try await repository.performed(.search, records: records, context: context) }
        return try records.map(Self.compiled)
    }

    /// How many stored concept maps a `$translate` without a map url looks through.
    static let unfilteredPage = 100

    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:/"))) ?? value
    }

    func codeSystem(url: String, version: String?) async throws -> CodeSystemContent? {
        for case .codeSystem(let c) in try await stored("CodeSystem", url: url) where version == nil || c.version == version { return c }
        return catalogue.codeSystem(url: url)
    }

    func valueSet(url: String, version: String?) async throws -> ValueSetDefinition? {
        for case .valueSet(let v) in try await stored("ValueSet", url: url) where version == nil || v.version == version { return v }
        return catalogue.valueSets[url]
    }

    func conceptMaps(url: String?, source: String?, target: String?) async throws -> [ConceptMapDefinition] {
        let found = try await stored("ConceptMap", url: url).compactMap { entry -> ConceptMapDefinition? in
            guard case .conceptMap(let m) = entry else { return nil }
            return (source == nil || m.sourceValueSet == source) && (target == nil || m.targetValueSet == target) ? m : nil
        }
        // Stored maps replace shipped ones with the same url.
        let storedURLs = Set(found.compactMap(\.url))
        return found + (try await catalogue.conceptMaps(url: url, source: source, target: target)).filter { !storedURLs.contains($0.url ?? "") }
    }
}
