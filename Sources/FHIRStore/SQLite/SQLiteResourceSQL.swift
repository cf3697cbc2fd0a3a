/// The resource-level statements of the SQLite backend, on one connection.
extension SQLiteConnection {
    static let recordColumns = "res_type, res_id, version_id, last_updated, deleted, json"

    func record(_ row: SQLiteRow, offset: Int32 = 0) -> ResourceRecord {
        ResourceRecord(
            type: row.text(offset) ?? "", id: row.text(offset + 1) ?? "", versionId: Int(row.int(offset + 2)),
            lastUpdated: row.int(offset + 3), isDeleted: row.int(offset + 4) != 0, json: row.bytes(offset + 5))
    }

    func readCurrent(type: String, id: String) throws -> ResourceRecord? {
        var result: ResourceRecord?
        try query("SELECT \(Self.recordColumns) FROM resource WHERE res_type = ?1 AND res_id = ?2", [.text(type), .text(id)]) {
            result = record($0)
        }
        return result
    }

    func readVersion(type: String, id: String, versionId: Int) throws -> ResourceRecord? {
        var result: ResourceRecord?
        try query(
            "SELECT \(Self.recordColumns) FROM resource_version WHERE res_type = ?1 AND res_id = ?2 AND version_id = ?3",
            [.text(type), .text(id), .int(Int64(versionId))]
        ) { result = record($0) }
        return result
    }

    func contentHash(type: String, id: String) throws -> String? {
        var result: String?
        try query("SELECT content_hash FROM resource WHERE res_type = ?1 AND res_id = ?2", [.text(type), .text(id)]) {
            result = $0.text(0)
        }
        return result
    }

    func history(_ q: HistoryQuery) throws -> HistoryPage {
        var conditions: [String] = []
        var binds: [SQLValue] = []
        func bind(_ v: SQLValue) -> String {
            binds.append(v)
            return "?\(binds.count)"
        }
        if let type = q.type { conditions.append("res_type = \(bind(.text(type)))") }
        if let id = q.id { conditions.append("res_id = \(bind(.text(id)))") }
        if let since = q.since { conditions.append("last_updated >= \(bind(.int(since)))") }
        if let before = q.before { conditions.append("seq < \(bind(.int(before)))") }
        let whereSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT seq, \(Self.recordColumns) FROM resource_version \(whereSQL) ORDER BY seq DESC LIMIT \(bind(.int(Int64(q.count + 1))))"
        var records: [ResourceRecord] = []
        var seqs: [Int64] = []
        try query(sql, binds) { row in
            seqs.append(row.int(0))
            records.append(record(row, offset: 1))
        }
        guard q.count > 0, records.count > q.count else { return HistoryPage(records: Array(records.prefix(q.count)), next: nil) }
        records.removeLast()
        return HistoryPage(records: records, next: seqs[q.count - 1])
    }

    func search(_ q: StoreQuery) throws -> StorePage {
        var builder = SQLSearchBuilder(dialect: .sqlite)
        let sql = builder.pageStatement(q)
        var records: [ResourceRecord] = []
        var rids: [Int64] = []
        var keys: [[SQLValue]] = []
        let keyCount = builder.pageKeyCount
        try query(sql, builder.binds) { row in
            rids.append(row.int(0))
            records.append(ResourceRecord(
                type: row.text(1) ?? "", id: row.text(2) ?? "", versionId: Int(row.int(3)),
                lastUpdated: row.int(4), isDeleted: false, json: row.bytes(5)))
            if keyCount > 0 { keys.append((0..<keyCount).map { .int(row.int(Int32(6 + $0))) }) }
        }
        guard q.count > 0, records.count > q.count else { return StorePage(records: Array(records.prefix(q.count)), next: nil) }
        records.removeLast()
        return StorePage(records: records, next: PageCursor(rowId: rids[q.count - 1], keys: keyCount > 0 ? keys[q.count - 1] : []))
    }

    func count(_ q: StoreQuery) throws -> Int {
        var builder = SQLSearchBuilder(dialect: .sqlite)
        let sql = builder.countStatement(q)
        var n = 0
        try query(sql, builder.binds) { n = Int($0.int(0)) }
        return n
    }

    func matchingKeys(_ q: StoreQuery, limit: Int) throws -> [ResourceKey] {
        var builder = SQLSearchBuilder(dialect: .sqlite)
        let sql = builder.keysStatement(q, limit: limit)
        var keys: [ResourceKey] = []
        try query(sql, builder.binds) { keys.append(ResourceKey(type: $0.text(0) ?? "", id: $0.text(1) ?? "")) }
        return keys
    }

    /// Appends the version, upserts the current row and replaces the index rows.
    func put(_ w: ResourceWrite) throws {
        let r = w.record
        var rid: Int64?
        // A first version has no row yet (a concurrent one is refused by UNIQUE below): no lookup.
        if r.versionId > 1 {
            try query("SELECT rid FROM resource WHERE res_type = ?1 AND res_id = ?2", [.text(r.type), .text(r.id)]) { rid = $0.int(0) }
        }
        let deleted: Int64 = r.isDeleted ? 1 : 0
        if let existing = rid {
            try run(
                "UPDATE resource SET version_id = ?1, last_updated = ?2, deleted = ?3, compartment = ?4, content_hash = ?5, json = ?6 WHERE rid = ?7",
                [.int(Int64(r.versionId)), .int(r.lastUpdated), .int(deleted), w.compartment.map { .text($0) } ?? .null,
                 .text(w.contentHash), .blob(r.json), .int(existing)])
            for table in Schema.indexTables { try run("DELETE FROM \(table) WHERE rid = ?1", [.int(existing)]) }
        } else {
            do {
                try run(
                    "INSERT INTO resource (res_type, res_id, version_id, last_updated, deleted, compartment, content_hash, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    [.text(r.type), .text(r.id), .int(Int64(r.versionId)), .int(r.lastUpdated), .int(deleted),
                     w.compartment.map { .text($0) } ?? .null, .text(w.contentHash), .blob(r.json)])
            } catch is SQLiteConstraintViolation {
                throw StoreError.versionConflict(r.key)
            }
            rid = lastInsertRowID
        }
        guard let rid else { return }
        do {
            try run(
                "INSERT INTO resource_version (rid, res_type, res_id, version_id, last_updated, deleted, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                [.int(rid), .text(r.type), .text(r.id), .int(Int64(r.versionId)), .int(r.lastUpdated), .int(deleted), .blob(r.json)])
        } catch is SQLiteConstraintViolation {
            throw StoreError.versionConflict(r.key)
        }
        try insertIndex(rid: rid, w.index)
    }

    func replaceIndexes(_ replacements: [IndexReplacement]) throws {
        for r in replacements {
            var rid: Int64?
            try query("SELECT rid FROM resource WHERE res_type = ?1 AND res_id = ?2", [.text(r.key.type), .text(r.key.id)]) { rid = $0.int(0) }
            guard let rid else { continue }
            for table in Schema.indexTables { try run("DELETE FROM \(table) WHERE rid = ?1", [.int(rid)]) }
            try insertIndex(rid: rid, r.index)
        }
    }

    func insertIndex(rid: Int64, _ ix: SearchIndexRows) throws {
        let id = SQLValue.int(rid)
        func opt(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
        func grp(_ g: Int?) -> SQLValue { g.map { .int(Int64($0)) } ?? .null }
        try insertRows("idx_token", "rid, param, system, code, text, grp", ix.tokens) {
            [id, .text($0.param), opt($0.system), opt($0.code), opt($0.text), grp($0.grp)]
        }
        try insertRows("idx_string", "rid, param, normalized, exact, grp", ix.strings) {
            [id, .text($0.param), .text($0.normalized), .text($0.exact), grp($0.grp)]
        }
        try insertRows("idx_date", "rid, param, low, high, grp", ix.dates) { [id, .text($0.param), .int($0.low), .int($0.high), grp($0.grp)] }
        try insertRows("idx_reference", "rid, param, target_type, target_id, url, grp", ix.references) {
            [id, .text($0.param), opt($0.targetType), opt($0.targetId), opt($0.url), grp($0.grp)]
        }
        try insertRows("idx_number", "rid, param, value, grp", ix.numbers) { [id, .text($0.param), .double($0.value), grp($0.grp)] }
        try insertRows("idx_quantity", "rid, param, value, system, code, canon_value, canon_code, grp", ix.quantities) {
            [id, .text($0.param), .double($0.value), opt($0.system), opt($0.code), $0.canonicalValue.map { .double($0) } ?? .null,
             opt($0.canonicalCode), grp($0.grp)]
        }
        try insertRows("idx_uri", "rid, param, uri, grp", ix.uris) { [id, .text($0.param), .text($0.uri), grp($0.grp)] }
        if let t = ix.text { try insertRows(Schema.textTable, "rid, narrative, content", [t]) { [id, opt($0.narrative), .text($0.content)] } }
    }

    /// Inserts rows with multi-row INSERT statements (up to 32 rows each): one step instead of one per row.
    private func insertRows<Row>(_ table: String, _ columns: String, _ rows: [Row], _ values: (Row) -> [SQLValue]) throws {
        guard !rows.isEmpty else { return }
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + 32, rows.count)]
            var binds: [SQLValue] = []
            for row in chunk { binds += values(row) }
            try run(multiRowInsert(table, columns, rows: chunk.count), binds)
            start += chunk.count
        }
    }
}
