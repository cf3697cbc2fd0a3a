import Crypto

/// The head of another chain as seen when a link was written (cross-anchoring): with several
/// `kangqiao serve` instances on one database, each writes its own chain and regularly records the
/// others' heads, so cutting the tail off one chain contradicts an anchor kept in another.
public struct AuditAnchor: Sendable, Equatable {
    public var chain: String
    public var sequence: Int64
    public var linkHash: [UInt8]

    public init(chain: String, sequence: Int64, linkHash: [UInt8]) {
        self.chain = chain
        self.sequence = sequence
        self.linkHash = linkHash
    }
}

/// One link of an append-only audit chain (R-SEC-2, tamper-evident): the hash of the audit
/// record's stored bytes, chained to the previous link of the same chain.
public struct AuditLink: Sendable, Equatable {
    public var chain: String
    /// 1, 2, 3 … without gaps within a chain: a deleted row leaves a gap.
    public var sequence: Int64
    public var recordHash: [UInt8]
    public var previousHash: [UInt8]
    public var anchors: [AuditAnchor]
    public var linkHash: [UInt8]

    public init(chain: String, sequence: Int64, recordHash: [UInt8], previousHash: [UInt8], anchors: [AuditAnchor], linkHash: [UInt8]) {
        self.chain = chain
        self.sequence = sequence
        self.recordHash = recordHash
        self.previousHash = previousHash
        self.anchors = anchors
        self.linkHash = linkHash
    }
}

/// Where a chain is broken, and how.
public struct AuditChainBreak: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// The record's bytes no longer hash to what the link recorded (a changed row).
        case recordChanged = "record changed"
        /// The link's own hash does not match its fields (a changed link).
        case linkChanged = "link changed"
        /// The link does not point at the previous link's hash (an inserted or replaced row).
        case brokenLink = "broken link"
        /// A sequence number is missing (a deleted row).
        case gap = "missing link"
        /// A sequence number repeats or goes back (an inserted row).
        case duplicate = "repeated link"
        /// Another chain anchored a head of this chain that is not there (a cut tail or a rewrite).
        case anchorMismatch = "anchor mismatch"
        /// The link's record is gone.
        case recordMissing = "record missing"
    }

    public var chain: String
    public var sequence: Int64
    public var reason: Reason

    public var description: String { "chain \(chain), link \(sequence): \(reason.rawValue)" }
}

public enum AuditChain {
    public static let genesis = [UInt8](repeating: 0, count: 32)

    public static func recordHash(_ bytes: [UInt8]) -> [UInt8] { [UInt8](SHA256.hash(data: bytes)) }

    /// The hash of a link over every field, with lengths, so no two different links serialize alike.
    public static func linkHash(chain: String, sequence: Int64, recordHash: [UInt8], previousHash: [UInt8], anchors: [AuditAnchor]) -> [UInt8] {
        var h = SHA256()
        func field(_ bytes: [UInt8]) {
            h.update(data: withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { [UInt8]($0) })
            h.update(data: bytes)
        }
        field(Array("kangqiao-audit-link-v1".utf8))
        field(Array(chain.utf8))
        field(withUnsafeBytes(of: sequence.bigEndian) { [UInt8]($0) })
        field(recordHash)
        field(previousHash)
        for a in anchors {
            field(Array(a.chain.utf8))
            field(withUnsafeBytes(of: a.sequence.bigEndian) { [UInt8]($0) })
            field(a.linkHash)
        }
        return [UInt8](h.finalize())
    }

    /// The link that appends a record with `recordHash` after `previous` (nil: the chain's first link).
    public static func link(after previous: AuditLink?, chain: String, recordHash: [UInt8], anchors: [AuditAnchor] = []) -> AuditLink {
        let sequence = (previous?.sequence ?? 0) + 1
        let prev = previous?.linkHash ?? genesis
        return AuditLink(
            chain: chain, sequence: sequence, recordHash: recordHash, previousHash: prev, anchors: anchors,
            linkHash: linkHash(chain: chain, sequence: sequence, recordHash: recordHash, previousHash: prev, anchors: anchors))
    }

    /// Walks every chain (links in sequence order) and returns the first break of each, checking the
    /// record hashes recomputed from the stored records (`actualRecordHash`, nil when the record is
    /// gone), the link hashes, the sequence, the links between them and the anchors across chains.
    /// `checkpoints`: per chain, the last link pruned by retention (its sequence and hash): the chain
    /// then starts right after it, and anchors to pruned links are not checked.
    public static func verify(
        _ chains: [String: [(link: AuditLink, actualRecordHash: [UInt8]?)]], checkpoints: [String: AuditAnchor] = [:]
    ) -> [AuditChainBreak] {
        var breaks: [AuditChainBreak] = []
        var heads: [String: [Int64: [UInt8]]] = [:]
        for (chain, links) in chains {
            var table: [Int64: [UInt8]] = [:]
            for entry in links { table[entry.link.sequence] = entry.link.linkHash }
            heads[chain] = table
        }
        for chain in chains.keys.sorted() {
            guard let links = chains[chain] else { continue }
            var previous: AuditLink? = checkpoints[chain].map {
                AuditLink(chain: chain, sequence: $0.sequence, recordHash: [], previousHash: [], anchors: [], linkHash: $0.linkHash)
            }
            for (link, actual) in links {
                func broken(_ reason: AuditChainBreak.Reason) { breaks.append(AuditChainBreak(chain: chain, sequence: link.sequence, reason: reason)) }
                let expectedSequence = (previous?.sequence ?? 0) + 1
                if link.sequence > expectedSequence {
                    breaks.append(AuditChainBreak(chain: chain, sequence: expectedSequence, reason: .gap))
                    break
                }
                if link.sequence < expectedSequence { broken(.duplicate); break }
                guard let actual else { broken(.recordMissing); break }
                if actual != link.recordHash { broken(.recordChanged); break }
                let expected = linkHash(chain: link.chain, sequence: link.sequence, recordHash: link.recordHash,
                                        previousHash: link.previousHash, anchors: link.anchors)
                if expected != link.linkHash || link.chain != chain { broken(.linkChanged); break }
                if link.previousHash != (previous?.linkHash ?? genesis) { broken(.brokenLink); break }
                previous = link
            }
        }
        // Anchors: every head recorded in one chain must still be in the chain it names.
        for chain in chains.keys.sorted() {
            for (link, _) in chains[chain] ?? [] {
                for a in link.anchors where heads[a.chain]?[a.sequence] != a.linkHash && a.sequence > (checkpoints[a.chain]?.sequence ?? 0) {
                    if !breaks.contains(where: { $0.chain == a.chain }) {
                        breaks.append(AuditChainBreak(chain: a.chain, sequence: a.sequence, reason: .anchorMismatch))
                    }
                }
            }
        }
        return breaks
    }
}
