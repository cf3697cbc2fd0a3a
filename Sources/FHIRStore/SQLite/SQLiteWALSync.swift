import Foundation
import Synchronization

/// Makes committed transactions durable off the writer's path, so the next group's statements run
/// while the disk syncs the previous group.
///
/// The writer connection commits with `synchronous=NORMAL`: COMMIT writes the transaction's WAL
/// frames with `write()` but does not sync them. The writer then hands the group's answers here;
/// a thread of its own calls `fdatasync` on the WAL file and answers every group that committed
/// before that call started. One sync covers all of them (the WAL is append-only between
/// checkpoints, and a checkpoint syncs the WAL itself before copying it), so nobody is told a write
/// succeeded before it is on disk, and the commit after it never waits for the disk.
///
/// What this trades: another connection may read a committed write a few milliseconds before it is
/// durable. After a power loss such a write can be gone, but its writer was never answered 2xx.
final class SQLiteWALSync: Sendable {
    private struct State {
        var pending: [@Sendable (Error?) -> Void] = []
        var syncing = false
        /// The open WAL file, reopened when SQLite replaced it (a different inode at the path).
        var fd: Int32 = -1
        var inode: UInt64 = 0
    }

    private let walPath: String
    private let directory: String
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "kangqiao.sqlite.walsync")

    init(databasePath: String) {
        walPath = databasePath + "-wal"
        let dir = (databasePath as NSString).deletingLastPathComponent
        directory = dir.isEmpty ? "." : dir
    }

    deinit {
        let fd = state.withLock { $0.fd }
        if fd >= 0 { close(fd) }
    }

    /// Answers `answers` once everything committed so far is on disk (with the sync's error if it failed).
    func answerWhenDurable(_ answers: [@Sendable (Error?) -> Void]) {
        guard !answers.isEmpty else { return }
        let start = state.withLock { s -> Bool in
            s.pending += answers
            if s.syncing { return false }
            s.syncing = true
            return true
        }
        if start { queue.async { self.syncLoop() } }
    }

    /// Runs on `queue` while answers wait: takes all of them, syncs once, answers, repeats.
    private func syncLoop() {
        while true {
            let batch = state.withLock { s -> [@Sendable (Error?) -> Void] in
                let taken = s.pending
                s.pending = []
                if taken.isEmpty { s.syncing = false }
                return taken
            }
            if batch.isEmpty { return }
            let error = syncWAL()
            for answer in batch { answer(error) }
        }
    }

    private func syncWAL() -> Error? {
        var info = stat()
        guard stat(walPath, &info) == 0 else {
            return StoreError.database("cannot find the write-ahead log \(walPath): \(String(cString: strerror(errno)))")
        }
        let (fd, isNew) = state.withLock { s -> (Int32, Bool) in
            if s.fd >= 0, s.inode == UInt64(info.st_ino) { return (s.fd, false) }
            if s.fd >= 0 { close(s.fd) }
            s.fd = open(walPath, O_RDONLY | O_CLOEXEC)
            s.inode = UInt64(info.st_ino)
            return (s.fd, true)
        }
        guard fd >= 0 else {
            return StoreError.database("cannot open the write-ahead log \(walPath): \(String(cString: strerror(errno)))")
        }
        if isNew {
            // A new WAL file's directory entry must be durable too, or the file could vanish with its data.
            let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dirFD >= 0 {
                _ = fsync(dirFD)
                close(dirFD)
            }
        }
        guard fdatasync(fd) == 0 else {
            return StoreError.database("syncing the write-ahead log failed: \(String(cString: strerror(errno)))")
        }
        return nil
    }
}
