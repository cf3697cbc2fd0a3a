import Foundation
import Synchronization
import Testing

@testable import FHIRStore

/// The writer commits without syncing and `SQLiteWALSync` answers callers after syncing the WAL:
/// these tests check that the writer really runs that way and that a sync failure reaches the caller.
@Suite("SQLite durable commit (WAL synced off the writer)")
struct SQLiteWALSyncTests {
    private func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kq-walsync-\(UUID().uuidString)").path
    }

    @Test("the writer commits with synchronous=NORMAL and the checkpointer with FULL, the WAL being synced by us")
    func pragmas() async throws {
        let path = temporaryPath() + "/db.sqlite"
        let db = try SQLiteBackend(path: path)
        try await db.migrate()
        try await db.write { tx in
            let conn = try #require((tx as? SQLiteTransaction)?.conn)
            var mode: Int64 = -1
            try conn.query("PRAGMA synchronous") { mode = $0.int(0) }
            #expect(mode == 1, "writer must be NORMAL (1): its WAL is synced by SQLiteWALSync")
            var journal = ""
            try conn.query("PRAGMA journal_mode") { journal = $0.text(0) ?? "" }
            #expect(journal == "wal")
        }
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        await db.close()
    }

    @Test("every answer comes after a sync of the WAL, in one batch when they arrive together")
    func answersAfterSync() async throws {
        let dir = temporaryPath()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/db.sqlite"
        FileManager.default.createFile(atPath: path + "-wal", contents: Data("frames".utf8))
        let sync = SQLiteWALSync(databasePath: path)
        let answered = Mutex<[Bool]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let remaining = Mutex(50)
            let answers: [@Sendable (Error?) -> Void] = (0..<50).map { _ in
                { error in
                    answered.withLock { $0.append(error == nil) }
                    if remaining.withLock({ $0 -= 1; return $0 }) == 0 { done.resume() }
                }
            }
            sync.answerWhenDurable(Array(answers[..<25]))
            sync.answerWhenDurable(Array(answers[25...]))
        }
        #expect(answered.withLock { $0 } == Array(repeating: true, count: 50))
    }

    @Test("a WAL that cannot be synced fails every waiting caller instead of acknowledging them")
    func syncFailureIsReported() async throws {
        let sync = SQLiteWALSync(databasePath: temporaryPath() + "/missing/db.sqlite")
        let error: Error? = await withCheckedContinuation { (done: CheckedContinuation<Error?, Never>) in
            sync.answerWhenDurable([{ done.resume(returning: $0) }])
        }
        let storeError = try #require(error as? StoreError)
        guard case .database(let message) = storeError else {
            Issue.record("expected a database error, got \(storeError)")
            return
        }
        #expect(message.contains("write-ahead log"))
    }
}
