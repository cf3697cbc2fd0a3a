import FHIRCore
import FHIRStore

/// R-SEC-2 retention: audit records are kept at least `AccessPolicy.auditRetentionDays` (≥ 6 months)
/// and may then be pruned from the start of each chain. The last pruned link is kept as the chain's
/// checkpoint (a private record), so what remains still verifies from there, and a row deleted
/// beyond the checkpoint is still a gap.
public enum AuditRetention {
    static let checkpointKind = "audit-checkpoint"
    /// The policy floor: fewer days than this is refused whatever the configuration says (R-SEC-2).
    public static let minimumDays = 183

    /// Prunes every chain's sealed records recorded before `cutoffMillis`, oldest first, keeping
    /// checkpoints; answers how many records went.
    @discardableResult
    public static func prune(_ backend: any StoreBackend, recordedBefore cutoffMillis: Int64) async throws -> Int {
        var pruned = 0
        for chain in try await backend.auditChains() {
            let rows = try await backend.auditChain(chain)
            // Only a prefix can go: the chain stays a chain.
            guard let last = rows.prefix(while: { $0.row.recorded < cutoffMillis }).last,
                let link = try AuditSealer.link(of: last)
            else { continue }
            let count = rows.prefix(while: { $0.row.recorded < cutoffMillis }).count
            let checkpoint = JSON.object(JSONObject([
                ("seq", .number(JSONNumber(Int(link.sequence)))), ("hash", .string(Base64URL.encode(link.linkHash))),
            ]))
            try await backend.write { tx in
                try await tx.putPrivateRecord(kind: checkpointKind, key: chain, value: JSONWriter.bytes(checkpoint))
                try await tx.pruneAudit(chain: chain, throughSequence: link.sequence)
            }
            pruned += count
        }
        return pruned
    }

    /// Prunes what is older than `days` (refused below the policy floor).
    @discardableResult
    public static func prune(_ backend: any StoreBackend, olderThanDays days: Int, nowMillis: Int64) async throws -> Int {
        guard days >= minimumDays else { throw AccessDenied.invalidRequest("R-SEC-2: audit records are kept at least \(minimumDays) days") }
        return try await prune(backend, recordedBefore: nowMillis - Int64(days) * 86_400_000)
    }

    static func checkpoints(_ backend: any StoreBackend) async throws -> [String: AuditAnchor] {
        var result: [String: AuditAnchor] = [:]
        for r in try await backend.privateRecords(kind: checkpointKind) {
            guard let o = (try? JSONParser.parse(r.value))?.objectValue, let seq = o["seq"]?.numberValue?.intValue,
                let hash = o["hash"]?.stringValue.flatMap({ Base64URL.decode($0) })
            else { continue }
            result[r.key] = AuditAnchor(chain: r.key, sequence: Int64(seq), linkHash: hash)
        }
        return result
    }
}
