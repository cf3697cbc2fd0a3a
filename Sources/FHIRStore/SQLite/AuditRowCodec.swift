/// The bytes of an audit row in the journal: a version byte, then its fields in order (integers as
/// 8 bytes big-endian, strings and bytes with a 4-byte length, optional strings behind a presence byte).
/// Version 2 puts a byte before the patients: 1 when they are the compact record's (not repeated),
/// 0 before the count and list that version 1 always had. Version 1 frames are still read.
enum AuditRowCodec {
    static let version: UInt8 = 2

    static func encode(_ row: AuditRow) -> [UInt8] {
        var out: [UInt8] = [version]
        out.reserveCapacity(64 + row.record.count)
        func int(_ v: Int64) { out.appendBigEndian(v) }
        func bytes<C: Collection>(_ b: C) where C.Element == UInt8 {
            out.appendBigEndian(UInt32(b.count))
            out += b
        }
        func optional(_ s: String?) {
            if let s { out.append(1); bytes(s.utf8) } else { out.append(0) }
        }
        int(row.recorded)
        bytes(row.action.utf8)
        int(Int64(row.outcome))
        optional(row.actor)
        optional(row.organization)
        optional(row.source)
        // A compact record lists its patients itself (a page of search results names twenty).
        if AuditFacts.isCompact(row.record) {
            out.append(1)
        } else {
            out.append(0)
            int(Int64(row.patients.count))
            for p in row.patients { bytes(p.utf8) }
        }
        bytes(row.record)
        return out
    }

    static func decode(_ payload: [UInt8]) -> AuditRow? {
        var at = 0
        func int() -> Int64? {
            guard payload.count - at >= 8 else { return nil }
            defer { at += 8 }
            return Int64(bigEndian: payload[at..<at + 8])
        }
        func bytes() -> ArraySlice<UInt8>? {
            guard payload.count - at >= 4 else { return nil }
            let n = Int(UInt32(bigEndian: payload[at..<at + 4]))
            at += 4
            guard payload.count - at >= n else { return nil }
            defer { at += n }
            return payload[at..<at + n]
        }
        func string() -> String? { bytes().map { String(decoding: $0, as: UTF8.self) } }
        func optional() -> String?? {
            guard at < payload.count else { return nil }
            let present = payload[at]
            at += 1
            switch present {
            case 0: return .some(nil)
            case 1: return string().map { .some($0) }
            default: return nil
            }
        }
        guard let frameVersion = payload.first, frameVersion == 1 || frameVersion == version else { return nil }
        at = 1
        guard let recorded = int(), let action = string(), let outcome = int(), let actor = optional(), let organization = optional(),
            let source = optional()
        else { return nil }
        var inRecord = false
        if frameVersion == version {
            guard at < payload.count, payload[at] <= 1 else { return nil }
            inRecord = payload[at] == 1
            at += 1
        }
        var patients: [String] = []
        if !inRecord {
            guard let count = int(), count >= 0, count <= Int64(payload.count) else { return nil }
            for _ in 0..<count {
                guard let p = string() else { return nil }
                patients.append(p)
            }
        }
        guard let record = bytes(), at == payload.count else { return nil }
        if inRecord {
            guard let facts = AuditFacts(compact: Array(record)) else { return nil }
            patients = facts.patients
        }
        return AuditRow(recorded: recorded, action: action, outcome: Int(outcome), actor: actor, organization: organization, source: source,
                        patients: patients, record: Array(record))
    }
}
