import FHIRCore
import Testing

/// Composite parameters of the registry (search.html#composite), including those whose focus is a
/// repeating element: the components must match within one element, on both backends.
@Suite("search composite parameters")
struct SearchCompositeTests {
    @Test("Observation component composites: the components match within one component (search.html#composite)", arguments: ServerBackendKind.allCases)
    func observationComponents(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await CompositeCorpus.load(fhir)
            // bp1: systolic 90, diastolic 120 — a systolic over 100 only across components.
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=http://loinc.org|8480-6$gt100") == ["bp2"])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=8480-6$90") == ["bp1"])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=8462-4$gt100") == ["bp1"])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=8480-6$90|http://unitsofmeasure.org|mm[Hg]") == ["bp1"])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=8480-6$gt100,8462-4$lt90") == ["bp2"])
            // AND of two composite values: each may be met by a different component.
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=8480-6$90&component-code-value-quantity=8462-4$120") == ["bp1"])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-concept=http://loinc.org|72166-2$http://snomed.info/sct|8517006") == ["smoke"])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-concept=72166-2$266919005") == [])
            // combo: the observation itself or one of its components.
            #expect(try await fhir.matches("/fhir/Observation?combo-code-value-quantity=8480-6$gt100") == ["bp2"])
            #expect(try await fhir.matches("/fhir/Observation?combo-code-value-quantity=http://loinc.org|29463-7$72.5") == ["w1"])
            #expect(try await fhir.matches("/fhir/Observation?combo-code-value-concept=72166-2$8517006") == ["smoke"])
            #expect(try await fhir.matches("/fhir/Observation?combo-code-value-concept=85354-9$8517006") == [])
        }
    }

    @Test("Observation resource-level composites: code-value-quantity, -concept, -date, -string", arguments: ServerBackendKind.allCases)
    func observationResourceLevel(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await CompositeCorpus.load(fhir)
            #expect(try await fhir.matches("/fhir/Observation?code-value-quantity=29463-7$gt70") == ["w1"])
            #expect(try await fhir.matches("/fhir/Observation?code-value-quantity=8480-6$gt0") == [])  // components are not the observation's value
            #expect(try await fhir.matches("/fhir/Observation?code-value-concept=http://loinc.org|11557-6$http://snomed.info/sct|260385009") == ["c1"])
            #expect(try await fhir.matches("/fhir/Observation?code-value-date=21612-7$2024-05") == ["d1"])
            #expect(try await fhir.matches("/fhir/Observation?code-value-date=21612-7$lt2024") == [])
            #expect(try await fhir.matches("/fhir/Observation?code-value-string=8251-1$severe") == ["s1"])
            #expect(try await fhir.matches("/fhir/Observation?code-value-string=8251-1$mild") == [])
        }
    }

    @Test("other types' composites: Group characteristic-value, DocumentReference relationship, Questionnaire context, MolecularSequence coordinates", arguments: ServerBackendKind.allCases)
    func otherTypes(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await CompositeCorpus.load(fhir)
            #expect(try await fhir.matches("/fhir/Group?characteristic-value=smoker$true") == ["g1", "g3"])
            #expect(try await fhir.matches("/fhir/Group?characteristic-value=gender$male") == ["g2", "g3"])
            // g3 has a gender characteristic and a characteristic whose value is true, not one with both.
            #expect(try await fhir.matches("/fhir/Group?characteristic-value=gender$true") == [])
            #expect(try await fhir.matches("/fhir/DocumentReference?relationship=DocumentReference/doc0$replaces") == ["doc1"])
            #expect(try await fhir.matches("/fhir/DocumentReference?relationship=DocumentReference/doc0$appends") == ["doc2"])
            #expect(try await fhir.matches("/fhir/DocumentReference?relationship=DocumentReference/doc9$replaces") == ["doc2"])
            #expect(try await fhir.matches("/fhir/Questionnaire?context-type-value=focus$http://snomed.info/sct|363346000") == ["q1"])
            #expect(try await fhir.matches("/fhir/Questionnaire?context-type-value=focus$25064002") == ["q2"])
            // q1 has an age context and the focus 363346000, not one context with both.
            #expect(try await fhir.matches("/fhir/Questionnaire?context-type-value=age$363346000") == [])
            #expect(try await fhir.matches("/fhir/Questionnaire?context-type-quantity=age$gt65") == ["q1"])
            #expect(try await fhir.matches("/fhir/Questionnaire?context-type-quantity=focus$gt65") == [])
            // The chromosome comes from %resource; start and end from one variant.
            #expect(try await fhir.matches("/fhir/MolecularSequence?chromosome-variant-coordinate=1$ge50$le60") == ["ms1"])
            #expect(try await fhir.matches("/fhir/MolecularSequence?chromosome-variant-coordinate=1$gt40$lt30") == [])
            #expect(try await fhir.matches("/fhir/MolecularSequence?chromosome-variant-coordinate=2$ge50$le60") == [])
            #expect(try await fhir.matches("/fhir/MolecularSequence?chromosome-window-coordinate=1$100$200") == ["ms1"])
        }
    }

    @Test(":missing on composites; a value with the wrong number of parts is a 400 naming the parameter", arguments: ServerBackendKind.allCases)
    func missingAndErrors(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await CompositeCorpus.load(fhir)
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity:missing=false") == ["bp1", "bp2"])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity:missing=true") == ["c1", "d1", "s1", "smoke", "w1"])
            #expect(try await fhir.matches("/fhir/Observation?code-value-quantity:missing=false") == ["w1"])
            for bad in ["component-code-value-quantity=8480-6", "component-code-value-quantity=8480-6$1$2", "component-code-value-quantity=8480-6$heavy",
                        "component-code-value-quantity=8480-6$1|http://unitsofmeasure.org|furlong", "characteristic-value=smoker"] {
                let type = bad.hasPrefix("characteristic") ? "Group" : "Observation"
                let r = try await fhir.search("/fhir/\(type)?\(bad)")
                #expect(r.status == 400, "\(bad): \(r.status)")
                #expect(r.isOperationOutcome)
                let name = String(bad.prefix { $0 != "=" })
                #expect(r.firstExpression == name, "\(r.text)")
            }
            #expect(try await fhir.search("/fhir/Observation?component-code-value-quantity:exact=8480-6$1").status == 400)
        }
    }

    @Test("an update replaces a resource's composite rows", arguments: ServerBackendKind.allCases)
    func updateReplacesRows(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await CompositeCorpus.load(fhir)
            let bp2 = try #require(CompositeCorpus.resources.first { $0.0 == "Observation/bp2" }).1
            let r = try await fhir.put("/fhir/Observation/bp2", bp2.replacingOccurrences(of: "\"value\":130", with: "\"value\":95"))
            #expect(r.status == 200)
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=8480-6$gt100") == [])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=8480-6$95") == ["bp2"])
        }
    }
}

/// Resources with repeating composite focus elements, built so that a match across elements would be wrong.
enum CompositeCorpus {
    static func bloodPressure(_ id: String, systolic: Int, diastolic: Int) -> String {
        #"""
        {"resourceType":"Observation","id":"\#(id)","status":"final",
         "code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
         "component":[
          {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},
           "valueQuantity":{"value":\#(systolic),"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
          {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},
           "valueQuantity":{"value":\#(diastolic),"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}
        """#
    }

    static func group(_ id: String, _ characteristics: String) -> String {
        #"{"resourceType":"Group","id":"\#(id)","type":"person","actual":true,"characteristic":[\#(characteristics)]}"#
    }

    static let gender = #"{"code":{"text":"gender","coding":[{"code":"gender"}]},"valueCodeableConcept":{"coding":[{"code":"GENDER"}]},"exclude":false}"#
    static let smoker = #"{"code":{"coding":[{"code":"smoker"}]},"valueBoolean":BOOL,"exclude":false}"#

    static func document(_ id: String, _ relations: [(String, String)]) -> String {
        let related = relations.map { #"{"code":"\#($0.0)","target":{"reference":"DocumentReference/\#($0.1)"}}"# }
        return #"""
        {"resourceType":"DocumentReference","id":"\#(id)","status":"current",
         "content":[{"attachment":{"contentType":"text/plain","data":"aGk="}}]\#(related.isEmpty ? "" : #","relatesTo":["# + related.joined(separator: ",") + "]")}
        """#
    }

    static let resources: [(String, String)] = [
        ("Observation/bp1", bloodPressure("bp1", systolic: 90, diastolic: 120)),
        ("Observation/bp2", bloodPressure("bp2", systolic: 130, diastolic: 85)),
        ("Observation/w1", #"""
        {"resourceType":"Observation","id":"w1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},
         "valueQuantity":{"value":72.5,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}
        """#),
        ("Observation/smoke", #"""
        {"resourceType":"Observation","id":"smoke","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
         "valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"266919005"}]},
         "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"72166-2"}]},
                       "valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"8517006"}]}}]}
        """#),
        ("Observation/c1", #"""
        {"resourceType":"Observation","id":"c1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"11557-6"}]},
         "valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"260385009"}]}}
        """#),
        ("Observation/d1", #"""
        {"resourceType":"Observation","id":"d1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"21612-7"}]},
         "valueDateTime":"2024-05-20"}
        """#),
        ("Observation/s1", #"""
        {"resourceType":"Observation","id":"s1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8251-1"}]},
         "valueString":"Severe headache"}
        """#),
        ("Group/g1", group("g1", gender.replacingOccurrences(of: "GENDER", with: "female") + "," + smoker.replacingOccurrences(of: "BOOL", with: "true"))),
        ("Group/g2", group("g2", gender.replacingOccurrences(of: "GENDER", with: "male") + "," + smoker.replacingOccurrences(of: "BOOL", with: "false"))),
        ("Group/g3", group("g3", gender.replacingOccurrences(of: "GENDER", with: "male") + "," + smoker.replacingOccurrences(of: "BOOL", with: "true"))),
        ("DocumentReference/doc0", document("doc0", [])),
        ("DocumentReference/doc1", document("doc1", [("replaces", "doc0")])),
        ("DocumentReference/doc2", document("doc2", [("appends", "doc0"), ("replaces", "doc9")])),
        ("Questionnaire/q1", #"""
        {"resourceType":"Questionnaire","id":"q1","status":"active","useContext":[
          {"code":{"system":"http://terminology.hl7.org/CodeSystem/usage-context-type","code":"focus"},
           "valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"363346000"}]}},
          {"code":{"system":"http://terminology.hl7.org/CodeSystem/usage-context-type","code":"age"},
           "valueQuantity":{"value":70,"unit":"a","system":"http://unitsofmeasure.org","code":"a"}}]}
        """#),
        ("Questionnaire/q2", #"""
        {"resourceType":"Questionnaire","id":"q2","status":"active","useContext":[
          {"code":{"system":"http://terminology.hl7.org/CodeSystem/usage-context-type","code":"focus"},
           "valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"25064002"}]}}],
         "item":[{"linkId":"1","text":"x","type":"display"}]}
        """#),
        ("MolecularSequence/ms1", #"""
        {"resourceType":"MolecularSequence","id":"ms1","coordinateSystem":0,
         "referenceSeq":{"genomeBuild":"GRCh38","chromosome":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/chromosome-human","code":"1"}]},
                         "windowStart":100,"windowEnd":200},
         "variant":[{"start":10,"end":20},{"start":50,"end":60}]}
        """#),
    ]

    static func load(_ fhir: FHIRTestClient) async throws { try await fhir.putAll(resources) }
}
