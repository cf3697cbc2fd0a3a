import Access
import FHIRCore
import Testing

/// R-SEC-1: separate consent for sharing (where the region's policy asks for it) and guardian consent
/// under 14, compiled into the query and checked on write.
@Suite("R-SEC-1 sharing consent and guardian consent")
struct SharingConsentTests {
    static let corpus: [(String, String)] = [
        ("Organization/h1", #"{"resourceType":"Organization","id":"h1","name":"一院"}"#),
        ("Organization/h2", #"{"resourceType":"Organization","id":"h2","name":"二院"}"#),
        ("Patient/p1", #"{"resourceType":"Patient","id":"p1","name":[{"family":"林","given":["一"]}],"birthDate":"1970-03-04"}"#),
        ("Encounter/e1", #"{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p1"},"serviceProvider":{"reference":"Organization/h1"}}"#),
        ("Encounter/e2", #"{"resourceType":"Encounter","id":"e2","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p1"},"serviceProvider":{"reference":"Organization/h2"}}"#),
        ("Observation/o1", #"{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"血压"},"subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e1"}}"#),
        ("Observation/o2", #"{"resourceType":"Observation","id":"o2","status":"final","code":{"text":"血糖"},"subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e2"}}"#),
        ("AllergyIntolerance/a1", #"{"resourceType":"AllergyIntolerance","id":"a1","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},"patient":{"reference":"Patient/p1"},"code":{"text":"青霉素"}}"#),
    ]

    static func consent(_ id: String, patient: String, performer: String, actor: String? = "Organization/h1") -> String {
        let actors = actor.map { #","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},"reference":{"reference":"\#($0)"}}]"# } ?? ""
        return #"""
        {"resourceType":"Consent","id":"\#(id)","status":"active",
         "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
         "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
         "patient":{"reference":"\#(patient)"},"performer":[{"reference":"\#(performer)"}],
         "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
         "provision":{"type":"permit","purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}]\#(actors)}}
        """#
    }

    func ids(_ r: FHIRTestResponse) -> Set<String> { Set(r.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["id"]?.stringValue } ?? []) }

    func doctor(_ fhir: FHIRTestClient, at organization: String) async throws -> FHIRTestClient {
        let access = try #require(fhir.access)
        let name = "dr.\(organization)"
        _ = try await access.createPerson(name: name, password: "\(name)-password-1", roles: [.doctor], scopes: "user/*.cruds",
                                          fhirUser: "Practitioner/\(name)", organization: "Organization/\(organization)")
        return fhir.with(token: try access.mint(for: try #require(try await access.account(name))).accessToken)
    }

    @Test("R-SEC-1: with the region's sharing rule, a doctor sees their own hospital's records; others' only after the patient's sharing consent", arguments: ServerBackendKind.allCases)
    func sharing(kind: ServerBackendKind) async throws {
        var policy = AccessPolicy()
        policy.sharingRequiresConsent = true
        try await withFHIRServer(kind, policy: policy) { fhir, _ in
            try await fhir.putAll(Self.corpus)
            let h1 = try await doctor(fhir, at: "h1")
            #expect(ids(try await h1.get("/fhir/Patient")) == ["p1"], "who the patient is stays visible")
            #expect(ids(try await h1.get("/fhir/Encounter")) == ["e1"])
            #expect(ids(try await h1.get("/fhir/Observation")) == ["o1"])
            #expect(ids(try await h1.get("/fhir/AllergyIntolerance")) == [])
            #expect(try await h1.get("/fhir/Observation?_summary=count").json["total"]?.numberValue?.text == "1")
            #expect(try await h1.get("/fhir/Observation/o2").status == 403)
            let everything = try await h1.get("/fhir/Patient/p1/$everything")
            #expect(!ids(everything).contains("o2") && ids(everything).contains("o1"))

            // The patient consents to sharing with h1 for treatment.
            #expect(try await fhir.put("/fhir/Consent/share-h1", Self.consent("share-h1", patient: "Patient/p1", performer: "Patient/p1")).status == 201)
            #expect(ids(try await h1.get("/fhir/Encounter")) == ["e1", "e2"])
            #expect(ids(try await h1.get("/fhir/Observation")) == ["o1", "o2"])
            #expect(ids(try await h1.get("/fhir/AllergyIntolerance")) == ["a1"])
            // The consent names h1 only: h2's doctor still sees only h2's records.
            let h2 = try await doctor(fhir, at: "h2")
            #expect(ids(try await h2.get("/fhir/Observation")) == ["o2"])
            // Withdrawn: sharing stops.
            let withdrawn = Self.consent("share-h1", patient: "Patient/p1", performer: "Patient/p1").replacingOccurrences(of: #""status":"active""#, with: #""status":"inactive""#)
            #expect(try await fhir.put("/fhir/Consent/share-h1", withdrawn).status == 200)
            #expect(ids(try await h1.get("/fhir/Observation")) == ["o1"])
        }
    }

    @Test("without the region's sharing rule, a care relationship reaches the whole record (the default)", arguments: ServerBackendKind.allCases)
    func defaultPolicy(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await fhir.putAll(Self.corpus)
            let h1 = try await doctor(fhir, at: "h1")
            #expect(ids(try await h1.get("/fhir/Observation")) == ["o1", "o2"])
        }
    }

    @Test("R-SEC-1: a patient under 14 consents through a guardian; their own signature is refused (422, nothing written)", arguments: ServerBackendKind.allCases)
    func guardianConsent(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await fhir.putAll([
                ("Patient/kid", #"{"resourceType":"Patient","id":"kid","name":[{"family":"林","given":["小"]}],"birthDate":"2019-05-01"}"#),
                ("Patient/mum", #"{"resourceType":"Patient","id":"mum","name":[{"family":"陈","given":["芳"]}],"birthDate":"1990-01-01"}"#),
                ("RelatedPerson/mum-of-kid", #"{"resourceType":"RelatedPerson","id":"mum-of-kid","active":true,"patient":{"reference":"Patient/kid"},"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"MTH"}]}]}"#),
                ("RelatedPerson/neighbour", #"{"resourceType":"RelatedPerson","id":"neighbour","active":true,"patient":{"reference":"Patient/kid"},"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"NBOR"}]}]}"#),
            ])
            let own = try await fhir.put("/fhir/Consent/kid-own", Self.consent("kid-own", patient: "Patient/kid", performer: "Patient/kid"))
            #expect(own.status == 422)
            #expect(own.text.contains("R-SEC-1"))
            #expect(try await fhir.get("/fhir/Consent/kid-own").status == 404)
            #expect(try await fhir.put("/fhir/Consent/kid-nb", Self.consent("kid-nb", patient: "Patient/kid", performer: "RelatedPerson/neighbour")).status == 422)
            #expect(try await fhir.put("/fhir/Consent/kid-mum", Self.consent("kid-mum", patient: "Patient/kid", performer: "RelatedPerson/mum-of-kid")).status == 201)
            // An adult consents for themselves.
            #expect(try await fhir.put("/fhir/Consent/mum-own", Self.consent("mum-own", patient: "Patient/mum", performer: "Patient/mum")).status == 201)
        }
    }

    @Test("the region policy file: known settings apply, unknown names and floors are refused")
    func policyFile() throws {
        let p = try AccessPolicy(regional: try JSONParser.parse(Array(#"{"sharingRequiresConsent":true,"auditRetentionDays":400,"guardianConsentBelowAge":16}"#.utf8)))
        #expect(p.sharingRequiresConsent && p.auditRetentionDays == 400 && p.guardianConsentBelowAge == 16)
        #expect(throws: PolicyError.self) { try AccessPolicy(regional: try JSONParser.parse(Array(#"{"sharingRequiresConsnet":true}"#.utf8))) }
        #expect(throws: PolicyError.self) { try AccessPolicy(regional: try JSONParser.parse(Array(#"{"auditRetentionDays":30}"#.utf8))) }
        #expect(throws: PolicyError.self) { try AccessPolicy(regional: try JSONParser.parse(Array(#"{"sharingRequiresConsent":"yes"}"#.utf8))) }
    }
}
