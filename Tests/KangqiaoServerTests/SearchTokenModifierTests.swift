import FHIRCore
import Testing

/// Token `:in`/`:not-in` against the R4 value sets the server can expand, and reference
/// `:identifier` (search.html#modifiers, search.html#reference), on both backends.
@Suite("search :in, :not-in and :identifier")
struct SearchTokenModifierTests {
    static func observation(_ id: String, value: String) -> (String, String) {
        ("Observation/\(id)", #"{"resourceType":"Observation","id":"\#(id)","status":"final","code":{"text":"sex"},"valueCodeableConcept":\#(value)}"#)
    }

    static let corpus: [(String, String)] = [
        observation("female", value: #"{"coding":[{"system":"http://hl7.org/fhir/administrative-gender","code":"female"}]}"#),
        observation("nosystem", value: #"{"coding":[{"code":"male"}]}"#),
        observation("othersystem", value: #"{"coding":[{"system":"http://snomed.info/sct","code":"female"}]}"#),
        observation("othercode", value: #"{"coding":[{"system":"http://hl7.org/fhir/administrative-gender","code":"F"}]}"#),
        ("Patient/m1", #"{"resourceType":"Patient","id":"m1","gender":"male"}"#),
        ("Patient/m2", #"{"resourceType":"Patient","id":"m2"}"#),
        ("Observation/byid", #"""
        {"resourceType":"Observation","id":"byid","status":"final","code":{"text":"x"},
         "subject":{"identifier":{"system":"urn:oid:1.2.36.146.595.217.0.1","value":"12345"},"display":"a patient known by MRN"}}
        """#),
        ("Observation/byref", #"""
        {"resourceType":"Observation","id":"byref","status":"final","code":{"text":"x"},
         "subject":{"reference":"Patient/m1","identifier":{"system":"urn:oid:1.2.36.146.595.217.0.1","value":"999"}}}
        """#),
    ]

    static func load(_ fhir: FHIRTestClient) async throws { try await fhir.putAll(corpus) }

    @Test(":in and :not-in: the code is (not) in an expandable R4 value set, from its system or without one", arguments: ServerBackendKind.allCases)
    func inValueSet(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            let genders = "http://hl7.org/fhir/ValueSet/administrative-gender"
            #expect(try await fhir.matches("/fhir/Observation?value-concept:in=\(genders)") == ["female", "nosystem"])
            #expect(try await fhir.matches("/fhir/Observation?value-concept:not-in=\(genders)") == ["byid", "byref", "othercode", "othersystem"])
            #expect(try await fhir.matches("/fhir/Patient?gender:in=\(genders)") == ["m1"])
            #expect(try await fhir.matches("/fhir/Patient?gender:not-in=\(genders)") == ["m2"])
            #expect(try await fhir.matches("/fhir/Patient?gender:in=\(genders)|4.0.1") == ["m1"])
            let r = try await fhir.search("/fhir/Patient?gender:in=http://example.org/ValueSet/unknown")
            #expect(r.status == 400)
            #expect(r.firstExpression == "gender:in")
        }
    }

    @Test("reference :identifier matches Reference.identifier, with or without a literal reference", arguments: ServerBackendKind.allCases)
    func referenceIdentifier(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Observation?subject:identifier=urn:oid:1.2.36.146.595.217.0.1|12345") == ["byid"])
            #expect(try await fhir.matches("/fhir/Observation?subject:identifier=12345,999") == ["byid", "byref"])
            #expect(try await fhir.matches("/fhir/Observation?subject:identifier=urn:other|12345") == [])
            #expect(try await fhir.matches("/fhir/Observation?subject=Patient/m1") == ["byref"])
        }
    }
}
