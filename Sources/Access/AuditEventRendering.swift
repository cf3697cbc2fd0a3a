import FHIRCore
import FHIRStore
import Foundation

/// An audit record shown as a FHIR AuditEvent, when the trail is read (`GET /fhir/AuditEvent`).
extension AuditFacts {
    /// The interactions recorded as RESTful events (`audit-event-type#rest`); others get a code of ours.
    static let restful: Set<String> = ["read", "vread", "search", "create", "update", "delete", "history", "transaction", "batch", "operation"]

    /// The record as a FHIR AuditEvent. `id` and `lastUpdated` are the trail's (its row number, the
    /// time recorded); without them the request's id is the event's.
    public func event(id: String? = nil, lastUpdated: Int64? = nil) -> JSON {
        let code: String = switch action {
        case "create": "C"
        case "update": "U"
        case "delete": "D"
        case "read", "vread", "search", "history": "R"
        default: "E"
        }
        var o = JSONObject([("resourceType", "AuditEvent")])
        if let eventId = id ?? requestId, !eventId.isEmpty { o["id"] = .string(eventId) }
        if let lastUpdated { o["meta"] = ["versionId": "1", "lastUpdated": .string(InstantFormat.string(millis: lastUpdated))] }
        o["type"] = Self.restful.contains(action)
            ? ["system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest"]
            : ["system": "urn:kangqiao:audit-event", "code": .string(action)]
        o["subtype"] = [["system": "http://hl7.org/fhir/restful-interaction", "code": .string(action)]]
        o["action"] = .string(code)
        o["recorded"] = .string(InstantFormat.string(millis: recorded))
        o["outcome"] = .string(String(outcome))
        if let detail { o["outcomeDesc"] = .string(detail) }
        if let changeReason { o["purposeOfEvent"] = [["text": .string("change of a signed record: " + changeReason)]] }

        var who = JSONObject()
        if let fhirUser { who["reference"] = .string(fhirUser) }
        who["identifier"] = ["system": "urn:kangqiao:account", "value": .string(account)]
        var agent = JSONObject([("type", ["text": .string(roles ?? "in-process")]), ("who", .object(who)), ("requestor", true)])
        if let sourceAddress { agent["network"] = ["address": .string(sourceAddress), "type": "2"] }
        if let purpose {
            var use = JSONObject()
            if breakGlass {
                // Flagged for the regulator and the patient: emergency access without a relationship.
                use["coding"] = [["system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "BTG", "display": "break the glass"]]
            }
            use["text"] = .string(purpose)
            agent["purposeOfUse"] = [.object(use)]
        }
        o["agent"] = [.object(agent)]
        o["source"] = ["observer": ["display": "kangqiao"]]

        var listed: [JSON] = patients.map { patient in
            ["what": ["reference": .string(patient)],
             "role": ["system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient"]]
        }
        listed += entities.map { ["what": ["reference": .string("\($0.reference)/_history/\($0.version)")]] }
        if moreEntities > 0 { listed.append(["description": .string("and \(moreEntities) more resources")]) }
        if let requestLine {
            listed.append([
                "type": ["system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2"],
                "query": .string(Data(requestLine.utf8).base64EncodedString()), "description": .string(requestLine),
            ])
        }
        if !listed.isEmpty { o["entity"] = .array(listed) }
        return .object(o)
    }

    /// A stored record as a FHIR AuditEvent: a compact one rendered, a JSON one as it is but with the
    /// trail's id and meta when they are given; nil for a record that is neither.
    public static func event(record: [UInt8], id: String? = nil, lastUpdated: Int64? = nil) -> JSON? {
        if let facts = AuditFacts(compact: record) { return facts.event(id: id, lastUpdated: lastUpdated) }
        guard var o = (try? JSONParser.parse(record))?.objectValue else { return nil }
        if id != nil || lastUpdated != nil {
            o["id"] = nil
            o["meta"] = nil
        }
        if let id { o.set("id", .string(id), insertingAt: 1) }
        if let lastUpdated {
            o.set("meta", ["versionId": "1", "lastUpdated": .string(InstantFormat.string(millis: lastUpdated))], insertingAt: id == nil ? 1 : 2)
        }
        return .object(o)
    }

    /// `event(record:…)` as bytes; a JSON record asked for as it is comes back byte for byte, and an
    /// unreadable one as stored.
    public static func eventJSON(record: [UInt8], id: String? = nil, lastUpdated: Int64? = nil) -> [UInt8] {
        if !isCompact(record), id == nil, lastUpdated == nil { return record }
        return event(record: record, id: id, lastUpdated: lastUpdated).map { JSONWriter.bytes($0) } ?? record
    }
}
