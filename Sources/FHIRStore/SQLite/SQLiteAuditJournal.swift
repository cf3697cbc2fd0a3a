import Crypto
import Foundation
import Synchronization

/// The durable append path for the audit records of reads (R-SEC-2: a read is recorded durably before
/// its answer is sent), beside the SQLite database: append-only segment files in `<database>-audit/`.
///
/// Appends from concurrent readers are written together and made durable with one `fdatasync` (group
/// commit) on a thread of their own, so a read waits for a disk flush, never for the database writer
/// and the creates queued there. `SQLiteAuditImport` then moves the records into `audit_event` in large
/// transactions, where the sealer chains them like every other record; a crash between the two loses
/// nothing, since the import starts again from the position it committed.
///
/// A segment is a sequence of frames: payload length (4 bytes), the first 4 bytes of the payload's
/// SHA-256, the payload (`AuditRowCodec`), followed by zeros written ahead of them. The first frame that
/// is short, of length zero or does not match its checksum ends the segment: only a torn append, never
/// acknowledged, can leave a bad one, and it is cut off (with the zeros) when the journal opens.
///
/// One process owns the journal (an exclusive `flock` on its directory's lock file, released by the
/// kernel if the process dies); another one on the same database (a `kangqiao` command beside the
/// server) gets no journal and appends through its write transactions instead.
final class SQLiteAuditJournal: Sendable {
    /// Where the current segment ends on disk; guarded by `state`.
    private struct State {
        var buffer: [UInt8] = []
        var waiters: [CheckedContinuation<Void, Error>] = []
        var syncing = false
        /// When the pending appends must be on their way to disk: the earliest of their deadlines.
        var deadline: ContinuousClock.Instant?
        var current: UInt64
        var durableEnd: Int64
        /// Set after a failed write or sync: the segment's tail is uncertain, so nothing more is appended.
        var failure: String?
    }

    struct Position: Equatable, Sendable {
        var segment: UInt64
        var offset: Int64
    }

    let directory: String
    /// The server's requests in progress (none outside a server: every sync is then due at once).
    let requestsInProgress: RequestsInProgress
    /// A segment is closed once it holds this many bytes.
    let segmentLimit: Int64
    private let state: Mutex<State>
    /// The open segment's descriptor; used only on `queue` (and in init/deinit).
    private let descriptor: Mutex<Int32>
    /// How far the open segment's file is written (frames, then zeros); used only on `queue`.
    private let allocatedEnd: Mutex<Int64>
    /// The file grows by zeros this far ahead of its frames: an append then overwrites blocks the file
    /// already has, and its `fdatasync` flushes data alone. Appending past the end made every sync
    /// also commit the file system's journal (the file's new size and blocks), twice the time and CPU.
    static let preallocation: Int64 = 4 << 20
    private let queue = DispatchQueue(label: "kangqiao.sqlite.auditjournal")

    /// The lock file's descriptor, held open (and locked) for the journal's life.
    private let lock: Int32

    /// The journal of the database at `databasePath`; nil when another process owns it.
    init?(databasePath: String, segmentLimit: Int64 = 64 << 20, requestsInProgress: RequestsInProgress = RequestsInProgress()) throws {
        directory = databasePath + "-audit"
        self.requestsInProgress = requestsInProgress
        self.segmentLimit = segmentLimit
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lockPath = directory + "/lock"
        lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw StoreError.database("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            close(lock)
            return nil
        }
        let segments = try Self.segments(in: directory)
        let current = segments.last ?? 1
        let path = Self.path(directory, current)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            close(lock)
            throw StoreError.database("cannot open the audit journal \(path): \(String(cString: strerror(errno)))")
        }
        // A torn last append (never acknowledged) is cut off, so new frames follow valid ones.
        let end = try Self.validEnd(path: path)
        guard ftruncate(fd, off_t(end)) == 0, fsync(fd) == 0 else {
            close(fd)
            close(lock)
            throw StoreError.database("cannot prepare the audit journal \(path): \(String(cString: strerror(errno)))")
        }
        if segments.isEmpty { Self.syncDirectory(directory) }
        descriptor = Mutex(fd)
        allocatedEnd = Mutex(end)
        state = Mutex(State(current: current, durableEnd: end))
    }

    // Nothing runs on `queue` any more: its blocks hold the journal.
    deinit { closeFiles() }

    /// Closes the segment and gives the lock up (at the backend's close; appends fail from then on).
    func release() {
        state.withLock { $0.failure = "closed" }
        queue.sync { closeFiles() }
    }

    private func closeFiles() {
        let fd = descriptor.withLock { d -> Int32 in
            defer { d = -1 }
            return d
        }
        guard fd >= 0 else { return }
        close(fd)
        close(lock)
    }

    /// Answers once `rows` are on disk (or with the error that kept them off it). `requestStarted`:
    /// when the request they record began, which sets how long they may wait for a shared sync.
    func append(_ rows: [AuditRow], requestStarted: ContinuousClock.Instant? = nil) async throws {
        var frames: [UInt8] = []
        for row in rows { Self.appendFrame(AuditRowCodec.encode(row), to: &frames) }
        let now = ContinuousClock.now
        let deadline = now + Self.patience(after: requestStarted.map { now - $0 } ?? .zero)
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, Error>) in
            let outcome = state.withLock { s -> (start: Bool, failure: String?) in
                if let failure = s.failure { return (false, failure) }
                s.buffer += frames
                s.waiters.append(waiter)
                s.deadline = min(s.deadline ?? deadline, deadline)
                if s.syncing { return (false, nil) }
                s.syncing = true
                return (true, nil)
            }
            if let failure = outcome.failure {
                waiter.resume(throwing: StoreError.database("the audit journal is unusable: \(failure)"))
            } else if outcome.start {
                queue.async { self.writeLoop() }
            }
        }
    }

    /// The end of what is durable: everything before it may be imported.
    var durableEnd: Position { state.withLock { Position(segment: $0.current, offset: $0.durableEnd) } }

    /// Syncs start at most this often: each costs the CPU tens of µs (the virtual disk's notifications),
    /// so under load a sync should carry many records, but every read waits for one. Measured on the
    /// access benchmark's audited reads (32 connections, back to back on the same code): 0 (syncs back
    /// to back) 14,696–14,950/s, 250 µs 18,368–18,624/s, 500 µs 14,289–17,750/s, 1 ms 14,680–15,367/s.
    /// A lone append is not delayed.
    static let syncSpacing: Duration = .microseconds(250)

    /// How long a record may wait for its sync, so that one sync serves more of them: ten times what
    /// its request took to handle, at most `longestPatience`, and only while some other request in
    /// progress could still join (else the sync is due at once). A sync costs ~50 µs of CPU here; a
    /// read (~15 µs to handle) keeps the 250 µs spacing, a search of 20 Patients (~180 µs) waits
    /// ~1.8 ms, and ten or more searches share a sync instead of one or two. Measured on
    /// `access --profile search` (18,000 patients, 32 connections, alternated): syncs 250 µs apart
    /// 5,093–5,104/s at 369–371 µs of CPU per search; 2 ms apart 5,814–5,843/s at 311–316 µs.
    static func patience(after handling: Duration) -> Duration {
        min(handling * patienceFactor, longestPatience)
    }
    static let patienceFactor = 10
    static let longestPatience: Duration = .milliseconds(2)

    /// When the next sync is due: `syncSpacing` after the last, and no sooner than the pending records'
    /// earliest deadline while fewer of them wait than there are requests in progress (with all of
    /// them waiting, none could join).
    static func syncDue(lastSync: ContinuousClock.Instant, deadline: ContinuousClock.Instant?, waiting: Int, inProgress: Int) -> ContinuousClock.Instant {
        let spaced = lastSync + syncSpacing
        guard let deadline, waiting < inProgress else { return spaced }
        return max(spaced, deadline)
    }

    /// Runs on `queue` while appends wait: writes all of them at the earliest of their deadlines, syncs
    /// once, answers, repeats.
    private func writeLoop() {
        let clock = ContinuousClock()
        var lastSync = clock.now - Self.syncSpacing
        while true {
            // Sleeps in steps of at most `syncSpacing`: an append with an earlier deadline may come meanwhile.
            while true {
                let (deadline, waiting) = state.withLock { ($0.deadline, $0.waiters.count) }
                let due = Self.syncDue(lastSync: lastSync, deadline: deadline, waiting: waiting, inProgress: requestsInProgress.current)
                let wait = min(due - clock.now, Self.syncSpacing)
                if wait <= .zero { break }
                Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) * 1e-18)
            }
            lastSync = clock.now
            let (bytes, waiters, segment, end) = state.withLock { s in
                let taken = (s.buffer, s.waiters, s.current, s.durableEnd)
                s.buffer = []
                s.waiters = []
                s.deadline = nil
                if taken.1.isEmpty { s.syncing = false }
                return taken
            }
            if waiters.isEmpty { return }
            let failure = write(bytes, at: end)
            state.withLock { s in
                if let failure { s.failure = failure } else { s.durableEnd = end + Int64(bytes.count) }
            }
            for waiter in waiters {
                if let failure {
                    waiter.resume(throwing: StoreError.database("writing the audit journal failed: \(failure)"))
                } else {
                    waiter.resume()
                }
            }
            if failure == nil, end + Int64(bytes.count) >= segmentLimit { startSegment(after: segment) }
        }
    }

    private func write(_ bytes: [UInt8], at offset: Int64) -> String? {
        let fd = descriptor.withLock { $0 }
        let allocated = allocatedEnd.withLock { $0 }
        if offset + Int64(bytes.count) > allocated {
            // Zeros up to the next step (a reader stops at a zero length); synced with the frames below.
            let needed = offset + Int64(bytes.count)
            let target = max(needed, min(needed + Self.preallocation, segmentLimit))
            let zeros = [UInt8](repeating: 0, count: Int(target - allocated))
            if !Self.writeAll(fd, zeros, at: allocated) { return String(cString: strerror(errno)) }
            allocatedEnd.withLock { $0 = target }
        }
        if !Self.writeAll(fd, bytes, at: offset) || fdatasync(fd) != 0 { return String(cString: strerror(errno)) }
        return nil
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int64) -> Bool {
        var written = 0
        return bytes.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = pwrite(fd, raw.baseAddress! + written, raw.count - written, off_t(offset) + off_t(written))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += n
            }
            return true
        }
    }

    /// Closes the current segment and starts the next (on `queue`, after the current one is synced).
    private func startSegment(after segment: UInt64) {
        let next = segment + 1
        let path = Self.path(directory, next)
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }  // stays on the current segment; tried again after the next sync
        Self.syncDirectory(directory)
        let old = descriptor.withLock { d -> Int32 in
            let old = d
            d = fd
            return old
        }
        close(old)
        allocatedEnd.withLock { $0 = 0 }
        state.withLock { s in
            s.current = next
            s.durableEnd = 0
        }
    }

    // MARK: Segments on disk

    static func path(_ directory: String, _ segment: UInt64) -> String {
        let digits = String(segment, radix: 10)
        return directory + "/" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits + ".journal"
    }

    /// The segment numbers present, in order.
    static func segments(in directory: String) throws -> [UInt64] {
        try FileManager.default.contentsOfDirectory(atPath: directory).compactMap { name -> UInt64? in
            guard name.hasSuffix(".journal") else { return nil }
            return UInt64(name.dropLast(".journal".count))
        }.sorted()
    }

    /// Removes the segments before `segment` (all imported).
    func removeSegments(before segment: UInt64) {
        guard let all = try? Self.segments(in: directory) else { return }
        for s in all where s < segment { unlink(Self.path(directory, s)) }
    }

    /// The frames of a segment from `offset` up to `end` (or its valid end), with where each ends.
    static func frames(path: String, from offset: Int64, upTo end: Int64? = nil) throws -> [(row: AuditRow, end: Int64)] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let data = try end.map { try handle.read(upToCount: Int($0 - offset)) } ?? handle.readToEnd()
        let bytes = [UInt8](data ?? Data())
        var found: [(row: AuditRow, end: Int64)] = []
        var at = 0
        while let (payload, next) = frame(in: bytes, at: at) {
            guard let row = AuditRowCodec.decode(payload) else { break }
            found.append((row, offset + Int64(next)))
            at = next
        }
        return found
    }

    /// Where the valid frames of a segment end.
    static func validEnd(path: String) throws -> Int64 {
        try frames(path: path, from: 0).last?.end ?? 0
    }

    static let frameHeader = 8

    static func appendFrame(_ payload: [UInt8], to out: inout [UInt8]) {
        out.appendBigEndian(UInt32(payload.count))
        out += SHA256.hash(data: payload).prefix(4)
        out += payload
    }

    /// The payload of the frame at `at` and where the next begins; nil at the end or at a bad frame.
    static func frame(in bytes: [UInt8], at: Int) -> ([UInt8], Int)? {
        guard bytes.count - at >= frameHeader else { return nil }
        let length = Int(UInt32(bigEndian: bytes[at..<at + 4]))
        guard length > 0, bytes.count - at - frameHeader >= length else { return nil }
        let payload = Array(bytes[at + frameHeader..<at + frameHeader + length])
        guard Array(SHA256.hash(data: payload).prefix(4)) == Array(bytes[at + 4..<at + 8]) else { return nil }
        return (payload, at + frameHeader + length)
    }

    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}
