@testable import FHIRStore

/// A PostgreSQL backend whose tables no other test sees (wired to PostgresBackend once it lands).
func makeIsolatedPostgresBackend(url: String) async throws -> any StoreBackend {
    throw StoreError.database("PostgreSQL backend not wired into the contract tests yet")
}
