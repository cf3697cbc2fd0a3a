@testable import FHIRStore
import Foundation

/// A fresh, migrated store of either backend for a test, and its disposal: SQLite in a temporary
/// directory of its own; PostgreSQL from `KANGQIAO_TEST_POSTGRES_URL` in a schema of its own (the
/// database is shared by suites running at the same time), dropped with everything in it afterwards.
public enum TestStore: String, CaseIterable, Sendable {
    case sqlite, postgres

    /// CI=true demands the PostgreSQL tests: without a database they fail rather than skip.
    public struct MissingDatabase: Error, CustomStringConvertible {
        public var description: String { "CI=true but KANGQIAO_TEST_POSTGRES_URL is not set (scripts/test-setup.sh prints it)" }
    }

    /// The store, or nil when PostgreSQL is asked for and none is configured outside CI (skip the test).
    public func open(prefix: String, poolSize: Int = 4) async throws -> (any StoreBackend)? {
        let backend: any StoreBackend
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
            backend = try SQLiteBackend(path: directory.appendingPathComponent("db.sqlite").path)
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["KANGQIAO_TEST_POSTGRES_URL"], !url.isEmpty else {
                if ProcessInfo.processInfo.environment["CI"] == "true" { throw MissingDatabase() }
                return nil
            }
            let schema = "kq_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            backend = try await PostgresBackend.connect(url: url, poolSize: poolSize, schema: schema)
        }
        do {
            try await backend.migrate()
        } catch {
            await Self.discard(backend)
            throw error
        }
        return backend
    }

    /// Runs `body` on a fresh store and disposes of it afterwards, also when `body` throws; does
    /// nothing when the store is skipped (see `open`).
    public func with(prefix: String, poolSize: Int = 4, _ body: (any StoreBackend) async throws -> Void) async throws {
        guard let backend = try await open(prefix: prefix, poolSize: poolSize) else { return }
        do {
            try await body(backend)
        } catch {
            await Self.discard(backend)
            throw error
        }
        await Self.discard(backend)
    }

    /// Drops a PostgreSQL store's schema and closes the store.
    public static func discard(_ backend: any StoreBackend) async {
        if let pg = backend as? PostgresBackend { try? await pg.dropSchema() }
        await backend.close()
    }
}
