@testable import Access
import FHIRCore
import FHIRStore
import Foundation
import Testing

/// R-SEC-2: what one audit record says — who (account, roles, own resource, address), why (purpose,
/// break-glass flagged), on whose data, which resources and query, with which outcome — as a valid
/// FHIR AuditEvent.
@Suite("Audit record content (R-SEC-2)")
struct AuditRecordTests {
    static let doctor = Principal(
        subject: "acct-7", clientID: "portal", tokenID: "t1", roles: ["doctor", "family-doctor"], scope: "user/*.rs",
        fhirUser: "Practitioner/dr-\"王\"", organization: "Organization/hz-1")

    func record(_ row: AuditRow) throws -> JSON {
        let json = try JSONParser.parse(row.record)
        let outcome = ResourceValidator().validate(json)
        #expect(outcome.errors.isEmpty, "not a valid AuditEvent: \(outcome.errors.prefix(3))")
        return json
    }

    @Test("a search by a clinician under break-glass: agent, purpose flagged BTG, every patient and resource, the query")
    func searchRecord() throws {
        let patients = (1...3).map { ResourceRecord(type: "Patient", id: "p\($0)", versionId: $0, lastUpdated: 0, isDeleted: false, json: []) }
        let context = RequestContext(
            requestId: "req-1", sourceAddress: "10.1.2.3", principal: Self.doctor, requestLine: "GET /fhir/Patient?family=王&_count=3",
            purpose: CareRelationshipRule.breakGlassPrefix + "unconscious, no relative")
        let row = AuditTrail.row(action: "search", outcome: 0, records: patients, context: context)
        let event = try record(row)
        #expect(row.patients == ["Patient/p1", "Patient/p2", "Patient/p3"] && row.actor == "acct-7" && row.source == "10.1.2.3")
        #expect(event["id"]?.stringValue == "req-1" && event["action"]?.stringValue == "R" && event["outcome"]?.stringValue == "0")
        #expect(event["type"]?["code"]?.stringValue == "rest" && event["subtype"]?.arrayValue?.first?["code"]?.stringValue == "search")
        let agent = try #require(event["agent"]?.arrayValue?.first)
        #expect(agent["type"]?["text"]?.stringValue == "doctor family-doctor")
        #expect(agent["who"]?["reference"]?.stringValue == "Practitioner/dr-\"王\"")
        #expect(agent["who"]?["identifier"]?["value"]?.stringValue == "acct-7")
        #expect(agent["network"]?["address"]?.stringValue == "10.1.2.3")
        #expect(agent["purposeOfUse"]?.arrayValue?.first?["coding"]?.arrayValue?.first?["code"]?.stringValue == "BTG")
        #expect(agent["purposeOfUse"]?.arrayValue?.first?["text"]?.stringValue == context.purpose)
        let entities = try #require(event["entity"]?.arrayValue)
        #expect(entities.count == 3 + 3 + 1)
        #expect(entities.prefix(3).map { $0["what"]?["reference"]?.stringValue } == ["Patient/p1", "Patient/p2", "Patient/p3"])
        #expect(entities[3...5].map { $0["what"]?["reference"]?.stringValue } == ["Patient/p1/_history/1", "Patient/p2/_history/2", "Patient/p3/_history/3"])
        let query = try #require(entities.last)
        #expect(query["description"]?.stringValue == "GET /fhir/Patient?family=王&_count=3")
        #expect(query["query"]?.stringValue.flatMap { Data(base64Encoded: $0) } == Data("GET /fhir/Patient?family=王&_count=3".utf8))
    }

    @Test("an event outside FHIR without a caller: in-process agent, its own event code, the detail and no entities")
    func bareRecord() throws {
        let row = AuditTrail.row(action: "login", outcome: 4, records: [], context: RequestContext(), detail: "wrong password")
        let event = try record(row)
        #expect(event["id"] == nil && event["entity"] == nil && event["outcomeDesc"]?.stringValue == "wrong password")
        #expect(event["type"]?["system"]?.stringValue == "urn:kangqiao:audit-event" && event["type"]?["code"]?.stringValue == "login")
        #expect(event["action"]?.stringValue == "E" && event["outcome"]?.stringValue == "4")
        #expect(event["agent"]?.arrayValue?.first?["type"]?["text"]?.stringValue == "in-process")
        #expect(event["agent"]?.arrayValue?.first?["who"]?["identifier"]?["value"]?.stringValue == "kangqiao")
        #expect(event["agent"]?.arrayValue?.first?["network"] == nil && event["agent"]?.arrayValue?.first?["purposeOfUse"] == nil)
    }

    @Test("a change of a signed record keeps its reason (R-SEC-3), and an oversized write lists the first resources and how many more")
    func changeRecord() throws {
        let records = (0..<(AuditTrail.maxEntities + 5)).map {
            ResourceRecord(type: "Observation", id: "o\($0)", versionId: 2, lastUpdated: 0, isDeleted: false, json: [])
        }
        let row = AuditTrail.row(action: "update", outcome: 0, records: records,
                                 context: RequestContext(principal: Self.doctor, changeReason: "typo in dose"))
        let event = try record(row)
        #expect(event["purposeOfEvent"]?.arrayValue?.first?["text"]?.stringValue == "change of a signed record: typo in dose")
        let entities = try #require(event["entity"]?.arrayValue)
        #expect(entities.count == AuditTrail.maxEntities + 1)
        #expect(entities.last?["description"]?.stringValue == "and 5 more resources")
        #expect(event["action"]?.stringValue == "U")
    }
}
