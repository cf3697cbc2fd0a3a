import NIOCore
import PostgresNIO

/// The audit trail's statements on PostgreSQL; the same meaning as `SQLiteAuditSQL`.
extension PostgresResourceSQL {
    static let auditColumns = "aid, recorded, action, outcome, actor, organization, source, patients, record, chain, seq, link"

    func auditRows(_ sql: String, _ binds: [SQLValue]) async throws -> [StoredAuditRow] {
        try await rows(sql, binds).map { r in
            try PostgresErrors.decoding {
                let (aid, recorded, action, outcome, actor, organization, source, patients) =
                    try r.decode((Int64, Int64, String, Int16, String?, String?, String?, String?).self)
                let cells = Array(r)
                let record = try cells[8].decode(ByteBuffer.self)
                let chain = try cells[9].decode(String?.self)
                let seq = try cells[10].decode(Int64?.self)
                let link = try cells[11].decode(ByteBuffer?.self)
                let bytes = Array(record.readableBytesView)
                let row = AuditRow(
                    recorded: recorded, action: action, outcome: Int(outcome), actor: actor, organization: organization, source: source,
                    patients: AuditRow.patients(column: patients, record: bytes), record: bytes)
                return StoredAuditRow(aid: aid, row: row, chain: chain, sequence: seq, link: link.map { Array($0.readableBytesView) })
            }
        }
    }

    /// `batch` and its patient links in one prepared statement (`AppendAuditStatement`); answers the
    /// rows' ids, in order. In a write transaction it is one round trip; on its own (the group commit
    /// of reads, `appendAuditAtomically`) it is its own transaction, synced at commit like any other.
    func appendAudit(_ batch: [AuditRow]) async throws -> [Int64] {
        guard !batch.isEmpty else { return [] }
        let ids = try await rows(try AppendAuditStatement(batch))
        guard ids.count == batch.count else { throw StoreError.database("PostgreSQL: the audit insert answered \(ids.count) of \(batch.count) ids") }
        return ids
    }

    func unsealedAudit(limit: Int) async throws -> [StoredAuditRow] {
        // SKIP LOCKED: another instance sealing at the same moment takes other rows, never the same.
        try await auditRows(
            "SELECT \(Self.auditColumns) FROM audit_event WHERE chain IS NULL ORDER BY aid LIMIT $1 FOR UPDATE SKIP LOCKED",
            [.int(Int64(limit))])
    }

    func auditHead(_ chain: String) async throws -> StoredAuditRow? {
        _ = try await rows(AdvisoryLockStatement(key: "audit-chain|\(chain)"))
        return try await auditRows("SELECT \(Self.auditColumns) FROM audit_event WHERE chain = $1 ORDER BY seq DESC LIMIT 1", [.text(chain)]).first
    }

    /// Each chain's last row: the chains' names by skipping through the (chain, seq) index, then each
    /// head by a LATERAL look-up in it, a plan that does not depend on statistics. The portable form
    /// (`AuditTrailSQL.heads`, a join on a scalar subquery) takes the primary key when the table's
    /// statistics are fresh, but on a trail filling faster than autovacuum analyzes it PostgreSQL
    /// planned it as a hash join over a sequential scan of the whole trail (seen in the sealer's
    /// rounds under the audit benchmarks).
    static let auditHeadsSQL = """
        WITH RECURSIVE chains(name) AS (
            SELECT (SELECT min(chain) FROM audit_event WHERE chain IS NOT NULL)
            UNION ALL
            SELECT (SELECT min(chain) FROM audit_event WHERE chain > chains.name) FROM chains WHERE chains.name IS NOT NULL)
        SELECT h.* FROM chains CROSS JOIN LATERAL (
            SELECT \(PostgresResourceSQL.auditColumns) FROM audit_event WHERE chain = chains.name ORDER BY seq DESC LIMIT 1) AS h
        WHERE chains.name IS NOT NULL
        ORDER BY h.chain
        """

    func auditHeads() async throws -> [StoredAuditRow] {
        try await auditRows(Self.auditHeadsSQL, [])
    }

    func sealAudit(_ seals: [AuditSeal]) async throws {
        guard !seals.isEmpty else { return }
        _ = try await rows(SealAuditStatement(seals))
    }

    func pruneAudit(chain: String, throughSequence sequence: Int64) async throws {
        _ = try await rows("DELETE FROM audit_patient WHERE aid IN (SELECT aid FROM audit_event WHERE chain = $1 AND seq <= $2)",
                           [.text(chain), .int(sequence)])
        _ = try await rows("DELETE FROM audit_event WHERE chain = $1 AND seq <= $2", [.text(chain), .int(sequence)])
    }

    func auditChain(_ chain: String) async throws -> [StoredAuditRow] {
        try await auditRows("SELECT \(Self.auditColumns) FROM audit_event WHERE chain = $1 ORDER BY seq", [.text(chain)])
    }

    func auditChains() async throws -> [String] {
        try await rows("SELECT DISTINCT chain FROM audit_event WHERE chain IS NOT NULL ORDER BY chain", []).map { row in
            try PostgresErrors.decoding { try row.decode(String.self) }
        }
    }

    func searchAudit(_ q: AuditQuery) async throws -> [StoredAuditRow] {
        var binds: [SQLValue] = []
        let tail = q.sqlConditions { v in
            binds.append(v)
            return "$\(binds.count)"
        }
        return try await auditRows("SELECT \(Self.auditColumns) FROM audit_event \(tail)", binds)
    }
}

extension PostgresTransaction {
    func appendAudit(_ rows: [AuditRow]) async throws -> [Int64] { try await statement { try await sql.appendAudit(rows) } }
    func unsealedAudit(limit: Int) async throws -> [StoredAuditRow] { try await statement { try await sql.unsealedAudit(limit: limit) } }
    func auditHead(_ chain: String) async throws -> StoredAuditRow? { try await statement { try await sql.auditHead(chain) } }
    func auditHeads() async throws -> [StoredAuditRow] { try await statement { try await sql.auditHeads() } }
    func sealAudit(_ seals: [AuditSeal]) async throws { try await statement { try await sql.sealAudit(seals) } }
    func pruneAudit(chain: String, throughSequence sequence: Int64) async throws {
        try await statement { try await sql.pruneAudit(chain: chain, throughSequence: sequence) }
    }
}
