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

    /// Runs `body` in one transaction; commits when it returns, rolls back when it throws.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) async throws -> T) async throws -> T

    /// Releases connections; the backend is unusable afterwards.
    func close() async
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
    /// Replaces the search-index rows of current resources, writing no version (`FHIRRepository.reindex`).
    /// Keys that name no stored resource are skipped.
    func replaceIndexes(_ replacements: [IndexReplacement]) async throws
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
