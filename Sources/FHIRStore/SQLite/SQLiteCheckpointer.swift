import Foundation
import Synchronization

/// Asks the writer to start the write-ahead log over (see `SQLiteCheckpointer`).
final class SQLiteLogRestart: Sendable {
    private let requested = Atomic<Bool>(false)
    var isRequested: Bool { requested.load(ordering: .relaxed) }
    func request() { requested.store(true, ordering: .relaxed) }
    func clear() { requested.store(false, ordering: .relaxed) }
}

/// Copies committed WAL pages into the database file in the background (PASSIVE checkpoints every
/// quarter second), so commits never pay for it, and keeps the WAL short.
///
/// Under a steady write load a checkpoint beside the writer never catches up completely (frames keep
/// arriving while it copies), and SQLite starts the log over only after a complete one: the log would
/// grow without end, and every page a reader or the writer looks up searches the log's whole index
/// (one hash table per 4,096 frames), so everything slows as it grows. So once the log holds
/// `restartBytes`, the checkpointer asks the writer to copy the last frames itself between two
/// groups (a few milliseconds' worth, as the checkpointer has just copied the rest); the writer's next
/// commit then writes from the log's start.
public final class SQLiteCheckpointer: @unchecked Sendable {
    // The connection is used only on `queue`; `stopped` is only read and written there too.
    private let conn: SQLiteConnection
    private let queue = DispatchQueue(label: "kangqiao.sqlite.checkpoint")
    private var stopped = false
    private let logRestart: SQLiteLogRestart
    private let pageSize: Int64
    static let interval = DispatchTimeInterval.milliseconds(250)
    public static let restartBytes: Int64 = 256 << 20
    private let restartBytes: Int64

    init(path: String, logRestart: SQLiteLogRestart, restartBytes: Int64) throws {
        conn = try SQLiteConnection(path: path)
        self.logRestart = logRestart
        self.restartBytes = restartBytes
        // FULL: the checkpoint syncs the WAL before copying it and the database file after, so the
        // writer's unsynced frames (synchronous=NORMAL) are never copied ahead of the log.
        try conn.execute("PRAGMA synchronous=FULL")
        var size: Int64 = 4096
        try conn.query("PRAGMA page_size") { size = $0.int(0) }
        pageSize = size
        schedule()
    }

    private func schedule() {
        queue.asyncAfter(deadline: .now() + Self.interval) { [weak self] in
            guard let self, !self.stopped else { return }
            self.checkpoint()
            self.schedule()
        }
    }

    /// Beyond this (1 GiB) a RESTART checkpoint holds writers back until the log starts over: the
    /// writer's own restart (above) failed that long, as readers kept needing old frames.
    static let maxWALBytes: Int64 = 1 << 30

    /// One PASSIVE pass: the log's frames and how many of them are now in the database file.
    private func passiveCheckpoint() -> (log: Int64, copied: Int64) {
        var result: (Int64, Int64) = (0, 0)
        try? conn.query("PRAGMA wal_checkpoint(PASSIVE)") { result = ($0.int(1), $0.int(2)) }
        return result
    }

    private func checkpoint() {
        var pass = passiveCheckpoint()
        if pass.log * pageSize > Self.maxWALBytes {
            try? conn.execute("PRAGMA wal_checkpoint(RESTART)")
        } else if pass.log * pageSize > restartBytes {
            // A few more passes, each copying what arrived during the last, so that the frames left
            // for the writer to copy (while every write waits) are a few milliseconds' worth.
            for _ in 0..<3 {
                let behind = pass.log - pass.copied
                pass = passiveCheckpoint()
                if pass.log - pass.copied >= behind { break }
            }
            logRestart.request()
        }
    }

    func stop() {
        queue.sync {
            stopped = true
            try? conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        }
    }
}
