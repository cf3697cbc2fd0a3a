/// The audit trail's statements on SQLite (tables `audit_event`, `audit_patient`).
extension SQLiteConnection {
    static let auditColumns = "aid, recorded, action, outcome, actor, organization, source, patients, record, chain, seq, link"

    func auditRow(_ r: SQLiteRow) -> StoredAuditRow {
        let record = r.bytes(8)
        let row = AuditRow(
            recorded: r.int(1), action: r.text(2) ?? "", outcome: Int(r.int(3)), actor: r.text(4), organization: r.text(5),
            source: r.text(6), patients: AuditRow.patients(column: r.text(7), record: record), record: record)
        let chain = r.text(9)
        return StoredAuditRow(aid: r.int(0), row: row, chain: chain, sequence: chain == nil ? nil : r.int(10), link: chain == nil ? nil : r.bytes(11))
    }

    static let linksPerStatement = 100

    /// Rows per multi-row INSERT into `audit_event` (11 values each).
    static let auditRowsPerStatement = 32

    /// Appends `rows`, chained already when `seals` (one per row, in order) are given.
    func appendAudit(_ rows: [AuditRow], seals: [AuditSeal]? = nil) throws -> [Int64] {
        var aids: [Int64] = []
        aids.reserveCapacity(rows.count)
        var links: [SQLValue] = []
        var start = 0
        // Many rows per statement (an import moves thousands); RETURNING gives each its aid, in order.
        while start < rows.count {
            let end = min(start + Self.auditRowsPerStatement, rows.count)
            var values: [SQLValue] = []
            values.reserveCapacity((end - start) * 11)
            for i in start..<end {
                let row = rows[i]
                let seal = seals?[i]
                values += [.int(row.recorded), .text(row.action), .int(Int64(row.outcome)), row.actor.map { .text($0) } ?? .null,
                           row.organization.map { .text($0) } ?? .null, row.source.map { .text($0) } ?? .null,
                           row.storedPatients.map { .text($0) } ?? .null, .blob(row.record),
                           seal.map { .text($0.chain) } ?? .null, seal.map { .int($0.sequence) } ?? .null, seal.map { .blob($0.link) } ?? .null]
            }
            let sql = multiRowInsert("audit_event", "recorded, action, outcome, actor, organization, source, patients, record, chain, seq, link",
                                     rows: end - start) + " RETURNING aid"
            var returned: [Int64] = []
            try query(sql, values) { returned.append($0.int(0)) }
            // RETURNING's order is unspecified; the rows took ascending rowids in the order of VALUES.
            returned.sort()
            guard returned.count == end - start else { throw StoreError.database("audit insert returned \(returned.count) of \(end - start) rows") }
            for (offset, aid) in returned.enumerated() {
                for patient in Set(rows[start + offset].patients) { links.append(.text(patient)); links.append(.int(aid)) }
            }
            aids += returned
            start = end
        }
        // The patient links of all rows, many per statement (a search's record names up to a page of patients).
        var next = 0
        while next < links.count {
            let chunk = links[next..<min(next + 2 * Self.linksPerStatement, links.count)]
            try run(multiRowInsert("audit_patient", "patient, aid", rows: chunk.count / 2, orIgnore: true), Array(chunk))
            next += chunk.count
        }
        return aids
    }

    func auditRows(_ sql: String, _ binds: [SQLValue]) throws -> [StoredAuditRow] {
        var rows: [StoredAuditRow] = []
        try query(sql, binds) { rows.append(auditRow($0)) }
        return rows
    }

    func unsealedAudit(limit: Int) throws -> [StoredAuditRow] {
        try auditRows("SELECT \(Self.auditColumns) FROM audit_event WHERE chain IS NULL ORDER BY aid LIMIT ?1", [.int(Int64(limit))])
    }

    func auditHead(_ chain: String) throws -> StoredAuditRow? {
        try auditRows("SELECT \(Self.auditColumns) FROM audit_event WHERE chain = ?1 ORDER BY seq DESC LIMIT 1", [.text(chain)]).first
    }

    func auditHeads() throws -> [StoredAuditRow] {
        try auditRows(AuditTrailSQL.heads, [])
    }

    func sealAudit(_ seals: [AuditSeal]) throws {
        for s in seals {
            try run("UPDATE audit_event SET chain = ?1, seq = ?2, link = ?3 WHERE aid = ?4 AND chain IS NULL",
                    [.text(s.chain), .int(s.sequence), .blob(s.link), .int(s.aid)])
        }
    }

    func pruneAudit(chain: String, throughSequence sequence: Int64) throws {
        try run("DELETE FROM audit_patient WHERE aid IN (SELECT aid FROM audit_event WHERE chain = ?1 AND seq <= ?2)", [.text(chain), .int(sequence)])
        try run("DELETE FROM audit_event WHERE chain = ?1 AND seq <= ?2", [.text(chain), .int(sequence)])
    }

    func auditChain(_ chain: String) throws -> [StoredAuditRow] {
        try auditRows("SELECT \(Self.auditColumns) FROM audit_event WHERE chain = ?1 ORDER BY seq", [.text(chain)])
    }

    func auditChains() throws -> [String] {
        var names: [String] = []
        try query("SELECT DISTINCT chain FROM audit_event WHERE chain IS NOT NULL ORDER BY chain") { names.append($0.text(0) ?? "") }
        return names
    }

    func searchAudit(_ q: AuditQuery) throws -> [StoredAuditRow] {
        var binds: [SQLValue] = []
        let tail = q.sqlConditions { v in
            binds.append(v)
            return "?\(binds.count)"
        }
        return try auditRows("SELECT \(Self.auditColumns) FROM audit_event \(tail)", binds)
    }
}
