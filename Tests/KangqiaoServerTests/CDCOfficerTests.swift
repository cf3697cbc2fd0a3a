import Access
import FHIRCore
import Testing

/// A CDC officer sees the residents, immunizations and notifiable reports of their jurisdiction and
/// nothing else clinical (issue 5, "a CDC officer sees notifiable reports and immunizations of their
/// region"), compiled into the query so counts agree.
@Suite("CDC officer access")
struct CDCOfficerTests {
    static let divisionURL = "https://kangqiao.org/fhir/StructureDefinition/division-code"

    static func patient(_ id: String, division: String) -> (String, String) {
        ("Patient/\(id)", #"{"resourceType":"Patient","id":"\#(id)","name":[{"family":"陈","given":["\#(id)"]}],"address":[{"extension":[{"url":"\#(divisionURL)","valueCode":"\#(division)"}],"text":"x"}]}"#)
    }

    static let corpus: [(String, String)] = [
        ("Organization/cdc", #"{"resourceType":"Organization","id":"cdc","name":"汕头市疾控中心","extension":[{"url":"https://kangqiao.org/fhir/StructureDefinition/jurisdiction","valueCode":"440500"}]}"#),
        ("Organization/cdc-gz", #"{"resourceType":"Organization","id":"cdc-gz","name":"天河区疾控中心","address":[{"extension":[{"url":"\#(divisionURL)","valueCode":"440106"}],"text":"x"}]}"#),
        patient("st1", division: "440507"),
        patient("st2", division: "440513"),
        patient("gz1", division: "440106"),
        ("Immunization/i-st1", #"{"resourceType":"Immunization","id":"i-st1","status":"completed","vaccineCode":{"text":"乙肝疫苗"},"patient":{"reference":"Patient/st1"},"occurrenceDateTime":"2026-01-02"}"#),
        ("Immunization/i-gz1", #"{"resourceType":"Immunization","id":"i-gz1","status":"completed","vaccineCode":{"text":"乙肝疫苗"},"patient":{"reference":"Patient/gz1"},"occurrenceDateTime":"2026-01-02"}"#),
        ("Condition/flu-st2", #"{"resourceType":"Condition","id":"flu-st2","category":[{"coding":[{"system":"https://kangqiao.org/fhir/CodeSystem/condition-category","code":"notifiable"}]}],"code":{"text":"流行性感冒"},"subject":{"reference":"Patient/st2"}}"#),
        ("Condition/htn-st2", #"{"resourceType":"Condition","id":"htn-st2","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"problem-list-item"}]}],"code":{"text":"高血压"},"subject":{"reference":"Patient/st2"}}"#),
        ("Condition/flu-gz1", #"{"resourceType":"Condition","id":"flu-gz1","category":[{"coding":[{"system":"https://kangqiao.org/fhir/CodeSystem/condition-category","code":"notifiable"}]}],"code":{"text":"流行性感冒"},"subject":{"reference":"Patient/gz1"}}"#),
        ("Observation/o-st1", #"{"resourceType":"Observation","id":"o-st1","status":"final","code":{"text":"血压"},"subject":{"reference":"Patient/st1"}}"#),
    ]

    func ids(_ r: FHIRTestResponse) -> Set<String> { Set(r.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["id"]?.stringValue } ?? []) }

    @Test("residents, immunizations and notifiable reports of the jurisdiction (a prefecture reaches its counties); nothing else", arguments: ServerBackendKind.allCases)
    func jurisdiction(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await fhir.putAll(Self.corpus)
            let access = try #require(fhir.access)
            func officer(_ name: String, _ organization: String) async throws -> FHIRTestClient {
                _ = try await access.createPerson(name: name, password: "\(name)-password-1", roles: [.cdcOfficer],
                                                  scopes: AccessPolicy().defaultScopes[.cdcOfficer]!, organization: "Organization/\(organization)")
                let account = try #require(try await access.account(name))
                return fhir.with(token: try access.mint(for: account).accessToken)
            }
            let shantou = try await officer("cdc.shantou", "cdc")
            #expect(ids(try await shantou.get("/fhir/Patient")) == ["st1", "st2"])
            #expect(ids(try await shantou.get("/fhir/Immunization")) == ["i-st1"])
            #expect(ids(try await shantou.get("/fhir/Condition")) == ["flu-st2"])
            #expect(ids(try await shantou.get("/fhir/Observation")) == [])
            let count = try await shantou.get("/fhir/Condition?_summary=count")
            #expect(count.json["total"]?.numberValue?.text == "1", "counts agree with what is visible")
            #expect(try await shantou.get("/fhir/Condition/htn-st2").status == 403)
            #expect(try await shantou.get("/fhir/Patient/gz1").status == 403)
            #expect(try await shantou.get("/fhir/Immunization/i-st1").status == 200)
            // A county CDC without a declared jurisdiction: the division of its address.
            let tianhe = try await officer("cdc.tianhe", "cdc-gz")
            #expect(ids(try await tianhe.get("/fhir/Patient")) == ["gz1"])
            #expect(ids(try await tianhe.get("/fhir/Condition")) == ["flu-gz1"])
            // No write scope on clinical data.
            #expect(try await tianhe.put("/fhir/Condition/flu-gz1", Self.corpus[9].1).status == 403)
        }
    }
}
