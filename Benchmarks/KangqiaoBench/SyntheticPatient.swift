import FHIRCore
/// Realistic Patient resources for the create benchmark (~1.5 KB each): a Chinese name in characters
/// and pinyin, a resident identity card number and a medical-insurance number, a mobile number, an
/// address down to the street, marital status, language and an emergency contact. Deterministic.
enum SyntheticPatient {
    static let surnames: [(String, String)] = [
        ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"), ("黄", "Huang"),
        ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"), ("马", "Ma"), ("朱", "Zhu"),
    ]
    static let givenNames: [(String, String)] = [
        ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("秀英", "Xiuying"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"),
        ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"), ("勇", "Yong"), ("艳", "Yan"), ("杰", "Jie"),
        ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"), ("秀兰", "Xiulan"), ("霞", "Xia"),
    ]
    static let places: [(city: String, district: String, street: String, code: String)] = [
        ("杭州市", "西湖区", "文三路", "330106"), ("杭州市", "上城区", "解放路", "330102"), ("宁波市", "海曙区", "中山西路", "330203"),
        ("温州市", "鹿城区", "人民路", "330302"), ("绍兴市", "越城区", "胜利东路", "330602"), ("嘉兴市", "南湖区", "中山东路", "330402"),
    ]

    /// The `n`th patient as JSON bytes (no id: the server assigns it).
    static func json(_ n: Int) -> [UInt8] {
        let (family, familyPinyin) = surnames[n % surnames.count]
        let (given, givenPinyin) = givenNames[(n / surnames.count) % givenNames.count]
        let place = places[n % places.count]
        let female = n % 2 == 1
        // Birth dates spread over 70 years (a different day for each of 25,550 consecutive people), so
        // namesakes rarely share a birthday: the master index sees distinct residents, as in a real region.
        // Past 25,550 people the days repeat, shifted by one per round: without the shift, person n and
        // n + 25,550 shared birthday, surname and sex (every create past the 25,550th a near-duplicate the
        // master index queued for review); with it, no two of the first 40,000 share all three.
        let dayOffset = (n * 7_919 + n / 25_550) % 25_550
        let (y, m, d) = InstantFormat.civil(fromDays: InstantFormat.days(year: 1940, month: 1, day: 1) + Int64(dayOffset))
        let (year, month, day) = (Int(y), Int(m), Int(d))
        let birth = "\(year)-\(two(month))-\(two(day))"
        let serial = 100 + n % 900
        // 18-digit resident identity card number: region, birth date, serial (odd for men), check digit.
        let idBody = "\(place.code)\(year)\(two(month))\(two(day))\(serial)"
        let idCard = idBody + checkDigit(idBody)
        let mobile = "13\(String(100_000_000 + (n * 7_919) % 900_000_000))"
        let text = """
            {"resourceType":"Patient",\
            "meta":{"profile":["http://hl7.org/fhir/StructureDefinition/Patient"]},\
            "identifier":[\
            {"use":"official","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"NI","display":"National unique individual identifier"}],"text":"居民身份证"},\
            "system":"urn:oid:2.16.156.10011.1.3","value":"\(idCard)"},\
            {"use":"secondary","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"SN","display":"Subscriber Number"}],"text":"医保卡号"},\
            "system":"urn:oid:2.16.156.10011.1.15","value":"ZJ\(String(10_000_000 + n))"}],\
            "active":true,\
            "name":[{"use":"official","text":"\(family)\(given)","family":"\(family)","given":["\(given)"]},\
            {"use":"usual","text":"\(familyPinyin) \(givenPinyin)","family":"\(familyPinyin)","given":["\(givenPinyin)"]}],\
            "telecom":[{"system":"phone","value":"\(mobile)","use":"mobile","rank":1},\
            {"system":"email","value":"\(givenPinyin.lowercased()).\(familyPinyin.lowercased())\(n)@example.cn","use":"home"}],\
            "gender":"\(female ? "female" : "male")","birthDate":"\(birth)",\
            "address":[{"use":"home","type":"physical","text":"浙江省\(place.city)\(place.district)\(place.street)\(1 + n % 300)号",\
            "line":["\(place.street)\(1 + n % 300)号","\(1 + n % 20)幢\(101 + n % 1500)室"],"city":"\(place.city)","district":"\(place.district)",\
            "state":"浙江省","postalCode":"310000","country":"CN"}],\
            "maritalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"M","display":"Married"}]},\
            "contact":[{"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"C","display":"Emergency Contact"}]}],\
            "name":{"text":"\(family)\(givenNames[(n + 3) % givenNames.count].0)"},\
            "telecom":[{"system":"phone","value":"13\(String(100_000_000 + (n * 104_729) % 900_000_000))","use":"mobile"}]}],\
            "communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"zh-CN","display":"Chinese (China)"}],"text":"中文"},"preferred":true}]}
            """
        return Array(text.utf8)
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// The ISO 7064 MOD 11-2 check character of a 17-digit identity card body.
    private static func checkDigit(_ body: String) -> String {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let digits = body.utf8.map { Int($0) - 48 }
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"][sum % 11]
    }
}
