@testable import Access
import FHIRCore
@testable import FHIRStore
import Foundation
import Testing

/// Issue 5, electronic signatures; R-SEC-3: a signed record verifies, any change after signing is
/// detected, and a signed record changes only with a reason.
@Suite("Electronic signatures and locked records (R-SEC-3)")
struct SignatureTests {
    static let prescription = """
        {"resourceType":"MedicationRequest","status":"active","intent":"order",
        "medicationCodeableConcept":{"text":"阿莫西林胶囊 0.25g"},"subject":{"reference":"Patient/p1"},
        "dosageInstruction":[{"text":"每次0.5g，每日3次，口服"}]}
        """

    func doctor(_ fhir: FHIRTestClient, _ name: String = "dr.qian") async throws -> FHIRTestClient {
        let access = try #require(fhir.access)
        _ = try await access.createPerson(name: name, password: "\(name)-password", roles: [.doctor], scopes: "user/*.cruds",
                                          fhirUser: "Practitioner/\(name)", organization: "Organization/h1")
        // The care relationship that lets the doctor see the patient's records: an encounter at their hospital.
        let encounter = #"{"resourceType":"Encounter","status":"in-progress","class":{"code":"AMB"},"subject":{"reference":"Patient/p1"},"serviceProvider":{"reference":"Organization/h1"}}"#
        #expect(try await fhir.post("/fhir/Encounter", encounter).status == 201)
        return fhir.with(token: try access.mint(for: try #require(try await access.account(name))).accessToken)
    }

    func verify(_ client: FHIRTestClient, _ path: String) async throws -> (valid: Bool, messages: [String]) {
        let r = try await client.get(path + "/$verify-signature")
        let parameters = r.json["parameter"]?.arrayValue ?? []
        let valid = parameters.first { $0["name"] == "valid" }?["valueBoolean"]?.boolValue ?? false
        let messages = parameters.filter { $0["name"] == "signature" }.compactMap {
            $0["part"]?.arrayValue?.first { $0["name"] == "message" }?["valueString"]?.stringValue
        }
        return (valid, messages)
    }

    @Test("a doctor signs a prescription; it verifies; a change needs a reason and is then detected as changed after signing",
          arguments: ServerBackendKind.allCases)
    func signVerifyChange(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            let dr = try await doctor(fhir)
            let created = try await dr.post("/fhir/MedicationRequest", Self.prescription)
            let id = try #require(created.json["id"]?.stringValue)
            let path = "/fhir/MedicationRequest/\(id)"
            #expect(try await verify(dr, path).valid == false, "nothing signed yet")
            let signed = try await dr.post(path + "/$sign", #"{"resourceType":"Parameters","parameter":[{"name":"reason","valueString":"开具处方"}]}"#)
            #expect(signed.status == 201 && signed.json["resourceType"] == "Provenance")
            #expect(signed.json["signature"]?.arrayValue?.first?["sigFormat"] == "application/jose")
            #expect(signed.json["target"]?.arrayValue?.first?["reference"] == .string("MedicationRequest/\(id)/_history/1"))
            let first = try await verify(dr, path)
            #expect(first.valid && first.messages == ["valid"])

            // Locked: a change without a reason is refused (R-SEC-3) and nothing is written.
            var body = try #require(try await dr.get(path).json.objectValue)
            body["status"] = "cancelled"
            let text = JSONWriter.string(.object(body))
            let refused = try await dr.put(path, text)
            #expect(refused.status == 409 && refused.outcomeCode == "business-rule")
            #expect(try await dr.get(path).json["meta"]?["versionId"] == "1")
            let changed = try await dr.request(.put, path, body: text, headers: ["X-Change-Reason": "患者过敏，停用"])
            #expect(changed.status == 200 && changed.json["meta"]?["versionId"] == "2")
            let after = try await verify(dr, path)
            #expect(!after.valid && after.messages.first?.hasPrefix("changed after signing") == true)
            // The reason is in the audit record of the change.
            let audit = try await runtime.backend.searchAudit(AuditQuery(actor: "dr.qian", limit: 10))
            let update = try #require(audit.first { $0.row.action == "update" })
            #expect(String(decoding: AuditFacts.eventJSON(record: update.row.record), as: UTF8.self).contains("患者过敏，停用"))
        }
    }

    @Test("a signed version altered in the database no longer verifies; a forged signature by another key does not either",
          arguments: ServerBackendKind.allCases)
    func tampering(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            let dr = try await doctor(fhir)
            let id = try #require(try await dr.post("/fhir/MedicationRequest", Self.prescription).json["id"]?.stringValue)
            let path = "/fhir/MedicationRequest/\(id)"
            #expect(try await dr.post(path + "/$sign", "").status == 201)
            #expect(try await verify(dr, path).valid)
            // An intruder edits the dose in both the current row and the history.
            let forged = Self.prescription.replacingOccurrences(of: "每次0.5g", with: "每次5g")
            let current = try #require(try await runtime.backend.read(type: "MedicationRequest", id: id))
            let edited = String(decoding: current.json, as: UTF8.self).replacingOccurrences(of: "每次0.5g", with: "每次5g")
            #expect(edited != String(decoding: current.json, as: UTF8.self) && forged != Self.prescription)
            for table in ["resource", "resource_version"] {
                try await AuditTrailTests.execute(
                    runtime.backend, sqlite: "UPDATE \(table) SET json = ?1 WHERE res_id = ?2",
                    postgres: "UPDATE \(table) SET json = $1 WHERE res_id = $2", [.blob(Array(edited.utf8)), .text(id)])
            }
            let result = try await verify(dr, path)
            #expect(!result.valid && result.messages == ["the signature does not match version 1"])

            // Another doctor's valid signature over the same resource, presented as dr.qian's.
            let other = try await doctor(fhir, "dr.zhou")
            let id2 = try #require(try await dr.post("/fhir/MedicationRequest", Self.prescription).json["id"]?.stringValue)
            let provenance = try await other.post("/fhir/MedicationRequest/\(id2)/$sign", "")
            var p = try #require(provenance.json.objectValue)
            let sigText = JSONWriter.string(.object(p)).replacingOccurrences(of: #""display":"dr.zhou""#, with: #""display":"dr.qian""#)
            p = try #require(try JSONParser.parse(sigText).objectValue)
            p["id"] = nil
            p["meta"] = nil
            #expect(try await fhir.post("/fhir/Provenance", JSONWriter.string(.object(p))).status == 201)
            let mixed = try await verify(dr, "/fhir/MedicationRequest/\(id2)")
            #expect(!mixed.valid && mixed.messages.contains("the signature does not match version 1"))
        }
    }

    @Test("only a person in a clinical role signs; a system client cannot; keys are stored sealed")
    func whoSigns() async throws {
        try await withFHIRServer { fhir, runtime in
            let id = try #require(try await fhir.post("/fhir/MedicationRequest", Self.prescription).json["id"]?.stringValue)
            #expect(try await fhir.post("/fhir/MedicationRequest/\(id)/$sign", "").status == 403)
            let dr = try await doctor(fhir)
            #expect(try await dr.post("/fhir/MedicationRequest/\(id)/$sign", "").status == 201)
            let sealed = try #require(try await runtime.backend.privateRecord(kind: PersonalSigningKeys.kind, key: "dr.qian"))
            #expect(sealed.count == 32 + 12 + 16, "AES-GCM: nonce + 32-byte key + tag, never the raw key alone")
        }
    }
}
