@testable import FHIRStore
import Foundation
import Testing

/// Fresh SQLite and PostgreSQL stores for the access tests (PostgreSQL through
/// KANGQIAO_TEST_POSTGRES_URL; skipped without it, a failure under CI=true).
enum AccessBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }

    func make() async throws -> (any StoreBackend)? {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("kq-access-\(UUID().uuidString)/db.sqlite").path
            let db = try SQLiteBackend(path: path)
            try await db.migrate()
            return db
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["KANGQIAO_TEST_POSTGRES_URL"], !url.isEmpty else {
                if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("CI=true but KANGQIAO_TEST_POSTGRES_URL is not set") }
                return nil
            }
            let schema = "kq_access_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let db = try await PostgresBackend.connect(url: url, poolSize: 4, schema: schema)
            try await db.migrate()
            return db
        }
    }
}

func withAccessBackend(_ kind: AccessBackend, _ body: (any StoreBackend) async throws -> Void) async throws {
    guard let db = try await kind.make() else { return }
    do { try await body(db) } catch {
        if let pg = db as? PostgresBackend { try? await pg.dropSchema() }
        await db.close()
        throw error
    }
    if let pg = db as? PostgresBackend { try? await pg.dropSchema() }
    await db.close()
}
