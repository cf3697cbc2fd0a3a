@testable import Access
import FHIRCore
import FHIRStore
import Foundation
import Testing

/// R-SEC-1 / issue 5: a patient's Consent forbids sharing their record, or a labelled category of it
/// (HIV), with organizations other than the custodian; enforced in the query for reads, searches,
/// counts and $everything; break-glass overrides it, flagged.
@Suite("Patient consent (R-SEC-1)")
struct ConsentTests {
    static func consent(patient: String, deniedTo: String?, custodian: String, labels: [String] = []) -> String {
        let actor = deniedTo.map {
            #","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"\#($0)"}}]"#
        } ?? ""
        let label = labels.isEmpty ? "" : #","securityLabel":["# + labels.map { #"{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"\#($0)"}"# }.joined(separator: ",") + "]"
        return """
            {"resourceType":"Consent","status":"active",
            "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
            "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
            "patient":{"reference":"Patient/\(patient)"},"organization":[{"reference":"\(custodian)"}],
            "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTOUT"}]},
            "provision":{"type":"deny"\(actor)\(label)}}
            """
    }

    func doctor(_ fhir: FHIRTestClient, _ name: String, org: String) async throws -> FHIRTestClient {
        let access = try #require(fhir.access)
        _ = try await access.createPerson(name: name, password: name + "-password", roles: [.doctor], scopes: "user/*.cruds",
                                          fhirUser: "Practitioner/\(name)", organization: org)
        return fhir.with(token: try access.mint(for: try #require(try await access.account(name))).accessToken)
    }

    func ids(_ r: FHIRTestResponse) -> Set<String> { Set(r.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["id"]?.stringValue } ?? []) }

    @Test("a whole-record denial to one hospital and an HIV-only denial to all but the custodian, in reads, searches, counts and $everything",
          arguments: ServerBackendKind.allCases)
    func consent(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            var patients: [String] = []
            var obs: [String: [String]] = [:]
            for family in ["周", "吴"] {
                let p = try #require(try await fhir.post("/fhir/Patient", #"{"resourceType":"Patient","name":[{"family":"\#(family)"}]}"#).json["id"]?.stringValue)
                patients.append(p)
                for org in ["h1", "h2"] {
                    _ = try await fhir.post("/fhir/Encounter", #"{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/\#(p)"},"serviceProvider":{"reference":"Organization/\#(org)"}}"#)
                }
                let plain = #"{"resourceType":"Observation","status":"final","code":{"text":"血常规"},"subject":{"reference":"Patient/\#(p)"}}"#
                let hiv = #"{"resourceType":"Observation","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},"status":"final","code":{"text":"HIV抗体"},"subject":{"reference":"Patient/\#(p)"}}"#
                obs[p] = [try #require(try await fhir.post("/fhir/Observation", plain).json["id"]?.stringValue),
                          try #require(try await fhir.post("/fhir/Observation", hiv).json["id"]?.stringValue)]
            }
            let (zhou, wu) = (patients[0], patients[1])
            let h1 = try await doctor(fhir, "dr.h1", org: "Organization/h1")
            let h2 = try await doctor(fhir, "dr.h2", org: "Organization/h2")
            #expect(ids(try await h2.get("/fhir/Observation")).count == 4, "no consent yet: both patients' records")

            // Zhou denies hospital h2 the whole record; Wu denies HIV results to all but h1.
            let c1 = try await fhir.post("/fhir/Consent", Self.consent(patient: zhou, deniedTo: "Organization/h2", custodian: "Organization/h1"))
            #expect(c1.status == 201, "\(c1.text.prefix(400))")
            #expect(try await fhir.post("/fhir/Consent", Self.consent(patient: wu, deniedTo: nil, custodian: "Organization/h1", labels: ["HIV"])).status == 201)

            let seenByH2 = try await h2.get("/fhir/Observation?_total=accurate")
            #expect(ids(seenByH2) == [obs[wu]![0]] && seenByH2.json["total"] == 1)
            #expect(ids(try await h2.get("/fhir/Patient")) == [wu])
            #expect(try await h2.get("/fhir/Observation/\(obs[zhou]![0])").status == 403)
            #expect(try await h2.get("/fhir/Observation/\(obs[wu]![1])").status == 403)
            #expect(try await h2.get("/fhir/Patient/\(zhou)/$everything").status == 403)
            let everythingWu = try await h2.get("/fhir/Patient/\(wu)/$everything")
            #expect(everythingWu.status == 200 && !ids(everythingWu).contains(obs[wu]![1]))
            // The custodian and the hospital not named still see everything.
            #expect(ids(try await h1.get("/fhir/Observation")).count == 4)

            // Break-glass overrides the denial, flagged in the trail.
            #expect(try await h2.get("/fhir/Observation/\(obs[zhou]![1])", headers: ["X-Break-Glass": "急诊"]).status == 200)
            let flagged = try await runtime.backend.searchAudit(.init(patient: "Patient/\(zhou)", actor: "dr.h2", outcome: 0, limit: 5))
            #expect(flagged.contains { String(decoding: AuditFacts.eventJSON(record: $0.row.record), as: UTF8.self).contains("BTG") })

            // Withdrawn: the record is shared again.
            var withdrawn = try #require(c1.json.objectValue)
            withdrawn["status"] = "inactive"
            let id = try #require(withdrawn["id"]?.stringValue)
            #expect(try await fhir.put("/fhir/Consent/\(id)", JSONWriter.string(.object(withdrawn))).status == 200)
            #expect(ids(try await h2.get("/fhir/Observation")).count == 3)
        }
    }
}
