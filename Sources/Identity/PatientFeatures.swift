import ChinaReference
import FHIRCore

/// What the master index compares of a Patient, extracted once: names (as written and as pinyin),
/// birth date, sex, phones, addresses and identity documents. A typed view, no I/O.
public struct PatientFeatures: Sendable {
    public struct BirthDate: Sendable, Hashable {
        public var year: Int
        public var month: Int
        public var day: Int
        public var text: String { "\(year)-\(Self.two(month))-\(Self.two(day))" }
        /// The date with day and month swapped, when that is a date and differs.
        public var transposed: BirthDate? {
            guard day != month, day <= 12 else { return nil }
            let t = BirthDate(year: year, month: day, day: month)
            return t.isReal ? t : nil
        }
        var isReal: Bool {
            guard (1...12).contains(month), day >= 1 else { return false }
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return day <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        }
        static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

        public init(year: Int, month: Int, day: Int) {
            self.year = year
            self.month = month
            self.day = day
        }

        /// A FHIR date `YYYY-MM-DD`; a partial date (year or year-month only) is not compared.
        public init?(_ text: String) {
            let parts = text.split(separator: "-")
            guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
            self.init(year: y, month: m, day: d)
            guard isReal else { return nil }
        }
    }

    public var id: String?
    /// Names as written, Han names without spaces (`张三`), Latin names lowercased letters only, in
    /// both orders (`zhangsan`, `sanzhang`).
    public var names: [String]
    public var birthDate: BirthDate?
    /// `male` or `female`; nil when missing or other.
    public var sex: String?
    /// Digits only, the last 11 (a mobile number without its country code).
    public var phones: Set<String>
    /// Normalized address texts (no spaces or punctuation, lowercased).
    public var addresses: [String]
    /// The resident ID, when it is a valid one (R-ID18); an invalid one is not evidence.
    public var residentID: String?
    /// Other identity documents as `system|value`.
    public var documents: Set<String>
    /// The record was merged into another (active false with a `replaced-by` link): not a candidate.
    public var isMergedAway: Bool

    public init(
        id: String? = nil, names: [String] = [], birthDate: BirthDate? = nil, sex: String? = nil,
        phones: Set<String> = [], addresses: [String] = [], residentID: String? = nil, documents: Set<String> = [], isMergedAway: Bool = false
    ) {
        self.id = id
        self.names = names
        self.birthDate = birthDate
        self.sex = sex
        self.phones = phones
        self.addresses = addresses
        self.residentID = residentID
        self.documents = documents
        self.isMergedAway = isMergedAway
    }

    /// The features of a Patient resource.
    public init(patient: JSON) {
        self.init(id: patient["id"]?.stringValue)
        for name in patient["name"]?.arrayValue ?? [] where name["use"]?.stringValue != "old" {
            let family = name["family"]?.stringValue ?? ""
            let given = (name["given"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " ")
            var written: [String] = []
            if !family.isEmpty || !given.isEmpty {
                written.append(family + " " + given)
                if Self.isLatin(family + given), !family.isEmpty, !given.isEmpty { written.append(given + " " + family) }
            } else if let text = name["text"]?.stringValue {
                written.append(text)
            }
            for w in written {
                let n = Self.normalizedName(w)
                if !n.isEmpty, !names.contains(n) { names.append(n) }
            }
        }
        birthDate = patient["birthDate"]?.stringValue.flatMap(BirthDate.init)
        if let g = patient["gender"]?.stringValue, g == "male" || g == "female" { sex = g }
        for t in patient["telecom"]?.arrayValue ?? [] where t["system"]?.stringValue == "phone" || t["system"]?.stringValue == "sms" {
            let digits = (t["value"]?.stringValue ?? "").filter { $0.isASCII && $0.isNumber }
            if digits.count >= 7 { phones.insert(String(digits.suffix(11))) }
        }
        for a in patient["address"]?.arrayValue ?? [] {
            let text = a["text"]?.stringValue
                ?? ([a["state"], a["city"], a["district"]].compactMap { $0?.stringValue } + (a["line"]?.arrayValue ?? []).compactMap(\.stringValue)).joined()
            let n = Self.normalizedText(text)
            if !n.isEmpty { addresses.append(n) }
        }
        for identifier in patient["identifier"]?.arrayValue ?? [] {
            guard let system = identifier["system"]?.stringValue, let value = identifier["value"]?.stringValue else { continue }
            if system == ChinaProfile.IdentifierSystem.residentID {
                if let valid = try? ResidentIdentityNumber(value) { residentID = valid.value }
            } else if PersonIdentifierRules.documentSystems.contains(system) {
                documents.insert(system + "|" + value.uppercased())
            }
        }
        isMergedAway = patient["active"]?.boolValue == false
            && (patient["link"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == "replaced-by" }
    }

    /// Every pinyin spelling of every name (each reading of a polyphonic character tried).
    public var pinyinForms: Set<String> {
        var forms = Set<String>()
        for n in names { forms.formUnion(Self.pinyinForms(of: n)) }
        return forms
    }

    static func pinyinForms(of name: String) -> [String] {
        Pinyin.shared.containsHan(name) ? Pinyin.shared.allRomanizations(name, limit: 32) : [name]
    }

    static func isLatin(_ s: String) -> Bool { s.unicodeScalars.allSatisfy { $0.isASCII } }

    /// Han text without spaces or the middle dot; Latin text lowercased, letters only.
    static func normalizedName(_ s: String) -> String {
        if isLatin(s) { return String(s.lowercased().filter { $0.isLetter }) }
        return String(s.filter { !$0.isWhitespace && $0 != "·" && $0 != "." })
    }

    static func normalizedText(_ s: String) -> String {
        String(s.lowercased().filter { !$0.isWhitespace && !$0.isPunctuation })
    }
}
