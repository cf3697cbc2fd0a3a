import PostgresNIO
import Synchronization

/// The transaction handle given to `PostgresBackend.write` bodies: statements on the one connection
/// that holds the open transaction.
///
/// Writes are not serialized as on SQLite, so the locks give the same outcomes:
/// - `read` locks the current row (`FOR UPDATE`); a second read-modify-write of the same resource
///   waits and then sees the first one's version (so its If-Match check fails, not its write).
/// - when the row does not exist yet, `read` takes an advisory lock on the resource's key, so two
///   creations of the same id run one after the other and the second sees the first.
/// - `matchingKeys` takes an advisory lock on the search statement and its values, so two
///   conditional creates with the same criteria cannot both find nothing and both create.
/// All locks are released at COMMIT or ROLLBACK.
final class PostgresTransaction: StoreTransaction {
    /// Resources per upsert statement; bounds the size of one message and of one statement's work.
    static let maxBatch = 2_000

    let sql: PostgresResourceSQL
    /// The first error a statement raised. The transaction is spoiled after it (the server aborted
    /// it, or a version conflict left a current row overwritten): later statements are refused and
    /// `write` rolls back even if the body swallowed the error.
    private let failure = Mutex<(any Error)?>(nil)

    init(sql: PostgresResourceSQL) { self.sql = sql }

    var firstFailure: (any Error)? { failure.withLock { $0 } }

    func statement<T>(_ body: () async throws -> T) async throws -> T {
        if let earlier = firstFailure {
            throw StoreError.database("the transaction was aborted by an earlier error: \(earlier)")
        }
        do {
            return try await body()
        } catch {
            failure.withLock { if $0 == nil { $0 = error } }
            throw error
        }
    }

    func read(type: String, id: String) async throws -> ResourceRecord? {
        try await statement {
            if let current = try await sql.rows(ReadCurrentForUpdateStatement(type: type, id: id)).first { return current }
            // Nothing to lock yet: serialize on the key instead, then look again with a new snapshot
            // (READ COMMITTED takes one per statement), which sees a creation committed meanwhile.
            _ = try await sql.rows(AdvisoryLockStatement(key: "resource|\(type)/\(id)"))
            return try await sql.rows(ReadCurrentForUpdateStatement(type: type, id: id)).first
        }
    }

    func matchingKeys(_ query: StoreQuery, limit: Int) async throws -> [ResourceKey] {
        try await statement {
            let (text, binds) = PostgresResourceSQL.keysStatement(query, limit: limit)
            _ = try await sql.rows(AdvisoryLockStatement(key: "match|\(text)|\(binds)"))
            return try await sql.rows(text, binds).map { row in
                let (type, id) = try PostgresErrors.decoding { try row.decode((String, String).self) }
                return ResourceKey(type: type, id: id)
            }
        }
    }

    func contentHash(type: String, id: String) async throws -> String? {
        try await statement { try await sql.contentHash(type: type, id: id) }
    }

    func put(_ write: ResourceWrite) async throws {
        try await putAll([write])
    }

    /// Two statements per batch of up to `maxBatch` resources, whatever the number of index rows:
    /// the upsert of current rows with their history, then the replacement of all index rows.
    func putAll(_ writes: [ResourceWrite]) async throws {
        guard !writes.isEmpty else { return }
        try await statement {
            for batch in Self.batches(writes) { try await putBatch(batch) }
        }
    }

    private func putBatch(_ writes: ArraySlice<ResourceWrite>) async throws {
        let upserted: UpsertResourcesStatement.Row?
        do {
            upserted = try await sql.rows(UpsertResourcesStatement(writes)).first
        } catch is PostgresUniqueViolation {
            // Not expected (the statement skips existing versions and reports them), kept as a backstop.
            throw StoreError.versionConflict(writes.first?.record.key ?? ResourceKey(type: "", id: ""))
        }
        guard let upserted, upserted.rids.count == upserted.keys.count, upserted.rids.count == upserted.replaced.count else {
            throw StoreError.database("PostgreSQL: the resource upsert answered no row ids")
        }
        var rids: [ResourceKey: Int64] = [:]
        var index = ReplaceIndexRowsStatement()
        for (i, rid) in upserted.rids.enumerated() {
            guard upserted.versioned.contains(rid) else { throw StoreError.versionConflict(upserted.keys[i]) }
            rids[upserted.keys[i]] = rid
            if upserted.replaced[i] { index.replacedRids.append(rid) }
        }
        for w in writes {
            guard let rid = rids[w.record.key] else {
                throw StoreError.database("PostgreSQL: the upsert of \(w.record.key) returned no row id")
            }
            index.add(rid: rid, w.index)
        }
        if !index.isEmpty { _ = try await sql.rows(index) }
    }

    /// One statement finds the row ids, a second replaces all their index rows.
    func replaceIndexes(_ replacements: [IndexReplacement]) async throws {
        guard !replacements.isEmpty else { return }
        try await statement {
            var rids: [ResourceKey: Int64] = [:]
            for row in try await sql.rows(ResourceRowIdsStatement(keys: replacements.map(\.key))) { rids[row.key] = row.rid }
            var index = ReplaceIndexRowsStatement()
            for r in replacements {
                guard let rid = rids[r.key] else { continue }
                index.replacedRids.append(rid)
                index.add(rid: rid, r.index)
            }
            if !index.isEmpty { _ = try await sql.rows(index) }
        }
    }

    /// Splits writes into consecutive batches in which no resource appears twice (one statement
    /// cannot upsert a row twice); order is kept, so later versions are written after earlier ones.
    static func batches(_ writes: [ResourceWrite]) -> [ArraySlice<ResourceWrite>] {
        var result: [ArraySlice<ResourceWrite>] = []
        var start = writes.startIndex
        var keys = Set<ResourceKey>()
        for i in writes.indices {
            let key = writes[i].record.key
            if keys.count == maxBatch || keys.contains(key) {
                result.append(writes[start..<i])
                start = i
                keys.removeAll(keepingCapacity: true)
            }
            keys.insert(key)
        }
        if start < writes.endIndex { result.append(writes[start...]) }
        return result
    }
}
