import Access
import FHIRStore
import Foundation

extension AccessService {
    /// The access service of a database: its master key found or created (MasterKey), its signing
    /// keys loaded or created. `KANGQIAO_TOKEN_ISSUER` / `KANGQIAO_TOKEN_AUDIENCE` name the issuer and
    /// audience when several deployments must not accept each other's tokens.
    public static func open(
        for location: DatabaseLocation, backend: any StoreBackend,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> AccessService {
        let service = AccessService(
            backend: backend, sealer: try MasterKey.sealer(for: location, environment: environment),
            issuer: environment["KANGQIAO_TOKEN_ISSUER"].flatMap { $0.isEmpty ? nil : $0 } ?? "urn:kangqiao",
            audience: environment["KANGQIAO_TOKEN_AUDIENCE"].flatMap { $0.isEmpty ? nil : $0 } ?? "urn:kangqiao:fhir")
        try await service.start()
        return service
    }
}
