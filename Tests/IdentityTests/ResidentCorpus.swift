import ChinaReference
import DemoRegion
import FHIRCore
import Foundation

/// A deterministic test corpus of residents with known duplicates, built from the Chinese reference
/// lists in ../shared/testdata/cn (surnames by frequency, given-name characters by sex, GB/T 2260
/// counties). Households share a phone and an address; some are twins (same surname, birth date,
/// phone and address, different given names and IDs: hard non-matches). A share of residents has a
/// second record as another hospital might write it: the ID missing, a homophone typed for a
/// character, day and month of birth swapped, the name in pinyin, a new phone or a new address.
struct ResidentCorpus {
    struct Record {
        var id: String
        var patient: JSON
        /// The base resident this record duplicates, nil for a base record.
        var duplicateOf: String?
        var variations: [String] = []
    }

    var records: [Record] = []
    var truePairs: Set<Pair> { Set(records.compactMap { r in r.duplicateOf.map { Pair(r.id, $0) } }) }

    struct Pair: Hashable {
        let a: String, b: String
        init(_ x: String, _ y: String) { (a, b) = x < y ? (x, y) : (y, x) }
    }

    /// The demo region's SplitMix64: the same seed gives the same corpus on every machine.
    struct Random {
        var source: SplitMix64
        init(state: UInt64) { source = SplitMix64(state: state) }
        mutating func next() -> UInt64 { source.next() }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
        mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
        mutating func weighted<T>(_ items: [(T, Double)], total: Double) -> T {
            var x = Double(next() % 1_000_000) / 1_000_000 * total
            for (item, w) in items {
                x -= w
                if x <= 0 { return item }
            }
            return items[items.count - 1].0
        }
    }

    static var cnData: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/testdata/cn").standardized
    }

    static func csv(_ name: String) throws -> [[String]] {
        let text = try String(contentsOf: cnData.appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Surnames whose reading as a surname is not the character's most common one.
    static let surnameReadings: [Character: String] = ["曾": "zeng", "单": "shan", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao", "查": "zha", "盖": "ge", "乐": "yue", "缪": "miao", "秘": "bi", "尉": "yu"]
    static let roads = ["人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "胜利路", "文化路", "青年路", "光明街", "长江路", "黄河路", "朝阳街", "幸福路", "东风路"]

    /// `commonNamesOnly`: names drawn from the 10 commonest surnames and 60 commonest given-name
    /// characters, so namesakes abound (a harder register for precision).
    init(residents: Int, duplicateShare: Double, seed: UInt64, commonNamesOnly: Bool = false) throws {
        var rng = Random(state: seed)
        let surnames = try Self.csv("surnames_zh_cn.csv").compactMap { r -> (String, Double)? in
            guard r.count >= 3, let w = Double(r[2]), r[1].count == 1 else { return nil }
            return (r[1], w)
        }.prefix(commonNamesOnly ? 10 : .max).map { $0 }
        let surnameTotal = surnames.reduce(0) { $0 + $1.1 }
        var male: [(Character, Double)] = [], female: [(Character, Double)] = []
        for r in try Self.csv("given_name_chars_freq.csv").prefix(commonNamesOnly ? 60 : 2500) where r.count >= 4 {
            guard let ch = r[0].first, r[0].count == 1, let m = Double(r[1]), let f = Double(r[2]) else { continue }
            if m > 0 { male.append((ch, m)) }
            if f > 0 { female.append((ch, f)) }
        }
        let maleTotal = male.reduce(0) { $0 + $1.1 }, femaleTotal = female.reduce(0) { $0 + $1.1 }
        // Homophones among the given-name characters: what a pinyin keyboard offers for the same syllable.
        var homophones: [String: [Character]] = [:]
        for (ch, _) in male + female {
            if let r = Pinyin.shared.readings(of: ch).first, !(homophones[r]?.contains(ch) ?? false) { homophones[r, default: []].append(ch) }
        }
        let counties = try Self.csv("admin_divisions_2023.csv").compactMap { r -> (String, String)? in
            guard r.count >= 10, r[2] == "county", r[1] != "市辖区", r[9] == "0", AdministrativeDivisions.shared.isIssuedCode(r[0]) else { return nil }
            return (r[0], r[8])
        }

        func given(_ sex: String) -> String {
            let n = rng.chance(0.75) ? 2 : 1
            var s = ""
            for _ in 0..<n { s.append(sex == "male" ? rng.weighted(male, total: maleTotal) : rng.weighted(female, total: femaleTotal)) }
            return s
        }
        func phone() -> String { "1" + String(rng.pick([3, 5, 7, 8, 9])) + String(format: "%09d", rng.int(0...999_999_999)) }
        func address(_ county: (String, String)) -> String { county.1 + rng.pick(Self.roads) + "\(rng.int(1...300))号" }

        struct Person { var surname: String; var given: String; var sex: String; var birth: String; var county: (String, String); var phone: String; var address: String; var residentID: String }
        var people: [Person] = []
        for i in 0..<residents {
            let sex = rng.chance(0.5) ? "male" : "female"
            let birth = String(format: "%04d-%02d-%02d", rng.int(1940...2020), rng.int(1...12), rng.int(1...28))
            let county = rng.pick(counties)
            var p = Person(surname: rng.weighted(surnames, total: surnameTotal), given: given(sex), sex: sex, birth: birth, county: county,
                           phone: phone(), address: address(county), residentID: "")
            if let prev = people.last, rng.chance(0.04) {
                // Twins: the sibling's surname, birth date and household; their own name and ID.
                p.surname = prev.surname; p.birth = prev.birth; p.county = prev.county; p.phone = prev.phone; p.address = prev.address
                while p.given == prev.given { p.given = given(sex) }
            } else if let prev = people.last, rng.chance(0.15) {
                p.phone = prev.phone; p.county = prev.county; p.address = prev.address  // a household
            }
            p.residentID = ResidentIdentityNumber.make(divisionCode: p.county.0, birthDate: p.birth, sequence: rng.int(0...999), sex: p.sex == "male" ? .male : .female)
            people.append(p)
            records.append(Record(id: "r\(i)", patient: Self.patient(id: "r\(i)", family: p.surname, given: p.given, sex: p.sex, birth: p.birth,
                                                                        phone: p.phone, address: p.address, residentID: p.residentID)))
        }

        let kinds = ["homophone", "swapped-birth", "pinyin", "pinyin-typo", "new-phone", "new-address", "id-missing-only"]
        for (i, p) in people.enumerated() where rng.chance(duplicateShare) {
            var family = p.surname, givenName = p.given, birth = p.birth, phoneNumber = p.phone, addr = p.address
            var residentID: String? = p.residentID
            var applied: [String] = []
            if !rng.chance(0.2) { residentID = nil; applied.append("missing-id") }
            var wanted = [rng.pick(kinds)]
            if rng.chance(0.3) { wanted.append(rng.pick(kinds)) }
            for kind in wanted where !applied.contains(kind) {
                switch kind {
                case "homophone":
                    let chars = Array(givenName)
                    let at = rng.int(0...(chars.count - 1))
                    guard let r = Pinyin.shared.readings(of: chars[at]).first,
                          let options = homophones[r]?.filter({ $0 != chars[at] }), !options.isEmpty else { continue }
                    var changed = chars
                    changed[at] = rng.pick(options)
                    givenName = String(changed)
                case "swapped-birth":
                    let parts = birth.split(separator: "-")
                    guard parts[1] != parts[2], Int(parts[2])! <= 12 else { continue }
                    birth = "\(parts[0])-\(parts[2])-\(parts[1])"
                case "pinyin":
                    family = Self.pinyinSurname(family)
                    let g = Pinyin.shared.romanize(givenName)
                    givenName = g.prefix(1).uppercased() + g.dropFirst()
                case "pinyin-typo":
                    // Pinyin typed with one letter dropped from the given name (a Latin typo, not a homophone).
                    family = Self.pinyinSurname(family)
                    var g = Array(Pinyin.shared.romanize(givenName))
                    guard g.count >= 3 else { continue }
                    g.remove(at: rng.int(1...(g.count - 1)))
                    givenName = String(g.prefix(1)).uppercased() + String(g.dropFirst())
                case "new-phone":
                    phoneNumber = phone()
                case "new-address":
                    addr = address(rng.chance(0.5) ? p.county : rng.pick(counties))
                default:
                    break
                }
                applied.append(kind)
            }
            let id = "d\(i)"
            records.append(Record(id: id, patient: Self.patient(id: id, family: family, given: givenName, sex: p.sex, birth: birth,
                                                                phone: phoneNumber, address: addr, residentID: residentID),
                                  duplicateOf: "r\(i)", variations: applied))
        }
        // Registration order is not the order people were generated in.
        for i in stride(from: records.count - 1, to: 0, by: -1) { records.swapAt(i, rng.int(0...i)) }
    }

    /// A Han surname in pinyin with its surname reading, capitalized; a Latin one as it is.
    static func pinyinSurname(_ family: String) -> String {
        guard Pinyin.shared.containsHan(family) else { return family }
        let p = family.count == 1 ? (surnameReadings[Character(family)] ?? Pinyin.shared.romanize(family)) : Pinyin.shared.romanize(family)
        return p.prefix(1).uppercased() + p.dropFirst()
    }

    static func patient(id: String, family: String, given: String, sex: String, birth: String, phone: String, address: String, residentID: String?) -> JSON {
        var o = JSONObject([
            ("resourceType", "Patient"), ("id", .string(id)),
            ("name", [["family": .string(family), "given": [.string(given)]]]),
            ("telecom", [["system": "phone", "value": .string(phone)]]),
            ("gender", .string(sex)), ("birthDate", .string(birth)),
            ("address", [["text": .string(address)]]),
        ])
        if let residentID {
            o.set("identifier", [["system": .string(ChinaProfile.IdentifierSystem.residentID), "value": .string(residentID)]], insertingAt: 2)
        }
        return .object(o)
    }
}
