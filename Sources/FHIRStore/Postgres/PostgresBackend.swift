import Logging
import PostgresNIO

/// The production backend: one PostgreSQL database (optionally one schema in it) reached through a
/// pool of postgres-nio connections, with the same schema and the same answers as `SQLiteBackend`.
///
/// Guarantees: every connection runs with `synchronous_commit = on`, so a `write` that returned has
/// been flushed to the server's WAL and survives kill -9 of either process. A `write` body runs
/// between BEGIN and COMMIT on one connection and is rolled back when it throws. Reads outside `write`
/// take any pooled connection and see committed data only. Concurrent writes are not serialized as
/// on SQLite; row and advisory locks (see `PostgresTransaction`) give the same outcomes.
public final class PostgresBackend: StoreBackend, AuditBatchAppending {
    public let name = "postgres"
    /// The schema holding the tables, nil for the user's default `search_path`.
    public let schema: String?
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger

    private init(client: PostgresClient, schema: String?, logger: Logger) {
        self.client = client
        self.schema = schema
        self.logger = logger
        runner = Task { await client.run() }
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, also
    /// `postgresql://`; see `PostgresURL` for the query items) and checks that it answers within
    /// `connectTimeout`.
    ///
    /// - Parameters:
    ///   - poolSize: the most connections open at once (default 8, or `pool_size` in the URL).
    ///   - schema: a schema for the tables, created when missing; every connection's `search_path` is
    ///     set to it (default: `schema` in the URL, else the server's `search_path`).
    public static func connect(
        url: String, poolSize: Int? = nil, schema: String? = nil, connectTimeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "kangqiao.postgres")
    ) async throws -> PostgresBackend {
        let parsed = try PostgresURL(url)
        let schema = schema ?? parsed.schema
        if let schema, !PostgresURL.isPlainIdentifier(schema) {
            throw StoreError.database("the schema name '\(schema)' must be a plain identifier ([a-z_][a-z0-9_]*)")
        }
        var config = PostgresClient.Configuration(
            host: parsed.host, port: parsed.port, username: parsed.user, password: parsed.password,
            database: parsed.database, tls: parsed.requireTLS ? .require(.makeClientConfiguration()) : .disable)
        config.options.maximumConnections = max(1, poolSize ?? parsed.poolSize ?? 8)
        config.options.minimumConnections = 0
        // Durability is the server default, but a role or database setting could have turned it off.
        var startup = [("synchronous_commit", "on"), ("application_name", "kangqiao")]
        if let schema { startup.append(("search_path", schema)) }
        config.options.additionalStartupParameters = startup

        let backend = PostgresBackend(client: PostgresClient(configuration: config, backgroundLogger: logger), schema: schema, logger: logger)
        do {
            try await backend.answers(within: connectTimeout, at: "\(parsed.host):\(parsed.port)/\(parsed.database)")
            if let schema { try await backend.execute("CREATE SCHEMA IF NOT EXISTS \(schema)") }
        } catch {
            await backend.close()
            throw error
        }
        return backend
    }

    /// Pings, giving up after `timeout` (the pool keeps retrying a refused connection, so a wrong
    /// host or password would otherwise wait forever).
    private func answers(within timeout: Duration, at place: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.ping() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw StoreError.database("PostgreSQL at \(place) did not answer within \(timeout) (see the log for the connection error)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    // MARK: Connections

    /// Runs `body` on a pooled connection outside any transaction.
    private func withSQL<T: Sendable>(_ body: (PostgresResourceSQL) async throws -> T) async throws -> T {
        try await PostgresErrors.settled {
            try await PostgresErrors.mapping {
                try await client.withConnection { conn in try await body(PostgresResourceSQL(connection: conn, logger: logger)) }
            }
        }
    }

    /// Runs `body` between BEGIN and COMMIT on one connection; rolls back when it throws. A connection
    /// whose transaction could not be ended cleanly is closed rather than returned to the pool.
    private func inTransaction<T: Sendable>(_ body: (PostgresResourceSQL) async throws -> T) async throws -> T {
        try await PostgresErrors.mapping {
            try await client.withConnection { conn in
                let sql = PostgresResourceSQL(connection: conn, logger: logger)
                try await sql.execute("BEGIN")
                let value: T
                do {
                    value = try await body(sql)
                } catch {
                    do { try await sql.execute("ROLLBACK") } catch { try? await conn.close() }
                    throw error
                }
                do { try await sql.execute("COMMIT") } catch {
                    try? await conn.close()
                    throw error
                }
                return value
            }
        }
    }

    /// Runs one statement outside a transaction (schema management, tests).
    func execute(_ sql: String) async throws {
        try await withSQL { try await $0.execute(sql) }
    }

    // MARK: StoreBackend

    /// Applies the migrations newer than the recorded `schema_version`, all in one transaction under
    /// an advisory lock, so that servers starting together migrate once.
    public func migrate() async throws {
        try await PostgresErrors.settled { try await applyMigrations() }
    }

    private func applyMigrations() async throws {
        try await inTransaction { sql in
            _ = try await sql.rows(AdvisoryLockStatement(key: "migrate"))
            try await sql.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            let current = try await Self.schemaVersion(sql)
            if current > Schema.version { throw StoreError.schemaTooNew(found: current, supported: Schema.version) }
            for m in Schema.migrations(.postgres) where m.version > current {
                for statement in m.statements { try await sql.execute(statement) }
                _ = try await sql.rows("INSERT INTO schema_version (version) VALUES ($1)", [.int(Int64(m.version))])
            }
        }
    }

    /// The newest applied migration, 0 for an empty database.
    func schemaVersion() async throws -> Int {
        try await withSQL { try await Self.schemaVersion($0) }
    }

    private static func schemaVersion(_ sql: PostgresResourceSQL) async throws -> Int {
        let exists = try await sql.rows("SELECT to_regclass('schema_version') IS NOT NULL", [])
        guard try exists.first?.decode(Bool.self) == true else { return 0 }
        let row = try await sql.rows("SELECT max(version) FROM schema_version", []).first
        return try PostgresErrors.decoding { try row?.decode(Int32?.self).map(Int.init) ?? 0 }
    }

    public func ping() async throws {
        try await withSQL { try await $0.execute("SELECT 1") }
    }

    public func read(type: String, id: String) async throws -> ResourceRecord? {
        try await withSQL { try await $0.readCurrent(type: type, id: id) }
    }

    public func readVersion(type: String, id: String, versionId: Int) async throws -> ResourceRecord? {
        try await withSQL { try await $0.readVersion(type: type, id: id, versionId: versionId) }
    }

    public func history(_ query: HistoryQuery) async throws -> HistoryPage {
        try await withSQL { try await $0.history(query) }
    }

    public func search(_ query: StoreQuery) async throws -> StorePage {
        try await withSQL { try await $0.search(query) }
    }

    public func count(_ query: StoreQuery) async throws -> Int {
        try await withSQL { try await $0.count(query) }
    }

    public func privateRecord(kind: String, key: String) async throws -> [UInt8]? {
        try await withSQL { try await $0.privateRecord(kind: kind, key: key) }
    }

    public func privateRecords(kind: String) async throws -> [PrivateRecord] {
        try await withSQL { try await $0.privateRecords(kind: kind) }
    }

    public func searchAudit(_ query: AuditQuery) async throws -> [StoredAuditRow] { try await withSQL { try await $0.searchAudit(query) } }
    public func appendAuditAtomically(_ rows: [AuditRow]) async throws { _ = try await withSQL { try await $0.appendAudit(rows) } }
    public func auditChain(_ chain: String) async throws -> [StoredAuditRow] { try await withSQL { try await $0.auditChain(chain) } }
    public func auditChains() async throws -> [String] { try await withSQL { try await $0.auditChains() } }

    /// Runs `body` in one transaction. When the server aborts it for a deadlock with another
    /// transaction (two bundles creating the same resources in opposite orders — SQLite would have
    /// run them one after the other), the body runs again, at most `maxAttempts` times in all; so a
    /// body must not have effects outside the transaction.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await inTransaction { sql in
                    let tx = PostgresTransaction(sql: sql)
                    let value = try await body(tx)
                    // The body caught a statement error and went on: the server has aborted the transaction.
                    if let failure = tx.firstFailure { throw failure }
                    return value
                }
            } catch let failure as PostgresTransientFailure where attempt < Self.maxAttempts {
                logger.debug("running an aborted transaction again", metadata: ["attempt": "\(attempt)", "cause": "\(failure.message)"])
                attempt += 1
            } catch {
                throw PostgresErrors.settle(error)
            }
        }
    }

    /// How often `write` runs a body that the server aborted for a deadlock.
    static let maxAttempts = 3

    /// Stops the pool; waits until its connections are closed.
    public func close() async {
        runner.cancel()
        await runner.value
    }

    /// A run-time setting of a pooled connection (`synchronous_commit`, `search_path`), for checks.
    func setting(_ name: String) async throws -> String? {
        try await withSQL { sql in
            try await sql.rows("SELECT current_setting($1)", [.text(name)]).first.map { row in
                try PostgresErrors.decoding { try row.decode(String.self) }
            }
        }
    }

    /// Runs one statement outside the store's API (tests that tamper with rows).
    func executeForTests(_ sql: String, _ binds: [SQLValue]) async throws {
        try await withSQL { _ = try await $0.rows(sql, binds) }
    }

    /// The first column of the first row of a query outside the store's API, as an integer (tests
    /// that look at rows as stored).
    func integerForTests(_ sql: String) async throws -> Int64? {
        try await withSQL { conn in
            try await conn.rows(sql, []).first.map { row in try PostgresErrors.decoding { try row.decode(Int64.self) } }
        }
    }

    /// Drops the backend's schema with everything in it (tests).
    func dropSchema() async throws {
        guard let schema else { return }
        try await execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
    }
}
