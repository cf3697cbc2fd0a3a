@testable import Access
import FHIRCore
import Foundation
import Testing

/// Issue 5: a resident sees their own compartment and those of the people they are guardian of
/// (their Patient links to a RelatedPerson of the ward with a guardian relationship), no one else's.
@Suite("Guardians see their wards' records")
struct GuardianTests {
    @Test("a mother reads and searches her child's record; an ended guardianship or another child stays hidden",
          arguments: ServerBackendKind.allCases)
    func guardian(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let access = try #require(fhir.access)
            func create(_ json: String) async throws -> String {
                let r = try await fhir.post("/fhir/\(try #require(try JSONParser.parse(json)["resourceType"]?.stringValue))", json)
                return try #require(r.json["id"]?.stringValue, "\(r.text.prefix(300))")
            }
            let child = try await create(#"{"resourceType":"Patient","name":[{"family":"陈","given":["小明"]}],"birthDate":"2019-05-01"}"#)
            let other = try await create(#"{"resourceType":"Patient","name":[{"family":"陈","given":["小红"]}],"birthDate":"2018-02-01"}"#)
            let rp = try await create(#"{"resourceType":"RelatedPerson","active":true,"patient":{"reference":"Patient/\#(child)"},"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"MTH"}]}],"name":[{"text":"陈母"}]}"#)
            let mother = try await create(#"{"resourceType":"Patient","name":[{"family":"林"}],"link":[{"other":{"reference":"RelatedPerson/\#(rp)"},"type":"seealso"}]}"#)
            let vaccination = #"{"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"乙肝疫苗"},"patient":{"reference":"Patient/\#(child)"},"occurrenceDateTime":"2019-05-02"}"#
            let imm = try await create(vaccination)
            let otherImm = try await create(vaccination.replacingOccurrences(of: "Patient/\(child)", with: "Patient/\(other)"))
            _ = try await access.createPerson(name: "lin", password: "lin-password-1", roles: [.resident], scopes: "patient/*.rs",
                                              fhirUser: "Patient/\(mother)")
            let lin = fhir.with(token: try access.mint(for: try #require(try await access.account("lin"))).accessToken)
            #expect(try await lin.get("/fhir/Patient/\(child)").status == 200)
            #expect(try await lin.get("/fhir/Immunization/\(imm)").status == 200)
            #expect(try await lin.get("/fhir/Patient/\(other)").status == 403)
            #expect(try await lin.get("/fhir/Immunization/\(otherImm)").status == 403)
            let found = try await lin.get("/fhir/Immunization?_total=accurate")
            #expect(found.json["total"] == 1)
            let patients = try await lin.get("/fhir/Patient")
            #expect(Set(patients.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["id"]?.stringValue } ?? []) == [mother, child])
            #expect(try await lin.get("/fhir/Patient/\(child)/$everything").status == 200)

            // The guardianship ends: the child's record is hidden again.
            var ended = try #require(try await fhir.get("/fhir/RelatedPerson/\(rp)").json.objectValue)
            ended["active"] = .bool(false)
            #expect(try await fhir.put("/fhir/RelatedPerson/\(rp)", JSONWriter.string(.object(ended))).status == 200)
            #expect(try await lin.get("/fhir/Patient/\(child)").status == 403)
            #expect(try await lin.get("/fhir/Immunization?_total=accurate").json["total"] == 0)
        }
    }
}
