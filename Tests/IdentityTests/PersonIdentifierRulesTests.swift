import ChinaReference
import FHIRCore
@testable import Identity
import Testing

/// R-ID18 on the person records the index accepts.
@Suite("Resident IDs on person records")
struct PersonIdentifierRulesTests {
    static let residentID = ChinaProfile.IdentifierSystem.residentID

    static func patient(_ id: String, gender: String?, system: String = residentID, type: String = "Patient") -> JSON {
        var o = JSONObject([("resourceType", .string(type)), ("identifier", [["system": .string(system), "value": .string(id)]])])
        if let gender { o["gender"] = .string(gender) }
        return .object(o)
    }

    // R-ID18
    @Test("a valid resident ID whose 17th digit agrees with the gender passes",
          arguments: [("11010519491231002X", "female"), ("440524188001010014", "male"), ("440524188001010014", nil)])
    func valid(id: String, gender: String?) {
        #expect(PersonIdentifierRules.check(Self.patient(id, gender: gender), today: 20260101).isEmpty)
    }

    // R-ID18
    @Test("an invalid resident ID is a business-rule error naming R-ID18 and the element",
          arguments: [
            ("11010519491231002", "female", "18 characters"),          // length
            ("110105194912310021", "female", "check character"),       // check character
            ("11010519491231002X", "male", "17th digit"),              // sex disagrees
            ("000000199001010000", nil, "division"),                   // division never issued
          ])
    func invalid(id: String, gender: String?, problem: String) throws {
        var value = id
        if problem == "division" {
            // A correct check character on an unknown division, so the division is what fails.
            let digits = id.prefix(17).map { Int(String($0))! }
            value = String(id.prefix(17)) + String(ResidentIdentityNumber.checkCharacter(digits))
        }
        for type in ["Patient", "RelatedPerson", "Practitioner"] {
            let issues = PersonIdentifierRules.check(Self.patient(value, gender: gender, type: type), today: 20260101)
            let issue = try #require(issues.first)
            #expect(issue.code == .businessRule)
            #expect(issue.diagnostics.hasPrefix("R-ID18"))
            #expect(issue.diagnostics.contains(problem), "\(issue.diagnostics)")
            #expect(issue.expression == ["\(type).identifier[0].value"])
        }
    }

    // R-ID18: the birth date must exist and not lie in the future.
    @Test("a birth date that does not exist or lies ahead is refused")
    func birthDate() {
        let feb30 = ResidentIdentityNumber.make(divisionCode: "110105", birthDate: "19900228", sequence: 12, sex: .female)
            .replacingOccurrences(of: "19900228", with: "19900230")
        let future = ResidentIdentityNumber.make(divisionCode: "110105", birthDate: "20300101", sequence: 12, sex: .female)
        #expect(!PersonIdentifierRules.check(Self.patient(feb30, gender: nil), today: 20260101).isEmpty)
        #expect(PersonIdentifierRules.check(Self.patient(future, gender: nil), today: 20260101).first?.diagnostics.contains("birth date") == true)
    }

    @Test("passports and Hong Kong, Macau and Taiwan permits are accepted as documents of their own systems")
    func otherDocuments() {
        for system in [ChinaProfile.IdentifierSystem.passport, ChinaProfile.IdentifierSystem.hongKongMacauPermit,
                       ChinaProfile.IdentifierSystem.taiwanPermit] {
            #expect(PersonIdentifierRules.check(Self.patient("E12345678", gender: "male", system: system), today: 20260101).isEmpty)
            #expect(PatientFeatures(patient: Self.patient("E12345678", gender: "male", system: system)).documents == [system + "|E12345678"])
        }
    }

    @Test("other resource types are not checked")
    func otherTypes() {
        #expect(PersonIdentifierRules.check(Self.patient("123", gender: nil, type: "Organization"), today: 20260101).isEmpty)
    }
}
