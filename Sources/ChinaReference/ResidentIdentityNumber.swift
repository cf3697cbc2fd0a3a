/// A mainland resident identity number (居民身份证号码, GB 11643), checked per R-ID18: six digits of the
/// division code in force when it was issued, the birth date YYYYMMDD (a real date, not in the future),
/// a three-digit sequence whose last digit is odd for a man, and the ISO 7064 MOD 11-2 check character.
public struct ResidentIdentityNumber: Sendable, Hashable, CustomStringConvertible {
    public enum Sex: String, Sendable { case male, female }

    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case length(Int)
        case characters
        case unknownDivision(String)
        case birthDate(String)
        case checkCharacter(expected: Character, found: Character)
        case sexDisagrees(stated: String, digit: Int)

        public var description: String {
            switch self {
            case .length(let n): return "a resident ID has 18 characters, not \(n)"
            case .characters: return "a resident ID is 17 digits followed by a digit or X"
            case .unknownDivision(let c): return "\(c) is not a division code that was ever issued (GB/T 2260)"
            case .birthDate(let d): return "\(d) is not a real birth date"
            case .checkCharacter(let e, let f): return "the check character is \(f) but the first 17 digits give \(e) (ISO 7064 MOD 11-2)"
            case .sexDisagrees(let s, let d): return "the 17th digit (\(d)) says \(d % 2 == 1 ? "male" : "female"), the record says \(s)"
            }
        }
    }

    /// The 18 characters, with a lower-case x written as X.
    public let value: String
    public let divisionCode: String
    /// YYYY-MM-DD, as FHIR writes a date.
    public let birthDate: String
    public let sex: Sex

    public var description: String { value }

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [Character] = Array("10X98765432")

    /// Checks `text` per R-ID18. `today` (YYYYMMDD) bounds the birth date; `divisions` decides which
    /// division codes are real.
    public init(_ text: String, today: Int? = nil, divisions: AdministrativeDivisions = .shared) throws(Problem) {
        let chars = Array(text.uppercased())
        guard chars.count == 18 else { throw .length(chars.count) }
        guard chars[0..<17].allSatisfy({ $0.isASCII && $0.isNumber }), chars[17].isASCII, chars[17].isNumber || chars[17] == "X" else {
            throw .characters
        }
        let digits = chars[0..<17].map { Int(String($0))! }
        let expected = Self.checkCharacter(digits)
        guard expected == chars[17] else { throw .checkCharacter(expected: expected, found: chars[17]) }
        let division = String(chars[0..<6])
        guard divisions.isIssuedCode(division) else { throw .unknownDivision(division) }
        let y = digits[6...9].reduce(0) { $0 * 10 + $1 }, m = digits[10] * 10 + digits[11], d = digits[12] * 10 + digits[13]
        let birth = String(chars[6..<14])
        guard Self.isRealDate(year: y, month: m, day: d), y >= 1850, (today.map { y * 10_000 + m * 100 + d <= $0 } ?? true) else {
            throw .birthDate(birth)
        }
        value = String(chars)
        divisionCode = division
        birthDate = "\(birth.prefix(4))-\(birth.dropFirst(4).prefix(2))-\(birth.suffix(2))"
        sex = digits[16] % 2 == 1 ? .male : .female
    }

    /// Also checks that the record's administrative gender (`male`/`female`) agrees with the 17th digit.
    public init(_ text: String, gender: String?, today: Int? = nil, divisions: AdministrativeDivisions = .shared) throws(Problem) {
        try self.init(text, today: today, divisions: divisions)
        if let gender, gender == "male" || gender == "female", gender != sex.rawValue {
            throw .sexDisagrees(stated: gender, digit: Int(String(Array(value)[16]))!)
        }
    }

    /// The check character for the first 17 digits.
    public static func checkCharacter(_ digits: [Int]) -> Character {
        var sum = 0
        for (d, w) in zip(digits, weights) { sum += d * w }
        return checkCharacters[sum % 11]
    }

    /// Builds a valid number (for demo data and tests): `sequence` is 0...999 and its last digit is
    /// forced odd for a man, even for a woman.
    public static func make(divisionCode: String, birthDate: String, sequence: Int, sex: Sex) -> String {
        var seq = sequence % 1000
        if (seq % 2 == 1) != (sex == .male) { seq = seq % 2 == 1 ? seq - 1 : seq + 1 }
        if seq > 999 { seq -= 2 }
        let digits3 = String(seq)
        let body = divisionCode + birthDate.filter(\.isNumber) + String(repeating: "0", count: 3 - digits3.count) + digits3
        let digits = body.map { Int(String($0))! }
        return body + String(checkCharacter(digits))
    }

    static func isRealDate(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }
}
