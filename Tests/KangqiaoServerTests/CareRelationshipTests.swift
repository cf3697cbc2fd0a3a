@testable import Access
import FHIRCore
import FHIRStore
import Foundation
import Testing

/// Issue 5, authorization compiled into the query: a clinician sees the patients their organization
/// (or they) have a care relationship with; a pharmacist those with prescriptions routed to the
/// pharmacy; a regulator no clinical content unless investigating; break-glass is allowed, flagged
/// and shown to the patient.
@Suite("Care relationships, break-glass and role rules")
struct CareRelationshipTests {
    func person(_ fhir: FHIRTestClient, _ name: String, _ roles: [Role], user: String? = nil, org: String? = nil) async throws -> FHIRTestClient {
        let access = try #require(fhir.access)
        _ = try await access.createPerson(name: name, password: "\(name)-password", roles: roles, scopes: roles == [.resident] ? "patient/*.rs" : "user/*.cruds",
                                          fhirUser: user, organization: org)
        return fhir.with(token: try access.mint(for: try #require(try await access.account(name))).accessToken)
    }

    func patient(_ fhir: FHIRTestClient, _ family: String) async throws -> String {
        try #require(try await fhir.post("/fhir/Patient", #"{"resourceType":"Patient","name":[{"family":"\#(family)"}]}"#).json["id"]?.stringValue)
    }

    func observation(_ fhir: FHIRTestClient, _ patient: String) async throws -> String {
        let o = #"{"resourceType":"Observation","status":"final","code":{"text":"血糖"},"subject":{"reference":"Patient/\#(patient)"}}"#
        return try #require(try await fhir.post("/fhir/Observation", o).json["id"]?.stringValue)
    }

    func ids(_ r: FHIRTestResponse) -> Set<String> {
        Set(r.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["id"]?.stringValue } ?? [])
    }

    @Test("a doctor sees patients with an encounter, a care episode or a care team at their hospital, and no others",
          arguments: ServerBackendKind.allCases)
    func doctor(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            let (a, b, c, d) = (try await patient(fhir, "甲"), try await patient(fhir, "乙"), try await patient(fhir, "丙"), try await patient(fhir, "丁"))
            let obs = [a: try await observation(fhir, a), b: try await observation(fhir, b), c: try await observation(fhir, c), d: try await observation(fhir, d)]
            _ = try await fhir.post("/fhir/Encounter", #"{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/\#(a)"},"serviceProvider":{"reference":"Organization/h1"}}"#)
            _ = try await fhir.post("/fhir/EpisodeOfCare", #"{"resourceType":"EpisodeOfCare","status":"active","patient":{"reference":"Patient/\#(c)"},"managingOrganization":{"reference":"Organization/h1"}}"#)
            _ = try await fhir.post("/fhir/CareTeam", #"{"resourceType":"CareTeam","subject":{"reference":"Patient/\#(d)"},"participant":[{"member":{"reference":"Practitioner/dr-lin"}}]}"#)
            // Patient b has an encounter elsewhere only.
            _ = try await fhir.post("/fhir/Encounter", #"{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/\#(b)"},"serviceProvider":{"reference":"Organization/h2"}}"#)
            let doctor = try await person(fhir, "dr.lin", [.doctor], user: "Practitioner/dr-lin", org: "Organization/h1")
            let found = try await doctor.get("/fhir/Observation?_total=accurate")
            #expect(ids(found) == [obs[a]!, obs[c]!, obs[d]!] && found.json["total"] == 3)
            #expect(ids(try await doctor.get("/fhir/Patient")) == [a, c, d])
            #expect(try await doctor.get("/fhir/Observation/\(obs[a]!)").status == 200)
            #expect(try await doctor.get("/fhir/Observation/\(obs[b]!)").status == 403)
            #expect(try await doctor.get("/fhir/Patient/\(b)/$everything").status == 403)
            // Directories are not patient data.
            #expect(try await doctor.get("/fhir/Organization").status == 200)

            // Break-glass: allowed, flagged, in the patient's access log.
            let emergency = try await doctor.get("/fhir/Observation/\(obs[b]!)", headers: ["X-Break-Glass": "昏迷患者急诊抢救"])
            #expect(emergency.status == 200)
            let log = try await runtime.backend.searchAudit(.init(patient: "Patient/\(b)", actor: "dr.lin", limit: 10))
            let flagged = try #require(log.first { $0.row.action == "read" && $0.row.outcome == 0 })
            let text = String(decoding: AuditFacts.eventJSON(record: flagged.row.record), as: UTF8.self)
            #expect(text.contains(#""code":"BTG""#) && text.contains("昏迷患者急诊抢救"))
            let resident = try await person(fhir, "yi", [.resident], user: "Patient/\(b)")
            let accessLog = try await resident.get("/fhir/AuditEvent?patient=Patient/\(b)")
            #expect(JSONWriter.string(accessLog.json).contains("BTG"), "the patient sees the break-glass access")
        }
    }

    @Test("a pharmacist sees the prescriptions routed to their pharmacy; a regulator sees clinical content only when investigating",
          arguments: ServerBackendKind.allCases)
    func pharmacistAndRegulator(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let (a, b) = (try await patient(fhir, "甲"), try await patient(fhir, "乙"))
            func prescription(_ p: String, _ pharmacy: String) -> String {
                #"{"resourceType":"MedicationRequest","status":"active","intent":"order","medicationCodeableConcept":{"text":"二甲双胍"},"subject":{"reference":"Patient/\#(p)"},"dispenseRequest":{"performer":{"reference":"Organization/\#(pharmacy)"}}}"#
            }
            let ra = try #require(try await fhir.post("/fhir/MedicationRequest", prescription(a, "pharmacy-7")).json["id"]?.stringValue)
            let rb = try #require(try await fhir.post("/fhir/MedicationRequest", prescription(b, "pharmacy-9")).json["id"]?.stringValue)
            let pharmacist = try await person(fhir, "ph.he", [.pharmacist], user: "Practitioner/ph-he", org: "Organization/pharmacy-7")
            #expect(ids(try await pharmacist.get("/fhir/MedicationRequest")) == [ra])
            #expect(try await pharmacist.get("/fhir/MedicationRequest/\(rb)").status == 403)

            let oa = try await observation(fhir, a)
            let regulator = try await person(fhir, "reg.1", [.regulator])
            #expect(ids(try await regulator.get("/fhir/Observation")).isEmpty)
            #expect(try await regulator.get("/fhir/Observation/\(oa)").status == 403)
            let investigating = try await regulator.get("/fhir/Observation", headers: ["X-Purpose-Of-Use": "investigation: 投诉 2026-118"])
            #expect(ids(investigating) == [oa])
        }
    }
}

/// Issue 5: an insurance auditor sees the claims made to their insurer and what they name (the
/// patient, the encounter), nothing of patients who claimed elsewhere.
@Suite("Insurance auditor's reach")
struct InsuranceAuditorTests {
    @Test("claims to the auditor's insurer, their patients and encounters; not another insurer's", arguments: ServerBackendKind.allCases)
    func auditor(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let access = try #require(fhir.access)
            func id(_ r: FHIRTestResponse) throws -> String { try #require(r.json["id"]?.stringValue, "\(r.text.prefix(300))") }
            let p = try id(try await fhir.post("/fhir/Patient", #"{"resourceType":"Patient","name":[{"family":"冯"}]}"#))
            let q = try id(try await fhir.post("/fhir/Patient", #"{"resourceType":"Patient","name":[{"family":"陈"}]}"#))
            let enc = try id(try await fhir.post("/fhir/Encounter", #"{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/\#(p)"}}"#))
            func claim(_ patient: String, _ insurer: String, encounter: String? = nil) -> String {
                let item = encounter.map { #","item":[{"sequence":1,"productOrService":{"text":"门诊"},"encounter":[{"reference":"Encounter/\#($0)"}]}]"# } ?? ""
                return #"{"resourceType":"Claim","status":"active","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/claim-type","code":"professional"}]},"use":"claim","patient":{"reference":"Patient/\#(patient)"},"created":"2026-11-01","provider":{"reference":"Organization/h1"},"priority":{"coding":[{"code":"normal"}]},"insurer":{"reference":"Organization/\#(insurer)"},"insurance":[{"sequence":1,"focal":true,"coverage":{"reference":"Coverage/c1"}}]\#(item)}"#
            }
            let mine = try id(try await fhir.post("/fhir/Claim", claim(p, "ins-1", encounter: enc)))
            let theirs = try id(try await fhir.post("/fhir/Claim", claim(q, "ins-2")))
            _ = try await access.createPerson(name: "auditor", password: "auditor-password", roles: [.insuranceAuditor],
                                              scopes: "user/Claim.rs user/Patient.rs user/Encounter.rs", organization: "Organization/ins-1")
            let auditor = fhir.with(token: try access.mint(for: try #require(try await access.account("auditor"))).accessToken)
            func ids(_ r: FHIRTestResponse) -> Set<String> { Set(r.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["id"]?.stringValue } ?? []) }
            #expect(ids(try await auditor.get("/fhir/Claim?_total=accurate")) == [mine])
            #expect(try await auditor.get("/fhir/Claim/\(theirs)").status == 403)
            #expect(ids(try await auditor.get("/fhir/Patient")) == [p])
            #expect(try await auditor.get("/fhir/Patient/\(q)").status == 403)
            #expect(try await auditor.get("/fhir/Encounter/\(enc)").status == 200)
            #expect(try await auditor.get("/fhir/Observation").status == 403)
        }
    }
}
