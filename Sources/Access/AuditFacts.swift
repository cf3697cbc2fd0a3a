import FHIRCore
import FHIRStore
import Foundation

/// What one audit record says (R-SEC-2), in the compact form the trail stores and the hash chain
/// covers; shown as a FHIR AuditEvent only when the trail is read (`eventJSON`).
///
/// A record is written on every read and search, and read back rarely: building the AuditEvent's
/// JSON for each one was a tenth of a search's CPU, and its bytes (most of them fixed code system
/// URLs) were written three times over — journal, table, checkpoint — and hashed. The compact form
/// is a fifth of the size for a read and a tenth for a page of search results.
///
/// Format: the marker byte, then the fields in declaration order. Integers are LEB128 varints;
/// strings are a varint byte count then UTF-8; optional strings store count + 1 (0 for none). An
/// entity that is one of the record's patients is stored as that patient's position, so a search
/// of Patients names each once. Records that start with `{` are AuditEvent JSON (records written
/// before this form, and AuditEvents that systems post) and are shown as they are.
public struct AuditFacts: Sendable, Equatable {
    public var recorded: Int64
    public var requestId: String?
    public var action: String
    public var outcome: Int
    public var detail: String?
    /// Why a signed record was changed (R-SEC-3).
    public var changeReason: String?
    /// The principal's roles, space-separated; nil for work the server does in-process.
    public var roles: String?
    public var fhirUser: String?
    public var account: String
    public var sourceAddress: String?
    public var purpose: String?
    public var breakGlass: Bool
    /// `Patient/<id>` of every patient the action touched.
    public var patients: [String]
    public var entities: [Entity]
    /// Resources the action touched beyond those listed (a bulk operation lists the first ones).
    public var moreEntities: Int
    public var requestLine: String?

    /// A resource version the action touched.
    public struct Entity: Sendable, Equatable {
        /// `Type/id`.
        public var reference: String
        public var version: Int

        public init(reference: String, version: Int) {
            self.reference = reference
            self.version = version
        }
    }

    public init(
        recorded: Int64, requestId: String?, action: String, outcome: Int, detail: String?, changeReason: String?, roles: String?,
        fhirUser: String?, account: String, sourceAddress: String?, purpose: String?, breakGlass: Bool, patients: [String],
        entities: [Entity], moreEntities: Int, requestLine: String?
    ) {
        self.recorded = recorded
        self.requestId = requestId
        self.action = action
        self.outcome = outcome
        self.detail = detail
        self.changeReason = changeReason
        self.roles = roles
        self.fhirUser = fhirUser
        self.account = account
        self.sourceAddress = sourceAddress
        self.purpose = purpose
        self.breakGlass = breakGlass
        self.patients = patients
        self.entities = entities
        self.moreEntities = moreEntities
        self.requestLine = requestLine
    }

    /// The first byte of a compact record (a JSON record starts with `{`).
    static let marker: UInt8 = 0xA1

    // MARK: Compact bytes

    public var encoded: [UInt8] {
        var out: [UInt8] = [Self.marker]
        out.reserveCapacity(128 + 48 * patients.count + (requestLine?.utf8.count ?? 0))
        out.appendVarint(UInt64(max(0, recorded)))
        out.appendOptional(requestId)
        out.appendString(action)
        out.appendVarint(UInt64(max(0, outcome)))
        out.appendOptional(detail)
        out.appendOptional(changeReason)
        out.appendOptional(roles)
        out.appendOptional(fhirUser)
        out.appendString(account)
        out.appendOptional(sourceAddress)
        out.appendOptional(purpose)
        out.append(breakGlass ? 1 : 0)
        out.appendVarint(UInt64(patients.count))
        for p in patients { out.appendString(p) }
        // A page of Patients lists each as entity i and patient i: checked in place, the map is built
        // only for what that misses.
        var position: [String: Int]?
        func patientPosition(_ reference: String, _ i: Int) -> Int? {
            if i < patients.count, patients[i] == reference { return i }
            if position == nil {
                var map: [String: Int] = [:]
                for (i, p) in patients.enumerated() where map[p] == nil { map[p] = i }
                position = map
            }
            return position?[reference]
        }
        out.appendVarint(UInt64(entities.count))
        for (n, e) in entities.enumerated() {
            // 0 then the reference, or the patient's position + 1.
            if let i = patientPosition(e.reference, n) {
                out.appendVarint(UInt64(i + 1))
            } else {
                out.appendVarint(0)
                out.appendString(e.reference)
            }
            out.appendVarint(UInt64(max(0, e.version)))
        }
        out.appendVarint(UInt64(max(0, moreEntities)))
        out.appendOptional(requestLine)
        return out
    }

    /// The facts of a compact record; nil for anything else (a JSON record, damaged bytes).
    public init?(compact bytes: [UInt8]) {
        var r = ByteReader(bytes)
        guard r.byte() == Self.marker,
            let recorded = r.varint(), recorded <= UInt64(Int64.max), let requestId = r.optional(), let action = r.string(),
            let outcome = r.varint(), outcome <= 255, let detail = r.optional(), let changeReason = r.optional(), let roles = r.optional(),
            let fhirUser = r.optional(), let account = r.string(), let sourceAddress = r.optional(), let purpose = r.optional(),
            let breakGlass = r.byte(), breakGlass <= 1, let patientCount = r.count()
        else { return nil }
        var patients: [String] = []
        for _ in 0..<patientCount {
            guard let p = r.string() else { return nil }
            patients.append(p)
        }
        guard let entityCount = r.count() else { return nil }
        var entities: [Entity] = []
        for _ in 0..<entityCount {
            guard let tag = r.count() else { return nil }
            let reference: String
            if tag == 0 {
                guard let s = r.string() else { return nil }
                reference = s
            } else {
                guard tag <= patients.count else { return nil }
                reference = patients[tag - 1]
            }
            guard let version = r.count() else { return nil }
            entities.append(Entity(reference: reference, version: version))
        }
        guard let more = r.count(), let requestLine = r.optional(), r.atEnd else { return nil }
        self.init(
            recorded: Int64(recorded), requestId: requestId, action: action, outcome: Int(outcome), detail: detail, changeReason: changeReason,
            roles: roles, fhirUser: fhirUser, account: account, sourceAddress: sourceAddress, purpose: purpose, breakGlass: breakGlass == 1,
            patients: patients, entities: entities, moreEntities: more, requestLine: requestLine)
    }

    // MARK: The AuditEvent

    /// The interactions recorded as RESTful events (`audit-event-type#rest`); others get a code of ours.
    static let restful: Set<String> = ["read", "vread", "search", "create", "update", "delete", "history", "transaction", "batch", "operation"]

    /// The record as a FHIR AuditEvent. `id` and `lastUpdated` are the trail's (its row number, the
    /// time recorded); without them the request's id is the event's.
    public func eventJSON(id: String? = nil, lastUpdated: Int64? = nil) -> [UInt8] {
        let code: String = switch action {
        case "create": "C"
        case "update": "U"
        case "delete": "D"
        case "read", "vread", "search", "history": "R"
        default: "E"
        }
        var w = AuditJSON()
        w.open()
        w.field("resourceType", "AuditEvent")
        if let eventId = id ?? requestId, !eventId.isEmpty { w.field("id", eventId) }
        if let lastUpdated {
            w.key("meta")
            w.open()
            w.field("versionId", "1")
            w.field("lastUpdated", InstantFormat.string(millis: lastUpdated))
            w.close()
        }
        w.key("type")
        if Self.restful.contains(action) {
            w.coding(system: "http://terminology.hl7.org/CodeSystem/audit-event-type", code: "rest")
        } else {
            w.coding(system: "urn:kangqiao:audit-event", code: action)
        }
        w.key("subtype")
        w.openArray()
        w.coding(system: "http://hl7.org/fhir/restful-interaction", code: action)
        w.closeArray()
        w.field("action", code)
        w.field("recorded", InstantFormat.string(millis: recorded))
        w.field("outcome", String(outcome))
        if let detail { w.field("outcomeDesc", detail) }
        if let changeReason {
            w.key("purposeOfEvent")
            w.openArray()
            w.open()
            w.field("text", "change of a signed record: " + changeReason)
            w.close()
            w.closeArray()
        }
        w.key("agent")
        w.openArray()
        w.open()
        w.key("type")
        w.open()
        w.field("text", roles ?? "in-process")
        w.close()
        w.key("who")
        w.open()
        if let fhirUser { w.field("reference", fhirUser) }
        w.key("identifier")
        w.identifier(system: "urn:kangqiao:account", value: account)
        w.close()
        w.key("requestor")
        w.raw("true")
        if let sourceAddress {
            w.key("network")
            w.open()
            w.field("address", sourceAddress)
            w.field("type", "2")
            w.close()
        }
        if let purpose {
            w.key("purposeOfUse")
            w.openArray()
            w.open()
            if breakGlass {
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
        if !patients.isEmpty || !entities.isEmpty || moreEntities > 0 || requestLine != nil {
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
            for e in entities {
                w.open()
                w.key("what")
                w.reference("\(e.reference)/_history/\(e.version)")
                w.close()
            }
            if moreEntities > 0 {
                w.open()
                w.field("description", "and \(moreEntities) more resources")
                w.close()
            }
            if let requestLine {
                w.open()
                w.key("type")
                w.raw(#"{"system":"http://terminology.hl7.org/CodeSystem/audit-entity-type","code":"2"}"#)
                w.field("query", Data(requestLine.utf8).base64EncodedString())
                w.field("description", requestLine)
                w.close()
            }
            w.closeArray()
        }
        w.close()
        return w.bytes
    }

    /// A stored record as a FHIR AuditEvent: a compact one rendered, a JSON one as it is (with the
    /// trail's id and meta when they are given).
    public static func eventJSON(record: [UInt8], id: String? = nil, lastUpdated: Int64? = nil) -> [UInt8] {
        if let facts = AuditFacts(compact: record) { return facts.eventJSON(id: id, lastUpdated: lastUpdated) }
        guard id != nil || lastUpdated != nil, var o = (try? JSONParser.parse(record))?.objectValue else { return record }
        o["id"] = nil
        o["meta"] = nil
        if let id { o.set("id", .string(id), insertingAt: min(1, o.count)) }
        if let lastUpdated {
            o.set("meta", .object(JSONObject([("versionId", "1"), ("lastUpdated", .string(InstantFormat.string(millis: lastUpdated)))])),
                  insertingAt: min(id == nil ? 1 : 2, o.count))
        }
        return JSONWriter.bytes(.object(o))
    }
}

/// Reads the compact record's fields, failing (nil) on anything short or out of range.
private struct ByteReader {
    let bytes: [UInt8]
    var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { at == bytes.count }

    mutating func byte() -> UInt8? {
        guard at < bytes.count else { return nil }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let b = byte() {
            guard shift < 64 else { return nil }
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    /// A varint used as a count or size: no larger than what is left of the bytes could hold.
    mutating func count() -> Int? {
        guard let v = varint(), v <= UInt64(bytes.count) else { return nil }
        return Int(v)
    }

    mutating func string(length: Int) -> String? {
        guard bytes.count - at >= length else { return nil }
        defer { at += length }
        return String(decoding: bytes[at..<at + length], as: UTF8.self)
    }

    mutating func string() -> String? {
        guard let n = count() else { return nil }
        return string(length: n)
    }

    /// nil when the bytes are bad; .some(nil) when the field is absent.
    mutating func optional() -> String?? {
        guard let n = count() else { return nil }
        if n == 0 { return .some(nil) }
        return string(length: n - 1).map { .some($0) }
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    fileprivate mutating func appendString(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            appendVarint(UInt64(utf8.count))
            append(contentsOf: utf8)
        }
    }

    fileprivate mutating func appendOptional(_ s: String?) {
        guard var s else { return appendVarint(0) }
        s.withUTF8 { utf8 in
            appendVarint(UInt64(utf8.count) + 1)
            append(contentsOf: utf8)
        }
    }
}

/// A compact JSON writer for audit events: objects, keys and escaped strings appended in order,
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
