import FHIRCore

/// SplitMix64: a generator whose whole sequence follows from its state, for data that must come out
/// the same on every machine (the demo region here, generated test registers elsewhere).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The demo region's only source of chance: SplitMix64 from the plan's seed, so a seed always
/// gives the same region, byte for byte.
struct DemoRandom: RandomNumberGenerator {
    private var source: SplitMix64

    init(seed: UInt64) { source = SplitMix64(state: seed &+ 0x9E37_79B9_7F4A_7C15) }

    mutating func next() -> UInt64 { source.next() }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// One of `items`, each as likely as its weight.
    mutating func weighted<T>(_ items: [(T, Double)]) -> T {
        let total = items.reduce(0) { $0 + $1.1 }
        var x = unit() * total
        for (item, w) in items {
            x -= w
            if x < 0 { return item }
        }
        return items[items.count - 1].0
    }

    /// A digit string of `count` digits.
    mutating func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(int(0...9))) }) }
}

/// A calendar day without a time zone, for ages and visit dates (FHIR `date`).
struct CivilDate: Comparable, Hashable {
    let year: Int
    let month: Int
    let day: Int

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `YYYY-MM-DD`.
    init?(_ text: String) {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        self.init(year: parts[0], month: parts[1], day: parts[2])
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    var dayNumber: Int { Int(InstantFormat.days(year: Int64(year), month: Int64(month), day: Int64(day))) }

    init(dayNumber: Int) {
        let (y, m, d) = InstantFormat.civil(fromDays: Int64(dayNumber))
        self.init(year: Int(y), month: Int(m), day: Int(d))
    }

    func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days) }

    func adding(months: Int) -> CivilDate {
        let total = year * 12 + (month - 1) + months
        let y = total / 12, m = total % 12 + 1
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let length = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return CivilDate(year: y, month: m, day: min(day, length))
    }

    /// Whole years from `self` to `other` (an age).
    func years(until other: CivilDate) -> Int {
        var years = other.year - year
        if (other.month, other.day) < (month, day) { years -= 1 }
        return years
    }

    func months(until other: CivilDate) -> Int {
        var months = (other.year - year) * 12 + other.month - month
        if other.day < day { months -= 1 }
        return months
    }

    var text: String { "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)" }
    var compact: String { text.replacingOccurrences(of: "-", with: "") }

    static func < (a: CivilDate, b: CivilDate) -> Bool { a.dayNumber < b.dayNumber }
}
