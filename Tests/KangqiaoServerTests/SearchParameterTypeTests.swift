import FHIRCore
import Testing

/// Every search parameter type and modifier on a fixed corpus (`SearchCorpus`), through the router,
/// with exact expected ids (search.html#ptypes).
@Suite("search parameter types")
struct SearchParameterTypeTests {
    @Test("string: starts-with, case- and accent-insensitive, Chinese, :exact, :contains (search.html#string)", arguments: ServerBackendKind.allCases)
    func strings(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await SearchCorpus.load(fhir)
            #expect(try await fhir.matches("/fhir/Patient?name=张") == ["p1"])
            #expect(try await fhir.matches("/fhir/Patient?name=张三") == ["p1"])
            #expect(try await fhir.matches("/fhir/Patient?name=三") == ["p1"])  // the given name starts with it
            // "the search is case-insensitive and accent-insensitive": mull finds Müller and Mullins.
            #expect(try await fhir.matches("/fhir/Patient?name=mull") == ["p2", "p4"])
            #expect(try await fhir.matches("/fhir/Patient?family=MÜL") == ["p2", "p4"])
            #expect(try await fhir.matches("/fhir/Patient?name=ller") == [])  // starts-with, not contains
            #expect(try await fhir.matches("/fhir/Patient?name=张,李") == ["p1", "p3"])
            #expect(try await fhir.matches("/fhir/Patient?family:exact=Müller") == ["p2"])
            #expect(try await fhir.matches("/fhir/Patient?family:exact=müller") == [])
            #expect(try await fhir.matches("/fhir/Patient?family:exact=李") == ["p3"])
            #expect(try await fhir.matches("/fhir/Patient?name:contains=LL") == ["p2", "p4"])
            #expect(try await fhir.matches("/fhir/Patient?name:contains=三") == ["p1"])
            #expect(try await fhir.matches("/fhir/Organization?name=kangqiao") == ["org1"])
            #expect(try await fhir.matches("/fhir/Patient?name=mull&gender=female") == ["p2"])
            #expect(try await fhir.search("/fhir/Patient?name:below=x").status == 400)
            // `phonetic` repeats `name`'s expression: answered from name's rows, which it no longer duplicates.
            #expect(try await fhir.matches("/fhir/Patient?phonetic=mull") == ["p2", "p4"])
            #expect(try await fhir.matches("/fhir/Patient?phonetic:exact=张三") == ["p1"])
            #expect(try await fhir.matches("/fhir/Patient?phonetic:missing=false&name=张") == ["p1"])
            #expect(try await fhir.matches("/fhir/Patient?name=mull&_sort=-phonetic") == ["p2", "p4"])
        }
    }

    @Test("token: :text, :of-type on identifiers, :not, system forms", arguments: ServerBackendKind.allCases)
    func tokens(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await SearchCorpus.load(fhir)
            #expect(try await fhir.matches("/fhir/Observation?code=http://loinc.org|29463-7") == ["o2", "o3"])
            #expect(try await fhir.matches("/fhir/Observation?code:text=heart") == ["o1"])
            #expect(try await fhir.matches("/fhir/Observation?code:text=BODY W") == ["o2", "o3"])
            #expect(try await fhir.matches("/fhir/Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|A1") == ["p1"])
            #expect(try await fhir.matches("/fhir/Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|B2") == [])
            #expect(try await fhir.matches("/fhir/Patient?identifier=urn:kq:mrn|") == ["p1", "p2"])
            #expect(try await fhir.matches("/fhir/Patient?gender:not=male") == ["p2", "p4", "p5"])
            #expect(try await fhir.search("/fhir/Patient?identifier:of-type=MR").status == 400)
        }
    }

    @Test("date: every prefix against the precision range (search.html#prefix, search.html#date)", arguments: ServerBackendKind.allCases)
    func dates(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await SearchCorpus.load(fhir)
            // p1 1970-01-01, p2 1985-06-15, p3 2000-12-31, p4 1985-06 (a month), p5 none.
            #expect(try await fhir.matches("/fhir/Patient?birthdate=1985") == ["p2", "p4"])
            #expect(try await fhir.matches("/fhir/Patient?birthdate=1985-06") == ["p2", "p4"])
            // eq: "the range of the search value fully contains the range of the target value"; a
            // month is not inside one day.
            #expect(try await fhir.matches("/fhir/Patient?birthdate=1985-06-15") == ["p2"])
            #expect(try await fhir.matches("/fhir/Patient?birthdate=eq1985-06-15") == ["p2"])
            // ne: the search range does not contain the target range.
            #expect(try await fhir.matches("/fhir/Patient?birthdate=ne1985-06-15") == ["p1", "p3", "p4"])
            // gt/lt: the range above/below the search value overlaps the target range.
            #expect(try await fhir.matches("/fhir/Patient?birthdate=gt1985-06-15") == ["p3", "p4"])
            #expect(try await fhir.matches("/fhir/Patient?birthdate=lt1985-06-15") == ["p1", "p4"])
            // ge/le: gt/lt, or eq.
            #expect(try await fhir.matches("/fhir/Patient?birthdate=ge1985-06-15") == ["p2", "p3", "p4"])
            #expect(try await fhir.matches("/fhir/Patient?birthdate=le1985-06-15") == ["p1", "p2", "p4"])
            #expect(try await fhir.matches("/fhir/Patient?birthdate=ge1985-01-01") == ["p2", "p3", "p4"])
            #expect(try await fhir.matches("/fhir/Patient?birthdate=lt1980") == ["p1"])
            // sa/eb: the target range starts after / ends before the search range.
            #expect(try await fhir.matches("/fhir/Patient?birthdate=sa1985-06-15") == ["p3"])
            #expect(try await fhir.matches("/fhir/Patient?birthdate=eb1985-06-15") == ["p1"])
            #expect(try await fhir.matches("/fhir/Patient?birthdate=sa1985") == ["p3"])
            // ap: the ranges overlap.
            #expect(try await fhir.matches("/fhir/Patient?birthdate=ap1985-06-20") == ["p4"])
            #expect(try await fhir.matches("/fhir/Patient?birthdate=ge1980&birthdate=lt1990") == ["p2", "p4"])
            // Periods and time zones: o2 covers 2024-02-01..03; o1 is 2024-01-10T02:00Z.
            #expect(try await fhir.matches("/fhir/Observation?date=2024-02") == ["o2"])
            #expect(try await fhir.matches("/fhir/Observation?date=2024-02-02") == [])
            #expect(try await fhir.matches("/fhir/Observation?date=ap2024-02-02") == ["o2"])
            #expect(try await fhir.matches("/fhir/Observation?date=2024-01-10T10:00:00+08:00") == ["o1"])
            #expect(try await fhir.matches("/fhir/Observation?date=lt2024-01-10T03:00:00Z") == ["o1"])
            // ge: "the range above the search value intersects the target, or the search value fully
            // contains it" — a period ending within the day but starting before it is neither.
            #expect(try await fhir.matches("/fhir/Observation?date=ge2024-02-03") == ["o3"])
            #expect(try await fhir.matches("/fhir/Observation?date=ge2024-02-02") == ["o2", "o3"])
            #expect(try await fhir.search("/fhir/Patient?birthdate=1985-13").status == 400)
        }
    }

    @Test("number and quantity: prefixes, implied precision, value|system|code and value||code (search.html#quantity)", arguments: ServerBackendKind.allCases)
    func numbersAndQuantities(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await SearchCorpus.load(fhir)
            #expect(try await fhir.matches("/fhir/RiskAssessment?probability=0.25") == ["ra1"])
            #expect(try await fhir.matches("/fhir/RiskAssessment?probability=0.4") == [])
            // "the precision of the value is implied": 0.8 is [0.75, 0.85), 1 is [0.5, 1.5).
            #expect(try await fhir.matches("/fhir/RiskAssessment?probability=1") == ["ra2"])
            #expect(try await fhir.matches("/fhir/RiskAssessment?probability=gt0.25") == ["ra2"])
            #expect(try await fhir.matches("/fhir/RiskAssessment?probability=ge0.25") == ["ra1", "ra2"])
            #expect(try await fhir.matches("/fhir/RiskAssessment?probability=lt0.5") == ["ra1"])
            #expect(try await fhir.matches("/fhir/RiskAssessment?probability=ne0.25") == ["ra2"])
            #expect(try await fhir.matches("/fhir/RiskAssessment?probability=ap0.24") == ["ra1"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=60") == ["o1"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=72.5|http://unitsofmeasure.org|kg") == ["o2"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=72.5||kg") == ["o2"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=72.5||g") == [])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=gt70||kg") == ["o2", "o3"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=le72.5") == ["o1", "o2"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=lt70|http://unitsofmeasure.org|/min") == ["o1"])
            // 8e1 has one significant figure: [75, 85).
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=8e1") == ["o3"])
            #expect(try await fhir.search("/fhir/Observation?value-quantity=heavy").status == 400)
            // Composite (search.html#composite): both components on the same resource.
            #expect(try await fhir.matches("/fhir/Observation?code-value-quantity=http://loinc.org|29463-7$gt75") == ["o3"])
            #expect(try await fhir.matches("/fhir/Observation?code-value-quantity=29463-7$72.5||kg,8867-4$60") == ["o1", "o2"])
            #expect(try await fhir.matches("/fhir/Observation?code-value-quantity=8867-4$gt75") == [])
            #expect(try await fhir.search("/fhir/Observation?code-value-quantity=29463-7").status == 400)
        }
    }

    @Test("uri: equal, :below and :above; :missing on every type", arguments: ServerBackendKind.allCases)
    func urisAndMissing(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await SearchCorpus.load(fhir)
            #expect(try await fhir.matches("/fhir/ValueSet?url=http://example.org/fhir/ValueSet/colors") == ["vs1"])
            #expect(try await fhir.matches("/fhir/ValueSet?url=http://example.org/fhir") == [])
            #expect(try await fhir.matches("/fhir/ValueSet?url:below=http://example.org/fhir") == ["vs1"])
            #expect(try await fhir.matches("/fhir/ValueSet?url:above=http://example.org/fhir/ValueSet/colors/v2") == ["vs1"])
            #expect(try await fhir.matches("/fhir/ValueSet?url:above=http://example.org/fhir") == [])
            #expect(try await fhir.matches("/fhir/Patient?birthdate:missing=true") == ["p5"])
            #expect(try await fhir.matches("/fhir/Patient?gender:missing=true") == ["p4"])
            #expect(try await fhir.matches("/fhir/Patient?name:missing=false") == ["p1", "p2", "p3", "p4", "p5"])
            #expect(try await fhir.matches("/fhir/Patient?organization:missing=true") == ["p3", "p4", "p5"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity:missing=false") == ["o1", "o2", "o3"])
            #expect(try await fhir.matches("/fhir/RiskAssessment?probability:missing=true") == [])
            #expect(try await fhir.matches("/fhir/ValueSet?url:missing=false") == ["vs1", "vs2"])
        }
    }
}

/// The fixed corpus the search tests query, with the ids every expectation names.
enum SearchCorpus {
    static let resources: [(String, String)] = [
        ("Organization/org1", #"{"resourceType":"Organization","id":"org1","name":"Kangqiao Hospital"}"#),
        ("Organization/org2", #"{"resourceType":"Organization","id":"org2","name":"Riverside Clinic"}"#),
        ("Patient/p1", #"""
        {"resourceType":"Patient","id":"p1","gender":"male","birthDate":"1970-01-01",
         "name":[{"family":"张","given":["三"],"text":"张三"}],"managingOrganization":{"reference":"Organization/org1"},
         "identifier":[{"system":"urn:kq:mrn","value":"A1","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]}}]}
        """#),
        ("Patient/p2", #"""
        {"resourceType":"Patient","id":"p2","gender":"female","birthDate":"1985-06-15","name":[{"family":"Müller","given":["Anna"]}],
         "managingOrganization":{"reference":"Organization/org2"},
         "identifier":[{"system":"urn:kq:mrn","value":"B2","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"DL"}]}}]}
        """#),
        ("Patient/p3", #"{"resourceType":"Patient","id":"p3","gender":"male","birthDate":"2000-12-31","name":[{"family":"李","given":["四"]}]}"#),
        ("Patient/p4", #"{"resourceType":"Patient","id":"p4","birthDate":"1985-06","name":[{"family":"Mullins","given":["Ray"]}]}"#),
        ("Patient/p5", #"{"resourceType":"Patient","id":"p5","gender":"female","name":[{"family":"Abbott"}]}"#),
        ("Observation/o1", #"""
        {"resourceType":"Observation","id":"o1","status":"final","subject":{"reference":"Patient/p1"},
         "code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},
         "effectiveDateTime":"2024-01-10T10:00:00+08:00",
         "valueQuantity":{"value":60,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}
        """#),
        ("Observation/o2", #"""
        {"resourceType":"Observation","id":"o2","status":"final","subject":{"reference":"Patient/p2"},
         "code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},
         "effectivePeriod":{"start":"2024-02-01","end":"2024-02-03"},
         "valueQuantity":{"value":72.5,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}
        """#),
        ("Observation/o3", #"""
        {"resourceType":"Observation","id":"o3","status":"final","subject":{"reference":"Patient/p3"},
         "code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},
         "effectiveDateTime":"2024-03-05",
         "valueQuantity":{"value":80,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}
        """#),
        ("RiskAssessment/ra1", #"""
        {"resourceType":"RiskAssessment","id":"ra1","status":"final","subject":{"reference":"Patient/p1"},"prediction":[{"probabilityDecimal":0.25}]}
        """#),
        ("RiskAssessment/ra2", #"""
        {"resourceType":"RiskAssessment","id":"ra2","status":"final","subject":{"reference":"Patient/p2"},"prediction":[{"probabilityDecimal":0.8}]}
        """#),
        ("ValueSet/vs1", #"{"resourceType":"ValueSet","id":"vs1","status":"active","url":"http://example.org/fhir/ValueSet/colors"}"#),
        ("ValueSet/vs2", #"{"resourceType":"ValueSet","id":"vs2","status":"active","url":"http://other.org/ValueSet/sizes"}"#),
    ]

    /// Writes the corpus through the API (PUT, so the ids are the ones above).
    static func load(_ fhir: FHIRTestClient) async throws {
        for (path, json) in resources {
            let r = try await fhir.put("/fhir/" + path, json)
            #expect(r.status == 201, "PUT \(path): \(r.status) \(r.text)")
        }
    }
}

extension FHIRTestResponse {
    /// The ids of the entries with `search.mode` (default "match"), in bundle order.
    func ids(_ mode: String = "match") -> [String] {
        (json["entry"]?.arrayValue ?? []).compactMap { e in
            guard e["search"]?["mode"]?.stringValue == mode else { return nil }
            return e["resource"]?["id"]?.stringValue
        }
    }

    func link(_ relation: String) -> String? {
        guard let url = json["link"]?.arrayValue?.first(where: { $0["relation"]?.stringValue == relation })?["url"]?.stringValue,
            let r = url.range(of: "/fhir")
        else { return nil }
        return String(url[r.lowerBound...])
    }
}

extension FHIRTestClient {
    /// A search GET with the query percent-encoded (`张`, `|`, `+`, spaces), so tests read as written.
    func search(_ path: String) async throws -> FHIRTestResponse {
        var out = ""
        for b in path.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case _ where "-._~/?&=:,%*".utf8.contains(b):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return try await get(out)
    }

    /// The matched ids of a search, sorted (for searches whose order is not the point).
    func matches(_ path: String) async throws -> [String] {
        let r = try await search(path)
        #expect(r.status == 200, "GET \(path): \(r.status) \(r.text)")
        return r.ids().sorted()
    }
}
