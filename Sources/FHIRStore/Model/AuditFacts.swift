import Foundation

/// What one audit record says (R-SEC-2), in the compact form the trail stores and the hash chain
/// covers; shown as a FHIR AuditEvent only when the trail is read (`event`, in Access).
///
/// A record is written on every read and search, and read back rarely: building the AuditEvent's
/// JSON for each one was a tenth of a search's CPU, and its bytes (most of them fixed code system
/// URLs) were written three times over — journal, table, checkpoint — and hashed. The compact form
/// is a fifth of the size for a read and a tenth for a page of search results. It is the store's
/// format: a row whose record is compact keeps its patients only there (see `AuditRow`).
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
    public static let marker: UInt8 = 0xA1

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

    /// The patients of a compact record alone, without building the rest (the journal's import and
    /// the trail's rows need only them); nil for anything else.
    public static func patients(compact bytes: [UInt8]) -> [String]? {
        var r = ByteReader(bytes)
        guard r.byte() == Self.marker, r.varint() != nil, r.skipOptional(), r.skipString(), r.varint() != nil,
            r.skipOptional(), r.skipOptional(), r.skipOptional(), r.skipOptional(), r.skipString(), r.skipOptional(), r.skipOptional(),
            r.byte() != nil, let patientCount = r.count()
        else { return nil }
        return r.strings(patientCount)
    }

    /// Whether `record` is in this form (else AuditEvent JSON).
    public static func isCompact(_ record: [UInt8]) -> Bool { record.first == marker }

    /// The facts of a compact record; nil for anything else (a JSON record, damaged bytes).
    public init?(compact bytes: [UInt8]) {
        var r = ByteReader(bytes)
        guard r.byte() == Self.marker,
            let recorded = r.varint(), recorded <= UInt64(Int64.max), let requestId = r.optional(), let action = r.string(),
            let outcome = r.varint(), outcome <= UInt64(Int32.max), let detail = r.optional(), let changeReason = r.optional(), let roles = r.optional(),
            let fhirUser = r.optional(), let account = r.string(), let sourceAddress = r.optional(), let purpose = r.optional(),
            let breakGlass = r.byte(), breakGlass <= 1, let patientCount = r.count(), let patients = r.strings(patientCount)
        else { return nil }
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

    /// `count` strings in a row (the record's patients).
    mutating func strings(_ count: Int) -> [String]? {
        var found: [String] = []
        found.reserveCapacity(count)
        for _ in 0..<count {
            guard let s = string() else { return nil }
            found.append(s)
        }
        return found
    }

    mutating func skipString() -> Bool {
        guard let n = count(), bytes.count - at >= n else { return false }
        at += n
        return true
    }

    mutating func skipOptional() -> Bool {
        guard let n = count() else { return false }
        guard n > 0 else { return true }
        guard bytes.count - at >= n - 1 else { return false }
        at += n - 1
        return true
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
