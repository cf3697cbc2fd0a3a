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
        let json = try JSONParser.parse(AuditFacts.eventJSON(record: row.record))
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

    @Test("the stored form is compact, reads back to the same facts, and names a search's patients once")
    func compactForm() throws {
        let patients = (1...20).map {
            ResourceRecord(type: "Patient", id: "019b5e6c-7d2a-7c3e-8f00-0000000000\($0 + 10)", versionId: 1, lastUpdated: 0, isDeleted: false, json: [])
        }
        let context = RequestContext(
            requestId: "req-9", sourceAddress: "10.1.2.3", principal: Self.doctor, requestLine: "GET /fhir/Patient?family=王&_count=20")
        let row = AuditTrail.row(action: "search", outcome: 0, records: patients, context: context)
        let facts = try #require(AuditFacts(compact: row.record))
        #expect(facts.patients == row.patients && facts.entities.map(\.reference) == row.patients && facts.account == "acct-7")
        #expect(facts.encoded == row.record)
        // Each patient's id is stored once (the entity refers to it): about 46 bytes a patient, not 92.
        #expect(row.record.count < 20 * 50 + 200, "\(row.record.count) bytes")
        let json = AuditFacts.eventJSON(record: row.record)
        #expect(row.record.count * 4 < json.count, "compact \(row.record.count) vs JSON \(json.count) bytes")
        // Every cut of the bytes, and every change of the marker, is refused rather than misread.
        for n in 0..<row.record.count { #expect(AuditFacts(compact: Array(row.record.prefix(n))) == nil) }
        #expect(AuditFacts(compact: [0x7B] + row.record.dropFirst()) == nil)
        #expect(AuditFacts(compact: row.record + [0]) == nil)
        // The patients alone (what the journal's import reads) are the same ones, and a cut before
        // the last of them is refused too.
        #expect(AuditFacts.patients(compact: row.record) == row.patients)
        let lastPatientEnd = try #require((0...row.record.count).first { AuditFacts.patients(compact: Array(row.record.prefix($0))) != nil })
        #expect(AuditFacts.patients(compact: Array(row.record.prefix(lastPatientEnd))) == row.patients)
        #expect(AuditFacts.patients(compact: Array(#"{"resourceType":"AuditEvent"}"#.utf8)) == nil)
    }

    @Test("a record stored as AuditEvent JSON (before the compact form, or posted by a system) is shown as it is, with the trail's id")
    func jsonRecord() throws {
        let stored = Array(#"{"resourceType":"AuditEvent","id":"old","recorded":"2026-01-02T03:04:05Z"}"#.utf8)
        #expect(AuditFacts.eventJSON(record: stored) == stored)
        let served = try JSONParser.parse(AuditFacts.eventJSON(record: stored, id: "42", lastUpdated: 1_767_323_045_000))
        #expect(served["id"]?.stringValue == "42" && served["meta"]?["versionId"]?.stringValue == "1")
        #expect(served["recorded"]?.stringValue == "2026-01-02T03:04:05Z")
        let compact = AuditTrail.row(action: "read", outcome: 0, records: [], context: RequestContext(requestId: "r1"))
        let shown = try JSONParser.parse(AuditFacts.eventJSON(record: compact.record, id: "43", lastUpdated: compact.recorded))
        #expect(shown["id"]?.stringValue == "43" && shown["meta"]?["lastUpdated"]?.stringValue == InstantFormat.string(millis: compact.recorded))
        #expect(ResourceValidator().validate(shown).errors.isEmpty)
    }

    @Test("a mixed batch: the patients an Observation refers to, Patients listed out of their order, each stored once and read back")
    func mixedEntities() throws {
        let observation = ResourceRecord(type: "Observation", id: "o1", versionId: 3, lastUpdated: 0, isDeleted: false,
                                         json: Array(#"{"resourceType":"Observation","subject":{"reference":"Patient/a"}}"#.utf8))
        let b = ResourceRecord(type: "Patient", id: "b", versionId: 1, lastUpdated: 0, isDeleted: false, json: [])
        let a = ResourceRecord(type: "Patient", id: "a", versionId: 2, lastUpdated: 0, isDeleted: false, json: [])
        let row = AuditTrail.row(action: "transaction", outcome: 0, records: [observation, b, a, b], context: RequestContext())
        #expect(row.patients == ["Patient/a", "Patient/b"])
        let facts = try #require(AuditFacts(compact: row.record))
        #expect(facts.entities == [.init(reference: "Observation/o1", version: 3), .init(reference: "Patient/b", version: 1),
                                   .init(reference: "Patient/a", version: 2), .init(reference: "Patient/b", version: 1)])
        #expect(facts.encoded == row.record)
    }
}
