import Foundation
import Testing
@testable import FHIRCore

/// The public FHIRPath API as the rest of the product uses it: search-parameter extraction, invariants
/// with a context, `resolve()`, narrative checks and errors.
@Suite("FHIRPath expressions")
struct FHIRPathTests {
    static let model: R4Definitions = {
        do { return try R4Definitions.loadBundled() } catch { fatalError("\(error)") }
    }()

    static let observation: JSON = [
        "resourceType": "Observation", "id": "o1", "status": "final",
        "code": ["coding": [["system": "http://loinc.org", "code": "29463-7"]]],
        "subject": ["reference": "Patient/p1"],
        "valueQuantity": ["value": .number(JSONNumber(unchecked: "72.50")), "unit": "kg",
                          "system": "http://unitsofmeasure.org", "code": "kg"],
    ]

    func evaluate(_ expression: String, on resource: JSON) throws -> [FHIRPathValue] {
        try FHIRPathExpression(expression).evaluate(on: resource, model: FHIRPathTests.model)
    }

    @Test("every R4 search-parameter expression and invariant compiles")
    func definitionsCompile() throws {
        var failures: [String] = []
        var count = 0
        for p in FHIRPathTests.model.searchParameters.all {
            for e in [p.expression].compactMap({ $0 }) + p.components.map(\.expression) {
                count += 1
                do { _ = try FHIRPathExpression(e) } catch { failures.append("\(p.id): \(e): \(error)") }
            }
        }
        for t in FHIRPathTests.model.types.values {
            for inv in t.declaredInvariants {
                count += 1
                do { _ = try FHIRPathExpression(inv.expression) } catch { failures.append("\(inv.key): \(inv.expression): \(error)") }
            }
        }
        print("compiled \(count) R4 expressions, \(failures.count) failed")
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test("search-parameter expressions yield typed elements with their JSON")
    func searchExtraction() throws {
        let names = try evaluate("Patient.name", on: ["resourceType": "Patient", "name": [["family": "Li"], ["family": "Wang"]]])
        #expect(names.map(\.typeName) == ["HumanName", "HumanName"])
        #expect(names.first?.json["family"] == "Li")

        let q = try evaluate("Observation.value as Quantity", on: FHIRPathTests.observation)
        #expect(q.count == 1 && q[0].typeName == "Quantity" && q[0].json["code"] == "kg")

        let union = try evaluate("(Observation.value as Quantity) | (Observation.value as SampledData)", on: FHIRPathTests.observation)
        #expect(union.count == 1)

        let subject = try evaluate("Observation.subject.where(resolve() is Patient)", on: FHIRPathTests.observation)
        #expect(subject.map(\.typeName) == ["Reference"])
        #expect(try evaluate("Observation.subject.where(resolve() is Group)", on: FHIRPathTests.observation).isEmpty)

        let bundle: JSON = ["resourceType": "Bundle", "type": "collection",
                            "entry": [["resource": ["resourceType": "Patient", "id": "p1"]]]]
        let first = try evaluate("Bundle.entry[0].resource", on: bundle)
        #expect(first.map(\.typeName) == ["Patient"])
    }

    @Test("primitive elements carry their _element sibling")
    func primitiveSiblings() throws {
        let patient: JSON = ["resourceType": "Patient", "birthDate": "1970-03-01",
                             "_birthDate": ["extension": [["url": "http://example.org/x", "valueString": "y"]]],
                             "_gender": ["extension": [["url": "http://example.org/absent", "valueCode": "unknown"]]]]
        let birth = try evaluate("Patient.birthDate", on: patient)
        #expect(birth.first?.element?.primitiveElement?["extension"] != nil)
        #expect(try evaluate("Patient.birthDate.extension('http://example.org/x').value", on: patient).first?.json == "y")
        #expect(try evaluate("Patient.gender.hasValue()", on: patient).first?.json == false)
        #expect(try evaluate("Patient.gender.extension.exists()", on: patient).first?.json == true)
    }

    @Test("invariants run with the element as context and the resource as %resource")
    func invariantsWithContext() throws {
        let extensionInvariant = try FHIRPathExpression("extension.exists() != value.exists()")
        let good: JSON = ["url": "http://example.org/a", "valueBoolean": true]
        let bad: JSON = ["url": "http://example.org/a", "valueBoolean": true, "extension": [["url": "b", "valueString": "c"]]]
        let patient: JSON = ["resourceType": "Patient", "extension": .array([good, bad])]
        #expect(try extensionInvariant.evaluateBoolean(on: patient, model: FHIRPathTests.model, context: good, contextType: "Extension") == true)
        #expect(try extensionInvariant.evaluateBoolean(on: patient, model: FHIRPathTests.model, context: bad, contextType: "Extension") == false)

        let dom3 = try FHIRPathExpression(
            "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().as(canonical) | "
            + "%resource.descendants().as(uri) | %resource.descendants().as(url))) or descendants().where(reference = '#')"
            + ".exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(canonical) = '#')"
            + ".exists()).not()).trace('unmatched', id).empty()")
        let referenced: JSON = ["resourceType": "Observation", "status": "final", "code": ["text": "x"],
                                "contained": [["resourceType": "Patient", "id": "p"]], "subject": ["reference": "#p"]]
        let orphan: JSON = ["resourceType": "Observation", "status": "final", "code": ["text": "x"],
                            "contained": [["resourceType": "Patient", "id": "p"]]]
        #expect(try dom3.evaluateBoolean(on: referenced, model: FHIRPathTests.model) == true)
        #expect(try dom3.evaluateBoolean(on: orphan, model: FHIRPathTests.model) == false)

        let contained = try evaluate("Observation.subject.resolve()", on: referenced)
        #expect(contained.first?.json["id"] == "p")
    }

    @Test("htmlChecks accepts plain XHTML narrative and refuses scripts, handlers and foreign roots")
    func narrative() throws {
        func check(_ div: String) throws -> Bool? {
            let r: JSON = ["resourceType": "Basic", "text": ["status": "generated", "div": .string(div)]]
            return try FHIRPathExpression("text.div.htmlChecks()").evaluateBoolean(on: r, model: FHIRPathTests.model)
        }
        #expect(try check(#"<div xmlns="http://www.w3.org/1999/xhtml"><p>Hello <b>there</b></p><br/></div>"#) == true)
        #expect(try check(#"<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>"#) == false)
        #expect(try check(#"<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">a</p></div>"#) == false)
        #expect(try check(#"<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:x()">a</a></div>"#) == false)
        #expect(try check(#"<div><p>no namespace</p></div>"#) == false)
        #expect(try check(#"<p xmlns="http://www.w3.org/1999/xhtml">not a div</p>"#) == false)
        #expect(try check(#"<div xmlns="http://www.w3.org/1999/xhtml"><p>unclosed</div>"#) == false)
    }

    @Test("malformed expressions are Swift errors with a kind, never crashes")
    func errors() throws {
        for source in ["", "(", "1 +", "name.", "'unterminated", "@20x", "a.b(", "1 2", "where(", "%", "$that", "`x", "/* x"] {
            #expect(throws: FHIRPathError.self) { try FHIRPathExpression(source) }
        }
        #expect(throws: FHIRPathError.self) { try FHIRPathExpression("name.frobnicate()") }
        #expect(throws: FHIRPathError.self) { try FHIRPathExpression(String(repeating: "(", count: 100_000)) }
        #expect(throws: FHIRPathError.self) { try FHIRPathExpression(String(repeating: "1 + ", count: 50_000) + "1") }
        #expect(throws: FHIRPathError.self) { try FHIRPathExpression(String(repeating: "-", count: 50_000) + "1") }
        let none: JSON = ["resourceType": "Basic"]
        for source in ["9223372036854775807 + 1", "(-9223372036854775807 - 1) div -1", "'abc'.substring(1, 9223372036854775807)",
                       "@2020-01-01 + 9223372036854775807 days", "1 'm99999999' = 1 'm'", "(-9223372036854775807 - 1).abs()"] {
            _ = try? FHIRPathExpression(source).evaluate(on: none, model: FHIRPathTests.model)
        }
        let e = try FHIRPathExpression("Patient.name.single()")
        let patient: JSON = ["resourceType": "Patient", "name": [["family": "a"], ["family": "b"]]]
        #expect(throws: FHIRPathError.self) { try e.evaluate(on: patient, model: FHIRPathTests.model) }
        #expect(throws: FHIRPathError.self) { try self.evaluate("Observation.valueQuantity", on: FHIRPathTests.observation) }
    }

    @Test("quantities compare across UCUM units and calendar durations")
    func quantities() throws {
        let none: JSON = ["resourceType": "Basic"]
        let cases: [(String, Bool?)] = [
            ("Observation.value > 72 'kg'", true), ("Observation.value = 72500 'g'", true),
            ("Observation.value < 160 '[lb_av]'", true), ("1 'wk' = 7 days", true), ("1 year = 12 months", true), ("1 year = 365 days", nil),
            ("2 'mg/dL' = 20 'mg/L'", true), ("10 'mm[Hg]' > 1 'kPa'", true),
        ]
        for (expression, expected) in cases {
            let resource = expression.hasPrefix("Observation") ? FHIRPathTests.observation : none
            #expect(try FHIRPathExpression(expression).evaluateBoolean(on: resource, model: FHIRPathTests.model) == expected, "\(expression)")
        }
    }
}

/// Every error-level R4 invariant of a resource type (its own paths and its ancestors') evaluated on the
/// official examples: valid examples must satisfy them, and no expression may fail to evaluate.
@Suite("FHIRPath on the R4 examples")
struct FHIRPathExampleInvariantTests {
    /// Examples that really break an invariant (the engine is right; the example is wrong).
    static let knownViolations: [String: String] = [
        "StructureDefinition-Definition.json: sdf-4 at StructureDefinition":
            "the R4 logical model Definition is not abstract and has no baseDefinition",
        "StructureDefinition-Event.json: sdf-4 at StructureDefinition":
            "the R4 logical model Event is not abstract and has no baseDefinition",
    ]

    @Test("the official R4 examples satisfy their resource invariants")
    func examplesSatisfyInvariants() throws {
        let model = FHIRPathTests.model
        let dir = FHIRPathSuite.sharedDirectory.appendingPathComponent("testdata/fhir-r4")
        let knownInvalid = Set(try String(contentsOf: dir.appendingPathComponent("examples-known-invalid.txt"), encoding: .utf8)
            .split(separator: "\n").compactMap { $0.split(separator: "\t").first.map(String.init) })
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("examples").path).sorted()
        var compiled: [String: FHIRPathExpression] = [:]
        var nodesByPath: [String: FHIRPathExpression] = [:]
        var evaluated = 0
        var errors: [String: String] = [:]
        var violations: [String] = []
        for file in files where file.hasSuffix(".json") && !knownInvalid.contains(file) {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("examples/\(file)")))
            guard let resource = try? JSONParser.parse(bytes, maxDepth: 512), let type = resource["resourceType"]?.stringValue else { continue }
            for invariant in model.invariants(of: type) where invariant.severity == .error {
                let path = invariant.path.hasSuffix("[x]") ? String(invariant.path.dropLast(3)) : invariant.path
                let nodes: [FHIRPathValue]
                if !path.contains(".") {
                    nodes = [.resource(resource)]
                } else if path.hasPrefix(type + ".") {
                    if nodesByPath[path] == nil { nodesByPath[path] = try FHIRPathExpression(path) }
                    nodes = (try? nodesByPath[path]?.evaluate(on: resource, model: model)) ?? []
                } else {
                    continue
                }
                if compiled[invariant.expression] == nil { compiled[invariant.expression] = try FHIRPathExpression(invariant.expression) }
                guard let expression = compiled[invariant.expression] else { continue }
                for node in nodes {
                    evaluated += 1
                    do {
                        let holds = try expression.evaluateBoolean(on: resource, model: model, context: node.json,
                                                                   contextType: node.typeName)
                        let site = "\(file): \(invariant.key) at \(path)"
                        if holds == false && FHIRPathExampleInvariantTests.knownViolations[site] == nil { violations.append(site) }
                    } catch {
                        errors[invariant.key] = "\(file): \(error)"
                    }
                }
            }
        }
        print("evaluated \(evaluated) invariant sites on the R4 examples: \(violations.count) violations, \(errors.count) failing invariants")
        for v in violations.prefix(40) { print("  violation \(v)") }
        for (k, e) in errors.sorted(by: { $0.key < $1.key }) { print("  error \(k): \(e)") }
        #expect(errors.isEmpty)
        #expect(violations.isEmpty)
    }
}

@Suite("FHIRPath distinctness on large collections")
struct FHIRPathLargeCollectionTests {
    static func codeSystem(codes: [String]) throws -> JSON {
        let concepts = codes.map { #"{"code":"\#($0)","display":"d"}"# }.joined(separator: ",")
        return try JSONParser.parse(Array(#"{"resourceType":"CodeSystem","status":"active","content":"complete","concept":[\#(concepts)]}"#.utf8))
    }

    @Test("isDistinct() and distinct() over thousands of codes (CodeSystem invariant csd-1) answer as pairwise comparison would")
    func largeDistinct() throws {
        let codes = (0..<5_000).map { "C\($0)" }
        let unique = try Self.codeSystem(codes: codes)
        let expression = try FHIRPathExpression("concept.code.combine($this.descendants().concept.code).isDistinct()")
        #expect(try expression.evaluate(on: unique, model: R4Definitions.shared).first.map { if case .boolean(let b) = $0 { b } else { false } } == true)
        let repeated = try Self.codeSystem(codes: codes + ["C4321"])
        #expect(try expression.evaluate(on: repeated, model: R4Definitions.shared).first.map { if case .boolean(let b) = $0 { b } else { true } } == false)
        let distinct = try FHIRPathExpression("concept.code.distinct().count()").evaluate(on: repeated, model: R4Definitions.shared)
        #expect(distinct.first.map { if case .integer(let n) = $0 { n } else { -1 } } == 5_000)
        // Mixed kinds keep FHIRPath equality: 1 and 1.0 are one item, '1' another.
        let mixed = try FHIRPathExpression("(1 | 1.0 | '1' | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17).count()")
            .evaluate(on: unique, model: R4Definitions.shared)
        #expect(mixed.first.map { if case .integer(let n) = $0 { n } else { -1 } } == 18)
    }
}
