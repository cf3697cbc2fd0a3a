@testable import Access
import FHIRCore
import Foundation
import Testing

/// R-IH-5: a doctor acts clinically at an organization only when real-name verified, licensed and
/// registered there; otherwise the login gets no clinical scopes and says why.
@Suite("Clinical eligibility at login (R-IH-5)")
struct ClinicalEligibilityTests {
    static let practitioner = #"{"resourceType":"Practitioner","id":"dr-wu","name":[{"text":"吴杰"}],"qualification":[{"identifier":[{"system":"urn:oid:2.16.156.10011.1.4","value":"110330100012345"}],"code":{"text":"医师执业证书"},"period":{"start":"2015-07-01"}}]}"#
    static let role = #"{"resourceType":"PractitionerRole","active":true,"practitioner":{"reference":"Practitioner/dr-wu"},"organization":{"reference":"Organization/h1"},"specialty":[{"text":"内科"}]}"#

    func login(_ fhir: FHIRTestClient, _ name: String, _ secret: [UInt8]) async throws -> FHIRTestResponse {
        let access = try #require(fhir.access)
        let code = TimeBasedCode(secret: secret).code(at: access.now)
        return try await fhir.anonymous.post("/auth/login", #"{"username":"\#(name)","password":"\#(name)-password-1","code":"\#(code)"}"#,
                                             headers: ["Content-Type": "application/json"])
    }

    @Test("R-IH-5: unverified, unlicensed or unregistered doctors get no clinical scopes; a doctor with all three does",
          arguments: ServerBackendKind.allCases)
    func eligibility(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let access = try #require(fhir.access)
            let verified = RealNameStatus(verified: true, method: "identity-card+face", at: 1_700_000_000_000)
            // Not verified: refused clinically even though everything else is in place.
            #expect(try await fhir.put("/fhir/Practitioner/dr-wu", Self.practitioner).status == 201)
            #expect(try await fhir.post("/fhir/PractitionerRole", Self.role).status == 201)
            let s1 = try await access.createPerson(name: "dr.wu.unverified", password: "dr.wu.unverified-password-1", roles: [.doctor],
                                                   scopes: "user/*.cruds openid", fhirUser: "Practitioner/dr-wu", organization: "Organization/h1")
            let r1 = try await login(fhir, "dr.wu.unverified", s1)
            #expect(r1.status == 200 && r1.json["scope"] == "openid")
            #expect(r1.json["restrictions"]?.arrayValue?.contains(.string("R-IH-5: the real name is not verified")) == true)
            let t1 = try #require(r1.json["access_token"]?.stringValue)
            #expect(try await fhir.with(token: t1).get("/fhir/Patient").status == 403)

            // Verified and licensed, but registered at another organization.
            let s2 = try await access.createPerson(name: "dr.wu.elsewhere", password: "dr.wu.elsewhere-password-1", roles: [.doctor],
                                                   scopes: "user/*.cruds openid", fhirUser: "Practitioner/dr-wu", organization: "Organization/h2",
                                                   realName: verified)
            let r2 = try await login(fhir, "dr.wu.elsewhere", s2)
            #expect(r2.json["scope"] == "openid")
            #expect(r2.json["restrictions"]?.arrayValue?.contains(.string("R-IH-5: not registered at Organization/h2 (no active PractitionerRole)")) == true)

            // Verified, licensed and registered: clinical scopes.
            let s3 = try await access.createPerson(name: "dr.wu", password: "dr.wu-password-1", roles: [.doctor],
                                                   scopes: "user/*.cruds openid", fhirUser: "Practitioner/dr-wu", organization: "Organization/h1",
                                                   realName: verified)
            let r3 = try await login(fhir, "dr.wu", s3)
            #expect(r3.json["scope"] == "user/*.cruds openid" && r3.json["restrictions"] == nil)
            #expect(try await fhir.with(token: try #require(r3.json["access_token"]?.stringValue)).get("/fhir/Patient").status == 200)

            // The licence lapses: the next login is refused clinically again.
            let lapsed = Self.practitioner.replacingOccurrences(of: #""start":"2015-07-01""#, with: #""start":"2015-07-01","end":"2020-06-30""#)
            #expect(try await fhir.put("/fhir/Practitioner/dr-wu", lapsed).status == 200)
            let s4 = try await access.createPerson(name: "dr.wu.lapsed", password: "dr.wu.lapsed-password-1", roles: [.doctor],
                                                   scopes: "user/*.cruds openid", fhirUser: "Practitioner/dr-wu", organization: "Organization/h1",
                                                   realName: verified)
            let r4 = try await login(fhir, "dr.wu.lapsed", s4)
            #expect(r4.json["restrictions"]?.arrayValue?.contains(.string("R-IH-5: no licence in force on Practitioner/dr-wu")) == true)
        }
    }
}
