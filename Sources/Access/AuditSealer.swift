import FHIRCore
import FHIRStore
import Foundation

/// Chains audit records (AuditChain): takes the records not chained yet, oldest first, and links
/// them onto this instance's chain in one transaction, with the heads of the other instances'
/// chains as anchors. With several `kangqiao serve` on one PostgreSQL each seals into its own chain
/// (`chain`, e.g. the host name); rows being sealed by one are skipped by the others.
public struct AuditSealer: AuditRowSealing {
    public let backend: any StoreBackend
    public let chain: String
    /// Rows chained per transaction.
    public var batchSize = 1_000
    /// Anchors recorded per batch at most (the most recent other chains).
    public var maxAnchors = 16

    /// This instance's chain: `KANGQIAO_INSTANCE`, else the host name.
    public static var defaultChainName: String {
        if let name = ProcessInfo.processInfo.environment["KANGQIAO_INSTANCE"], !name.isEmpty { return name }
        return ProcessInfo.processInfo.hostName
    }

    public init(backend: any StoreBackend, chain: String) {
        self.backend = backend
        self.chain = chain
    }

    /// Chains everything pending; answers how many records it chained.
    @discardableResult
    public func sealPending() async throws -> Int {
        // The journal's records are chained as they are imported (see `seals(for:in:)`).
        if let journaling = backend as? any AuditJournaling { try await journaling.importAuditJournal() }
        var total = 0
        while true {
            let batchSize = self.batchSize
            let sealed = try await backend.write { tx -> Int in
                let rows = try await tx.unsealedAudit(limit: batchSize)
                guard !rows.isEmpty else { return 0 }
                try await tx.sealAudit(try await self.seals(for: rows, in: tx))
                return rows.count
            }
            total += sealed
            if sealed < batchSize { return total }
        }
    }

    /// The links chaining `rows`, in order, onto this instance's chain as it stands in `tx`; the first
    /// one carries the heads of the other chains as anchors.
    public func seals(for rows: [StoredAuditRow], in tx: any StoreTransaction) async throws -> [AuditSeal] {
        guard !rows.isEmpty else { return [] }
        let head = try await tx.auditHead(chain)
        let others = try await tx.auditHeads().filter { $0.chain != chain }.suffix(maxAnchors)
        var previous = try head.flatMap { try Self.link(of: $0) }
        var seals: [AuditSeal] = []
        seals.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() {
            let anchors = i == 0 ? others.compactMap { try? Self.link(of: $0) }.map {
                AuditAnchor(chain: $0.chain, sequence: $0.sequence, linkHash: $0.linkHash)
            } : []
            let link = AuditChain.link(after: previous, chain: chain, recordHash: AuditChain.recordHash(row.row.record), anchors: anchors)
            seals.append(AuditSeal(aid: row.aid, chain: chain, sequence: link.sequence, link: Self.encode(link)))
            previous = link
        }
        return seals
    }

    /// Chains the journal's records in the transaction that imports them, so they are written once,
    /// already sealed (on SQLite; elsewhere this does nothing).
    public func sealJournalImports() async {
        if let journaling = backend as? any AuditJournaling { await journaling.sealImports(with: self) }
    }

    /// Seals every `interval` until the task is cancelled (run beside the server).
    public func run(every interval: Duration = .seconds(1)) async {
        await sealJournalImports()
        while !Task.isCancelled {
            _ = try? await sealPending()
            try? await Task.sleep(for: interval)
        }
    }

    /// A link as stored with its row: the marker, the three hashes (32 bytes each), then the anchors
    /// (count; each chain name's length in 2 bytes and its bytes, sequence as 8 bytes big-endian, hash). A third of
    /// the size of the JSON links written before (base64 text and keys), which `link(of:)` still reads.
    static func encode(_ link: AuditLink) -> [UInt8] {
        var out: [UInt8] = [linkMarker]
        out.reserveCapacity(1 + 96 + 1 + link.anchors.count * 72)
        out += link.recordHash
        out += link.previousHash
        out += link.linkHash
        out.append(UInt8(min(link.anchors.count, 255)))
        for a in link.anchors.prefix(255) {
            let name = Array(a.chain.utf8.prefix(Int(UInt16.max)))
            out.appendBigEndian(UInt16(name.count))
            out += name
            out.appendBigEndian(a.sequence)
            out += a.linkHash
        }
        return out
    }

    static let linkMarker: UInt8 = 0xB1

    /// The chain link stored with a sealed row; nil for an unsealed one, an error for an unreadable one.
    static func link(of row: StoredAuditRow) throws -> AuditLink? {
        guard let chain = row.chain, let sequence = row.sequence, let bytes = row.link else { return nil }
        let parsed = bytes.first == linkMarker ? binaryLink(bytes) : jsonLink(bytes)
        guard let (record, prev, hash, anchors) = parsed else { throw AuditVerificationError.unreadableLink(chain: chain, sequence: sequence) }
        return AuditLink(chain: chain, sequence: sequence, recordHash: record, previousHash: prev, anchors: anchors, linkHash: hash)
    }

    private typealias LinkFields = (record: [UInt8], previous: [UInt8], hash: [UInt8], anchors: [AuditAnchor])

    private static func binaryLink(_ bytes: [UInt8]) -> LinkFields? {
        var at = 1
        func take(_ n: Int) -> ArraySlice<UInt8>? {
            guard bytes.count - at >= n else { return nil }
            defer { at += n }
            return bytes[at..<at + n]
        }
        guard let record = take(32), let prev = take(32), let hash = take(32), let count = take(1)?.first else { return nil }
        var anchors: [AuditAnchor] = []
        for _ in 0..<Int(count) {
            guard let length = take(2), let name = take(Int(UInt16(bigEndian: length))), let seq = take(8), let linkHash = take(32)
            else { return nil }
            anchors.append(AuditAnchor(chain: String(decoding: name, as: UTF8.self), sequence: Int64(bigEndian: seq), linkHash: Array(linkHash)))
        }
        return at == bytes.count ? (Array(record), Array(prev), Array(hash), anchors) : nil
    }

    /// Links written before the binary form.
    private static func jsonLink(_ bytes: [UInt8]) -> LinkFields? {
        guard let o = (try? JSONParser.parse(bytes))?.objectValue,
            let record = o["record"]?.stringValue.flatMap({ Base64URL.decode($0) }),
            let prev = o["prev"]?.stringValue.flatMap({ Base64URL.decode($0) }),
            let hash = o["hash"]?.stringValue.flatMap({ Base64URL.decode($0) })
        else { return nil }
        let anchors = (o["anchors"]?.arrayValue ?? []).compactMap { a -> AuditAnchor? in
            guard let c = a["chain"]?.stringValue, let s = a["seq"]?.numberValue?.intValue,
                let h = a["hash"]?.stringValue.flatMap({ Base64URL.decode($0) }) else { return nil }
            return AuditAnchor(chain: c, sequence: Int64(s), linkHash: h)
        }
        return (record, prev, hash, anchors)
    }
}

public enum AuditVerificationError: Error, Equatable {
    case unreadableLink(chain: String, sequence: Int64)
}

/// `kangqiao audit verify`: walks every chain and reports the first broken link of each.
public enum AuditVerifier {
    public struct Report: Sendable {
        public var chains: [String: Int]
        public var breaks: [AuditChainBreak]
        /// Records not chained yet (the sealer runs every second; many old ones mean it is not running).
        public var unsealed: Int
    }

    public static func verify(_ backend: any StoreBackend) async throws -> Report {
        var input: [String: [(link: AuditLink, actualRecordHash: [UInt8]?)]] = [:]
        var counts: [String: Int] = [:]
        var breaks: [AuditChainBreak] = []
        for chain in try await backend.auditChains() {
            var links: [(link: AuditLink, actualRecordHash: [UInt8]?)] = []
            for row in try await backend.auditChain(chain) {
                do {
                    guard let link = try AuditSealer.link(of: row) else { continue }
                    links.append((link, AuditChain.recordHash(row.row.record)))
                } catch {
                    breaks.append(AuditChainBreak(chain: chain, sequence: row.sequence ?? 0, reason: .linkChanged))
                    break
                }
            }
            input[chain] = links
            counts[chain] = links.count
        }
        let checkpoints = try await AuditRetention.checkpoints(backend)
        // A chain pruned to nothing still has its checkpoint: nothing left to verify in it.
        breaks += AuditChain.verify(input, checkpoints: checkpoints).filter { b in !breaks.contains { $0.chain == b.chain } }
        // Only the rows not chained yet (the partial index `audit_event_unsealed`), not the whole trail.
        let unsealed = try await backend.searchAudit(AuditQuery(limit: 1_000_000, unsealedOnly: true)).count
        return Report(chains: counts, breaks: breaks.sorted { ($0.chain, $0.sequence) < ($1.chain, $1.sequence) }, unsealed: unsealed)
    }
}
