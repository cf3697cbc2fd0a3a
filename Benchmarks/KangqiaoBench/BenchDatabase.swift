import FHIRStore
import Foundation
import KangqiaoServer
import Logging

/// A fresh, migrated database for one benchmark phase, removed afterwards: a SQLite file in a temp
/// folder with the product's settings (WAL synced before every answer, group commit), or a schema of its own in
/// the PostgreSQL database named by `KANGQIAO_BENCH_POSTGRES_URL` (else `KANGQIAO_TEST_POSTGRES_URL`).
struct BenchDatabase: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case sqlite, postgres
    }

    let kind: Kind
    let backend: any StoreBackend
    /// What to print about where the data went.
    let label: String
    private let cleanup: @Sendable () async -> Void

    /// The PostgreSQL URL from the environment, nil when none is set.
    static var postgresURL: String? {
        let env = ProcessInfo.processInfo.environment
        for name in ["KANGQIAO_BENCH_POSTGRES_URL", "KANGQIAO_TEST_POSTGRES_URL"] {
            if let url = env[name], !url.isEmpty { return url }
        }
        return nil
    }

    /// The backends to measure: `--database sqlite|postgres|all` (all: PostgreSQL only when configured).
    static func kinds(_ option: String?) throws -> [Kind] {
        switch option ?? "all" {
        case "sqlite": return [.sqlite]
        case "postgres":
            guard postgresURL != nil else {
                throw BenchUsageError(message: "--database postgres needs KANGQIAO_BENCH_POSTGRES_URL or KANGQIAO_TEST_POSTGRES_URL")
            }
            return [.postgres]
        case "all": return postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
        default: throw BenchUsageError(message: "--database takes sqlite, postgres or all")
        }
    }

    static func open(_ kind: Kind, logger: Logger) async throws -> BenchDatabase {
        switch kind {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("kangqiao-bench-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let path = folder.appendingPathComponent("bench.sqlite").path
            let backend = try await DatabaseLocation.sqlite(path: path).open(logger: logger)
            return BenchDatabase(kind: kind, backend: backend, label: "sqlite \(path)") {
                await backend.close()
                try? FileManager.default.removeItem(at: folder)
            }
        case .postgres:
            guard let url = postgresURL else { throw BenchUsageError(message: "no PostgreSQL URL in the environment") }
            // A schema of its own, as the tests do, so every phase starts from empty tables.
            let schema = "kq_bench_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let backend = try await PostgresBackend.connect(url: url, poolSize: 16, schema: schema, logger: logger)
            try await backend.migrate()
            return BenchDatabase(kind: kind, backend: backend, label: "postgres schema \(schema)") {
                await backend.close()
                dropPostgresSchema(schema, url: url)
            }
        }
    }

    func close() async { await cleanup() }

    /// Drops the benchmark's schema with psql (the backend keeps its own drop internal to the tests).
    private static func dropPostgresSchema(_ schema: String, url: String) {
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        psql.arguments = ["psql", "-q", url, "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"]
        psql.standardOutput = FileHandle.nullDevice
        psql.standardError = FileHandle.nullDevice
        do {
            try psql.run()
            psql.waitUntilExit()
            if psql.terminationStatus == 0 { return }
        } catch {}
        Bench.printError("could not drop schema \(schema); drop it with: psql '\(url)' -c 'DROP SCHEMA \(schema) CASCADE'")
    }
}
