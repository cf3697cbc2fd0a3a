import FHIRCore
import FHIRStore
import Testing

@testable import Access

/// R-SEC-2: the audit trail is tamper-evident. These tests change, delete and insert links and
/// records of in-memory chains; the storage tests do the same to rows in SQLite and PostgreSQL.
@Suite("Audit hash chain (R-SEC-2)")
struct AuditChainTests {
    typealias Chains = [String: [(link: AuditLink, actualRecordHash: [UInt8]?)]]

    func records(_ chain: String, _ n: Int) -> [[UInt8]] { (1...n).map { Array("\(chain) record \($0)".utf8) } }

    func build(_ chain: String, _ recs: [[UInt8]], anchorsAt: [Int: [AuditAnchor]] = [:]) -> [AuditLink] {
        var links: [AuditLink] = []
        for (i, r) in recs.enumerated() {
            links.append(AuditChain.link(after: links.last, chain: chain, recordHash: AuditChain.recordHash(r), anchors: anchorsAt[i] ?? []))
        }
        return links
    }

    func intact(_ chain: String, _ links: [AuditLink], _ recs: [[UInt8]]) -> Chains {
        [chain: zip(links, recs).map { ($0, AuditChain.recordHash($1)) }]
    }

    @Test("an untouched chain verifies")
    func intactChain() {
        let recs = records("a", 20)
        #expect(AuditChain.verify(intact("a", build("a", recs), recs)).isEmpty)
    }

    @Test("a changed record is found at its link")
    func changedRecord() {
        var recs = records("a", 20)
        let links = build("a", recs)
        recs[7] = Array("a record 8, edited".utf8)
        #expect(AuditChain.verify(intact("a", links, recs)) == [AuditChainBreak(chain: "a", sequence: 8, reason: .recordChanged)])
    }

    @Test("a record changed together with its link's record hash breaks the link hash")
    func changedLink() {
        var recs = records("a", 20)
        var links = build("a", recs)
        recs[4] = Array("forged".utf8)
        links[4].recordHash = AuditChain.recordHash(recs[4])
        #expect(AuditChain.verify(intact("a", links, recs)) == [AuditChainBreak(chain: "a", sequence: 5, reason: .linkChanged)])
    }

    @Test("a re-hashed forged link breaks the next link's pointer")
    func rehashedLink() {
        var recs = records("a", 20)
        var links = build("a", recs)
        recs[4] = Array("forged".utf8)
        links[4] = AuditChain.link(after: links[3], chain: "a", recordHash: AuditChain.recordHash(recs[4]))
        #expect(AuditChain.verify(intact("a", links, recs)) == [AuditChainBreak(chain: "a", sequence: 6, reason: .brokenLink)])
    }

    @Test("a deleted link leaves a gap; an inserted one breaks the sequence")
    func deletedAndInserted() {
        let recs = records("a", 20)
        var links = build("a", recs)
        var chains = intact("a", links, recs)
        chains["a"]?.remove(at: 11)
        #expect(AuditChain.verify(chains) == [AuditChainBreak(chain: "a", sequence: 12, reason: .gap)])
        let extra = AuditChain.link(after: links[2], chain: "a", recordHash: AuditChain.recordHash(Array("inserted".utf8)))
        links.insert(extra, at: 3)
        var withExtra = recs
        withExtra.insert(Array("inserted".utf8), at: 3)
        #expect(AuditChain.verify(intact("a", links, withExtra)) == [AuditChainBreak(chain: "a", sequence: 4, reason: .duplicate)])
    }

    @Test("a deleted record is reported as missing")
    func missingRecord() {
        let recs = records("a", 5)
        var chains = intact("a", build("a", recs), recs)
        chains["a"]?[2].actualRecordHash = nil
        #expect(AuditChain.verify(chains) == [AuditChainBreak(chain: "a", sequence: 3, reason: .recordMissing)])
    }

    @Test("a chain whose tail was cut is caught by the anchor another instance's chain kept")
    func crossAnchor() {
        let recsA = records("a", 10)
        let linksA = build("a", recsA)
        let recsB = records("b", 5)
        let linksB = build("b", recsB, anchorsAt: [3: [AuditAnchor(chain: "a", sequence: 9, linkHash: linksA[8].linkHash)]])
        var chains = intact("a", linksA, recsA)
        chains["b"] = zip(linksB, recsB).map { ($0, AuditChain.recordHash($1)) }
        #expect(AuditChain.verify(chains).isEmpty)
        // Cut a's last two links: a itself still verifies, but b anchored a's link 9.
        chains["a"]?.removeLast(2)
        #expect(AuditChain.verify(chains) == [AuditChainBreak(chain: "a", sequence: 9, reason: .anchorMismatch)])
    }

    @Test("a stored link reads back whole, binary or in the JSON written before it; damaged bytes are refused")
    func storedLinks() throws {
        let anchors = [AuditAnchor(chain: "实例-b", sequence: 70_000, linkHash: Array(repeating: 7, count: 32)),
                       AuditAnchor(chain: String(repeating: "c", count: 300), sequence: 1, linkHash: Array(repeating: 9, count: 32))]
        let links = build("a", records("a", 3), anchorsAt: [1: anchors])
        func row(_ link: AuditLink, _ bytes: [UInt8]) -> StoredAuditRow {
            StoredAuditRow(aid: 1, row: AuditRow(recorded: 0, action: "read", outcome: 0, actor: nil, organization: nil, source: nil, patients: [],
                                                 record: []), chain: link.chain, sequence: link.sequence, link: bytes)
        }
        for link in links {
            let stored = AuditSealer.encode(link)
            #expect(try AuditSealer.link(of: row(link, stored)) == link)
            #expect(link.anchors.isEmpty ? stored.count == 98 : stored.count < 98 + 2 * (2 + 300 + 8 + 32))
            for n in [1, 50, stored.count - 1] {
                #expect(throws: AuditVerificationError.self) { try AuditSealer.link(of: row(link, Array(stored.prefix(n)))) }
            }
            #expect(throws: AuditVerificationError.self) { try AuditSealer.link(of: row(link, stored + [0])) }
        }
        // The JSON form of stops before this one.
        let link = links[1]
        let json = JSONWriter.bytes(.object(JSONObject([
            ("record", .string(Base64URL.encode(link.recordHash))), ("prev", .string(Base64URL.encode(link.previousHash))),
            ("anchors", .array(link.anchors.map { a in
                .object(JSONObject([("chain", .string(a.chain)), ("seq", .number(JSONNumber(Int(a.sequence)))),
                                    ("hash", .string(Base64URL.encode(a.linkHash)))]))
            })),
            ("hash", .string(Base64URL.encode(link.linkHash))),
        ])))
        #expect(try AuditSealer.link(of: row(link, json)) == link)
    }
}
