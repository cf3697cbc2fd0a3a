import FHIRCore
import Testing

/// `_include`, `_revinclude` (search.html#include), chaining and reverse chaining (search.html#chaining,
/// search.html#has) on the fixed corpus.
@Suite("search includes and chains")
struct SearchIncludeChainTests {
    @Test("_include and _revinclude add entries with search.mode include, once, with :iterate and *", arguments: ServerBackendKind.allCases)
    func includes(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await SearchCorpus.load(fhir)
            let r = try await fhir.search("/fhir/Observation?_id=o1,o2&_include=Observation:subject")
            #expect(r.ids() == ["o1", "o2"])
            #expect(r.ids("include").sorted() == ["p1", "p2"])
            #expect(try await fhir.search("/fhir/Observation?_id=o1&_include=Observation:subject:Group").ids("include") == [])
            // Without :iterate an include applies to the matches only.
            #expect(try await fhir.search("/fhir/Observation?_id=o1&_include=Observation:subject&_include=Patient:organization").ids("include") == ["p1"])
            #expect(try await fhir.search("/fhir/Observation?_id=o1&_include=Observation:subject&_include:iterate=Patient:organization").ids("include") == ["p1", "org1"])
            #expect(try await fhir.search("/fhir/Observation?_id=o1&_include=*").ids("include") == ["p1"])
            let rev = try await fhir.search("/fhir/Patient?_id=p1&_revinclude=Observation:subject&_revinclude=RiskAssessment:subject")
            #expect(rev.ids() == ["p1"])
            #expect(rev.ids("include").sorted() == ["o1", "ra1"])
            let chainIn = try await fhir.search("/fhir/Organization?_id=org1&_revinclude=Patient:organization&_revinclude:iterate=Observation:subject")
            #expect(chainIn.ids("include") == ["p1", "o1"])
            // A resource that is a match is not repeated as an include.
            let both = try await fhir.search("/fhir/Patient?_id=p1,p2&_revinclude=Observation:subject&_include:iterate=Observation:subject")
            #expect(both.ids() .sorted() == ["p1", "p2"])
            #expect(both.ids("include").sorted() == ["o1", "o2"])
            #expect(try await fhir.search("/fhir/Patient?_id=p1&_revinclude=Observation:subject&_summary=count").ids("include") == [])
            #expect(try await fhir.search("/fhir/Observation?_include=Observation:status").status == 400)
            #expect(try await fhir.search("/fhir/Observation?_include=Nothing:subject").status == 400)
        }
    }

    @Test("chained parameters, with and without a type, several levels deep (search.html#chaining)", arguments: ServerBackendKind.allCases)
    func chains(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await SearchCorpus.load(fhir)
            #expect(try await fhir.matches("/fhir/Observation?subject:Patient.name=张") == ["o1"])
            #expect(try await fhir.matches("/fhir/Observation?subject:Patient.name=张,李") == ["o1", "o3"])
            #expect(try await fhir.matches("/fhir/Observation?patient.birthdate=ge2000-01-01") == ["o3"])
            #expect(try await fhir.matches("/fhir/Observation?subject.name=mull") == ["o2"])
            #expect(try await fhir.matches("/fhir/Observation?subject:Patient.family:exact=Müller") == ["o2"])
            #expect(try await fhir.matches("/fhir/RiskAssessment?subject:Patient.gender=female") == ["ra2"])
            #expect(try await fhir.matches("/fhir/Observation?subject:Patient.organization.name=kangqiao") == ["o1"])
            #expect(try await fhir.matches("/fhir/Observation?patient.organization:Organization.name=riverside&code=29463-7") == ["o2"])
            #expect(try await fhir.matches("/fhir/Observation?subject:Patient.name=张&subject:Patient.gender=female") == [])
            #expect(try await fhir.search("/fhir/Observation?subject.nonsense=1").status == 400)
            #expect(try await fhir.search("/fhir/Observation?status.name=x").status == 400)
        }
    }

    @Test("reverse chaining with _has, nested (search.html#has)", arguments: ServerBackendKind.allCases)
    func reverseChains(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await SearchCorpus.load(fhir)
            #expect(try await fhir.matches("/fhir/Patient?_has:Observation:patient:code=29463-7") == ["p2", "p3"])
            #expect(try await fhir.matches("/fhir/Patient?_has:Observation:subject:value-quantity=gt75") == ["p3"])
            #expect(try await fhir.matches("/fhir/Patient?_has:RiskAssessment:subject:probability=gt0.5&gender=female") == ["p2"])
            #expect(try await fhir.matches("/fhir/Organization?_has:Patient:organization:_has:Observation:patient:code=8867-4") == ["org1"])
            #expect(try await fhir.matches("/fhir/Organization?_has:Patient:organization:name=张") == ["org1"])
            #expect(try await fhir.search("/fhir/Patient?_has:Observation:code:code=1").status == 400)
            #expect(try await fhir.search("/fhir/Patient?_has:Observation=1").status == 400)
        }
    }
}
