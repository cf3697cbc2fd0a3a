import Foundation
import Testing

@testable import FHIRStore

/// R-SEC-2: the audit records of reads go to a journal beside the SQLite database, durably before the
/// read is answered, and from there into `audit_event` exactly once, whatever a crash interrupted.
@Suite("SQLite audit journal (R-SEC-2)")
struct SQLiteAuditJournalTests {
    private func databasePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kq-journal-\(UUID().uuidString)/db.sqlite").path
    }

    /// A migrated backend on `path` (migrating imports what its journal holds).
    private func opened(_ path: String) async throws -> SQLiteBackend {
        let db = try SQLiteBackend(path: path)
        try await db.migrate()
        return db
    }

    private func row(_ n: Int, patients: [String]? = nil, actor: String? = "client-a") -> AuditRow {
        AuditRow(
            recorded: 1_700_000_000_000 + Int64(n), action: n % 2 == 0 ? "read" : "search", outcome: n % 3 == 0 ? 4 : 0, actor: actor,
            organization: n % 2 == 0 ? "Organization/杭州一院" : nil, source: "10.0.0.\(n % 250)",
            patients: patients ?? ["Patient/p\(n)"], record: Array(#"{"resourceType":"AuditEvent","n":\#(n),"text":"读取"}"#.utf8))
    }

    @Test("a row survives the journal's encoding unchanged, and a damaged payload is refused")
    func codec() throws {
        let rows = [
            row(1), row(2, patients: []), row(3, patients: ["Patient/a", "Patient/b"], actor: nil),
            AuditRow(recorded: -1, action: "", outcome: 12, actor: "", organization: "", source: nil, patients: [""], record: []),
        ]
        for r in rows {
            let bytes = AuditRowCodec.encode(r)
            #expect(AuditRowCodec.decode(bytes) == r)
            #expect(AuditRowCodec.decode(Array(bytes.dropLast())) == nil)
            #expect(AuditRowCodec.decode(bytes + [0]) == nil)
        }
        #expect(AuditRowCodec.decode([3] + AuditRowCodec.encode(row(1)).dropFirst()) == nil, "an unknown version is refused")

        // A compact record's patients are not repeated in the frame, and come back from the record.
        let facts = AuditFacts(
            recorded: 5, requestId: nil, action: "search", outcome: 0, detail: nil, changeReason: nil, roles: "system", fhirUser: nil,
            account: "client-a", sourceAddress: nil, purpose: nil, breakGlass: false, patients: (1...20).map { "Patient/p\($0)" },
            entities: [], moreEntities: 0, requestLine: "GET /fhir/Patient?family=王")
        let compact = AuditRow(recorded: 5, action: "search", outcome: 0, actor: "client-a", organization: nil, source: nil,
                               patients: facts.patients, record: facts.encoded)
        let frame = AuditRowCodec.encode(compact)
        #expect(AuditRowCodec.decode(frame) == compact)
        #expect(frame.count < facts.encoded.count + 64)
        #expect(AuditRowCodec.decode(Array(frame.dropLast())) == nil)

        // A frame written before version 2 (no byte before the patients) is still read.
        let listed = row(3, patients: ["Patient/a", "Patient/b"])
        let v2 = AuditRowCodec.encode(listed)
        let tail = 8 + listed.patients.reduce(0) { $0 + 4 + $1.utf8.count } + 4 + listed.record.count
        let flag = v2.count - tail - 1
        #expect(v2[flag] == 0)
        let v1 = [1] + v2[1..<flag] + v2[(flag + 1)...]
        #expect(AuditRowCodec.decode(Array(v1)) == listed)
    }

    @Test("appended records are in the trail's searches as soon as the append returns")
    func appendThenSearch() async throws {
        let db = try await opened(databasePath())
        try await db.appendAuditDurably([row(1), row(2)])
        try await db.appendAuditDurably([row(3)])
        let found = try await db.searchAudit(AuditQuery(limit: 10))
        #expect(found.map(\.row).sorted { $0.recorded < $1.recorded } == [row(1), row(2), row(3)])
        #expect(try await db.searchAudit(AuditQuery(patient: "Patient/p2", limit: 10)).map(\.row) == [row(2)])
        await db.close()
    }

    @Test("what a crash left in the journal is imported at the next start, exactly once; a torn last frame is cut off")
    func recovery() async throws {
        let path = databasePath()
        do {
            let db = try await opened(path)
            try await db.appendAuditDurably([row(1)])
            _ = try await db.searchAudit(AuditQuery(limit: 1))  // imported: its position is committed
            await db.close()
        }
        // As a killed process leaves it: two durable frames not imported yet, then half of a third,
        // written where the frames end (into the zeros the journal writes ahead of them).
        let segment = try #require(try SQLiteAuditJournal.segments(in: path + "-audit").last)
        let segmentPath = SQLiteAuditJournal.path(path + "-audit", segment)
        let framesEnd = try SQLiteAuditJournal.validEnd(path: segmentPath)
        let file = try #require(FileHandle(forWritingAtPath: segmentPath))
        var frames: [UInt8] = []
        SQLiteAuditJournal.appendFrame(AuditRowCodec.encode(row(2)), to: &frames)
        SQLiteAuditJournal.appendFrame(AuditRowCodec.encode(row(3)), to: &frames)
        var torn: [UInt8] = []
        SQLiteAuditJournal.appendFrame(AuditRowCodec.encode(row(4)), to: &torn)
        try file.seek(toOffset: UInt64(framesEnd))
        try file.write(contentsOf: Data(frames + torn.prefix(torn.count / 2)))
        try file.close()

        let db = try await opened(path)
        #expect(try await db.searchAudit(AuditQuery(limit: 10)).map(\.row.recorded).sorted() == [row(1), row(2), row(3)].map(\.recorded))
        // New appends follow the valid frames, and reopening imports nothing twice.
        try await db.appendAuditDurably([row(5)])
        await db.close()
        let again = try await opened(path)
        #expect(try await again.searchAudit(AuditQuery(limit: 10)).map(\.row.recorded).sorted() == [1, 2, 3, 5].map { row($0).recorded })
        await again.close()
    }

    @Test("a segment is written with zeros ahead of its frames, so appends overwrite blocks it has instead of growing it")
    func preallocated() async throws {
        let path = databasePath()
        let db = try await opened(path)
        try await db.appendAuditDurably([row(1)])
        let segment = try #require(try SQLiteAuditJournal.segments(in: path + "-audit").last)
        let segmentPath = SQLiteAuditJournal.path(path + "-audit", segment)
        func size() throws -> Int64 { try #require(try FileManager.default.attributesOfItem(atPath: segmentPath)[.size] as? Int64) }
        let first = try size()
        let framesEnd = try SQLiteAuditJournal.validEnd(path: segmentPath)
        #expect(first >= framesEnd + SQLiteAuditJournal.preallocation)
        for n in 2...50 { try await db.appendAuditDurably([row(n)]) }
        #expect(try size() == first, "50 small appends stay within the zeros written ahead")
        #expect(try SQLiteAuditJournal.validEnd(path: segmentPath) > framesEnd)
        #expect(try await db.searchAudit(AuditQuery(limit: 100)).count == 50)
        await db.close()
    }

    @Test("segments roll over at their limit, are imported in order and deleted once imported")
    func segments() async throws {
        let path = databasePath()
        let db = try await opened(path)
        // A journal of small segments on the same directory would conflict with the backend's own: test
        // the rollover on a journal of another database, then import through the backend's code.
        let other = databasePath()
        let journal = try #require(try SQLiteAuditJournal(databasePath: other, segmentLimit: 300))
        for n in 0..<8 { try await journal.append([row(n)]) }
        let made = try SQLiteAuditJournal.segments(in: other + "-audit")
        #expect(made.count >= 4, "segments: \(made)")
        var read: [AuditRow] = []
        for s in made { read += try SQLiteAuditJournal.frames(path: SQLiteAuditJournal.path(other + "-audit", s), from: 0).map(\.row) }
        #expect(read == (0..<8).map { row($0) })

        let importer = SQLiteAuditImport(journal: journal)
        #expect(try await importer.importPending(into: db) == 8)
        #expect(try await importer.importPending(into: db) == 0)
        #expect(try await db.searchAudit(AuditQuery(limit: 20)).map(\.row.recorded).sorted() == (0..<8).map { row($0).recorded })
        #expect(try SQLiteAuditJournal.segments(in: other + "-audit") == [made.last!], "imported segments are deleted")
        journal.release()
        await db.close()
    }

    @Test("concurrent appends while imports run: every record lands exactly once")
    func concurrentAppendsAndImports() async throws {
        let db = try await opened(databasePath())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for n in 0..<150 { try await db.appendAuditDurably([row(task * 1_000 + n)]) }
                }
            }
            // Searches import as they go, beside the background import.
            group.addTask {
                for _ in 0..<20 {
                    _ = try await db.searchAudit(AuditQuery(limit: 1))
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            try await group.waitForAll()
        }
        let all = try await db.searchAudit(AuditQuery(limit: 10_000))
        #expect(all.count == 1_200)
        #expect(Set(all.map(\.row.recorded)).count == 1_200, "no record twice")
        await db.close()
    }

    @Test("a second process on the same database gets no journal and appends through its transactions")
    func secondOwner() async throws {
        let path = databasePath()
        let first = try await opened(path)
        let second = try await opened(path)
        #expect(try SQLiteAuditJournal(databasePath: path) == nil, "the journal is locked by its owner")
        try await second.appendAuditDurably([row(7)])
        try await first.appendAuditDurably([row(8)])
        #expect(try await first.searchAudit(AuditQuery(limit: 10)).map(\.row.recorded).sorted() == [row(7), row(8)].map(\.recorded))
        await second.close()
        await first.close()
        // Closed, the owner gives the journal up.
        let third = try #require(try SQLiteAuditJournal(databasePath: path))
        third.release()
    }

    @Test("an append after close fails rather than being lost")
    func appendAfterClose() async throws {
        let db = try await opened(databasePath())
        await db.close()
        await #expect(throws: StoreError.self) { try await db.appendAuditDurably([row(1)]) }
    }

    @Test("a sync waits for more records only while another request in progress could still add one")
    func syncDueRule() {
        let last = ContinuousClock.now
        let spaced = last + SQLiteAuditJournal.syncSpacing
        let late = last + .milliseconds(2)
        // No deadline (nobody said what their request took): the spacing alone.
        #expect(SQLiteAuditJournal.syncDue(lastSync: last, deadline: nil, waiting: 1, inProgress: 5) == spaced)
        // Two of five requests waiting: the others may join until the deadline.
        #expect(SQLiteAuditJournal.syncDue(lastSync: last, deadline: late, waiting: 2, inProgress: 5) == late)
        // Every request in progress waits (or none is counted, outside a server): nothing to wait for.
        #expect(SQLiteAuditJournal.syncDue(lastSync: last, deadline: late, waiting: 5, inProgress: 5) == spaced)
        #expect(SQLiteAuditJournal.syncDue(lastSync: last, deadline: late, waiting: 1, inProgress: 0) == spaced)
        // A deadline before the spacing does not bring the sync forward.
        #expect(SQLiteAuditJournal.syncDue(lastSync: last, deadline: last, waiting: 1, inProgress: 5) == spaced)

        // Patience: ten times the request's handling, within the longest.
        #expect(SQLiteAuditJournal.patience(after: .microseconds(15)) == .microseconds(150))
        #expect(SQLiteAuditJournal.patience(after: .microseconds(180)) == .microseconds(1_800))
        #expect(SQLiteAuditJournal.patience(after: .seconds(1)) == SQLiteAuditJournal.longestPatience)
    }

    @Test("a slow request's record is held for others while they are in progress, and still answered durably")
    func heldForOthers() async throws {
        let path = databasePath()
        let requests = RequestsInProgress()
        let journal = try #require(try SQLiteAuditJournal(databasePath: path, requestsInProgress: requests))
        // Itself and another request in progress, which appends nothing: the sync waits for the deadline.
        requests.begin()
        requests.begin()
        let clock = ContinuousClock()
        let start = clock.now
        try await journal.append([row(1)], requestStarted: start - .seconds(1))
        #expect(clock.now - start >= SQLiteAuditJournal.longestPatience)
        #expect(try SQLiteAuditJournal.frames(path: SQLiteAuditJournal.path(path + "-audit", 1), from: 0).map(\.row) == [row(1)])
        requests.end()
        requests.end()
        journal.release()
    }
}
