import ChinaReference
import Foundation
import Testing

@Suite("R-ID18 resident identity numbers")
struct ResidentIdentityNumberTests {
    @Test("R-ID18: the rule's own examples are valid, with their birth date and sex")
    func examples() throws {
        let a = try ResidentIdentityNumber("11010519491231002X")
        #expect(a.birthDate == "1949-12-31")
        #expect(a.sex == .female)
        #expect(a.divisionCode == "110105")
        let b = try ResidentIdentityNumber("440524188001010014")
        #expect(b.birthDate == "1880-01-01")
        #expect(b.sex == .male)
        // A lower-case x is the same number.
        #expect(try ResidentIdentityNumber("11010519491231002x").value == "11010519491231002X")
    }

    @Test("R-ID18: a wrong check character is refused, naming the expected one")
    func checkCharacter() {
        #expect(throws: ResidentIdentityNumber.Problem.checkCharacter(expected: "X", found: "1")) {
            try ResidentIdentityNumber("110105194912310021")
        }
        // Every single-digit change of the body is caught by the check character.
        let valid = Array("11010519491231002X")
        for position in 0..<17 {
            var copy = valid
            let digit = Int(String(copy[position]))!
            copy[position] = Character(String((digit + 1) % 10))
            #expect(throws: ResidentIdentityNumber.Problem.self) { try ResidentIdentityNumber(String(copy)) }
        }
    }

    @Test("R-ID18: birth dates must exist and not lie in the future")
    func birthDates() {
        let feb29_2001 = ResidentIdentityNumber.make(divisionCode: "110105", birthDate: "20010229", sequence: 1, sex: .male)
        #expect(throws: ResidentIdentityNumber.Problem.birthDate("20010229")) { try ResidentIdentityNumber(feb29_2001) }
        let feb29_2000 = ResidentIdentityNumber.make(divisionCode: "110105", birthDate: "20000229", sequence: 1, sex: .male)
        #expect((try? ResidentIdentityNumber(feb29_2000))?.birthDate == "2000-02-29")
        let month13 = ResidentIdentityNumber.make(divisionCode: "110105", birthDate: "19901301", sequence: 1, sex: .male)
        #expect(throws: ResidentIdentityNumber.Problem.self) { try ResidentIdentityNumber(month13) }
        let future = ResidentIdentityNumber.make(divisionCode: "110105", birthDate: "20300101", sequence: 1, sex: .male)
        #expect(throws: ResidentIdentityNumber.Problem.birthDate("20300101")) { try ResidentIdentityNumber(future, today: 20261127) }
    }

    @Test("R-ID18: the division code must have been issued; retired codes stay valid")
    func divisions() {
        // 110103 崇文区 was merged into 东城区 in 2010; IDs issued there keep it.
        let retired = ResidentIdentityNumber.make(divisionCode: "110103", birthDate: "19800101", sequence: 12, sex: .female)
        #expect((try? ResidentIdentityNumber(retired))?.divisionCode == "110103")
        let invented = ResidentIdentityNumber.make(divisionCode: "119999", birthDate: "19800101", sequence: 12, sex: .female)
        #expect(throws: ResidentIdentityNumber.Problem.unknownDivision("119999")) { try ResidentIdentityNumber(invented) }
    }

    @Test("R-ID18: the 17th digit must agree with the stated sex")
    func sex() throws {
        let male = ResidentIdentityNumber.make(divisionCode: "440524", birthDate: "19750315", sequence: 37, sex: .male)
        #expect(try ResidentIdentityNumber(male, gender: "male").sex == .male)
        #expect(throws: ResidentIdentityNumber.Problem.self) { try ResidentIdentityNumber(male, gender: "female") }
        // Unknown or other genders are not contradicted.
        #expect(try ResidentIdentityNumber(male, gender: "unknown").sex == .male)
    }

    @Test("R-ID18: malformed input gets a clear problem, never a crash")
    func malformed() {
        #expect(throws: ResidentIdentityNumber.Problem.length(17)) { try ResidentIdentityNumber("11010519491231002") }
        #expect(throws: ResidentIdentityNumber.Problem.characters) { try ResidentIdentityNumber("1101051949123100XX") }
        #expect(throws: ResidentIdentityNumber.Problem.characters) { try ResidentIdentityNumber("११०१०५१९४९१२३१००२X") }
        #expect(throws: ResidentIdentityNumber.Problem.length(0)) { try ResidentIdentityNumber("") }
    }
}

@Suite("China reference tables")
struct ChinaReferenceTableTests {
    @Test("Pinyin: every reading of a polyphonic surname is offered; initials and romanization")
    func pinyin() {
        let p = Pinyin.shared
        #expect(p.romanize("张三") == "zhangsan")
        #expect(p.initials("张三丰") == "zsf")
        #expect(p.readings(of: "单").contains("shan"))
        #expect(p.readings(of: "曾").contains("zeng"))
        #expect(p.allRomanizations("单丽").contains("shanli"))
        #expect(p.romanize("Li Ming") == "liming")
        #expect(!p.containsHan("Smith"))
    }

    @Test("Divisions: the chain from province to county and its full name")
    func divisions() {
        let d = AdministrativeDivisions.shared
        #expect(d.division("440513")?.name == "潮阳区")
        #expect(d.path(to: "440513").map(\.code) == ["440000", "440500", "440513"])
        #expect(d.fullName("440513") == "广东省汕头市潮阳区")
        #expect(d.children(of: "440500").contains { $0.code == "440513" })
        #expect(d.issuedCode("110103")?.name == "崇文区")
        #expect(d.division("110103") == nil)
    }

    @Test("The vendored tables match the reference lists they came from")
    func vendoredCounts() throws {
        let csv = try String(contentsOfFile: "../shared/testdata/cn/admin_division_codes_history.csv", encoding: .utf8)
        let codes = csv.split(separator: "\n").dropFirst().map { String($0.prefix(6)) }
        #expect(codes.count > 6_000)
        let d = AdministrativeDivisions.shared
        #expect(codes.allSatisfy { d.isIssuedCode($0) })
    }
}
