@testable import FHIRStore

/// A PostgreSQL backend on a schema of its own (dropped by `withBackend` when the test ends), so tests
/// run in parallel on one database.
func makeIsolatedPostgresBackend(url: String) async throws -> any StoreBackend {
    let schema = "kq_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    return try await PostgresBackend.connect(url: url, poolSize: 4, schema: schema)
}

/// Drops the test's schema when `backend` is a PostgreSQL one.
func discard(_ backend: any StoreBackend) async {
    if let pg = backend as? PostgresBackend { try? await pg.dropSchema() }
    await backend.close()
}
