import FHIRCore
import Foundation
import Testing

@testable import FHIRStore

/// The search-parameter registry is compiled from the R4 definitions and every expression is
/// evaluated by our FHIRPath engine when resources are indexed.
@Suite("Search index extraction")
struct SearchIndexExtractorTests {
    static let extractor = SearchIndexExtractor(definitions: .shared)

    static var examples: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/testdata/fhir-r4/examples")
    }

    @Test("every search parameter expression of R4 compiles")
    func everyExpressionCompiles() {
        #expect(Self.extractor.uncompiled.isEmpty, "\(Self.extractor.uncompiled.prefix(10))")
        #expect(R4Definitions.shared.searchParameters.all.count == 1_375)
    }

    @Test("every expression evaluates without error on the official examples of its type")
    func everyExpressionEvaluates() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).filter { $0.hasSuffix(".json") }
        var evaluated = 0
        var failures: [String] = []
        let defs = R4Definitions.shared
        for file in files {
            guard let json = try? JSONParser.parse([UInt8](Data(contentsOf: Self.examples.appendingPathComponent(file)))),
                let type = json["resourceType"]?.stringValue
            else { continue }
            for p in defs.searchParameters.parameters(for: type) {
                guard p.type != .composite, p.type != .special, let source = p.expression(for: type) else { continue }
                do {
                    _ = try FHIRPathExpression(source).evaluate(on: json, model: defs, options: SearchIndexExtractor.options)
                    evaluated += 1
                } catch {
                    failures.append("\(file) \(p.code): \(error)")
                }
            }
        }
        print("search expressions evaluated on examples: \(evaluated), failed: \(failures.count)")
        #expect(evaluated > 50_000)
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test("a Patient is indexed by identifier, name (Chinese whole name too), birthdate and reference")
    func patientRows() throws {
        let patient = try JSONParser.parse(#"""
            {"resourceType":"Patient","id":"p1","identifier":[{"system":"urn:oid:2.16.156.10011.1.1","value":"11010519491231002X"}],
             "name":[{"family":"张","given":["三"]}],"gender":"male","birthDate":"1949-12",
             "generalPractitioner":[{"reference":"Practitioner/d1"}],"meta":{"tag":[{"system":"urn:t","code":"demo"}]}}
            """#)
        let rows = Self.extractor.indexRows(for: patient, type: "Patient")
        #expect(rows.tokens.contains(.init(param: "identifier", system: "urn:oid:2.16.156.10011.1.1", code: "11010519491231002X")))
        #expect(rows.tokens.contains { $0.param == "gender" && $0.code == "male" })
        #expect(rows.tokens.contains { $0.param == "_tag" && $0.system == "urn:t" && $0.code == "demo" })
        #expect(rows.strings.contains { $0.param == "name" && $0.normalized == "张三" })
        #expect(rows.strings.contains { $0.param == "family" && $0.exact == "张" })
        let birth = try #require(rows.dates.first { $0.param == "birthdate" })
        // A month covers the whole month (search.html#date: the value's implicit range).
        #expect(InstantFormat.string(millis: birth.low) == "1949-12-01T00:00:00.000Z")
        #expect(InstantFormat.string(millis: birth.high) == "1949-12-31T23:59:59.999Z")
        #expect(rows.references.contains(.init(param: "general-practitioner", targetType: "Practitioner", targetId: "d1")))
        #expect(Self.extractor.compartment(for: patient, type: "Patient", rows: rows) == "p1")
    }

    @Test("a string parameter with another's expression (phonetic = name) is indexed once and searched through the other")
    func aliasedParameters() throws {
        let patient = try JSONParser.parse(#"{"resourceType":"Patient","name":[{"family":"王","given":["伟"]}]}"#)
        let rows = Self.extractor.indexRows(for: patient, type: "Patient")
        #expect(rows.strings.contains { $0.param == "name" })
        #expect(!rows.strings.contains { $0.param == "phonetic" })
        for type in ["Patient", "Person", "Practitioner", "RelatedPerson"] {
            #expect(Self.extractor.parameter(type: type, code: "phonetic")?.code == "name", "\(type)")
            #expect(Self.extractor.parameter(type: type, code: "name")?.code == "name")
        }
        // Parameters of their own are untouched.
        #expect(Self.extractor.parameter(type: "Patient", code: "family")?.code == "family")
    }

    @Test("an Observation is placed in its subject's patient compartment")
    func observationCompartment() throws {
        let obs = try JSONParser.parse(#"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"subject":{"reference":"Patient/p9"},"valueQuantity":{"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}"#)
        let rows = Self.extractor.indexRows(for: obs, type: "Observation")
        #expect(Self.extractor.compartment(for: obs, type: "Observation", rows: rows) == "p9")
        #expect(rows.quantities.contains { $0.param == "value-quantity" && $0.value == 120 && $0.code == "mm[Hg]" })
        #expect(rows.tokens.contains { $0.param == "code" && $0.code == "8480-6" && $0.system == "http://loinc.org" })
    }
}
