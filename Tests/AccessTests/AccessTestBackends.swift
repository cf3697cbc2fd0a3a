@testable import FHIRStore
import StoreTestSupport

/// The access tests' stores: SQLite and PostgreSQL (KANGQIAO_TEST_POSTGRES_URL; skipped without it,
/// a failure under CI=true), fresh for each test (`TestStore`).
typealias AccessBackend = TestStore

func withAccessBackend(_ kind: AccessBackend, _ body: (any StoreBackend) async throws -> Void) async throws {
    try await kind.with(prefix: "kq-access", body)
}
