import FHIRCore
import Foundation
import Testing

@testable import FHIRStore

/// The backends every store test runs against. PostgreSQL is found through KANGQIAO_TEST_POSTGRES_URL;
/// without it the PostgreSQL cases are skipped, except under CI=true where they fail.
enum BackendKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["KANGQIAO_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// A fresh, migrated, empty backend of this kind, or nil when PostgreSQL is not configured locally.
    func make() async throws -> (any StoreBackend)? {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kq-test-\(UUID().uuidString)")
            let backend = try SQLiteBackend(path: dir.appendingPathComponent("test.sqlite").path)
            try await backend.migrate()
            return backend
        case .postgres:
            guard let url = Self.postgresURL else {
                if Self.isCI { Issue.record("CI=true but KANGQIAO_TEST_POSTGRES_URL is not set: PostgreSQL tests cannot run") }
                return nil
            }
            let backend = try await makeIsolatedPostgresBackend(url: url)
            try await backend.migrate()
            return backend
        }
    }
}

/// Runs `body` on a fresh backend of `kind`, closing it afterwards; skips when unavailable.
func withBackend(_ kind: BackendKind, _ body: (any StoreBackend) async throws -> Void) async throws {
    guard let backend = try await kind.make() else { return }
    do {
        try await body(backend)
    } catch {
        await discard(backend)
        throw error
    }
    await discard(backend)
}

/// A store record for `type/id` at `version` with a small JSON body.
func record(_ type: String, _ id: String, version: Int = 1, at millis: Int64 = 1_700_000_000_000, body: String? = nil) -> ResourceRecord {
    let json = body ?? #"{"resourceType":"\#(type)","id":"\#(id)","meta":{"versionId":"\#(version)"}}"#
    return ResourceRecord(type: type, id: id, versionId: version, lastUpdated: millis, isDeleted: false, json: Array(json.utf8))
}

func write(_ r: ResourceRecord, hash: String = "h", compartment: String? = nil, index: SearchIndexRows = SearchIndexRows()) -> ResourceWrite {
    ResourceWrite(record: r, contentHash: hash, compartment: compartment, index: index)
}
