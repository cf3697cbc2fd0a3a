import FHIRCore
import FHIRStore
import Foundation

/// An audit record shown as a FHIR AuditEvent, when the trail is read (`GET /fhir/AuditEvent`).
extension AuditFacts {
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
