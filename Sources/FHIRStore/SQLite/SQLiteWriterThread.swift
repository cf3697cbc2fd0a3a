import Foundation

/// The thread the SQLite writer runs on: the writer actor's executor, and the preferred executor of
/// the write bodies it runs.
///
/// On the shared cooperative pool every step of a write (writer actor → body → writer actor, and back
/// after COMMIT) waited in line behind request parsing and validation; the single writer is the one
/// serialized resource of the embedded backend, so those waits were a third of its time under load.
/// Here the writer, the bodies' nonisolated code and COMMIT run one after another on one thread.
final class SQLiteWriterThread: SerialExecutor, TaskExecutor, @unchecked Sendable {
    // `queue` and `stopped` are guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [UnownedJob] = []
    private var stopped = false

    init(name: String) {
        // The thread keeps the executor alive until `stop()`; the writer actor stops it when it goes away.
        let thread = Thread {
            // Named for profilers and `top -H`; Linux keeps 15 bytes of it.
            Thread.current.name = String(name.prefix(15))
            self.runLoop()
        }
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    /// Ends the thread once the jobs already queued have run.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty && stopped {
                condition.unlock()
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch {
                job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
            }
        }
    }
}
