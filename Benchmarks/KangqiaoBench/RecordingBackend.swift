import FHIRStore
import Synchronization

/// A `StoreBackend` that passes everything to another one and keeps a copy of every `ResourceWrite`
/// that committed, one group per `write` call — the exact rows the store wrote, for replaying them as
/// raw inserts. Costs one array append per written resource.
final class RecordingBackend: StoreBackend {
    let inner: any StoreBackend
    private let committed = Mutex<[[ResourceWrite]]>([])

    init(_ inner: any StoreBackend) { self.inner = inner }

    /// The writes of every committed transaction so far, in commit-call order.
    var transactions: [[ResourceWrite]] { committed.withLock { $0 } }

    var name: String { inner.name }
    func migrate() async throws { try await inner.migrate() }
    func ping() async throws { try await inner.ping() }
    func read(type: String, id: String) async throws -> ResourceRecord? { try await inner.read(type: type, id: id) }
    func readVersion(type: String, id: String, versionId: Int) async throws -> ResourceRecord? {
        try await inner.readVersion(type: type, id: id, versionId: versionId)
    }
    func history(_ query: HistoryQuery) async throws -> HistoryPage { try await inner.history(query) }
    func search(_ query: StoreQuery) async throws -> StorePage { try await inner.search(query) }
    func count(_ query: StoreQuery) async throws -> Int { try await inner.count(query) }
    func close() async { await inner.close() }
    func privateRecord(kind: String, key: String) async throws -> [UInt8]? { try await inner.privateRecord(kind: kind, key: key) }
    func privateRecords(kind: String) async throws -> [PrivateRecord] { try await inner.privateRecords(kind: kind) }
    func searchAudit(_ query: AuditQuery) async throws -> [StoredAuditRow] { try await inner.searchAudit(query) }
    func auditChain(_ chain: String) async throws -> [StoredAuditRow] { try await inner.auditChain(chain) }
    func auditChains() async throws -> [String] { try await inner.auditChains() }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        let recorder = RecordingTransaction()
        let value = try await inner.write { tx in
            recorder.reset(tx)
            return try await body(recorder)
        }
        // `write` returned, so the transaction committed.
        let writes = recorder.writes
        if !writes.isEmpty { committed.withLock { $0.append(writes) } }
        return value
    }
}

/// Forwards to the transaction it wraps and remembers what was put.
final class RecordingTransaction: StoreTransaction {
    private struct State {
        var inner: (any StoreTransaction)?
        var writes: [ResourceWrite] = []
    }
    private let state = Mutex(State())

    /// Starts over on `tx` (a backend may run a body again after a retry).
    func reset(_ tx: any StoreTransaction) { state.withLock { $0 = State(inner: tx) } }

    var writes: [ResourceWrite] { state.withLock { $0.writes } }

    private var inner: any StoreTransaction {
        get throws {
            guard let tx = state.withLock({ $0.inner }) else { throw StoreError.database("recording transaction used outside write") }
            return tx
        }
    }

    func read(type: String, id: String) async throws -> ResourceRecord? { try await inner.read(type: type, id: id) }
    func matchingKeys(_ query: StoreQuery, limit: Int) async throws -> [ResourceKey] { try await inner.matchingKeys(query, limit: limit) }
    func contentHash(type: String, id: String) async throws -> String? { try await inner.contentHash(type: type, id: id) }

    func privateRecord(kind: String, key: String) async throws -> [UInt8]? { try await inner.privateRecord(kind: kind, key: key) }
    func putPrivateRecord(kind: String, key: String, value: [UInt8]) async throws {
        try await inner.putPrivateRecord(kind: kind, key: key, value: value)
    }
    func deletePrivateRecord(kind: String, key: String) async throws { try await inner.deletePrivateRecord(kind: kind, key: key) }
    func deletePrivateRecords(kind: String, updatedBefore: Int64, limit: Int) async throws -> Int {
        try await inner.deletePrivateRecords(kind: kind, updatedBefore: updatedBefore, limit: limit)
    }
    func appendAudit(_ rows: [AuditRow]) async throws -> [Int64] { try await inner.appendAudit(rows) }
    func unsealedAudit(limit: Int) async throws -> [StoredAuditRow] { try await inner.unsealedAudit(limit: limit) }
    func auditHead(_ chain: String) async throws -> StoredAuditRow? { try await inner.auditHead(chain) }
    func auditHeads() async throws -> [StoredAuditRow] { try await inner.auditHeads() }
    func sealAudit(_ seals: [AuditSeal]) async throws { try await inner.sealAudit(seals) }
    func pruneAudit(chain: String, throughSequence sequence: Int64) async throws {
        try await inner.pruneAudit(chain: chain, throughSequence: sequence)
    }

    func put(_ write: ResourceWrite) async throws {
        try await inner.put(write)
        state.withLock { $0.writes.append(write) }
    }

    func putAll(_ writes: [ResourceWrite]) async throws {
        try await inner.putAll(writes)
        state.withLock { $0.writes.append(contentsOf: writes) }
    }
}
