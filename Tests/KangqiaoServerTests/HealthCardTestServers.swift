import Access
import FHIRStore
import Foundation
import HealthCard
import Hummingbird
import HummingbirdTesting
import KangqiaoServer
import Synchronization
import Testing

/// A clock the tests move (Unix seconds).
final class TestClock: Sendable {
    private let seconds = Mutex<Int64>(1_800_000_000)
    func now() -> Int64 { seconds.withLock { $0 } }
    func advance(_ by: Int64) { seconds.withLock { $0 += by } }
}

/// The card tests' fixtures and servers: `instances` servers (each its own runtime, backend
/// connection pool and access service, sharing the master key) on one fresh database, all with the
/// same test clock; the first client is the suite's system client on instance 0.
func withCardServers(
    _ kind: ServerBackendKind, instances: Int = 1, policy: HealthCardPolicy = HealthCardPolicy(),
    _ body: @escaping @Sendable (CardTestEnvironment) async throws -> Void
) async throws {
    let clock = TestClock()
    var backends: [any StoreBackend] = []
    switch kind {
    case .sqlite:
        guard let backend = try await TestDatabases.make(.sqlite) else { return }
        backends = [backend]
    case .postgres:
        guard let url = ProcessInfo.processInfo.environment["KANGQIAO_TEST_POSTGRES_URL"], !url.isEmpty else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("CI=true but KANGQIAO_TEST_POSTGRES_URL is not set") }
            return
        }
        let schema = "kq_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        for i in 0..<max(1, instances) {
            let backend = try await PostgresBackend.connect(url: url, poolSize: 4, schema: schema)
            if i == 0 { try await backend.migrate() }
            backends.append(backend)
        }
    }
    let masterKey = KeySealer.newEncodedMasterKey()
    var apps: [Application<RouterResponder<KangqiaoRequestContext>>] = []
    var token = ""
    for (i, backend) in backends.enumerated() {
        let runtime = KangqiaoRuntime(backend: backend)
        var policyAccess = AccessPolicy()
        policyAccess.passwordHashLogN = 10
        let access = AccessService(backend: backend, sealer: try #require(KeySealer(encodedMasterKey: masterKey)), policy: policyAccess)
        try await access.start()
        if i == 0 {
            _ = try await access.createClient(name: TestDatabases.suiteClient, scopes: "system/*.cruds")
            token = try access.mint(for: try #require(try await access.account(TestDatabases.suiteClient))).accessToken
        }
        var dispatcher = runtime.dispatcher
        dispatcher.healthCards = HealthCardSettings(policy: policy, clock: { clock.now() })
        apps.append(Application(router: KangqiaoApplication(dispatcher: dispatcher, configuration: .init(), access: access).router()))
    }
    let accessForTests = AccessService(backend: backends[0], sealer: try #require(KeySealer(encodedMasterKey: masterKey)))
    try await accessForTests.start()
    let finalToken = token
    let database = backends[0]
    let start: @Sendable ([FHIRTestClient]) async throws -> Void = { clients in
        let fhir = clients[0]
        try await fhir.putAll([("Patient/p1", HealthCardTests.patient), ("Patient/p1-old", HealthCardTests.merged), ("Patient/p2", HealthCardTests.other)])
        try await body(CardTestEnvironment(fhir: fhir, instances: clients, backend: database, clock: clock))
    }
    do {
        try await testApps(apps[...], clients: [], token: finalToken, access: accessForTests, start)
    } catch {
        for b in backends.reversed() { await TestDatabases.discard(b) }
        throw error
    }
    for b in backends.reversed() { await TestDatabases.discard(b) }
}

/// Runs each app's test client inside the previous one's, then `body` with all the clients.
func testApps(
    _ apps: ArraySlice<Application<RouterResponder<KangqiaoRequestContext>>>, clients: [FHIRTestClient], token: String, access: AccessService,
    _ body: @escaping @Sendable ([FHIRTestClient]) async throws -> Void
) async throws {
    guard let app = apps.first else { return try await body(clients) }
    try await app.test(.router) { client in
        let next = clients + [FHIRTestClient(client: client, authorization: "Bearer " + token, access: access)]
        try await testApps(apps.dropFirst(), clients: next, token: token, access: access, body)
    }
}

/// What a card test works with: the system client of instance 0, a client per instance, the
/// database (to read the audit trail) and the clock.
struct CardTestEnvironment: Sendable {
    let fhir: FHIRTestClient
    let instances: [FHIRTestClient]
    let backend: any StoreBackend
    let clock: TestClock
}

