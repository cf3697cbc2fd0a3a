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
            try await appender.append(Self.row(action: interaction.rawValue, outcome: 0, records: records, context: context))
        case .create, .update, .delete, .transaction, .batch:
            return  // recorded inside the transaction
        }
    }

    /// Records an event outside the FHIR interactions (a refusal, a login, a token, a card scanned),
    /// durably; `records` name the resources (and so the patients) it concerns.
    public func record(action: String, outcome: Int, records: [ResourceRecord] = [], context: RequestContext, detail: String? = nil) async throws {
        try await appender.append(Self.row(action: action, outcome: outcome, records: records, context: context, detail: detail))
    }

    /// The patients a resource is about: itself for a Patient, else the patient its `subject`,
    /// `patient` or `beneficiary` references (the compartment's usual links).
    static func patients(of records: [ResourceRecord]) -> [String] {
        var found: [String] = []
        var seen = Set<String>()
        for r in records {
            var candidates: [String] = []
            if r.type == "Patient" {
                candidates.append("Patient/" + r.id)
            } else if !r.json.isEmpty, let o = (try? JSONParser.parse(r.json))?.objectValue {
                for field in ["subject", "patient", "beneficiary"] {
                    if let ref = o[field]?["reference"]?.stringValue, ref.hasPrefix("Patient/") { candidates.append(ref) }
                }
            }
            for c in candidates where seen.insert(c).inserted { found.append(c) }
        }
        return found
    }

    /// The interactions recorded as RESTful events (`audit-event-type#rest`); others get a code of ours.
    static let restful: Set<String> = ["read", "vread", "search", "create", "update", "delete", "history", "transaction", "batch", "operation"]

    static func row(action: String, outcome: Int, records: [ResourceRecord], context: RequestContext, detail: String? = nil) -> AuditRow {
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let patients = patients(of: records)
        let principal = context.principal
        let code: String = switch action {
        case "create": "C"
        case "update": "U"
        case "delete": "D"
        case "read", "vread", "search", "history": "R"
        default: "E"
        }
        // Written straight to bytes (a record per read: building a JSON tree first was a tenth of a
        // search's CPU); the field order is the AuditEvent's.
        var w = AuditJSON()
        w.open()
        w.field("resourceType", "AuditEvent")
        if !context.requestId.isEmpty { w.field("id", context.requestId) }
        w.key("type")
        if restful.contains(action) {
            w.coding(system: "http://terminology.hl7.org/CodeSystem/audit-event-type", code: "rest")
        } else {
            w.coding(system: "urn:kangqiao:audit-event", code: action)
        }
        w.key("subtype")
        w.openArray()
        w.coding(system: "http://hl7.org/fhir/restful-interaction", code: action)
        w.closeArray()
        w.field("action", code)
        w.field("recorded", InstantFormat.string(millis: now))
        w.field("outcome", String(outcome))
        if let detail { w.field("outcomeDesc", detail) }
        if let reason = context.changeReason {
            w.key("purposeOfEvent")
            w.openArray()
            w.open()
            w.field("text", "change of a signed record: " + reason)
            w.close()
            w.closeArray()
        }
        w.key("agent")
        w.openArray()
        w.open()
        w.key("type")
        w.open()
        w.field("text", principal == nil ? "in-process" : (principal?.roles.joined(separator: " ") ?? ""))
        w.close()
        w.key("who")
        w.open()
        if let user = principal?.fhirUser { w.field("reference", user) }
        w.key("identifier")
        w.identifier(system: "urn:kangqiao:account", value: principal?.subject ?? "kangqiao")
        w.close()
        w.key("requestor")
        w.raw("true")
        if let address = context.sourceAddress {
            w.key("network")
            w.open()
            w.field("address", address)
            w.field("type", "2")
            w.close()
        }
        if let purpose = context.purpose {
            w.key("purposeOfUse")
            w.openArray()
            w.open()
            if CareRelationshipRule.isBreakGlass(context) {
                // Flagged for the regulator and the patient: emergency access without a relationship.
                w.key("coding")
                w.openArray()
                w.open()
                w.field("system", "http://terminology.hl7.org/CodeSystem/v3-ActReason")
                w.field("code", "BTG")
                w.field("display", "break the glass")
                w.close()
                w.closeArray()
            }
            w.field("text", purpose)
            w.close()
            w.closeArray()
        }
        w.close()
        w.closeArray()
        w.key("source")
        w.raw(#"{"observer":{"display":"kangqiao"}}"#)
        let line = context.requestLine
        if !patients.isEmpty || !records.isEmpty || line != nil {
            w.key("entity")
            w.openArray()
            for p in patients {
                w.open()
                w.key("what")
                w.reference(p)
                w.key("role")
                w.raw(#"{"system":"http://terminology.hl7.org/CodeSystem/object-role","code":"1","display":"Patient"}"#)
                w.close()
            }
            for r in records.prefix(maxEntities) {
                w.open()
                w.key("what")
                w.reference("\(r.type)/\(r.id)/_history/\(r.versionId)")
                w.close()
            }
            if records.count > maxEntities {
                w.open()
                w.field("description", "and \(records.count - maxEntities) more resources")
                w.close()
            }
            if let line {
                w.open()
                w.key("type")
                w.raw(#"{"system":"http://terminology.hl7.org/CodeSystem/audit-entity-type","code":"2"}"#)
                w.field("query", Data(line.utf8).base64EncodedString())
                w.field("description", line)
                w.close()
            }
            w.closeArray()
        }
        w.close()
        return AuditRow(
            recorded: now, action: action, outcome: outcome, actor: principal?.subject, organization: principal?.organization,
            source: context.sourceAddress, patients: patients, record: w.bytes)
    }
}

/// A compact JSON writer for audit records: objects, keys and escaped strings appended in order,
/// commas placed by the writer.
struct AuditJSON {
    private(set) var bytes: [UInt8] = []
    /// Whether the innermost open object or array already has a member (the next needs a comma).
    private var hasMember: [Bool] = []

    init() { bytes.reserveCapacity(1_024) }

    /// A balanced literal value (after `key`, or as an array member).
    mutating func raw(_ text: StaticString) {
        separate()
        text.withUTF8Buffer { bytes += $0 }
    }

    mutating func open() { begin(UInt8(ascii: "{")) }
    mutating func close() { end(UInt8(ascii: "}")) }
    mutating func openArray() { begin(UInt8(ascii: "[")) }
    mutating func closeArray() { end(UInt8(ascii: "]")) }

    private mutating func begin(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        hasMember.append(false)
    }

    private mutating func end(_ bracket: UInt8) {
        bytes.append(bracket)
        hasMember.removeLast()
    }

    private mutating func separate() {
        guard let last = hasMember.last else { return }
        if last && bytes.last != UInt8(ascii: ":") { bytes.append(UInt8(ascii: ",")) }
        hasMember[hasMember.count - 1] = true
    }

    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes += $0 }
        bytes += [UInt8(ascii: "\""), UInt8(ascii: ":")]
    }

    mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        JSONWriter.writeString(value, into: &bytes)
    }

    mutating func coding(system: String, code: String) {
        open()
        field("system", system)
        field("code", code)
        close()
    }

    mutating func identifier(system: String, value: String) {
        open()
        field("system", system)
        field("value", value)
        close()
    }

    mutating func reference(_ reference: String) {
        open()
        field("reference", reference)
        close()
    }
}

/// Group commit for audit records of reads: concurrent callers' records go to the store in shared
/// transactions, and each caller returns when its transaction is durable. Up to `maxInFlight`
/// batches are written at once, so the next batch's statements run while the previous one's commit
/// is being synced (the SQLite writer and PostgreSQL both overlap them) instead of waiting for it.
public actor AuditAppender {
    private let backend: any StoreBackend
    private var pending: [(AuditRow, CheckedContinuation<Void, Error>)] = []
    private var inFlight = 0
    /// Records per transaction at most.
    static let maxBatch = 512
    static let maxInFlight = 4

    public init(backend: any StoreBackend) { self.backend = backend }

    public func append(_ row: AuditRow) async throws {
        // A backend with a journal of its own groups and syncs appends itself, off its write transactions.
        if let journaling = backend as? any AuditJournaling { return try await journaling.appendAuditDurably([row]) }
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
                    _ = try await backend.write { tx in try await tx.appendAudit(rows) }
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
