@testable import Access
import FHIRCore
@testable import FHIRStore
import Foundation
import KangqiaoServer
import Testing

/// R-SEC-2: every access and change leaves an audit record; the trail is hash-chained and
/// `AuditVerifier` finds a changed, deleted or inserted row.
@Suite("Audit trail (R-SEC-2)")
struct AuditTrailTests {
    static let patient = #"{"resourceType":"Patient","name":[{"family":"李","given":["娜"]}]}"#

    func all(_ backend: any StoreBackend) async throws -> [StoredAuditRow] {
        try await backend.searchAudit(AuditQuery(limit: 10_000)).reversed()
    }

    @Test("create, read, search, a refusal and an unauthenticated call each leave one record with who, what, patients and outcome",
          arguments: ServerBackendKind.allCases)
    func recorded(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            let id = try #require(try await fhir.post("/fhir/Patient", Self.patient).json["id"]?.stringValue)
            #expect(try await fhir.get("/fhir/Patient/\(id)").status == 200)
            #expect(try await fhir.get("/fhir/Patient?name=李").status == 200)
            #expect(try await fhir.get("/fhir/Nonsense").status >= 400)
            #expect(try await fhir.anonymous.get("/fhir/Patient/\(id)").status == 401)
            if let journaling = runtime.backend as? any AuditJournaling {
                // Counted out again, refusals too: a count left behind would hold every later sync.
                #expect(journaling.requestsInProgress.current == 0)
            }
            let rows = try await all(runtime.backend)
            #expect(rows.map(\.row.action) == ["create", "read", "search", "refused", "unauthenticated"])
            #expect(rows.map(\.row.outcome) == [0, 0, 0, 4, 4])
            #expect(rows.prefix(4).allSatisfy { $0.row.actor == TestDatabases.suiteClient })
            #expect(rows[4].row.actor == nil)
            #expect(rows.prefix(3).allSatisfy { $0.row.patients == ["Patient/\(id)"] })
            // Their patients are kept once, in the compact record: the column stays empty.
            #expect(try await Self.integer(runtime.backend, "SELECT count(*) FROM audit_event WHERE patients IS NULL") == 5)
            let search = try #require(try JSONParser.parse(AuditFacts.eventJSON(record: rows[2].row.record)).objectValue)
            #expect(search["resourceType"] == "AuditEvent")
            let described = search["entity"]?.arrayValue?.compactMap { $0["description"]?.stringValue } ?? []
            #expect(described.contains { $0.hasPrefix("GET /fhir/Patient?name=") }, "a search records its query")
            // The patient's access log: every record about them, newest first.
            let log = try await runtime.backend.searchAudit(AuditQuery(patient: "Patient/\(id)"))
            #expect(log.map(\.row.action) == ["search", "read", "create"])
        }
    }

    @Test("a failed transaction leaves no record of its writes, only the refusal", arguments: ServerBackendKind.allCases)
    func failedTransaction(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            let bundle = """
                {"resourceType":"Bundle","type":"transaction","entry":[
                {"resource":\(Self.patient),"request":{"method":"POST","url":"Patient"}},
                {"resource":{"resourceType":"Patient","id":"p-x"},"request":{"method":"PUT","url":"Patient/p-x","ifMatch":"W/\\"3\\""}}]}
                """
            let r = try await fhir.post("/fhir", bundle)
            #expect(r.status == 412)
            let rows = try await all(runtime.backend)
            #expect(rows.map(\.row.action) == ["refused"])
            #expect(try await fhir.get("/fhir/Patient?_summary=count").json["total"] == 0)
        }
    }

    @Test("sealed chains verify; a changed, deleted or inserted row is found at its link", arguments: ServerBackendKind.allCases)
    func tamperEvidence(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            for i in 0..<6 {
                let id = try #require(try await fhir.post("/fhir/Patient", Self.patient).json["id"]?.stringValue)
                _ = try await fhir.get("/fhir/Patient/\(id)?n=\(i)")
            }
            let backend = runtime.backend
            let sealer = AuditSealer(backend: backend, chain: "instance-a")
            #expect(try await sealer.sealPending() == 12)
            let clean = try await AuditVerifier.verify(backend)
            #expect(clean.breaks.isEmpty && clean.chains["instance-a"] == 12 && clean.unsealed == 0)
            let rows = try await backend.auditChain("instance-a")

            // 1. Change a record (the actor of link 4).
            // The account's name, same length, one letter different: the record still reads as valid.
            let original = rows[3].row.record
            let name = Array(TestDatabases.suiteClient.utf8)
            let at = try #require((0...(original.count - name.count)).first { original[$0..<$0 + name.count].elementsEqual(name) })
            var edited = original
            edited[at] = edited[at] == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")
            #expect(AuditFacts(compact: edited)?.account != nil && AuditFacts(compact: edited)?.account != AuditFacts(compact: original)?.account)
            try await Self.execute(backend, sqlite: "UPDATE audit_event SET record = ?1 WHERE aid = ?2",
                                   postgres: "UPDATE audit_event SET record = $1 WHERE aid = $2", [.blob(edited), .int(rows[3].aid)])
            #expect(try await AuditVerifier.verify(backend).breaks == [AuditChainBreak(chain: "instance-a", sequence: 4, reason: .recordChanged)])
            try await Self.execute(backend, sqlite: "UPDATE audit_event SET record = ?1 WHERE aid = ?2",
                                   postgres: "UPDATE audit_event SET record = $1 WHERE aid = $2", [.blob(rows[3].row.record), .int(rows[3].aid)])
            #expect(try await AuditVerifier.verify(backend).breaks.isEmpty)

            // 2. Delete a row in the middle.
            try await Self.execute(backend, sqlite: "DELETE FROM audit_event WHERE aid = ?1", postgres: "DELETE FROM audit_event WHERE aid = $1",
                                   [.int(rows[6].aid)])
            #expect(try await AuditVerifier.verify(backend).breaks == [AuditChainBreak(chain: "instance-a", sequence: 7, reason: .gap)])

            // 3. Insert a forged row in its place, with a plausible link copied from a neighbour.
            try await Self.execute(
                backend,
                sqlite: "INSERT INTO audit_event (recorded, action, outcome, actor, record, chain, seq, link) VALUES (?1, 'read', 0, 'x', ?2, 'instance-a', 7, ?3)",
                postgres: "INSERT INTO audit_event (recorded, action, outcome, actor, record, chain, seq, link) VALUES ($1, 'read', 0, 'x', $2, 'instance-a', 7, $3)",
                [.int(rows[6].row.recorded), .blob(Array(#"{"resourceType":"AuditEvent"}"#.utf8)), .blob(rows[6].link ?? [])])
            #expect(try await AuditVerifier.verify(backend).breaks == [AuditChainBreak(chain: "instance-a", sequence: 7, reason: .recordChanged)])
        }
    }

    @Test("two instances seal into their own chains, anchored to each other; cutting one's tail breaks the anchor",
          arguments: ServerBackendKind.allCases)
    func crossAnchoredChains(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            let backend = runtime.backend
            _ = try await fhir.post("/fhir/Patient", Self.patient)
            try await AuditSealer(backend: backend, chain: "a").sealPending()
            _ = try await fhir.post("/fhir/Patient", Self.patient)
            _ = try await fhir.post("/fhir/Patient", Self.patient)
            try await AuditSealer(backend: backend, chain: "a").sealPending()
            _ = try await fhir.post("/fhir/Patient", Self.patient)
            try await AuditSealer(backend: backend, chain: "b").sealPending()
            let report = try await AuditVerifier.verify(backend)
            #expect(report.breaks.isEmpty && report.chains == ["a": 3, "b": 1])
            let a = try await backend.auditChain("a")
            try await Self.execute(backend, sqlite: "DELETE FROM audit_event WHERE aid = ?1", postgres: "DELETE FROM audit_event WHERE aid = $1",
                                   [.int(a[2].aid)])
            #expect(try await AuditVerifier.verify(backend).breaks == [AuditChainBreak(chain: "a", sequence: 3, reason: .anchorMismatch)])
        }
    }

    @Test("reads are chained as they reach the trail (SQLite) or by the sealer's rounds (PostgreSQL), among the writes' records, in one chain without gaps",
          arguments: ServerBackendKind.allCases)
    func readsSealedOnImport(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            let backend = runtime.backend
            let sealer = AuditSealer(backend: backend, chain: "instance-j")
            await sealer.sealJournalImports()
            let id = try #require(try await fhir.post("/fhir/Patient", Self.patient).json["id"]?.stringValue)
            for i in 0..<5 { #expect(try await fhir.get("/fhir/Patient/\(id)?n=\(i)").status == 200) }
            if let journaling = backend as? any AuditJournaling {
                // Imported and chained at once: only the create's record (written in its own transaction) waits.
                try await journaling.importAuditJournal()
                let unsealed = try await backend.searchAudit(AuditQuery(limit: 100, unsealedOnly: true))
                #expect(unsealed.map(\.row.action) == ["create"])
            }
            try await sealer.sealPending()
            let report = try await AuditVerifier.verify(backend)
            #expect(report.breaks.isEmpty && report.chains["instance-j"] == 6 && report.unsealed == 0)
            #expect(try await backend.auditChain("instance-j").map(\.sequence) == (1...6).map { Int64($0) })
            // Concurrent reads (several groups) and creates, with the sealer's rounds running between
            // them: one chain without gaps or repeats.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        if i % 10 == 0 { _ = try await fhir.post("/fhir/Patient", Self.patient) }
                        #expect(try await fhir.get("/fhir/Patient/\(id)?m=\(i)").status == 200)
                    }
                }
                group.addTask { for _ in 0..<5 { try await sealer.sealPending() } }
                try await group.waitForAll()
            }
            if let journaling = backend as? any AuditJournaling { try await journaling.importAuditJournal() }
            try await sealer.sealPending()
            let after = try await AuditVerifier.verify(backend)
            #expect(after.breaks.isEmpty && after.unsealed == 0 && after.chains["instance-j"] == 6 + 40 + 4)
            #expect(try await backend.auditChain("instance-j").map(\.sequence) == (1...50).map { Int64($0) })
        }
    }

    /// Runs SQL directly on the database behind the store, as an intruder with database access would.
    /// An integer query on the rows as stored (the same SQL on both backends).
    static func integer(_ backend: any StoreBackend, _ sql: String) async throws -> Int64? {
        if let db = backend as? SQLiteBackend {
            var value: Int64?
            try SQLiteConnection(path: db.path).query(sql) { value = $0.int(0) }
            return value
        } else if let pg = backend as? PostgresBackend {
            return try await pg.integerForTests(sql)
        }
        return nil
    }

    static func execute(_ backend: any StoreBackend, sqlite: String, postgres: String, _ binds: [SQLValue]) async throws {
        if let db = backend as? SQLiteBackend {
            let conn = try SQLiteConnection(path: db.path)
            try conn.run(sqlite, binds)
        } else if let pg = backend as? PostgresBackend {
            try await pg.executeForTests(postgres, binds)
        }
    }
}

/// R-SEC-2 retention: old records can be pruned from the start of a chain, never below 183 days, and
/// what remains still verifies from the kept checkpoint.
@Suite("Audit retention")
struct AuditRetentionTests {
    @Test("pruning keeps a checkpoint so the rest verifies; a missing or altered checkpoint is found", arguments: ServerBackendKind.allCases)
    func prune(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            let backend = runtime.backend
            for _ in 0..<10 {
                _ = try await fhir.post("/fhir/Patient", AuditTrailTests.patient)
                try await Task.sleep(for: .milliseconds(3))  // distinct recording times
            }
            try await AuditSealer(backend: backend, chain: "r").sealPending()
            let rows = try await backend.auditChain("r")
            #expect(rows.count == 10)
            await #expect(throws: AccessDenied.self) { try await AuditRetention.prune(backend, olderThanDays: 30, nowMillis: 0) }
            #expect(try await AuditRetention.prune(backend, recordedBefore: rows[5].row.recorded + 1) == 6)
            let left = try await backend.auditChain("r")
            #expect(left.first.map { $0.sequence ?? 0 } ?? 0 > 1 && left.last?.sequence == 10)
            #expect(try await AuditVerifier.verify(backend).breaks.isEmpty)
            // Without the checkpoint the pruned start is a gap; an altered checkpoint breaks the next link.
            let saved = try #require(try await backend.privateRecord(kind: AuditRetention.checkpointKind, key: "r"))
            try await backend.write { tx in try await tx.deletePrivateRecord(kind: AuditRetention.checkpointKind, key: "r") }
            #expect(try await AuditVerifier.verify(backend).breaks == [AuditChainBreak(chain: "r", sequence: 1, reason: .gap)])
            let forged = String(decoding: saved, as: UTF8.self).replacingOccurrences(of: #""hash":"A"#, with: #""hash":"B"#)
                .replacingOccurrences(of: #""hash":""#, with: #""hash":"C"#)
            try await backend.write { tx in try await tx.putPrivateRecord(kind: AuditRetention.checkpointKind, key: "r", value: Array(forged.utf8)) }
            let first = try #require(left.first?.sequence)
            #expect(try await AuditVerifier.verify(backend).breaks == [AuditChainBreak(chain: "r", sequence: first, reason: .brokenLink)])
        }
    }
}
