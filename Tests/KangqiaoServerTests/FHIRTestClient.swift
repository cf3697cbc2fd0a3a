import Access
import FHIRCore
@testable import FHIRStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KangqiaoServer
import Testing

/// A response as the tests look at it.
struct FHIRTestResponse: Sendable {
    var status: Int
    var headers: HTTPFields
    var body: [UInt8]

    var json: JSON { (try? JSONParser.parse(body)) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
    /// The OperationOutcome's first issue code, for error assertions.
    var outcomeCode: String? { json["issue"]?.arrayValue?.first?["code"]?.stringValue }
    var isOperationOutcome: Bool { json["resourceType"]?.stringValue == "OperationOutcome" }
}

/// Drives the real router (Hummingbird's test client) of a runtime on a fresh database, as a system
/// client with `system/*.cruds` unless a test sends its own Authorization header.
struct FHIRTestClient: Sendable {
    let client: any TestClientProtocol
    /// `Bearer <token>` sent with every request that has no Authorization header of its own; nil: none.
    var authorization: String?
    /// The server's access service, for tests that need other accounts and tokens.
    var access: AccessService?

    /// The same client without credentials.
    var anonymous: FHIRTestClient {
        var c = self
        c.authorization = nil
        return c
    }

    /// The same client with another token.
    func with(token: String) -> FHIRTestClient {
        var c = self
        c.authorization = "Bearer " + token
        return c
    }

    func request(_ method: HTTPRequest.Method, _ path: String, body: String? = nil, headers: [String: String] = [:]) async throws -> FHIRTestResponse {
        try await request(method, path, bytes: body.map { Array($0.utf8) }, headers: headers)
    }

    func request(_ method: HTTPRequest.Method, _ path: String, bytes: [UInt8]?, headers: [String: String] = [:]) async throws -> FHIRTestResponse {
        var fields = HTTPFields()
        if bytes != nil { fields[.contentType] = "application/fhir+json" }
        if let authorization, !headers.keys.contains(where: { $0.lowercased() == "authorization" }) {
            fields[.authorization] = authorization
        }
        for (k, v) in headers { if let n = HTTPField.Name(k) { fields[n] = v } }
        return try await client.execute(uri: path, method: method, headers: fields, body: bytes.map { ByteBuffer(bytes: $0) }) { r in
            FHIRTestResponse(status: Int(r.status.code), headers: r.headers, body: Array(r.body.readableBytesView))
        }
    }

    func post(_ path: String, _ json: String, headers: [String: String] = [:]) async throws -> FHIRTestResponse {
        try await request(.post, path, body: json, headers: headers)
    }
    func put(_ path: String, _ json: String, headers: [String: String] = [:]) async throws -> FHIRTestResponse {
        try await request(.put, path, body: json, headers: headers)
    }
    func get(_ path: String, headers: [String: String] = [:]) async throws -> FHIRTestResponse {
        try await request(.get, path, bytes: nil, headers: headers)
    }
    func delete(_ path: String) async throws -> FHIRTestResponse {
        try await request(.delete, path, bytes: nil)
    }
}

enum ServerBackendKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// Runs `body` against the router of a runtime on a fresh database of `kind` (PostgreSQL skipped
/// unless configured; under CI=true a missing PostgreSQL fails).
func withFHIRServer(
    _ kind: ServerBackendKind = .sqlite, configuration: KangqiaoApplication.Configuration = .init(), policy: AccessPolicy = AccessPolicy(),
    _ body: @escaping @Sendable (FHIRTestClient, KangqiaoRuntime) async throws -> Void
) async throws {
    guard let backend = try await TestDatabases.make(kind) else { return }
    let runtime = KangqiaoRuntime(backend: backend, policy: policy)
    let access = try await TestDatabases.access(backend)
    let token = try await access.mint(for: try #require(try await access.account(TestDatabases.suiteClient))).accessToken
    let app = Application(
        router: KangqiaoApplication(dispatcher: runtime.dispatcher, configuration: configuration, access: access).router())
    do {
        try await app.test(.router) { client in
            try await body(FHIRTestClient(client: client, authorization: "Bearer " + token, access: access), runtime)
        }
    } catch {
        await TestDatabases.discard(backend)
        throw error
    }
    await TestDatabases.discard(backend)
}

enum TestDatabases {
    static func make(_ kind: ServerBackendKind) async throws -> (any StoreBackend)? {
        switch kind {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("kq-server-\(UUID().uuidString)/db.sqlite").path
            return try await DatabaseLocation.sqlite(path: path).open(logger: .init(label: "test"))
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["KANGQIAO_TEST_POSTGRES_URL"], !url.isEmpty else {
                if ProcessInfo.processInfo.environment["CI"] == "true" {
                    Issue.record("CI=true but KANGQIAO_TEST_POSTGRES_URL is not set")
                }
                return nil
            }
            return try await isolatedPostgres(url: url)
        }
    }

    /// The system client every server test acts as.
    static let suiteClient = "test-suite"

    /// An access service on `backend` with a fresh master key and the suite's client (`system/*.cruds`).
    static func access(_ backend: any StoreBackend) async throws -> AccessService {
        var policy = AccessPolicy()
        policy.passwordHashLogN = 10
        let sealer = try #require(KeySealer(encodedMasterKey: KeySealer.newEncodedMasterKey()))
        let access = AccessService(backend: backend, sealer: sealer, policy: policy)
        try await access.start()
        _ = try await access.createClient(name: suiteClient, scopes: "system/*.cruds")
        return access
    }

    /// A PostgreSQL backend on a fresh schema of its own, so tests run in parallel on one database.
    static func isolatedPostgres(url: String) async throws -> any StoreBackend {
        let schema = "kq_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let backend = try await PostgresBackend.connect(url: url, poolSize: 4, schema: schema)
        try await backend.migrate()
        return backend
    }

    static func discard(_ backend: any StoreBackend) async {
        if let pg = backend as? PostgresBackend { try? await pg.dropSchema() }
        await backend.close()
    }
}

/// `../shared` seen from this file.
enum SharedData {
    static var root: URL {
        if let env = ProcessInfo.processInfo.environment["KANGQIAO_SHARED"] { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared")
    }
}

/// Runs a program to completion and answers its exit status and combined output.
func runProgram(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = executable
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return (p.terminationStatus, text)
}

extension FHIRTestClient {
    /// PUTs each (`Type/id`, JSON) so the ids are the ones given; every write must create.
    func putAll(_ resources: [(String, String)]) async throws {
        for (path, json) in resources {
            let r = try await put("/fhir/" + path, json)
            #expect(r.status == 201, "PUT \(path): \(r.status) \(r.text)")
        }
    }
}

extension FHIRTestResponse {
    /// The first issue's first expression: the parameter or element an error names.
    var firstExpression: String? { json["issue"]?.arrayValue?.first?["expression"]?.arrayValue?.first?.stringValue }
}
