import Foundation
import Testing

@testable import FHIRStore

/// Where the PostgreSQL tests find their database, and a fresh store for each test.
///
/// The server comes from `KANGQIAO_TEST_POSTGRES_URL` (`eval "$(scripts/test-setup.sh)"` prints it).
/// Unset, the PostgreSQL tests are skipped — except under `CI=true`, where they run and fail, so a CI
/// without its database cannot pass unnoticed.
///
/// Isolation: every test gets a schema of its own (`kq_test_<random>`) in the shared test database;
/// the backend's connections have it as their `search_path`, the migrations create the tables in it,
/// and it is dropped with everything in it when the test ends. Tests therefore run in parallel with
/// each other and with other suites on the same database; the advisory locks the backend takes are
/// keyed by schema too, so they do not make tests wait for each other.
enum PostgresTestDatabase {
    static var url: String? {
        guard let url = ProcessInfo.processInfo.environment["KANGQIAO_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// Whether the PostgreSQL tests run: a database is configured, or CI demands them.
    static var isEnabled: Bool { url != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// A connected backend on a new, migrated schema of its own.
    static func makeBackend(poolSize: Int = 4) async throws -> PostgresBackend {
        let url = try #require(url, "KANGQIAO_TEST_POSTGRES_URL must be set when CI=true (scripts/test-setup.sh prints it)")
        let schema = "kq_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let backend = try await PostgresBackend.connect(url: url, poolSize: poolSize, schema: schema)
        do {
            try await backend.migrate()
        } catch {
            try? await backend.dropSchema()
            await backend.close()
            throw error
        }
        return backend
    }

    /// Runs `body` against a fresh backend and drops its schema afterwards, also when `body` throws.
    static func withBackend<T>(poolSize: Int = 4, _ body: (PostgresBackend) async throws -> T) async throws -> T {
        let backend = try await makeBackend(poolSize: poolSize)
        do {
            let result = try await body(backend)
            try await backend.dropSchema()
            await backend.close()
            return result
        } catch {
            try? await backend.dropSchema()
            await backend.close()
            throw error
        }
    }
}

/// Builders of store-level writes for backend tests (no FHIR parsing involved).
enum PostgresFixtures {
    static func json(_ type: String, _ id: String, version: Int, extra: String = "") -> [UInt8] {
        Array(#"{"resourceType":"\#(type)","id":"\#(id)","meta":{"versionId":"\#(version)"}\#(extra)}"#.utf8)
    }

    static func write(
        _ type: String, _ id: String, version: Int = 1, at lastUpdated: Int64 = 1_000, json: [UInt8]? = nil,
        compartment: String? = nil, index: SearchIndexRows = SearchIndexRows(), deleted: Bool = false
    ) -> ResourceWrite {
        let body = deleted ? [] : (json ?? Self.json(type, id, version: version))
        let record = ResourceRecord(type: type, id: id, versionId: version, lastUpdated: lastUpdated, isDeleted: deleted, json: body)
        let hash = deleted ? "deleted" : String(body.reduce(into: UInt64(1469598103934665603)) { $0 = ($0 ^ UInt64($1)) &* 1099511628211 }, radix: 16)
        return ResourceWrite(record: record, contentHash: hash, compartment: compartment, index: index)
    }

    static func tokens(_ values: [(param: String, system: String?, code: String?)]) -> SearchIndexRows {
        var ix = SearchIndexRows()
        ix.tokens = values.map { SearchIndexRows.Token(param: $0.param, system: $0.system, code: $0.code) }
        return ix
    }
}
