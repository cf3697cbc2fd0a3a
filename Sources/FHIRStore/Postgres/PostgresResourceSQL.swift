import Logging
import NIOCore
import PostgresNIO

/// The resource-level statements of the PostgreSQL backend on one leased connection; the same
/// queries, in meaning, as `SQLiteResourceSQL`.
struct PostgresResourceSQL {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs a prepared statement and collects its rows, mapping database errors to `StoreError`.
    func rows<S: PostgresPreparedStatement>(_ statement: S) async throws -> [S.Row] {
        try await PostgresErrors.mapping {
            var result: [S.Row] = []
            for try await row in try await connection.execute(statement, logger: logger) { result.append(row) }
            return result
        }
    }

    /// Runs a statement built at run time and collects its rows.
    func rows(_ sql: String, _ values: [SQLValue]) async throws -> [PostgresRow] {
        try await PostgresErrors.mapping {
            try await connection.query(PostgresQuery(sql: sql, values: values), logger: logger).collect()
        }
    }

    func execute(_ sql: String) async throws {
        _ = try await rows(sql, [])
    }

    func readCurrent(type: String, id: String) async throws -> ResourceRecord? {
        try await rows(ReadCurrentStatement(type: type, id: id)).first
    }

    func readVersion(type: String, id: String, versionId: Int) async throws -> ResourceRecord? {
        guard let v = Int32(exactly: versionId) else { return nil }
        return try await rows(ReadVersionStatement(type: type, id: id, versionId: v)).first
    }

    func contentHash(type: String, id: String) async throws -> String? {
        try await rows(ContentHashStatement(type: type, id: id)).first
    }

    func history(_ q: HistoryQuery) async throws -> HistoryPage {
        var conditions: [String] = []
        var binds: [SQLValue] = []
        func bind(_ v: SQLValue) -> String {
            binds.append(v)
            return "$\(binds.count)"
        }
        if let type = q.type, let id = q.id {
            // One resource: find its row id through the unique key, then its versions by (rid, version_id).
            conditions.append("rid = (SELECT rid FROM resource WHERE res_type = \(bind(.text(type))) AND res_id = \(bind(.text(id))))")
        } else {
            if let type = q.type { conditions.append("res_type = \(bind(.text(type)))") }
            if let id = q.id { conditions.append("res_id = \(bind(.text(id)))") }
        }
        if let since = q.since { conditions.append("last_updated >= \(bind(.int(since)))") }
        if let before = q.before { conditions.append("seq < \(bind(.int(before)))") }
        let whereSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let limit = bind(.int(Int64(max(q.count, 0) + 1)))
        let sql = "SELECT seq, \(PostgresRecordColumns.list) FROM resource_version \(whereSQL) ORDER BY seq DESC LIMIT \(limit)"
        var records: [ResourceRecord] = []
        var seqs: [Int64] = []
        for row in try await rows(sql, binds) {
            let (seq, type, id, version, updated, deleted, json) = try PostgresErrors.decoding {
                try row.decode((Int64, String, String, Int32, Int64, Int16, ByteBuffer).self)
            }
            seqs.append(seq)
            records.append(ResourceRecord(
                type: type, id: id, versionId: Int(version), lastUpdated: updated, isDeleted: deleted != 0,
                json: Array(json.readableBytesView)))
        }
        guard records.count > q.count else { return HistoryPage(records: records, next: nil) }
        records.removeLast()
        return HistoryPage(records: records, next: q.count > 0 ? seqs[q.count - 1] : nil)
    }

    func search(_ q: StoreQuery) async throws -> StorePage {
        var builder = SQLSearchBuilder(dialect: .postgres)
        let sql = builder.pageStatement(q)
        var records: [ResourceRecord] = []
        var rids: [Int64] = []
        var keys: [[SQLValue]] = []
        let keyed = builder.pageKeyCount == SQLSearchBuilder.dateWalkKeyCount
        for row in try await rows(sql, builder.binds) {
            let (rid, type, id, version, updated, json) = try PostgresErrors.decoding {
                try row.decode((Int64, String, String, Int32, Int64, ByteBuffer).self)
            }
            if keyed {
                // A date walk's rows end with the walked value's low and high: only those two cells.
                let cells = row.makeRandomAccess()
                keys.append(try PostgresErrors.decoding { [.int(try cells[6].decode(Int64.self)), .int(try cells[7].decode(Int64.self))] })
            }
            rids.append(rid)
            records.append(ResourceRecord(
                type: type, id: id, versionId: Int(version), lastUpdated: updated, isDeleted: false,
                json: Array(json.readableBytesView)))
        }
        guard records.count > q.count else { return StorePage(records: records, next: nil) }
        records.removeLast()
        return StorePage(records: records, next: q.count > 0 ? PageCursor(rowId: rids[q.count - 1], keys: keys.isEmpty ? [] : keys[q.count - 1]) : nil)
    }

    func count(_ q: StoreQuery) async throws -> Int {
        var builder = SQLSearchBuilder(dialect: .postgres)
        let sql = builder.countStatement(q)
        guard let row = try await rows(sql, builder.binds).first else { return 0 }
        return try PostgresErrors.decoding { Int(try row.decode(Int64.self)) }
    }

    /// The conditional-interaction lookup (`PostgresTransaction.matchingKeys` locks on its text first).
    static func keysStatement(_ q: StoreQuery, limit: Int) -> (sql: String, binds: [SQLValue]) {
        var builder = SQLSearchBuilder(dialect: .postgres)
        let sql = builder.keysStatement(q, limit: limit)
        return (sql, builder.binds)
    }
}
