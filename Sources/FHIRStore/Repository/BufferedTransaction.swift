/// A transaction view that holds writes back and sends them as one `putAll` batch (one or two
/// statements on PostgreSQL instead of several round trips per resource). Reads see the held writes;
/// a search first sends them, so it sees them too.
final class BufferedTransaction: StoreTransaction, @unchecked Sendable {
    // Used by one transaction body at a time, sequentially (the body awaits each call), never shared.
    private let base: any StoreTransaction
    private var held: [ResourceWrite] = []
    private var latest: [ResourceKey: ResourceWrite] = [:]

    init(_ base: any StoreTransaction) { self.base = base }

    func read(type: String, id: String) async throws -> ResourceRecord? {
        if let w = latest[ResourceKey(type: type, id: id)] { return w.record }
        return try await base.read(type: type, id: id)
    }

    func contentHash(type: String, id: String) async throws -> String? {
        if let w = latest[ResourceKey(type: type, id: id)] { return w.contentHash }
        return try await base.contentHash(type: type, id: id)
    }

    func matchingKeys(_ query: StoreQuery, limit: Int) async throws -> [ResourceKey] {
        try await flush()
        return try await base.matchingKeys(query, limit: limit)
    }

    func put(_ write: ResourceWrite) async throws {
        held.append(write)
        latest[write.record.key] = write
    }

    func putAll(_ writes: [ResourceWrite]) async throws {
        for w in writes { try await put(w) }
    }

    func privateRecord(kind: String, key: String) async throws -> [UInt8]? { try await base.privateRecord(kind: kind, key: key) }
    func putPrivateRecord(kind: String, key: String, value: [UInt8]) async throws {
        try await base.putPrivateRecord(kind: kind, key: key, value: value)
    }
    func deletePrivateRecord(kind: String, key: String) async throws { try await base.deletePrivateRecord(kind: kind, key: key) }
    func deletePrivateRecords(kind: String, updatedBefore: Int64, limit: Int) async throws -> Int {
        try await base.deletePrivateRecords(kind: kind, updatedBefore: updatedBefore, limit: limit)
    }

    func appendAudit(_ rows: [AuditRow]) async throws -> [Int64] { try await base.appendAudit(rows) }
    func unsealedAudit(limit: Int) async throws -> [StoredAuditRow] { try await base.unsealedAudit(limit: limit) }
    func auditHead(_ chain: String) async throws -> StoredAuditRow? { try await base.auditHead(chain) }
    func auditHeads() async throws -> [StoredAuditRow] { try await base.auditHeads() }
    func sealAudit(_ seals: [AuditSeal]) async throws { try await base.sealAudit(seals) }
    func pruneAudit(chain: String, throughSequence sequence: Int64) async throws {
        try await base.pruneAudit(chain: chain, throughSequence: sequence)
    }
    func replaceIndexes(_ replacements: [IndexReplacement]) async throws {
        try await flush()
        try await base.replaceIndexes(replacements)
    }

    /// Sends the held writes; call before the body returns.
    func flush() async throws {
        guard !held.isEmpty else { return }
        let batch = held
        held.removeAll()
        latest.removeAll()
        try await base.putAll(batch)
    }
}
