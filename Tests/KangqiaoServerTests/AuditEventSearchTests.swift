@testable import Access
import FHIRCore
import Foundation
import Testing

/// The trail over HTTP: a regulator searches it; a resident lists who accessed their record and why;
/// nobody can write or change it through the API.
@Suite("Audit trail search (regulator and patient access log)")
struct AuditEventSearchTests {
    static let patient = #"{"resourceType":"Patient","name":[{"family":"赵","given":["敏"]}]}"#

    func token(_ fhir: FHIRTestClient, _ name: String, roles: [Role], scopes: String, fhirUser: String? = nil) async throws -> FHIRTestClient {
        let access = try #require(fhir.access)
        _ = try await access.createPerson(name: name, password: "\(name)-password", roles: roles, scopes: scopes, fhirUser: fhirUser)
        return fhir.with(token: try access.mint(for: try #require(try await access.account(name))).accessToken)
    }

    @Test("a regulator searches by patient, agent, outcome and date and pages newest first; a resident sees only their own access log",
          arguments: ServerBackendKind.allCases)
    func searches(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let mine = try #require(try await fhir.post("/fhir/Patient", Self.patient).json["id"]?.stringValue)
            let other = try #require(try await fhir.post("/fhir/Patient", Self.patient).json["id"]?.stringValue)
            for _ in 0..<3 { _ = try await fhir.get("/fhir/Patient/\(mine)") }
            _ = try await fhir.get("/fhir/Patient/\(other)")
            _ = try await fhir.get("/fhir/NoSuchType")
            let regulator = try await token(fhir, "regulator.1", roles: [.regulator], scopes: "user/AuditEvent.rs")
            let log = try await regulator.get("/fhir/AuditEvent?patient=Patient/\(mine)")
            #expect(log.status == 200)
            let entries = log.json["entry"]?.arrayValue ?? []
            #expect(entries.count == 4, "create + 3 reads of the patient")
            #expect(entries.compactMap { $0["resource"]?["subtype"]?.arrayValue?.first?["code"]?.stringValue } == ["read", "read", "read", "create"])
            #expect(entries.allSatisfy { $0["resource"]?["agent"]?.arrayValue?.first?["who"]?["identifier"]?["value"] == .string(TestDatabases.suiteClient) })
            let failures = try await regulator.get("/fhir/AuditEvent?outcome=4")
            #expect(failures.json["entry"]?.arrayValue?.count == 1)
            let byAgent = try await regulator.get("/fhir/AuditEvent?agent=\(TestDatabases.suiteClient)&_count=2")
            #expect(byAgent.json["entry"]?.arrayValue?.count == 2)
            let next = try #require(byAgent.json["link"]?.arrayValue?.first { $0["relation"] == "next" }?["url"]?.stringValue)
            let page2 = try await regulator.get(String(next[next.range(of: "/fhir")!.lowerBound...]))
            let ids1 = byAgent.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["id"]?.stringValue } ?? []
            let ids2 = page2.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["id"]?.stringValue } ?? []
            #expect(ids2.count == 2 && Set(ids1).isDisjoint(with: ids2) && Int(ids1.last ?? "0")! > Int(ids2.first ?? "0")!)
            let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
            #expect(try await regulator.get("/fhir/AuditEvent?date=ge\(today)&patient=\(mine)").json["entry"]?.arrayValue?.count == 4)
            #expect(try await regulator.get("/fhir/AuditEvent?date=lt2020-01-01").json["entry"]?.arrayValue?.count == 0)
            let one = try #require(ids1.first)
            let read = try await regulator.get("/fhir/AuditEvent/\(one)")
            #expect(read.status == 200 && read.json["id"] == .string(one))

            let resident = try await token(fhir, "zhao.min", roles: [.resident], scopes: "patient/AuditEvent.rs", fhirUser: "Patient/\(mine)")
            let own = try await resident.get("/fhir/AuditEvent")
            #expect(own.status == 200)
            let patients = (own.json["entry"]?.arrayValue ?? []).flatMap { $0["resource"]?["entity"]?.arrayValue ?? [] }
                .compactMap { $0["what"]?["reference"]?.stringValue }.filter { $0.hasPrefix("Patient/") }
            #expect(!patients.isEmpty && patients.allSatisfy { $0 == "Patient/\(mine)" || $0.hasPrefix("Patient/\(mine)/") })
            #expect(try await resident.get("/fhir/AuditEvent?patient=\(other)").status == 403)
        }
    }

    @Test("a system's own AuditEvent is appended as sent; the trail cannot be changed or deleted through the API; bad parameters are 400")
    func appendOnly() async throws {
        try await withFHIRServer { fhir, _ in
            let event = #"{"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2026-01-01T00:00:00Z","agent":[{"requestor":true}],"source":{"observer":{"display":"x"}}}"#
            // A hospital system's own event is appended to the trail and read back as sent.
            let appended = try await fhir.post("/fhir/AuditEvent", event)
            #expect(appended.status == 201 && appended.header("Location")?.hasSuffix("/_history/1") == true)
            let aid = try #require(appended.json["id"]?.stringValue)
            var back = try #require(try await fhir.get("/fhir/AuditEvent/\(aid)").json.objectValue)
            back["id"] = nil
            back["meta"] = nil
            #expect(JSON.object(back).sameValue(as: try JSONParser.parse(event)))
            let statuses = [try await fhir.put("/fhir/AuditEvent/\(aid)", event).status, try await fhir.delete("/fhir/AuditEvent/\(aid)").status]
            #expect(statuses == [405, 405])
            #expect(try await fhir.post("/fhir/AuditEvent", #"{"resourceType":"AuditEvent","bogus":1}"#).status == 400)
            let bad = [try await fhir.get("/fhir/AuditEvent?colour=red").status, try await fhir.get("/fhir/AuditEvent?date=yesterday").status]
            #expect(bad == [400, 400])
            let missing = try await fhir.get("/fhir/AuditEvent/999999")
            #expect(missing.status == 404)
        }
    }

    @Test("a doctor sees only their own actions in the trail, and searching the trail is itself recorded")
    func doctorSeesOwnActions() async throws {
        try await withFHIRServer { fhir, runtime in
            let doctor = try await token(fhir, "dr.sun", roles: [.doctor], scopes: "user/*.cruds")
            _ = try await doctor.post("/fhir/Patient", Self.patient)
            _ = try await fhir.post("/fhir/Patient", Self.patient)
            let seen = try await doctor.get("/fhir/AuditEvent")
            let agents = (seen.json["entry"]?.arrayValue ?? []).compactMap { $0["resource"]?["agent"]?.arrayValue?.first?["who"]?["identifier"]?["value"]?.stringValue }
            #expect(!agents.isEmpty && agents.allSatisfy { $0 == "dr.sun" })
            #expect(try await doctor.get("/fhir/AuditEvent?agent=\(TestDatabases.suiteClient)").status == 403)
            let last = try await runtime.backend.searchAudit(.init(actor: "dr.sun", limit: 5))
            #expect(last.contains { $0.row.action == "search" })
        }
    }
}
