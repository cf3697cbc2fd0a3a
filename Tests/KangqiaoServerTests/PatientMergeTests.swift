@testable import Access
import ChinaReference
import FHIRCore
import Foundation
import Testing

/// Issue 6: `Patient/$merge` and `$unmerge` on both backends, through the repository (authorized,
/// audited, one transaction).
@Suite("Patient merge and unmerge")
struct PatientMergeTests {
    static func parameters(_ pairs: [(String, String)]) -> String {
        let items = pairs.map { #"{"name":"\#($0.0)","valueReference":{"reference":"Patient/\#($0.1)"}}"# }
        return #"{"resourceType":"Parameters","parameter":[\#(items.joined(separator: ","))]}"#
    }

    @Test("a merge moves the source's references to the target, retires the source with replaced-by, and searches by the old id find the survivor; unmerge undoes it",
          arguments: ServerBackendKind.allCases)
    func mergeAndUnmerge(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            func create(_ path: String, _ json: String) async throws -> String {
                let r = try await fhir.post(path, json)
                #expect(r.status == 201, "\(r.text)")
                return try #require(r.json["id"]?.stringValue)
            }
            // Two records no rule links (different phones and birth dates): a person's clerk decides.
            let source = try await create("/fhir/Patient", PatientMatchTests.patient(birth: "1985-03-08", phone: "13000000001", address: nil))
            let target = try await create("/fhir/Patient", PatientMatchTests.patient(phone: "13000000002", address: "广东省汕头市潮阳区人民路12号"))
            let obs = try await create("/fhir/Observation", PatientMatchTests.observation(source))
            let encounter = try await create("/fhir/Encounter", #"{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/\#(source)"}}"#)
            let other = try await create("/fhir/Observation", PatientMatchTests.observation(target, "体重"))

            let merged = try await fhir.post("/fhir/Patient/$merge", Self.parameters([("source-patient", source), ("target-patient", target)]))
            #expect(merged.status == 200, "\(merged.text)")
            let result = merged.json["parameter"]?.arrayValue ?? []
            #expect(result.first { $0["name"] == "moved" }?["valueInteger"] == 2)
            #expect(result.first { $0["name"] == "result" }?["resource"]?["id"]?.stringValue == target)

            #expect(try await fhir.get("/fhir/Observation/\(obs)").json["subject"]?["reference"]?.stringValue == "Patient/\(target)")
            #expect(try await fhir.get("/fhir/Encounter/\(encounter)").json["subject"]?["reference"]?.stringValue == "Patient/\(target)")
            let retired = try await fhir.get("/fhir/Patient/\(source)").json
            #expect(retired["active"] == false)
            #expect(retired["link"]?.arrayValue?.first?["type"] == "replaced-by")
            #expect(retired["link"]?.arrayValue?.first?["other"]?["reference"]?.stringValue == "Patient/\(target)")
            #expect(try await fhir.get("/fhir/Patient/\(target)").json["link"]?.arrayValue?.first?["type"] == "replaces")
            // Searches by the old id still find the survivor and everything now filed under it.
            #expect(PatientMatchTests.ids(try await fhir.get("/fhir/Patient?_id=\(source)")).contains(target))
            #expect(PatientMatchTests.ids(try await fhir.get("/fhir/Observation?patient=\(source)")) == [obs, other])
            #expect(PatientMatchTests.ids(try await fhir.get("/fhir/Patient/\(source)/$everything")).isSuperset(of: [target, obs, other, encounter]))
            // Merged twice: refused, nothing changes.
            let twice = try await fhir.post("/fhir/Patient/$merge", Self.parameters([("source-patient", source), ("target-patient", target)]))
            #expect(twice.status == 409 && twice.isOperationOutcome)
            // The merge is audited as the caller's writes (R-SEC-2).
            let audit = try await fhir.get("/fhir/AuditEvent?patient=Patient/\(target)&_count=100")
            let mergeEvents = (audit.json["entry"]?.arrayValue ?? []).filter {
                $0["resource"]?["subtype"]?.arrayValue?.first?["code"] == "transaction"
                    && ($0["resource"]?["entity"]?.arrayValue ?? []).contains { $0["what"]?["reference"]?.stringValue == "Observation/\(obs)/_history/2" }
            }
            #expect(mergeEvents.count == 1)

            let unmerged = try await fhir.post("/fhir/Patient/$unmerge", Self.parameters([("source-patient", source)]))
            #expect(unmerged.status == 200, "\(unmerged.text)")
            #expect(try await fhir.get("/fhir/Observation/\(obs)").json["subject"]?["reference"]?.stringValue == "Patient/\(source)")
            #expect(try await fhir.get("/fhir/Encounter/\(encounter)").json["subject"]?["reference"]?.stringValue == "Patient/\(source)")
            let restored = try await fhir.get("/fhir/Patient/\(source)").json
            #expect(restored["active"] != false && restored["link"] == nil)
            #expect(try await fhir.get("/fhir/Patient/\(target)").json["link"] == nil)
            #expect(PatientMatchTests.ids(try await fhir.get("/fhir/Observation?patient=\(source)")) == [obs])
            #expect(PatientMatchTests.ids(try await fhir.get("/fhir/Patient?_id=\(source)")) == [source])
            #expect(try await fhir.post("/fhir/Patient/$unmerge", Self.parameters([("source-patient", source)])).status == 422)
        }
    }

    @Test("bad merges are refused with an OperationOutcome and change nothing; a resident may not merge", arguments: ServerBackendKind.allCases)
    func refusals(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let a = try #require(try await fhir.post("/fhir/Patient", PatientMatchTests.patient(phone: "13000000001", address: nil)).json["id"]?.stringValue)
            let b = try #require(try await fhir.post("/fhir/Patient", PatientMatchTests.patient(given: "国强", birth: "1960-01-01", phone: "13000000002")).json["id"]?.stringValue)
            let itself = try await fhir.post("/fhir/Patient/$merge", Self.parameters([("source-patient", a), ("target-patient", a)]))
            #expect(itself.status == 422 && itself.isOperationOutcome)
            #expect(try await fhir.post("/fhir/Patient/$merge", Self.parameters([("source-patient", "nobody"), ("target-patient", a)])).status == 404)
            #expect(try await fhir.post("/fhir/Patient/$merge", Self.parameters([("source-patient", a)])).status == 400)
            #expect(try await fhir.post("/fhir/Patient/$merge", #"{"resourceType":"Parameters","parameter":[{"name":"source","valueString":"bad id!"},{"name":"target","valueString":"\#(b)"}]}"#).status == 400)
            #expect(try await fhir.post("/fhir/Patient/$unmerge", Self.parameters([("source-patient", a)])).status == 422)

            let access = try #require(fhir.access)
            _ = try await access.createPerson(name: "resident-a", password: "resident-password-1", roles: [.resident], scopes: "patient/*.rs", fhirUser: "Patient/\(a)")
            let resident = fhir.with(token: try access.mint(for: try #require(try await access.account("resident-a"))).accessToken)
            let refused = try await resident.post("/fhir/Patient/$merge", Self.parameters([("source-patient", a), ("target-patient", b)]))
            #expect(refused.status == 403 && refused.isOperationOutcome)
            #expect(try await fhir.get("/fhir/Patient/\(a)").json["active"] == nil)
            #expect(try await fhir.get("/fhir/Patient/\(a)").json["link"] == nil)
        }
    }
}
