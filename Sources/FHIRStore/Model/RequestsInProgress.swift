import Synchronization

/// How many requests the server is handling at this moment. The audit journal holds a sync open for
/// more records only while some request in progress could still add one (see
/// `SQLiteAuditJournal.patience`).
public final class RequestsInProgress: Sendable {
    private let count = Atomic<Int>(0)

    public init() {}

    public func begin() { count.add(1, ordering: .relaxed) }
    public func end() { count.subtract(1, ordering: .relaxed) }
    public var current: Int { count.load(ordering: .relaxed) }
}
