import Access
import FHIRCore
import FHIRStore
import Identity
import Logging
import Registry

/// Wires the layers together for one database: the store backend, the FHIR repository with the R4
/// validator, indexer and search-parameter registry, and the HTTP dispatcher. `serve`, `import`,
/// `export` and the tests all start from here, so they run the same checks.
public struct KangqiaoRuntime: Sendable {
    public let backend: any StoreBackend
    public let repository: FHIRRepository
    public let dispatcher: FHIRDispatcher

    /// `accessControl: false` leaves out scope enforcement and the audit trail: only for measuring
    /// what they cost (the access benchmark); everything the product runs has them.
    public init(backend: any StoreBackend, accessControl: Bool = true, policy: AccessPolicy = AccessPolicy(),
                matchPolicy: MatchPolicy = .standard) {
        let definitions = R4Support.shared
        self.backend = backend
        // The master patient index reads and writes its links through a repository without hooks, in
        // the transaction of the Patient write that caused them; the audit trail records them there.
        let plain = FHIRRepository(backend: backend, checker: definitions.checker, indexer: definitions.indexer, parameters: definitions.parameters)
        let audit = AuditTrail(backend: backend)
        let masterIndex = MasterIndexHook(index: MasterIndex(store: plain, policy: matchPolicy), auditHooks: accessControl ? [audit] : [])
        var repository = FHIRRepository(
            backend: backend, checker: definitions.checker, indexer: definitions.indexer, parameters: definitions.parameters,
            hooks: accessControl
                ? [ScopeEnforcement(backend: backend, policy: policy), ConsentGuardianRule(backend: backend, policy: policy),
                   ConsentEnforcement(backend: backend), masterIndex, SignedRecordLock(backend: backend), audit]
                : [masterIndex])
        repository.linkedPatients = MasterIndexLinks(store: plain)
        self.repository = repository
        var dispatcher = FHIRDispatcher(repository: repository, capabilities: definitions.capabilities, validator: definitions.checker)
        dispatcher.matchPolicy = matchPolicy
        dispatcher.exports = BulkExportJobs()
        self.dispatcher = dispatcher
    }

    public static func open(_ location: DatabaseLocation, logger: Logger = Logger(label: "kangqiao")) async throws -> KangqiaoRuntime {
        let policy = try AccessPolicy.fromEnvironment()
        let matchPolicy = try MatchPolicy.regional()
        return KangqiaoRuntime(backend: try await location.open(logger: logger), policy: policy, matchPolicy: matchPolicy)
    }
}
