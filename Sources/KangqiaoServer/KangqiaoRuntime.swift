import Access
import FHIRCore
import FHIRStore
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
    public init(backend: any StoreBackend, accessControl: Bool = true, policy: AccessPolicy = AccessPolicy()) {
        let definitions = R4Support.shared
        self.backend = backend
        self.repository = FHIRRepository(
            backend: backend, checker: definitions.checker, indexer: definitions.indexer, parameters: definitions.parameters,
            hooks: accessControl
                ? [ScopeEnforcement(backend: backend, policy: policy), ConsentGuardianRule(backend: backend, policy: policy), ConsentEnforcement(backend: backend), SignedRecordLock(backend: backend), RegistryChecks(),
                   AuditTrail(backend: backend)]
                : [RegistryChecks()])
        var dispatcher = FHIRDispatcher(repository: repository, capabilities: definitions.capabilities, validator: definitions.checker)
        dispatcher.exports = BulkExportJobs()
        self.dispatcher = dispatcher
    }

    public static func open(_ location: DatabaseLocation, logger: Logger = Logger(label: "kangqiao")) async throws -> KangqiaoRuntime {
        let policy = try AccessPolicy.fromEnvironment()
        return KangqiaoRuntime(backend: try await location.open(logger: logger), policy: policy)
    }
}
