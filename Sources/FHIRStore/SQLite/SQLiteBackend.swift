import CSQLiteWALBuffer
import Foundation
import Synchronization

/// The embedded backend: one SQLite database file in WAL mode with full sync, one writer connection
/// and a small pool of readers.
///
/// Writes use group commit: transactions that arrive while a commit is in flight are run one after
/// another, each inside its own SAVEPOINT (a failing one is rolled back alone), and then committed
/// together. The commit's WAL frames are synced by `SQLiteWALSync` while the next group runs; every
/// caller is answered only after that sync, so an acknowledged write survives kill -9 and power loss.
///
/// Audit records of reads take another path, `SQLiteAuditJournal`, and reach `audit_event` through
/// `SQLiteAuditImport`.
public final class SQLiteBackend: StoreBackend, AuditJournaling {
    public let name = "sqlite"
    public let path: String
    private let writer: SQLiteWriter
    private let readers: Mutex<[SQLiteConnection]>
    private let readerCount: Int

    /// Opens (creating if needed) the database at `path`; `readers` read connections are opened lazily.
    /// `logRestartBytes`: the write-ahead log's size at which the writer starts it over (`SQLiteCheckpointer`).
    public init(path: String, readers: Int = 4, logRestartBytes: Int64 = SQLiteCheckpointer.restartBytes) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        // The writer's log writes are gathered into a few large write() calls per commit (wal_buffer.c).
        let conn = try SQLiteConnection(path: path, vfs: kq_wal_buffer_vfs().map { String(cString: $0) })
        conn.enlargeLookaside()
        // 2 KB pages (new databases only): a create's index rows land on ~50 random B-tree leaves, and
        // each is a whole page in the log and again in the checkpoint. Measured on the create benchmark:
        // 4 KB 1,820/s (172 KB written per create), 2 KB 2,082–2,210/s (111 KB), 1 KB 1,916/s (a 1.7 KB
        // Patient no longer fits a page), 8 KB 1,633/s.
        try conn.execute("PRAGMA page_size=2048")
        try conn.execute("PRAGMA journal_mode=WAL")
        // Checkpoints run on a connection of their own (below), not inside the writer's commits: a
        // page rewritten by many commits is copied into the database file once, and no commit waits.
        try conn.execute("PRAGMA wal_autocheckpoint=0")
        // NORMAL: COMMIT writes the WAL without syncing it; SQLiteWALSync syncs it before any caller
        // is answered (so a 2xx is still durable), while the writer goes on with the next group.
        try conn.execute("PRAGMA synchronous=NORMAL")
        try conn.execute("PRAGMA foreign_keys=OFF")
        try conn.execute("PRAGMA cache_size=-65536")
        // Each job of a group runs in a SAVEPOINT, whose undo log (the statement journal) receives every
        // page the job first touches; in memory that is a copy, in a temp file it was a pwrite per page
        // (a fifth of the writer's time under a create load).
        try conn.execute("PRAGMA temp_store=MEMORY")
        let logRestart = SQLiteLogRestart()
        writer = SQLiteWriter(connection: conn, walSync: SQLiteWALSync(databasePath: path), logRestart: logRestart)
        self.readers = Mutex([])
        self.readerCount = readers
        checkpointer = try SQLiteCheckpointer(path: path, logRestart: logRestart, restartBytes: logRestartBytes)
        auditJournal = try SQLiteAuditJournal(databasePath: path, requestsInProgress: requestsInProgress)
        auditImport = auditJournal.map { SQLiteAuditImport(journal: $0) }
    }

    private let checkpointer: SQLiteCheckpointer
    public let requestsInProgress = RequestsInProgress()
    /// Nil when another process owns the database's journal.
    private let auditJournal: SQLiteAuditJournal?
    private let auditImport: SQLiteAuditImport?
    /// Imports the audit journal every `SQLiteAuditImport.interval` once the schema is there.
    private let importTimer = Mutex<Task<Void, Never>?>(nil)

    private func withReader<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let conn = try readers.withLock { pool -> SQLiteConnection in
            if let c = pool.popLast() { return c }
            let c = try SQLiteConnection(path: path)
            try c.execute("PRAGMA cache_size=-16384")
            // No memory map: SQLite unmaps the whole file whenever a read transaction finds the database
            // changed, so under any write load every read paid munmap, TLB shootdowns and page faults
            // (a third of an audited read's CPU); it only paid off on a database nobody writes.
            return c
        }
        defer {
            readers.withLock { pool in
                if pool.count < readerCount { pool.append(conn) }
            }
        }
        return try body(conn)
    }

    public func migrate() async throws {
        try await writer.migrate()
        // What a crash left in the journal goes in before anything is served.
        try await importAuditJournal()
        guard auditImport != nil else { return }
        importTimer.withLock { timer in
            guard timer == nil else { return }
            timer = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: SQLiteAuditImport.interval)
                    guard !Task.isCancelled, let self else { return }
                    try? await self.importAuditJournal()
                }
            }
        }
    }

    public func appendAuditDurably(_ rows: [AuditRow], requestStarted: ContinuousClock.Instant?) async throws {
        if let auditJournal { return try await auditJournal.append(rows, requestStarted: requestStarted) }
        _ = try await write { tx in try await tx.appendAudit(rows) }
    }

    public func importAuditJournal() async throws {
        try await auditImport?.importPending(into: self)
    }

    public func sealImports(with sealer: any AuditRowSealing) async {
        await auditImport?.seal(with: sealer)
    }

    public func ping() async throws {
        try withReader { try $0.query("SELECT 1") { _ in } }
    }

    public func read(type: String, id: String) async throws -> ResourceRecord? {
        try withReader { try $0.readCurrent(type: type, id: id) }
    }

    public func readVersion(type: String, id: String, versionId: Int) async throws -> ResourceRecord? {
        try withReader { try $0.readVersion(type: type, id: id, versionId: versionId) }
    }

    public func history(_ query: HistoryQuery) async throws -> HistoryPage {
        try withReader { try $0.history(query) }
    }

    public func search(_ query: StoreQuery) async throws -> StorePage {
        try withReader { try $0.search(query) }
    }

    public func count(_ query: StoreQuery) async throws -> Int {
        try withReader { try $0.count(query) }
    }

    public func privateRecord(kind: String, key: String) async throws -> [UInt8]? {
        try withReader { try $0.privateRecord(kind: kind, key: key) }
    }

    public func privateRecords(kind: String) async throws -> [PrivateRecord] {
        try withReader { try $0.privateRecords(kind: kind) }
    }

    // The trail's searches first import the journal: every acknowledged record is in their answers.
    public func searchAudit(_ query: AuditQuery) async throws -> [StoredAuditRow] {
        try await importAuditJournal()
        return try withReader { try $0.searchAudit(query) }
    }
    public func auditChain(_ chain: String) async throws -> [StoredAuditRow] {
        try await importAuditJournal()
        return try withReader { try $0.auditChain(chain) }
    }
    public func auditChains() async throws -> [String] {
        try await importAuditJournal()
        return try withReader { try $0.auditChains() }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        try await writer.submit(body)
    }

    public func close() async {
        let timer = importTimer.withLock { t -> Task<Void, Never>? in
            defer { t = nil }
            return t
        }
        timer?.cancel()
        await timer?.value
        if timer != nil { try? await importAuditJournal() }
        auditJournal?.release()
        checkpointer.stop()
        readers.withLock { $0.removeAll() }
    }
}

/// The transaction handle given to write bodies; it runs statements on the writer connection.
final class SQLiteTransaction: StoreTransaction, @unchecked Sendable {
    // Used only by the writer's drain loop while the body it was given runs; never escapes it.
    let conn: SQLiteConnection
    init(conn: SQLiteConnection) { self.conn = conn }

    func read(type: String, id: String) async throws -> ResourceRecord? { try conn.readCurrent(type: type, id: id) }
    func matchingKeys(_ query: StoreQuery, limit: Int) async throws -> [ResourceKey] { try conn.matchingKeys(query, limit: limit) }
    func contentHash(type: String, id: String) async throws -> String? { try conn.contentHash(type: type, id: id) }
    func put(_ write: ResourceWrite) async throws { try conn.put(write) }
    // The single writer already serializes every transaction: no lock is needed for read-modify-write.
    func privateRecord(kind: String, key: String) async throws -> [UInt8]? { try conn.privateRecord(kind: kind, key: key) }
    func putPrivateRecord(kind: String, key: String, value: [UInt8]) async throws { try conn.putPrivateRecord(kind: kind, key: key, value: value) }
    func deletePrivateRecord(kind: String, key: String) async throws { try conn.deletePrivateRecord(kind: kind, key: key) }
    func deletePrivateRecords(kind: String, updatedBefore: Int64, limit: Int) async throws -> Int {
        try conn.deletePrivateRecords(kind: kind, updatedBefore: updatedBefore, limit: limit)
    }
    func appendAudit(_ rows: [AuditRow]) async throws -> [Int64] { try conn.appendAudit(rows) }
    func unsealedAudit(limit: Int) async throws -> [StoredAuditRow] { try conn.unsealedAudit(limit: limit) }
    func auditHead(_ chain: String) async throws -> StoredAuditRow? { try conn.auditHead(chain) }
    func auditHeads() async throws -> [StoredAuditRow] { try conn.auditHeads() }
    func sealAudit(_ seals: [AuditSeal]) async throws { try conn.sealAudit(seals) }
    func pruneAudit(chain: String, throughSequence sequence: Int64) async throws { try conn.pruneAudit(chain: chain, throughSequence: sequence) }
    func replaceIndexes(_ replacements: [IndexReplacement]) async throws { try conn.replaceIndexes(replacements) }
}

/// Serializes all writes on the one writer connection and commits them in groups.
actor SQLiteWriter {
    /// What running a body produced: an error to answer at once (its statements are rolled back), or
    /// an answer to give once the group's commit has succeeded or failed.
    private enum Outcome {
        case failed(Error, answer: @Sendable (Error) -> Void)
        case succeeded(answer: @Sendable (Error?) -> Void)
    }

    private struct Job {
        let run: @Sendable (SQLiteTransaction) async -> Outcome
        /// Answers the caller with an error without running the body.
        let fail: @Sendable (Error) -> Void
    }

    private let conn: SQLiteConnection
    private let walSync: SQLiteWALSync
    private var pending: [Job] = []
    private var draining = false
    /// Upper bound of transactions per commit, to bound the latency of the first one in a group.
    private let maxGroup = 256

    /// The writer's own thread: see `SQLiteWriterThread`.
    private let thread = SQLiteWriterThread(name: "kangqiao.sqlite.writer")
    nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    private let logRestart: SQLiteLogRestart

    init(connection: SQLiteConnection, walSync: SQLiteWALSync, logRestart: SQLiteLogRestart) {
        conn = connection
        self.walSync = walSync
        self.logRestart = logRestart
    }

    deinit { thread.stop() }

    // The group's statements (BEGIN, SAVEPOINT, RELEASE, COMMIT) run as cached prepared statements:
    // through sqlite3_exec each was parsed again, several times per write.

    /// COMMIT, or ROLLBACK after a failed commit; the error if it failed.
    private func commit() -> Error? {
        do {
            try conn.run("COMMIT")
            return nil
        } catch {
            _ = try? conn.run("ROLLBACK")
            return error
        }
    }

    func migrate() throws {
        try conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        var current = 0
        try conn.query("SELECT max(version) FROM schema_version") { current = Int($0.int(0)) }
        if current > Schema.version { throw StoreError.schemaTooNew(found: current, supported: Schema.version) }
        for m in Schema.migrations(.sqlite) where m.version > current {
            try conn.execute("BEGIN IMMEDIATE")
            do {
                for s in m.statements { try conn.execute(s) }
                try conn.run("INSERT INTO schema_version (version) VALUES (?1)", [.int(Int64(m.version))])
                try conn.execute("COMMIT")
            } catch {
                try? conn.execute("ROLLBACK")
                throw error
            }
        }
    }

    func submit<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, Error>) in
            pending.append(Job(run: { tx in
                do {
                    let value = try await body(tx)
                    return .succeeded { error in
                        if let error { cont.resume(throwing: error) } else { cont.resume(returning: value) }
                    }
                } catch {
                    return .failed(error) { cont.resume(throwing: $0) }
                }
            }, fail: { cont.resume(throwing: $0) }))
            if !draining {
                draining = true
                // Bodies are nonisolated; the preference keeps them on the writer's thread too.
                Task(executorPreference: thread) { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let group = Array(pending.prefix(maxGroup))
            pending.removeFirst(group.count)
            let tx = SQLiteTransaction(conn: conn)
            var answers: [@Sendable (Error?) -> Void] = []
            if logRestart.isRequested {
                // Between two groups no frame is added, so this copies the log's last frames (those since
                // the checkpointer's pass) and completes; the next commit then starts the log over.
                // Failing (a reader still needs old frames) only means the log grows until the next try.
                try? conn.query("PRAGMA wal_checkpoint(PASSIVE)") { row in
                    if row.int(0) == 0, row.int(1) == row.int(2) { logRestart.clear() }
                }
            }
            do {
                try conn.run("BEGIN IMMEDIATE")
            } catch {
                for job in group { job.fail(error) }
                continue
            }
            if group.count == 1 {
                // Alone in its transaction, a body needs no savepoint: a failure rolls the whole back.
                // (A savepoint's undo log holds every page the body first touches: for a large import,
                // most of the database pages it writes.)
                switch await group[0].run(tx) {
                case .failed(let error, let answer):
                    _ = try? conn.run("ROLLBACK")
                    answer(error)
                    continue
                case .succeeded(let answer):
                    answers.append(answer)
                }
            } else {
                for job in group {
                    do {
                        try conn.run("SAVEPOINT job")
                    } catch {
                        job.fail(error)
                        continue
                    }
                    switch await job.run(tx) {
                    case .failed(let error, let answer):
                        // Only this body's statements are undone; the rest of the group commits.
                        _ = try? conn.run("ROLLBACK TO job")
                        _ = try? conn.run("RELEASE job")
                        answer(error)
                    case .succeeded(let answer):
                        _ = try? conn.run("RELEASE job")
                        answers.append(answer)
                    }
                }
            }
            if let commitError = commit() {
                for answer in answers { answer(commitError) }
            } else {
                walSync.answerWhenDurable(answers)
            }
        }
        draining = false
    }
}
