@testable import Access
import FHIRCore
import Foundation
import HTTPTypes
import Testing

/// Issue 5's authorization matrix: every role × every resource type of the data hub × read, search,
/// create, update, delete, on both backends, against the expected allow/deny derived from the role's
/// default scopes (AccessPolicy.defaultScopes) and the rule that patient data is reached only
/// through a relationship (the fixtures belong to a patient nobody here is related to).
@Suite("Authorization matrix: role × type × interaction")
struct AuthorizationMatrixTests {
    static let types = [
        "Patient", "RelatedPerson", "Practitioner", "PractitionerRole", "Organization", "Location", "HealthcareService", "Schedule",
        "Slot", "Appointment", "Encounter", "EpisodeOfCare", "Condition", "Observation", "DiagnosticReport", "ImagingStudy",
        "ServiceRequest", "Task", "Medication", "MedicationRequest", "MedicationDispense", "AllergyIntolerance", "Immunization",
        "ImmunizationRecommendation", "CarePlan", "CareTeam", "Consent", "Coverage", "Claim", "ClaimResponse", "DocumentReference",
        "Composition", "Communication", "Questionnaire", "QuestionnaireResponse", "Provenance", "Subscription", "CodeSystem",
        "ValueSet", "Basic", "Binary",
    ]

    /// One valid resource per type: the official example (without id and meta), or a minimal one
    /// where the examples have none.
    static func body(_ type: String) throws -> JSONObject {
        let minimal: [String: String] = [
            "PractitionerRole": #"{"resourceType":"PractitionerRole","active":true,"practitioner":{"reference":"Practitioner/x"}}"#,
            "EpisodeOfCare": #"{"resourceType":"EpisodeOfCare","status":"active","patient":{"reference":"Patient/example"}}"#,
        ]
        if let text = minimal[type] { return try #require(try JSONParser.parse(text).objectValue) }
        let dir = SharedData.root.appendingPathComponent("testdata/fhir-r4/examples")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        let file = names.first { $0 == "\(type)-example.json" } ?? names.first { $0.hasPrefix("\(type)-") }
        let data = try Data(contentsOf: dir.appendingPathComponent(try #require(file, "no example for \(type)")))
        var o = try #require(try JSONParser.parse([UInt8](data)).objectValue)
        o["id"] = nil
        o["meta"] = nil
        return o
    }

    static func with(_ o: JSONObject, id: String) -> String {
        var c = o
        c.set("id", .string(id), insertingAt: 1)
        return JSONWriter.string(.object(c))
    }

    /// The accounts: each role with its default scopes and what it is linked to.
    static let roles: [(Role, fhirUser: String?, org: String?)] = [
        (.resident, "Patient/someone-else", nil), (.doctor, "Practitioner/dr-m", "Organization/h-m"),
        (.nurse, "Practitioner/nu-m", "Organization/h-m"), (.pharmacist, "Practitioner/ph-m", "Organization/ph-m"),
        (.insuranceAuditor, nil, "Organization/ins-m"), (.cdcOfficer, nil, "Organization/cdc-m"), (.regulator, nil, nil),
        (.administrator, nil, nil), (.systemClient, nil, nil),
    ]

    @Test("every role × type × read/search/create/update/delete answers as its scopes and relationships say", arguments: ServerBackendKind.allCases)
    func matrix(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            let access = try #require(fhir.access)
            var bodies: [String: JSONObject] = [:]
            for t in Self.types {
                let b = try Self.body(t)
                bodies[t] = b
                let r = try await fhir.put("/fhir/\(t)/m1", Self.with(b, id: "m1"))
                try #require(r.status == 201, "fixture \(t): \(r.text.prefix(300))")
            }
            var clients: [Role: FHIRTestClient] = [:]
            for (role, user, org) in Self.roles {
                let scopes = try #require(access.policy.defaultScopes[role])
                if role == .systemClient {
                    let secret = try await access.createClient(name: "matrix-system", scopes: scopes)
                    clients[role] = fhir.with(token: try await access.clientCredentials(clientID: "matrix-system", secret: secret, scope: nil).accessToken)
                } else {
                    let name = "matrix-\(role.rawValue)"
                    _ = try await access.createPerson(name: name, password: name + "-password", roles: [role], scopes: scopes, fhirUser: user, organization: org)
                    clients[role] = fhir.with(token: try access.mint(for: try #require(try await access.account(name))).accessToken)
                }
                for t in Self.types {
                    let r = try await fhir.put("/fhir/\(t)/d-\(role.rawValue)", Self.with(bodies[t]!, id: "d-\(role.rawValue)"))
                    try #require(r.status == 201)
                }
            }
            var mismatches: [String] = []
            var checked = 0
            for (role, _, _) in Self.roles {
                let client = try #require(clients[role])
                let scopes = try ScopeSet(parsing: try #require(access.policy.defaultScopes[role]))
                for t in Self.types {
                    let patientData = t == "Patient" || R4Definitions.shared.patientCompartmentParameters(for: t) != nil
                    // The fixtures belong to a patient no one here has a relationship with.
                    let visible = !patientData || role == .administrator || role == .systemClient
                    func grants(_ p: SMARTScope.Permission) -> Bool { !scopes.granting(p, on: t).isEmpty }
                    let expected: [(String, Bool, () async throws -> Int)] = [
                        ("search", grants(.search), { try await client.get("/fhir/\(t)?_count=1").status }),
                        ("read", grants(.read) && visible, { try await client.get("/fhir/\(t)/m1").status }),
                        ("create", grants(.create), { try await client.post("/fhir/\(t)", JSONWriter.string(.object(bodies[t]!))).status }),
                        ("update", grants(.update) && visible, { try await client.put("/fhir/\(t)/m1", Self.with(bodies[t]!, id: "m1")).status }),
                        ("delete", grants(.delete) && visible, { try await client.delete("/fhir/\(t)/d-\(role.rawValue)").status }),
                    ]
                    for (interaction, allowed, call) in expected {
                        let status = try await call()
                        checked += 1
                        let ok = allowed ? (200..<300).contains(status) : status == 403
                        if !ok { mismatches.append("\(role.rawValue) \(interaction) \(t): \(status), expected \(allowed ? "2xx" : "403")") }
                    }
                }
            }
            #expect(checked == Self.roles.count * Self.types.count * 5)
            let report = "\(mismatches.count) of \(checked):\n" + mismatches.prefix(40).joined(separator: "\n")
            #expect(mismatches.isEmpty, "\(report)")
            // Every refusal is in the trail.
            let refusals = try await runtime.backend.searchAudit(.init(outcome: 4, limit: 10_000))
            #expect(refusals.count >= Self.roles.count)
        }
    }
}
