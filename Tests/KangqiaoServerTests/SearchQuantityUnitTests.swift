import FHIRCore
import Testing

/// Quantity searches with units (search.html#quantity): `value|system|code` with a UCUM unit compares
/// across commensurable units in canonical (base) units; other systems and `value||code` compare the
/// unit as written.
@Suite("search quantity units")
struct SearchQuantityUnitTests {
    static func observation(_ id: String, _ value: String, _ code: String, system: String = "http://unitsofmeasure.org") -> (String, String) {
        ("Observation/\(id)", #"""
        {"resourceType":"Observation","id":"\#(id)","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"x-\#(id)"}]},
         "valueQuantity":{"value":\#(value),"unit":"\#(code)","system":"\#(system)","code":"\#(code)"}}
        """#)
    }

    static let corpus: [(String, String)] = [
        observation("ug", "5400", "ug"),
        observation("mg", "5.4", "mg"),
        observation("gl", "1", "g/L"),
        observation("mgdl", "100", "mg/dL"),
        observation("kg", "72.5", "kg"),
        observation("lb", "160", "[lb_av]"),
        observation("ml", "5.4", "mL"),
        observation("cel", "37", "Cel"),
        observation("snomed", "2", "258684004", system: "http://snomed.info/sct"),
        ("Observation/bp", CompositeCorpus.bloodPressure("bp", systolic: 130, diastolic: 85)),
    ]

    static func load(_ fhir: FHIRTestClient) async throws { try await fhir.putAll(corpus) }

    @Test("UCUM units compare canonically: 5.4 mg finds 5400 ug, g/L meets mg/dL, kg meets [lb_av] (search.html#quantity)", arguments: ServerBackendKind.allCases)
    func canonicalComparison(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=5.4|http://unitsofmeasure.org|mg") == ["mg", "ug"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=5400|http://unitsofmeasure.org|ug") == ["mg", "ug"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=0.0054|http://unitsofmeasure.org|g") == ["mg", "ug"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=100|http://unitsofmeasure.org|mg/dL") == ["gl", "mgdl"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=1|http://unitsofmeasure.org|g/L") == ["gl", "mgdl"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=gt1|http://unitsofmeasure.org|mg") == ["kg", "lb", "mg", "ug"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=ap72.5|http://unitsofmeasure.org|kg") == ["kg", "lb"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=72.5|http://unitsofmeasure.org|kg") == ["kg"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=lt100|http://unitsofmeasure.org|[lb_av]") == ["mg", "ug"])
            // Units of another dimension never match: mL is a volume.
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=5.4|http://unitsofmeasure.org|mL") == ["ml"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=0.0054|http://unitsofmeasure.org|L") == ["ml"])
            // Inside a composite: 130 mm[Hg] is 17.3 kPa.
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=8480-6$gt17|http://unitsofmeasure.org|kPa") == ["bp"])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=8462-4$gt17|http://unitsofmeasure.org|kPa") == [])
        }
    }

    @Test("value||code and other systems compare the unit as written; special units only with themselves", arguments: ServerBackendKind.allCases)
    func asWritten(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=5400||ug") == ["ug"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=5.4||mg") == ["mg"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=2|http://snomed.info/sct|258684004") == ["snomed"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=37|http://unitsofmeasure.org|Cel") == ["cel"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=310.15|http://unitsofmeasure.org|K") == [])
        }
    }

    @Test("an unknown UCUM unit is a 400 naming the parameter", arguments: ServerBackendKind.allCases)
    func unknownUnit(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let r = try await fhir.search("/fhir/Observation?value-quantity=5|http://unitsofmeasure.org|furlongs")
            #expect(r.status == 400)
            #expect(r.isOperationOutcome)
            #expect(r.firstExpression == "value-quantity")
            #expect(try await fhir.search("/fhir/Observation?component-code-value-quantity=8480-6$5|http://unitsofmeasure.org|furlongs").status == 400)
        }
    }
}
