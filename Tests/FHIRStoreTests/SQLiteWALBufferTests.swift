import CSQLite
import Foundation
import Testing

@testable import FHIRStore

/// The writer's write-ahead log goes through the `kangqiao-walbuffer` VFS (its frames gathered into a
/// few large writes per commit) and is started over by the writer when the checkpointer asks: what
/// another connection reads must be exactly what was committed, and the log must stay bounded.
@Suite("SQLite writer's log: gathered writes, restarts")
struct SQLiteWALBufferTests {
    private func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kq-walbuffer-\(UUID().uuidString)").path + "/db.sqlite"
    }

    /// A resource with a body of `size` bytes, so a batch spans many pages.
    private func bulky(_ id: String, size: Int) -> ResourceWrite {
        let filler = String(repeating: "x", count: size)
        return write(record("Basic", id, body: #"{"resourceType":"Basic","id":"\#(id)","text":{"div":"\#(filler)"}}"#),
                     index: rows(token: ("code", "urn:test", id)))
    }

    /// Opens the database through the default VFS, read-only: an independent reader of the files.
    private func independentCount(_ path: String) throws -> (rows: Int64, integrity: String) {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { throw StoreError.database("open") }
        defer { sqlite3_close_v2(db) }
        func scalar(_ sql: String) -> (Int64, String) {
            var stmt: OpaquePointer?
            sqlite3_prepare_v2(db, sql, -1, &stmt, nil)
            defer { sqlite3_finalize(stmt) }
            guard sqlite3_step(stmt) == SQLITE_ROW else { return (-1, "") }
            let text = sqlite3_column_text(stmt, 0).map { String(cString: $0) } ?? ""
            return (sqlite3_column_int64(stmt, 0), text)
        }
        return (scalar("SELECT count(*) FROM resource WHERE res_type = 'Basic'").0, scalar("PRAGMA integrity_check").1)
    }

    @Test("the writer opens its connection through the gathering VFS")
    func writerUsesTheVFS() async throws {
        let db = try SQLiteBackend(path: temporaryPath())
        try await db.migrate()
        try await db.write { tx in
            let conn = try #require((tx as? SQLiteTransaction)?.conn)
            #expect(conn.vfsName == "kangqiao-walbuffer")
        }
        await db.close()
    }

    @Test("commits of every size, from one page to far beyond the buffer, read back whole from another connection at once")
    func commitsReadBackElsewhere() async throws {
        let path = temporaryPath()
        let db = try SQLiteBackend(path: path)
        try await db.migrate()
        var expected: Int64 = 0
        // One small commit, one above a single write's 124 KB, one far above the 4 MB buffer.
        for (batch, count, size) in [(0, 1, 100), (1, 60, 3_000), (2, 3_000, 2_000)] {
            let writes = (0..<count).map { bulky("b\(batch)-\($0)", size: size) }
            try await db.write { tx in try await tx.putAll(writes) }
            expected += Int64(count)
            // Not closed, not checkpointed: the rows come from the log the writer just wrote.
            let seen = try independentCount(path)
            #expect(seen.rows == expected)
            #expect(seen.integrity == "ok")
        }
        await db.close()
        #expect(try independentCount(path) == (expected, "ok"))
    }

    @Test("under a steady write load the log starts over instead of growing with everything written")
    func logStartsOver() async throws {
        let path = temporaryPath()
        let restartAt: Int64 = 512 << 10
        let db = try SQLiteBackend(path: path, logRestartBytes: restartAt)
        try await db.migrate()
        var written: Int64 = 0
        // 60 commits of 100 KB of bodies, 50 ms apart: at least 3 s, a dozen checkpointer passes (every
        // 250 ms). A fixed amount, not a time: CI runs tests side by side, and a busy run is only slower.
        let commits = 60
        for n in 0..<commits {
            let writes = (0..<50).map { i in bulky("w\(n)-\(i)", size: 2_000) }
            try await db.write { tx in try await tx.putAll(writes) }
            written += 50 * 2_000
            try await Task.sleep(for: .milliseconds(50))
        }
        let logSize = try #require(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int64)
        // Without restarts the log holds at least every body written (plus index pages).
        #expect(written > 8 * restartAt, "the load must exceed the restart size several times over")
        #expect(logSize < written / 2, "log \(logSize) bytes after \(written) bytes of bodies")
        #expect(try independentCount(path).rows == Int64(commits * 50))
        await db.close()
    }
}
