/// A card number (电子健康卡号): the issuing region's six-digit division code, eleven random digits
/// and a Luhn check digit, 18 digits in all — short enough to read out at a counter, with typing
/// errors caught by the check digit. Uniqueness is the store's job (HealthCardRegistry).
public struct HealthCardNumber: Sendable, Hashable, CustomStringConvertible {
    public let value: String
    public var description: String { value }

    /// A well-formed number (18 digits, valid check digit), or nil.
    public init?(_ text: String) {
        let digits = text.compactMap(\.wholeNumberValue)
        guard text.count == 18, digits.count == 18, Self.luhnDigit(Array(digits.dropLast())) == digits.last else { return nil }
        value = text
    }

    /// A new random number of the region `division` (six digits).
    public static func random(division: String) -> HealthCardNumber {
        var digits = division.compactMap(\.wholeNumberValue).prefix(6).map { $0 }
        while digits.count < 6 { digits.append(0) }
        for _ in 0..<11 { digits.append(Int.random(in: 0...9)) }
        digits.append(luhnDigit(digits))
        return HealthCardNumber(unchecked: digits.map(String.init).joined())
    }

    private init(unchecked value: String) { self.value = value }

    /// The Luhn (ISO/IEC 7812) check digit of `digits`.
    static func luhnDigit(_ digits: [Int]) -> Int {
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            let doubled = i % 2 == 0 ? d * 2 : d
            sum += doubled > 9 ? doubled - 9 : doubled
        }
        return (10 - sum % 10) % 10
    }
}
