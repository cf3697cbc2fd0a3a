import FHIRCore
import Foundation
import Testing

/// Search on a fixed corpus of the official R4 examples (../shared/testdata: every Observation and
/// Patient example and two Organizations), with exact expected ids, on both backends. Each test names
/// the rule of the specification's search page it proves.
@Suite("search on the official R4 examples")
struct SearchExamplesCorpusTests {
    static let folder = SharedData.root.appendingPathComponent("testdata/fhir-r4/examples")

    static func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { name in
            name.hasSuffix(".json") && (name.hasPrefix("Observation-") || name.hasPrefix("Patient-")
                || name == "Organization-1.json" || name == "Organization-2.json")
        }.sorted()
    }

    static func load(_ fhir: FHIRTestClient) async throws {
        for file in try files() {
            let json = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let resource = try JSONParser.parse(Array(json.utf8))
            let type = resource["resourceType"]?.stringValue ?? ""
            let id = resource["id"]?.stringValue ?? ""
            let r = try await fhir.put("/fhir/\(type)/\(id)", json)
            #expect(r.status == 201, "PUT \(file): \(r.status) \(r.text)")
        }
    }

    /// Patient/example's observations (subject Patient/example in the examples): more than a default page.
    static let ofPatientExample = [
        "abdo-tender", "blood-pressure-cancel", "blood-pressure-dar", "bmi", "body-height", "body-length", "body-temperature",
        "clinical-gender", "example", "example-TPMT-diplotype", "example-TPMT-haplotype-one", "example-TPMT-haplotype-two",
        "example-genetics-1", "example-genetics-3", "example-genetics-4", "example-genetics-5", "gcs-qa", "glasgow",
        "head-circumference", "heart-rate", "map-sitting", "respiratory-rate", "satO2", "vitals-panel",
    ]
    static let ofF001 = ["ekg", "f002", "f003", "f004", "f005", "unsat"]

    @Test("search.html#composite: components match within one element (Apgar components, blood pressure)", arguments: ServerBackendKind.allCases)
    func composites(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-concept=http://loinc.org|32401-2$http://loinc.org|LA6724-4") == ["10minute-apgar-score"])
            // LA6718-6 is the heart-rate component's value, not the colour component's.
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-concept=http://loinc.org|32401-2$http://loinc.org|LA6718-6") == [])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-concept=http://snomed.info/sct|249227004$http://acme.ped/apgarcolor|2") == ["10minute-apgar-score", "5minute-apgar-score"])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-concept=http://snomed.info/sct|249227004$http://acme.ped/apgarheartrate|2") == [])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-concept=http://snomed.info/sct|249223000$http://acme.ped/apgarheartrate|0") == ["1minute-apgar-score"])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=http://loinc.org|8480-6$gt100") == ["blood-pressure-dar"])
            // The diastolic component has a dataAbsentReason, no value.
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=http://loinc.org|8462-4$gt0") == [])
            #expect(try await fhir.matches("/fhir/Observation?combo-code-value-quantity=http://loinc.org|8867-4$44") == ["heart-rate"])
            #expect(try await fhir.matches("/fhir/Observation?combo-code-value-quantity=http://loinc.org|8480-6$107") == ["blood-pressure-dar"])
            #expect(try await fhir.matches("/fhir/Observation?code-value-quantity=http://loinc.org|29463-7$gt180|http://unitsofmeasure.org|[lb_av]") == ["example"])
        }
    }

    @Test("search.html#quantity: UCUM units convert between commensurable units; others compare as written", arguments: ServerBackendKind.allCases)
    func quantities(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            // 185 [lb_av] is 83.91 kg; 84 kg has the implied range [83.5, 84.5).
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=84|http://unitsofmeasure.org|kg") == ["example"])
            // 66.9 [in_i] is 169.9 cm.
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=170|http://unitsofmeasure.org|cm") == ["body-height"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=lt1|http://unitsofmeasure.org|m") == ["body-length", "head-circumference"])
            // 7.2 g/dL is 72 g/L.
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=72|http://unitsofmeasure.org|g/L") == ["f005"])
            // 44 /min is 0.73 /s, 26 /min 0.43 /s.
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=gt0.5|http://unitsofmeasure.org|/s") == ["heart-rate"])
            #expect(try await fhir.matches("/fhir/Observation?component-code-value-quantity=http://loinc.org|8480-6$14.3|http://unitsofmeasure.org|kPa") == ["blood-pressure-dar"])
            // Cel has an offset: compared with Cel only, as written.
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=gt35|http://unitsofmeasure.org|Cel") == ["body-temperature", "f202"])
            #expect(try await fhir.matches("/fhir/Observation?value-quantity=12.6||mmol/L") == ["f002"])
            #expect(try await fhir.search("/fhir/Observation?value-quantity=1|http://unitsofmeasure.org|stones").status == 400)
        }
    }

    @Test("search.html#date: a value's precision makes it a range; eq contains, ap overlaps, sa starts after", arguments: ServerBackendKind.allCases)
    func dates(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            let vitals1999 = ["bmi", "body-height", "body-length", "body-temperature", "head-circumference", "heart-rate", "respiratory-rate", "vitals-panel"]
            #expect(try await fhir.matches("/fhir/Observation?date=1999-07-02") == vitals1999)
            #expect(try await fhir.matches("/fhir/Observation?date=1999") == vitals1999)
            // Periods of 2 to 5 April 2013 lie within the month, not within one day of it.
            #expect(try await fhir.matches("/fhir/Observation?date=2013-04") == ["f002", "f003", "f004", "f005", "unsat"])
            #expect(try await fhir.matches("/fhir/Observation?date=2013-04-05") == ["f005"])
            #expect(try await fhir.matches("/fhir/Observation?date=ap2013-04-03") == ["f002", "f003", "f004", "unsat"])
            #expect(try await fhir.matches("/fhir/Observation?date=2016-05-18T22:33:22Z") == ["10minute-apgar-score", "1minute-apgar-score", "5minute-apgar-score", "secondsmoke", "vomiting"])
            // abdo-tender's period has no end: it starts in 2018.
            #expect(try await fhir.matches("/fhir/Observation?date=sa2017") == ["abdo-tender", "bgpanel", "bloodgroup", "clinical-gender", "map-sitting", "trachcare"])
            #expect(try await fhir.matches("/fhir/Patient?birthdate=1974-12-25") == ["ch-example", "example"])
        }
    }

    @Test("search.html#token and #string: system|code, code alone, :exact, default starts-with, :contains", arguments: ServerBackendKind.allCases)
    func tokensAndStrings(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Observation?code=http://loinc.org|8310-5") == ["body-temperature", "f202"])
            #expect(try await fhir.matches("/fhir/Observation?code=8302-2") == ["body-height", "body-length"])
            #expect(try await fhir.matches("/fhir/Observation?code=http://snomed.info/sct|363779003") == ["example-TPMT-diplotype", "example-TPMT-haplotype-one", "example-TPMT-haplotype-two", "example-diplotype1"])
            #expect(try await fhir.matches("/fhir/Observation?code=http://loinc.org|29463-7,http://loinc.org|8867-4") == ["example", "heart-rate"])
            #expect(try await fhir.matches("/fhir/Observation?status=cancelled") == ["blood-pressure-cancel", "unsat"])
            #expect(try await fhir.matches("/fhir/Patient?family=solo") == ["infant-mom", "infant-twin-1", "infant-twin-2"])
            #expect(try await fhir.matches("/fhir/Patient?name=jim") == ["example"])
            #expect(try await fhir.matches("/fhir/Patient?given=henr") == ["glossy", "xcda"])
            #expect(try await fhir.matches("/fhir/Patient?family:exact=Levin") == ["glossy", "xcda"])
            #expect(try await fhir.matches("/fhir/Patient?family:exact=levin") == [])
            #expect(try await fhir.matches("/fhir/Patient?family=van") == ["f001"])
            #expect(try await fhir.matches("/fhir/Patient?name:contains=euv") == ["f001"])
        }
    }

    @Test("search.html#reference, #chaining and #include: references, chains, _include and _revinclude", arguments: ServerBackendKind.allCases)
    func referencesChainsIncludes(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Observation?subject=Patient/f001") == Self.ofF001)
            let ofExample = try await fhir.matches("/fhir/Observation?patient=example&_count=100")
            #expect(ofExample == Self.ofPatientExample, "\(ofExample)")
            #expect(try await fhir.matches("/fhir/Observation?performer=Practitioner/f005") == Self.ofF001)
            #expect(try await fhir.matches("/fhir/Observation?subject:Patient.name=pieter") == Self.ofF001)
            #expect(try await fhir.matches("/fhir/Observation?patient.birthdate=1974-12-25&_count=100") == Self.ofPatientExample)
            #expect(try await fhir.matches("/fhir/Patient?organization.name=gastro") == ["ch-example", "example", "pat1", "pat3"])
            let included = try await fhir.search("/fhir/Observation?_id=f002&_include=Observation:subject")
            #expect(included.ids().sorted() == ["f002"])
            #expect(included.ids("include") == ["f001"])
            let rev = try await fhir.search("/fhir/Patient?_id=f001&_revinclude=Observation:subject")
            #expect(rev.ids() == ["f001"])
            #expect(rev.ids("include").sorted() == Self.ofF001)
            let temperature = try await fhir.search("/fhir/Observation?code=http://loinc.org|8310-5&_include=Observation:patient")
            #expect(temperature.ids().sorted() == ["body-temperature", "f202"])
            #expect(temperature.ids("include") == ["example"])  // f202's Patient/f201 is not in the corpus
        }
    }

    @Test("search.html#has, #modifiers, #sort and paging: reverse chains, :missing, :not, sort keys with a stable tie-break, every page once", arguments: ServerBackendKind.allCases)
    func reverseChainsModifiersSortPaging(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Patient?_has:Observation:subject:code=http://loinc.org|8310-5") == ["example"])
            #expect(try await fhir.matches("/fhir/Patient?_has:Observation:patient:status=cancelled") == ["example", "f001"])
            #expect(try await fhir.matches("/fhir/Patient?birthdate:missing=true") == ["ihe-pcd", "pat1"])
            // :not includes the resources without any value.
            #expect(try await fhir.matches("/fhir/Patient?gender:not=male") == ["animal", "ihe-pcd", "infant-mom", "infant-twin-1", "mom"])
            // Descending sorts on a period's end, ascending on its start; equal keys keep the write order.
            #expect(try await fhir.search("/fhir/Observation?subject=Patient/f001&_sort=-date").ids() == ["ekg", "f002", "f003", "f004", "f005", "unsat"])
            #expect(try await fhir.search("/fhir/Observation?subject=Patient/f001&_sort=date").ids() == ["unsat", "f002", "f003", "f004", "f005", "ekg"])
            var seen: [String] = []
            var next: String? = "/fhir/Observation?patient=example&_count=10&_sort=_id"
            var pages = 0
            while let path = next, pages < 10 {
                let page = try await fhir.get(path)
                #expect(page.status == 200)
                seen += page.ids()
                next = page.link("next")
                pages += 1
            }
            #expect(pages == 3)
            #expect(seen == Self.ofPatientExample.sorted())
        }
    }
}
