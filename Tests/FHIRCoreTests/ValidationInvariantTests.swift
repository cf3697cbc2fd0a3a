import Testing
@testable import FHIRCore

/// The FHIRPath invariants of the definitions, evaluated by the FHIRPath engine on top of the hand checks.
@Suite("Validation: FHIRPath invariants")
struct ValidationInvariantTests {
    let validator = ResourceValidator()

    func check(_ text: String) throws -> ValidationResult {
        validator.validate(try JSONParser.parse(text))
    }

    @Test("every invariant expression of R4 compiles")
    func everyInvariantCompiles() {
        let checker = FHIRPathInvariantChecker.shared
        #expect(checker.uncompilable.isEmpty, "\(checker.uncompilable)")
        let declared = checker.definitions.types.values.flatMap(\.declaredInvariants)
            .filter { !ResourceValidator.handCheckedInvariants.contains($0.key) }
        #expect(checker.compiled.count == declared.count)
        #expect(declared.count > 200)
    }

    @Test("pat-1: a patient contact has a name, telecom, address or organization")
    func patientContact() throws {
        let bad = try check(#"{"resourceType":"Patient","contact":[{"gender":"male"}]}"#)
        #expect(bad.errors.map(\.code) == [.invariant] && bad.errors.first?.expression == ["Patient.contact[0]"])
        #expect(bad.errors.first?.diagnostics.hasPrefix("pat-1") == true && bad.httpStatus == 422)
        #expect(try check(#"{"resourceType":"Patient","contact":[{"name":{"family":"x"}}]}"#).isValid)
    }

    @Test("obs-6: dataAbsentReason only when there is no value")
    func observationValueOrReason() throws {
        let both = #"{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","dataAbsentReason":{"text":"n/a"}}"#
        #expect(try check(both).errors.contains { $0.diagnostics.hasPrefix("obs-6") })
    }

    @Test("invariants on data types run wherever the type is used (per-1 on a Period)")
    func dataTypeInvariant() throws {
        let r = try check(#"{"resourceType":"Patient","name":[{"family":"x","period":{"start":"2020-01-01","end":"2019-01-01"}}]}"#)
        #expect(r.errors.first?.diagnostics.hasPrefix("per-1") == true)
        #expect(r.errors.first?.expression == ["Patient.name[0].period"])
    }

    @Test("invariants are not evaluated on structurally broken resources")
    func structureFirst() throws {
        let r = try check(#"{"resourceType":"Patient","contact":[{"gender":"male"}],"bogus":1}"#)
        #expect(r.errors.map(\.code) == [.structure] && r.httpStatus == 400)
    }

    @Test("a validator without the FHIRPath checker still runs the hand-checked invariants")
    func handChecksOnly() throws {
        let plain = ResourceValidator(checksInvariants: false)
        let r = plain.validate(try JSONParser.parse(#"{"resourceType":"Patient","contact":[{"gender":"male"}],"extension":[{"url":"x"}]}"#))
        #expect(r.errors.map { $0.diagnostics.prefix(5) } == ["ext-1"])
    }
}
