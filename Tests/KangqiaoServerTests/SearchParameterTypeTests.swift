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
            #expect(try await fhir.matches("/fhir/RiskAssessment?probability=0.3") == [])
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
