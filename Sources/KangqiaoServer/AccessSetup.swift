import Access
import FHIRCore
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
            policy: try AccessPolicy.fromEnvironment(environment),
            issuer: environment["KANGQIAO_TOKEN_ISSUER"].flatMap { $0.isEmpty ? nil : $0 } ?? "urn:kangqiao",
            audience: environment["KANGQIAO_TOKEN_AUDIENCE"].flatMap { $0.isEmpty ? nil : $0 } ?? "urn:kangqiao:fhir")
        try await service.start()
        return service
    }
}

extension AccessPolicy {
    /// The region policy: the defaults, or the JSON file named by `KANGQIAO_POLICY_FILE` over them.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AccessPolicy {
        guard let path = environment["KANGQIAO_POLICY_FILE"], !path.isEmpty else { return AccessPolicy() }
        guard let data = FileManager.default.contents(atPath: path) else { throw PolicyError.unreadable(path) }
        do {
            return try AccessPolicy(regional: try JSONParser.parse([UInt8](data)))
        } catch let error as PolicyError {
            throw error
        } catch {
            throw PolicyError.unreadable("\(path): \(error)")
        }
    }
}
