import Foundation

/// Moves the audit journal's records into `audit_event`, in transactions of up to `batchSize` records
/// that also commit how far the journal has been imported (a private record), so each record is
/// imported exactly once across crashes. Segments wholly imported are then deleted.
///
/// Runs every `interval` beside the server, at start (what a crash left), before every search of the
/// trail (which must see every acknowledged record) and at close. Runs never overlap.
actor SQLiteAuditImport {
    static let positionKind = "audit-journal"
    static let positionKey = "imported-through"
    static let batchSize = 2_000
    static let interval: Duration = .milliseconds(200)

    private let journal: SQLiteAuditJournal
    /// Chains the imported rows in their import transaction once set (else the sealer does it later).
    private var sealer: (any AuditRowSealing)?
    private var running: Task<Int, Error>?
    /// Where the last run stopped: nothing to do while the journal's durable end is still there.
    private var importedThrough: SQLiteAuditJournal.Position?

    init(journal: SQLiteAuditJournal) {
        self.journal = journal
    }

    func seal(with sealer: any AuditRowSealing) { self.sealer = sealer }

    /// Imports everything durable in the journal; answers how many records it imported.
    @discardableResult
    func importPending(into backend: SQLiteBackend) async throws -> Int {
        if let importedThrough, importedThrough == journal.durableEnd, running == nil { return 0 }
        let previous = running
        let task = Task { () async throws -> Int in
            _ = try? await previous?.value
            return try await self.run(backend)
        }
        running = task
        defer { if running == task { running = nil } }
        return try await task.value
    }

    private func run(_ backend: SQLiteBackend) async throws -> Int {
        let end = journal.durableEnd
        var position = try await Self.position(backend)
        var total = 0
        for segment in try SQLiteAuditJournal.segments(in: journal.directory) where segment >= position.segment && segment <= end.segment {
            let from = segment == position.segment ? position.offset : 0
            let frames = try SQLiteAuditJournal.frames(
                path: SQLiteAuditJournal.path(journal.directory, segment), from: from, upTo: segment == end.segment ? end.offset : nil)
            var start = 0
            repeat {
                let chunk = frames[start..<min(start + Self.batchSize, frames.count)]
                start += chunk.count
                var next = SQLiteAuditJournal.Position(segment: segment, offset: chunk.last?.end ?? from)
                // A closed segment is done once its frames are in (a damaged tail cannot hold the import up).
                if start == frames.count, segment < end.segment { next = .init(segment: segment + 1, offset: 0) }
                guard next != position else { break }
                let rows = chunk.map(\.row)
                let value = Self.encode(next)
                let sealer = self.sealer
                _ = try await backend.write { tx in
                    if let sealer, !rows.isEmpty, let sqlite = tx as? SQLiteTransaction {
                        // Chained before they are written: each row is inserted once, complete.
                        let unnumbered = rows.map { StoredAuditRow(aid: 0, row: $0, chain: nil, sequence: nil, link: nil) }
                        let seals = try await sealer.seals(for: unnumbered, in: tx)
                        guard seals.count == rows.count else { throw StoreError.database("the sealer chained \(seals.count) of \(rows.count) records") }
                        _ = try sqlite.conn.appendAudit(rows, seals: seals)
                    } else if !rows.isEmpty {
                        _ = try await tx.appendAudit(rows)
                    }
                    try await tx.putPrivateRecord(kind: Self.positionKind, key: Self.positionKey, value: value)
                }
                position = next
                total += rows.count
            } while start < frames.count
        }
        journal.removeSegments(before: position.segment)
        importedThrough = position
        return total
    }

    static func position(_ backend: SQLiteBackend) async throws -> SQLiteAuditJournal.Position {
        guard let bytes = try await backend.privateRecord(kind: positionKind, key: positionKey), bytes.count == 16 else {
            return .init(segment: 0, offset: 0)
        }
        return .init(segment: UInt64(bigEndian: bytes[0..<8]), offset: Int64(bigEndian: bytes[8..<16]))
    }

    static func encode(_ p: SQLiteAuditJournal.Position) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBigEndian(p.segment)
        out.appendBigEndian(p.offset)
        return out
    }
}
