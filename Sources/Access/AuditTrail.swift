// See AccessToken.swift: swift-crypto 3's key types are not marked Sendable on Linux.
@preconcurrency import Crypto
import FHIRCore
import FHIRStore
import Foundation

/// R-SEC-2: every interaction leaves an audit record — who (account, roles, organization, address),
/// on whose data (the patients), what (interaction, resources, the query), why (purpose) and with
/// which outcome — as a FHIR AuditEvent.
///
/// Writes are recorded inside their own transaction (`willCommit`): the record exists exactly when
/// the change does. Reads are recorded through `AuditAppender` before the answer is sent
/// (`didPerform` waits until the record is durable). Refusals and failures are recorded by the HTTP
/// layer with `record(_:)`. `AuditSealer` chains the records afterwards.
public struct AuditTrail: InteractionHook {
    public let appender: AuditAppender
    /// Entities listed in one record at most; a bulk import records how many more there were.
    static let maxEntities = 100

    public init(backend: any StoreBackend) {
        appender = AuditAppender(backend: backend)
    }

    public func willCommit(
        _ interaction: FHIRInteraction, records: [ResourceRecord], context: RequestContext, in tx: any StoreTransaction
    ) async throws {
        try await tx.appendAudit([Self.row(action: interaction.rawValue, outcome: 0, records: records, context: context)])
    }

    public func didPerform(_ interaction: FHIRInteraction, records: [ResourceRecord], context: RequestContext) async throws {
        switch interaction {
        case .read, .vread, .search, .history, .operation:
            try await appender.append(Self.row(action: interaction.rawValue, outcome: 0, records: records, context: context), requestStarted: context.started)
        case .create, .update, .delete, .transaction, .batch:
            return  // recorded inside the transaction
        }
    }

    /// Records an event outside the FHIR interactions (a refusal, a login, a token, a card scanned),
    /// durably; `records` name the resources (and so the patients) it concerns.
    public func record(action: String, outcome: Int, records: [ResourceRecord] = [], context: RequestContext, detail: String? = nil) async throws {
        try await appender.append(Self.row(action: action, outcome: outcome, records: records, context: context, detail: detail),
                                  requestStarted: context.started)
    }

    /// The patients `records` are about — a Patient itself, else the patient its `subject`, `patient`
    /// or `beneficiary` references (the compartment's usual links) — and the `Type/id` of the first
    /// `listing` of them, in one pass: a Patient's reference is built once and serves as both (a page
    /// of search results is a record per read; building each string twice and growing the set as it
    /// went was 4 µs of 20 Patients).
    static func patientsAndReferences(of records: [ResourceRecord], listing: Int) -> (patients: [String], references: [String]) {
        var found: [String] = []
        var references: [String] = []
        found.reserveCapacity(records.count)
        references.reserveCapacity(min(listing, records.count))
        var seen = Set<String>(minimumCapacity: records.count)
        func add(_ patient: String) {
            if seen.insert(patient).inserted { found.append(patient) }
        }
        for (i, r) in records.enumerated() {
            if r.type == "Patient" {
                var reference = "Patient/"
                reference.reserveCapacity(8 + r.id.utf8.count)
                reference += r.id
                add(reference)
                if i < listing { references.append(reference) }
                continue
            }
            if i < listing { references.append(r.type + "/" + r.id) }
            guard !r.json.isEmpty, let o = (try? JSONParser.parse(r.json))?.objectValue else { continue }
            for field in ["subject", "patient", "beneficiary"] {
                if let ref = o[field]?["reference"]?.stringValue, ref.hasPrefix("Patient/") { add(ref) }
            }
        }
        return (found, references)
    }

    static func row(action: String, outcome: Int, records: [ResourceRecord], context: RequestContext, detail: String? = nil) -> AuditRow {
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let (patients, references) = patientsAndReferences(of: records, listing: maxEntities)
        let principal = context.principal
        let facts = AuditFacts(
            recorded: now, requestId: context.requestId.isEmpty ? nil : context.requestId, action: action, outcome: outcome, detail: detail,
            changeReason: context.changeReason, roles: principal.map { $0.roles.joined(separator: " ") }, fhirUser: principal?.fhirUser,
            account: principal?.subject ?? "kangqiao", sourceAddress: context.sourceAddress, purpose: context.purpose,
            breakGlass: CareRelationshipRule.isBreakGlass(context), patients: patients,
            entities: zip(references, records).map { AuditFacts.Entity(reference: $0, version: $1.versionId) },
            moreEntities: max(0, records.count - maxEntities), requestLine: context.requestLine)
        return AuditRow(
            recorded: now, action: action, outcome: outcome, actor: principal?.subject, organization: principal?.organization,
            source: context.sourceAddress, patients: patients, record: facts.encoded)
    }
}

/// Group commit for audit records of reads: concurrent callers' records go to the store in shared
/// transactions (one statement each where the backend can: `AuditBatchAppending`), and each caller
/// returns when its transaction is durable. One batch is written at a time; the next one gathers
/// while it commits. Overlapping four batches (so that one's statement ran during another's sync)
/// made more and smaller transactions, and on PostgreSQL each costs the server more CPU than its
/// sync saves in waiting: audited reads 4,848 / 5,466/s with four, 7,035 / 7,081/s with one
/// (`access --database postgres`, alternated runs); the append path alone 95–106 → 53–57 µs of
/// CPU per record (`audit-append`).
public actor AuditAppender {
    private let backend: any StoreBackend
    private var pending: [(AuditRow, CheckedContinuation<Void, Error>)] = []
    private var inFlight = 0
    /// Records per transaction at most.
    static let maxBatch = 512
    static let maxInFlight = 1

    public init(backend: any StoreBackend) { self.backend = backend }

    public nonisolated func append(_ row: AuditRow, requestStarted: ContinuousClock.Instant? = nil) async throws {
        // A backend with a journal of its own groups and syncs appends itself, off its write
        // transactions: straight there, without queueing every read on this actor.
        if let journaling = backend as? any AuditJournaling {
            return try await journaling.appendAuditDurably([row], requestStarted: requestStarted)
        }
        try await enqueue(row)
    }

    private func enqueue(_ row: AuditRow) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            pending.append((row, c))
            startBatches()
        }
    }

    private func startBatches() {
        while inFlight < Self.maxInFlight, !pending.isEmpty {
            let batch = Array(pending.prefix(Self.maxBatch))
            pending.removeFirst(batch.count)
            inFlight += 1
            let backend = self.backend
            Task {
                let rows = batch.map(\.0)
                do {
                    if let batching = backend as? any AuditBatchAppending {
                        try await batching.appendAuditAtomically(rows)
                    } else {
                        _ = try await backend.write { tx in try await tx.appendAudit(rows) }
                    }
                    for (_, c) in batch { c.resume() }
                } catch {
                    for (_, c) in batch { c.resume(throwing: error) }
                }
                self.finished()
            }
        }
    }

    private func finished() {
        inFlight -= 1
        startBatches()
    }
}
