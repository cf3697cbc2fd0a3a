import ChinaReference
import FHIRCore
import Foundation
@testable import Identity
import Testing

/// The matcher's field comparisons and grades, table-driven, no database.
@Suite("Patient matcher")
struct PatientMatcherTests {
    static let id1 = ResidentIdentityNumber.make(divisionCode: "440513", birthDate: "19850307", sequence: 123, sex: .male)
    static let id2 = ResidentIdentityNumber.make(divisionCode: "440513", birthDate: "19850307", sequence: 125, sex: .male)

    static func patient(_ family: String, _ given: String, birth: String = "1985-03-07", sex: String = "male", phone: String? = "13800138000",
                        address: String? = "广东省汕头市潮阳区人民路12号", residentID: String? = nil) -> PatientFeatures {
        var o = JSONObject([("resourceType", "Patient"), ("name", [["family": .string(family), "given": [.string(given)]]]),
                            ("gender", .string(sex)), ("birthDate", .string(birth))])
        if let phone { o["telecom"] = [["system": "phone", "value": .string(phone)]] }
        if let address { o["address"] = [["text": .string(address)]] }
        if let residentID { o["identifier"] = [["system": .string(ChinaProfile.IdentifierSystem.residentID), "value": .string(residentID)]] }
        return PatientFeatures(patient: .object(o))
    }

    let matcher = PatientMatcher()

    @Test("equal valid resident IDs are a deterministic certain match (R-ID18)")
    func deterministic() {
        let a = matcher.assess(Self.patient("陈", "建国", residentID: Self.id1), Self.patient("Chen", "Jianguo", phone: nil, address: nil, residentID: Self.id1))
        #expect(a.grade == .certain && a.deterministic)
        #expect(a.normalizedScore(matcher.policy) == 1)
    }

    @Test("two different valid resident IDs are different people, whatever else agrees")
    func differentIDs() {
        let a = matcher.assess(Self.patient("陈", "建国", residentID: Self.id1), Self.patient("陈", "建国", residentID: Self.id2))
        #expect(a.grade == .none)
    }

    @Test("name comparisons: characters, pinyin against characters (every reading of a polyphonic surname), homophones, Latin typos",
          arguments: [
            ("陈", "建国", "陈", "建国", FieldAgreement.exact),
            ("陈", "建国", "Chen", "Jianguo", .close),
            ("曾", "小明", "Zeng", "Xiaoming", .close),      // 曾 reads ceng first; as a surname zeng
            ("单", "丽", "Shan", "Li", .close),              // 单 reads dan first; as a surname shan
            ("陈", "建国", "陈", "建帼", .close),             // a homophone typed for 国
            ("Chen", "Jianguo", "Chen", "Jiangou", .disagree),
            ("Chen", "Jianguo", "Chen", "Jianguoo", .near),
            ("Jianguo", "Chen", "陈", "建国", .close),        // given name first in Latin order
            ("陈", "建国", "陈", "志强", .disagree),
          ])
    func names(f1: String, g1: String, f2: String, g2: String, expected: FieldAgreement) {
        #expect(matcher.compareNames(Self.patient(f1, g1), Self.patient(f2, g2)) == expected)
    }

    @Test("birth dates: equal, day and month swapped, same month, different")
    func birthDates() {
        let d = { (s: String) in PatientFeatures.BirthDate(s) }
        #expect(matcher.compareBirthDates(d("1985-03-07"), d("1985-03-07")) == .exact)
        #expect(matcher.compareBirthDates(d("1985-03-07"), d("1985-07-03")) == .close)
        #expect(matcher.compareBirthDates(d("1985-03-07"), d("1985-03-17")) == .near)
        #expect(matcher.compareBirthDates(d("1985-03-07"), d("1986-03-07")) == .disagree)
        #expect(matcher.compareBirthDates(d("1985-03-07"), nil) == .missing)
        #expect(d("1985-03-13")?.transposed == nil)  // no 13th month
    }

    @Test("the same name, birth date and sex with no shared phone, address or document is probable, not certain")
    func namesakesAreReviewed() {
        let a = matcher.assess(Self.patient("王", "伟", phone: "13800000001", address: nil), Self.patient("王", "伟", phone: "13900000002", address: nil))
        #expect(a.score >= matcher.policy.probableThreshold)
        #expect(a.grade == .probable)
    }

    @Test("twins sharing surname, birth date and household but not their given names are not certain")
    func twins() {
        let a = matcher.assess(Self.patient("李", "一鸣"), Self.patient("李", "一航"))
        #expect(a.grade < .certain)
    }

    @Test("a second record with the ID missing, the name in pinyin and the day and month swapped is certain when the phone agrees")
    func pinyinSwapped() {
        let a = matcher.assess(Self.patient("陈", "建国", residentID: Self.id1), Self.patient("Chen", "Jianguo", birth: "1985-07-03", address: nil))
        #expect(a.grade == .certain)
        #expect(a.fields["name"] == .close && a.fields["birthDate"] == .close)
    }

    @Test("blocking puts a record and its swapped-date pinyin duplicate in one block, and keeps strangers apart")
    func blocking() {
        let a = Self.patient("曾", "小明"), b = Self.patient("Zeng", "Xiaoming", birth: "1985-07-03", phone: "13000000000")
        #expect(!BlockingKeys.keys(a).isDisjoint(with: BlockingKeys.keys(b)))
        let stranger = Self.patient("周", "芳", birth: "1990-11-20", phone: "13111111111")
        #expect(BlockingKeys.keys(a).isDisjoint(with: BlockingKeys.keys(stranger)))
        #expect(BlockingKeys.queries(b).contains("birthdate=1985-07-03,1985-03-07"))
    }

    @Test("a region's policy loads from JSON and is checked: thresholds must rise, fields must exist")
    func policyData() throws {
        let encoded = try JSONEncoder().encode(MatchPolicy.standard)
        #expect(try MatchPolicy(json: encoded) == MatchPolicy.standard)
        var bad = MatchPolicy.standard
        bad.probableThreshold = bad.certainThreshold + 1
        #expect(throws: MatchPolicy.Problem.self) { try MatchPolicy(json: try JSONEncoder().encode(bad)) }
        bad = MatchPolicy.standard
        bad.certainRequires = [["shoeSize"]]
        #expect(throws: MatchPolicy.Problem.self) { try MatchPolicy(json: try JSONEncoder().encode(bad)) }
        // KANGQIAO_MATCH_POLICY names the region's file; without it the defaults hold.
        var regional = MatchPolicy.standard
        regional.certainThreshold = 30
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("match-policy-\(UUID().uuidString).json")
        try JSONEncoder().encode(regional).write(to: file)
        #expect(try MatchPolicy.regional(environment: ["KANGQIAO_MATCH_POLICY": file.path]).certainThreshold == 30)
        #expect(try MatchPolicy.regional(environment: [:]) == .standard)
    }

    @Test("a merge moves every reference to the source, relative or absolute, and nothing else")
    func referenceMove() throws {
        let obs = try JSONParser.parse(#"{"resourceType":"Observation","subject":{"reference":"Patient/a"},"performer":[{"reference":"http://x/fhir/Patient/a"},{"reference":"Patient/ab"}]}"#)
        let (moved, changed) = ReferenceMove.moving(obs, from: "Patient/a", to: "Patient/b")
        #expect(changed)
        #expect(moved["subject"]?["reference"] == "Patient/b")
        #expect(moved["performer"]?.arrayValue?[0]["reference"] == "http://x/fhir/Patient/b")
        #expect(moved["performer"]?.arrayValue?[1]["reference"] == "Patient/ab")
    }
}
