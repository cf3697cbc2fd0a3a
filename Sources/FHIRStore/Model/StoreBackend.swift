/// The storage interface both backends (SQLite, PostgreSQL) implement with one schema. Everything
/// above it (FHIR semantics, HTTP) is backend-independent.
///
/// Guarantees: `write` runs its body in one database transaction that is durable when `write`
/// returns (synchronous commit); if the body throws, nothing of it remains. Reads outside `write`
/// see only committed data.
public protocol StoreBackend: Sendable {
    /// A short name for logs and `/health` ("sqlite", "postgres").
    var name: String { get }

    /// Creates or upgrades the schema (versioned migrations, run at start).
    func migrate() async throws

    /// Answers when the database answers.
    func ping() async throws

    /// The current version of a resource (a deletion marker when it was deleted), nil when never created.
    func read(type: String, id: String) async throws -> ResourceRecord?

    func readVersion(type: String, id: String, versionId: Int) async throws -> ResourceRecord?

    func history(_ query: HistoryQuery) async throws -> HistoryPage

    func search(_ query: StoreQuery) async throws -> StorePage

    func count(_ query: StoreQuery) async throws -> Int

    /// A private record, nil when absent. Private records hold what is not FHIR and is never served by
    /// the FHIR API: accounts, credential hashes, sealed keys, refresh tokens.
    func privateRecord(kind: String, key: String) async throws -> [UInt8]?

    /// Every private record of `kind`, ordered by key.
    func privateRecords(kind: String) async throws -> [PrivateRecord]

    /// Audit rows matching `query`, newest first.
    func searchAudit(_ query: AuditQuery) async throws -> [StoredAuditRow]

    /// The rows of one chain in sequence order, and the names of all chains (for verification).
    func auditChain(_ chain: String) async throws -> [StoredAuditRow]
    func auditChains() async throws -> [String]

    /// Runs `body` in one transaction; commits when it returns, rolls back when it throws.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) async throws -> T) async throws -> T

    /// Releases connections; the backend is unusable afterwards.
    func close() async
}

/// A backend with an append path for audit records outside its write transactions (SQLite's audit
/// journal): durable when the call returns, and in the trail's searches from then on.
public protocol AuditJournaling: StoreBackend {
    /// `requestStarted`: when the request being recorded began; a slow request's record may wait
    /// longer for a shared sync (see `SQLiteAuditJournal.patience`). Nil: the shortest wait.
    func appendAuditDurably(_ rows: [AuditRow], requestStarted: ContinuousClock.Instant?) async throws
    /// The server counts its requests here while it handles them (the journal's syncs wait on them).
    var requestsInProgress: RequestsInProgress { get }
    /// Moves every record appended so far into the trail's table (the sealer chains only what is there).
    func importAuditJournal() async throws
    /// From now on, chains imported records in the transaction that imports them.
    func sealImports(with sealer: any AuditRowSealing) async
}

extension AuditJournaling {
    public func appendAuditDurably(_ rows: [AuditRow]) async throws { try await appendAuditDurably(rows, requestStarted: nil) }
}

/// A backend that appends a batch of audit records (the group commit of reads) in one statement of
/// its own, atomic and durable when it returns, without a write transaction around it.
public protocol AuditBatchAppending: StoreBackend {
    func appendAuditAtomically(_ rows: [AuditRow]) async throws
}

/// Chains audit rows in the transaction that writes them (the Access module's sealer).
public protocol AuditRowSealing: Sendable {
    func seals(for rows: [StoredAuditRow], in tx: any StoreTransaction) async throws -> [AuditSeal]
}

/// The operations available inside a write transaction. They see the transaction's own writes.
public protocol StoreTransaction: Sendable {
    func read(type: String, id: String) async throws -> ResourceRecord?

    /// Keys of at most `limit` current, non-deleted resources matching `query` (conditional interactions).
    func matchingKeys(_ query: StoreQuery, limit: Int) async throws -> [ResourceKey]

    /// The content hash of the current version, nil when the resource does not exist.
    func contentHash(type: String, id: String) async throws -> String?

    /// Writes a new version: appends it to the history, replaces the current row and its index rows.
    /// Throws `StoreError.versionConflict` when that version already exists.
    func put(_ write: ResourceWrite) async throws

    /// Writes many versions with batched statements (bulk import, transaction bundles).
    func putAll(_ writes: [ResourceWrite]) async throws

    /// Reads a private record and keeps it (or its key, when absent) locked until the transaction
    /// ends, so a read-modify-write of it (a refresh token used once) is safe on both backends.
    func privateRecord(kind: String, key: String) async throws -> [UInt8]?

    /// Inserts or replaces a private record.
    func putPrivateRecord(kind: String, key: String, value: [UInt8]) async throws

    func deletePrivateRecord(kind: String, key: String) async throws

    /// Deletes up to `limit` private records of `kind` last written before `updatedBefore` (ms since
    /// 1970): short-lived records (a code used once) are cleared by age. Answers how many went.
    func deletePrivateRecords(kind: String, updatedBefore: Int64, limit: Int) async throws -> Int

    /// Appends audit rows in this transaction (they exist exactly when what they record does);
    /// answers their row numbers.
    @discardableResult
    func appendAudit(_ rows: [AuditRow]) async throws -> [Int64]

    /// Up to `limit` rows not chained yet, oldest first; on PostgreSQL locked and skipped by other sealers.
    func unsealedAudit(limit: Int) async throws -> [StoredAuditRow]

    /// The last sealed row of `chain` (nil for a new chain), locked against another sealer of the same chain.
    func auditHead(_ chain: String) async throws -> StoredAuditRow?

    /// The latest sealed row of every other chain, for cross-anchoring.
    func auditHeads() async throws -> [StoredAuditRow]

    func sealAudit(_ seals: [AuditSeal]) async throws

    /// Deletes the sealed rows of `chain` up to `sequence` (retention), with their patient rows.
    func pruneAudit(chain: String, throughSequence sequence: Int64) async throws

    /// Replaces the search-index rows of current resources, writing no version (`FHIRRepository.reindex`).
    /// Keys that name no stored resource are skipped.
    func replaceIndexes(_ replacements: [IndexReplacement]) async throws
}

/// One row of `private_record`.
public struct PrivateRecord: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    public init(key: String, value: [UInt8]) {
        self.key = key
        self.value = value
    }
}

/// The search-index rows of one stored resource, computed again from its JSON.
public struct IndexReplacement: Sendable {
    public var key: ResourceKey
    public var index: SearchIndexRows
    public init(key: ResourceKey, index: SearchIndexRows) {
        self.key = key
        self.index = index
    }
}

extension StoreTransaction {
    public func putAll(_ writes: [ResourceWrite]) async throws {
        for w in writes { try await put(w) }
    }

    /// Stores that keep no index rows (test doubles, recorders) have nothing to replace.
    public func replaceIndexes(_ replacements: [IndexReplacement]) async throws {
        throw StoreError.database("this store cannot replace index rows")
    }
}

extension StoreBackend {
    /// Deletes every private record of `kind` last written before `updatedBefore` (ms since 1970),
    /// a thousand per transaction so a large backlog never holds the writer long. Answers how many went.
    @discardableResult
    public func deletePrivateRecords(kind: String, updatedBefore: Int64) async throws -> Int {
        var removed = 0
        while true {
            let n = try await write { tx in try await tx.deletePrivateRecords(kind: kind, updatedBefore: updatedBefore, limit: 1000) }
            removed += n
            if n < 1000 { return removed }
        }
    }
}
