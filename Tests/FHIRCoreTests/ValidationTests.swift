import Testing
@testable import FHIRCore

/// The structural validator on small hand-made resources: one test per rule, with the location and the
/// status (400 structural, 422 rule) it yields.
@Suite("Validation: resources")
struct ValidationTests {
    let validator = ResourceValidator()

    func check(_ text: String) throws -> ValidationResult {
        validator.validate(try JSONParser.parse(text))
    }

    func locations(_ r: ValidationResult) -> [String] { r.errors.flatMap(\.expression) }

    @Test("a minimal valid patient has no issues")
    func validPatient() throws {
        let r = try check(#"{"resourceType":"Patient","id":"p1","active":true,"name":[{"family":"张","given":["三"]}],"gender":"male","birthDate":"1974-12-25","deceasedBoolean":false}"#)
        #expect(r.isValid && r.issues.isEmpty && r.httpStatus == nil)
    }

    @Test("resourceType must be present, known and concrete")
    func resourceType() throws {
        #expect(try check(#"{"id":"1"}"#).httpStatus == 400)
        #expect(try check(#"{"resourceType":"Patientt"}"#).httpStatus == 400)
        #expect(try check(#"{"resourceType":"DomainResource"}"#).httpStatus == 400)
        #expect(try check(#"[{"resourceType":"Patient"}]"#).httpStatus == 400)
        let wrong = validator.validate(try JSONParser.parse(#"{"resourceType":"Patient"}"#), expectedType: "Observation")
        #expect(wrong.httpStatus == 400)
    }

    @Test("unknown elements are located with FHIRPath-like expressions")
    func unknownElements() throws {
        let r = try check(#"{"resourceType":"Patient","name":[{"given":["a"]},{"family":"x","nickname":"y"}],"_foo":{"id":"1"}}"#)
        #expect(locations(r) == ["Patient.name[1].nickname", "Patient._foo"])
        #expect(r.httpStatus == 400)
    }

    @Test("arrays and single values must match the cardinality; empty values and nulls are invalid")
    func cardinalityAndEmptiness() throws {
        #expect(locations(try check(#"{"resourceType":"Patient","gender":["male"]}"#)) == ["Patient.gender"])
        #expect(locations(try check(#"{"resourceType":"Patient","name":{"family":"x"}}"#)) == ["Patient.name"])
        #expect(locations(try check(#"{"resourceType":"Patient","name":[]}"#)) == ["Patient.name"])
        #expect(locations(try check(#"{"resourceType":"Patient","maritalStatus":{}}"#)) == ["Patient.maritalStatus"])
        #expect(locations(try check(#"{"resourceType":"Patient","name":[{"family":""}]}"#)) == ["Patient.name[0].family"])
        #expect(locations(try check(#"{"resourceType":"Patient","name":[{"given":["a",null]}]}"#)) == ["Patient.name[0].given[1]"])
        #expect(try check(#"{"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,{"id":"x"}]}]}"#).isValid)
    }

    @Test("required elements must be present")
    func requiredElements() throws {
        let r = try check(#"{"resourceType":"Observation","code":{"text":"x"}}"#)
        #expect(r.errors.map(\.code) == [.required] && locations(r) == ["Observation.status"] && r.httpStatus == 400)
    }

    @Test("a choice element has one typed value of an allowed type")
    func choices() throws {
        let base = #""resourceType":"Observation","status":"final","code":{"text":"x""#
        #expect(try check("{\(base)},\"valueString\":\"a\"}").isValid)
        #expect(try check("{\(base)},\"valueString\":\"a\",\"valueBoolean\":true}").httpStatus == 400)
        #expect(try check("{\(base)},\"valueUri\":\"http://x\"}").httpStatus == 400)
        #expect(try check("{\(base)},\"value\":\"a\"}").httpStatus == 400)
        #expect(try check("{\(base)},\"valueString\":\"a\",\"_valueBoolean\":{\"id\":\"x\"}}").httpStatus == 400)
        #expect(try check("{\(base)},\"valueString\":\"a\",\"_valueString\":{\"id\":\"x\"}}").isValid)
    }

    @Test("required bindings reject unknown codes as rule errors (422)")
    func requiredBindings() throws {
        let r = try check(#"{"resourceType":"Patient","gender":"mal"}"#)
        #expect(r.errors.map(\.code) == [.codeInvalid] && r.httpStatus == 422)
        let q = try check(#"{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1,"comparator":"=<"}}"#)
        #expect(locations(q) == ["Observation.valueQuantity.comparator"])
    }

    @Test("extensions need a url and either a value or nested extensions (ext-1)")
    func extensions() throws {
        #expect(try check(#"{"resourceType":"Patient","extension":[{"valueString":"a"}]}"#).httpStatus == 400)
        #expect(try check(#"{"resourceType":"Patient","extension":[{"url":"http://x"}]}"#).httpStatus == 422)
        #expect(try check(#"{"resourceType":"Patient","extension":[{"url":"http://x","valueString":"a","extension":[{"url":"y","valueCode":"b"}]}]}"#).httpStatus == 422)
        #expect(try check(#"{"resourceType":"Patient","extension":[{"url":"http://x","_valueString":{"id":"a"}}]}"#).isValid)
    }

    @Test("extensions defined by the R4 core must have the value type their definition allows")
    func coreExtensions() throws {
        let url = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
        #expect(try check(#"{"resourceType":"Patient","extension":[{"url":"\#(url)","valueAddress":{"city":"Hangzhou"}}]}"#).isValid)
        let wrong = try check(#"{"resourceType":"Patient","extension":[{"url":"\#(url)","valueString":"Hangzhou"}]}"#)
        #expect(wrong.httpStatus == 422 && locations(wrong) == ["Patient.extension[0].valueString"])
    }

    @Test("contained resources: no nesting, no narrative, unique ids, local references resolve")
    func containedResources() throws {
        let org = #"{"resourceType":"Organization","id":"o1","name":"x"}"#
        #expect(try check(##"{"resourceType":"Patient","contained":[\##(org)],"managingOrganization":{"reference":"#o1"}}"##).isValid)
        #expect(try check(##"{"resourceType":"Patient","managingOrganization":{"reference":"#o2"}}"##).httpStatus == 422)
        #expect(try check(#"{"resourceType":"Patient","contained":[\#(org),\#(org)]}"#).httpStatus == 422)
        #expect(try check(#"{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o1","contained":[\#(org)]}]}"#).httpStatus == 422)
        #expect(try check(#"{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o1","meta":{"security":[{"code":"R"}]}}]}"#).httpStatus == 422)
        #expect(try check(#"{"resourceType":"Patient","contained":[{"id":"o1"}]}"#).httpStatus == 400)
    }

    @Test("transaction bundles: every entry validated, requests required, fullUrls unique")
    func bundles() throws {
        let entry = #"{"fullUrl":"urn:uuid:c757873d-ec9a-4326-a141-556f43239520","resource":{"resourceType":"Patient","bogus":1},"request":{"method":"POST","url":"Patient"}}"#
        let r = try check(#"{"resourceType":"Bundle","type":"transaction","entry":[\#(entry)]}"#)
        #expect(locations(r) == ["Bundle.entry[0].resource.bogus"])
        let ok = #"{"fullUrl":"urn:uuid:c757873d-ec9a-4326-a141-556f43239520","resource":{"resourceType":"Patient"}}"#
        let twice = try check(#"{"resourceType":"Bundle","type":"transaction","entry":[\#(ok),\#(ok)]}"#)
        #expect(Set(twice.errors.map { $0.diagnostics.prefix(5) }) == ["bdl-3", "bdl-7"])
        #expect(twice.httpStatus == 422)
    }
}
