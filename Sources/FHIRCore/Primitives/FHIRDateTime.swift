#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A FHIR `date`, `dateTime` or `instant` (and a FHIRPath `Date`/`DateTime`) with the precision it was
/// written to: `2014` covers a whole year, `2014-03-05T10:30+08:00` one minute.
///
/// Comparison follows the FHIRPath rules: values are compared component by component down to the
/// coarser of the two precisions (seconds and fractions count as one precision); when they agree that
/// far but their precisions differ, the answer is unknown (`nil`). Use `lowBoundary`/`highBoundary` or
/// `instantRange` for the range a partial value covers (search indexes store that range).
public struct FHIRDateTime: Sendable, Hashable, CustomStringConvertible {
    /// How much of the value is known. `millisecond` means fractional seconds were given (any digits).
    public enum Precision: Int, Sendable, Comparable, CaseIterable {
        case year, month, day, hour, minute, second, millisecond

        public static func < (a: Precision, b: Precision) -> Bool { a.rawValue < b.rawValue }
    }

    /// The calendar fields; those below `precision` are at their minimum (month 1, day 1, 0 for time).
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Fractional seconds in nanoseconds.
    public var nanosecond: Int
    public var precision: Precision
    /// Digits of fractional seconds to print (kept from the source text; 3 when made by arithmetic).
    public var fractionDigits: Int
    /// The UTC offset in minutes, nil when the value has no time zone.
    public var timeZoneOffsetMinutes: Int?

    /// A value from its fields; the zone is kept only when the precision includes a time of day.
    public init(year: Int, month: Int = 1, day: Int = 1, hour: Int = 0, minute: Int = 0, second: Int = 0,
                nanosecond: Int = 0, precision: Precision, fractionDigits: Int = 3, timeZoneOffsetMinutes: Int? = nil) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.nanosecond = nanosecond
        self.precision = precision
        self.fractionDigits = precision == .millisecond ? max(1, fractionDigits) : 0
        self.timeZoneOffsetMinutes = precision >= .hour ? timeZoneOffsetMinutes : nil
    }

    /// Parses FHIR date/dateTime/instant text (`2014`, `2014-03`, `2014-03-05`, `2014-03-05T10:30:00.123Z`);
    /// an hour alone (`2014-03-05T10`) is accepted as FHIRPath allows it. Nil for anything else,
    /// calendar-invalid days (`2023-02-30`) included.
    public init?(_ text: some StringProtocol) {
        var s = DateTextScanner(text)
        guard let y = s.digits(4) else { return nil }
        var value = FHIRDateTime(year: y, precision: .year)
        if s.take("-") {
            guard let m = s.digits(2), (1...12).contains(m) else { return nil }
            value.month = m
            value.precision = .month
            if s.take("-") {
                guard let d = s.digits(2), d >= 1, d <= FHIRDateTime.daysInMonth(year: y, month: m) else { return nil }
                value.day = d
                value.precision = .day
                if s.take("T") {
                    guard let t = s.timeOfDay() else { return nil }
                    (value.hour, value.minute, value.second, value.nanosecond) = (t.hour, t.minute, t.second, t.nanosecond)
                    value.precision = [.hour, .minute, .second, .millisecond][t.precisionLevel]
                    value.fractionDigits = t.fractionDigits
                    if let zone = s.timeZone() {
                        guard let z = zone else { return nil }
                        value.timeZoneOffsetMinutes = z
                    }
                }
            }
        }
        guard s.atEnd else { return nil }
        self = value
    }

    /// The current instant, in UTC unless another offset is given.
    public static func now(offsetMinutes: Int = 0) -> FHIRDateTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let ms = Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec / 1_000_000)
        return FHIRDateTime(epochMilliseconds: ms, offsetMinutes: offsetMinutes)
    }

    /// The instant `ms` milliseconds after 1970-01-01T00:00:00Z, written in the given offset.
    public init(epochMilliseconds ms: Int64, offsetMinutes: Int = 0) {
        let local = ms + Int64(offsetMinutes) * 60_000
        let days = Int(local.floorDiv(86_400_000))
        let msOfDay = Int(local - Int64(days) * 86_400_000)
        let (y, m, d) = FHIRDateTime.civil(fromDays: days)
        self.init(year: y, month: m, day: d, hour: msOfDay / 3_600_000, minute: msOfDay / 60_000 % 60,
                  second: msOfDay / 1000 % 60, nanosecond: msOfDay % 1000 * 1_000_000, precision: .millisecond,
                  fractionDigits: 3, timeZoneOffsetMinutes: offsetMinutes)
    }

    /// The date part alone (precision at most `day`).
    public var datePart: FHIRDateTime {
        var d = self
        d.precision = min(precision, .day)
        d.timeZoneOffsetMinutes = nil
        d.fractionDigits = 0
        return d.cleared()
    }

    /// FHIR text to the value's precision (`2014-03`, `2014-03-05T10:30:00.250+08:00`; UTC as `Z`).
    public var description: String {
        var out = FHIRDateTime.pad(year, 4)
        if precision >= .month { out += "-" + FHIRDateTime.pad(month, 2) }
        if precision >= .day { out += "-" + FHIRDateTime.pad(day, 2) }
        if precision >= .hour { out += "T" + FHIRDateTime.pad(hour, 2) }
        if precision >= .minute { out += ":" + FHIRDateTime.pad(minute, 2) }
        if precision >= .second { out += ":" + FHIRDateTime.pad(second, 2) }
        if precision >= .millisecond { out += "." + FHIRDateTime.fraction(nanosecond, digits: fractionDigits) }
        if let z = timeZoneOffsetMinutes { out += FHIRDateTime.zoneText(z) }
        return out
    }

    // MARK: - Comparison

    /// -1, 0 or 1; nil when the answer depends on digits one of the values does not have, or when only
    /// one of two values with a time of day carries a time zone.
    public func compare(to other: FHIRDateTime) -> Int? {
        var a = self, b = other
        if a.precision >= .hour && b.precision >= .hour {
            switch (a.timeZoneOffsetMinutes, b.timeZoneOffsetMinutes) {
            case (nil, nil): break
            case (.some, .some):
                a = a.inUTC()
                b = b.inUTC()
            default: return nil
            }
        }
        let common = min(a.level, b.level)
        let pairs = [(a.year, b.year), (a.month, b.month), (a.day, b.day), (a.hour, b.hour), (a.minute, b.minute)]
        for (i, (x, y)) in pairs.enumerated() where i <= common {
            if x != y { return x < y ? -1 : 1 }
        }
        if common >= 5 {
            let x = a.second * 1_000_000_000 + a.nanosecond, y = b.second * 1_000_000_000 + b.nanosecond
            if x != y { return x < y ? -1 : 1 }
        }
        return a.level == b.level ? 0 : nil
    }

    /// Precision level with seconds and fractions merged (0 = year ... 5 = seconds).
    var level: Int { min(precision.rawValue, Precision.second.rawValue) }

    /// The same instant expressed in UTC (values without a zone or a time of day are returned unchanged).
    public func inUTC() -> FHIRDateTime {
        guard let z = timeZoneOffsetMinutes, z != 0, precision >= .hour else { return self }
        var r = adding(-z, .minute)
        r.timeZoneOffsetMinutes = 0
        return r
    }

    // MARK: - Arithmetic

    /// Calendar units for date/time arithmetic.
    public enum CalendarUnit: Sendable {
        case year, month, week, day, hour, minute, second, millisecond
    }

    /// The value moved by `amount` units, keeping its precision; months and years clamp the day to the
    /// end of a shorter month (Jan 31 + 1 month = Feb 28/29).
    public func adding(_ amount: Int, _ unit: CalendarUnit) -> FHIRDateTime {
        var r = self
        switch unit {
        case .year, .month:
            let total = r.year * 12 + (r.month - 1) + (unit == .year ? amount * 12 : amount)
            r.year = total.floorDiv(12)
            r.month = total - r.year * 12 + 1
            r.day = min(r.day, FHIRDateTime.daysInMonth(year: r.year, month: r.month))
        case .week, .day:
            let days = FHIRDateTime.days(year: r.year, month: r.month, day: r.day) + (unit == .week ? amount * 7 : amount)
            (r.year, r.month, r.day) = FHIRDateTime.civil(fromDays: days)
        case .hour, .minute, .second, .millisecond:
            let factor: Int64 = unit == .hour ? 3_600_000 : unit == .minute ? 60_000 : unit == .second ? 1000 : 1
            let total = r.localMilliseconds + Int64(amount) * factor
            let subMillisecond = r.nanosecond % 1_000_000
            var moved = FHIRDateTime(epochMilliseconds: total, offsetMinutes: 0)
            moved.nanosecond += subMillisecond
            (r.year, r.month, r.day, r.hour, r.minute, r.second, r.nanosecond) =
                (moved.year, moved.month, moved.day, moved.hour, moved.minute, moved.second, moved.nanosecond)
        }
        return r.cleared()
    }

    /// Milliseconds since the epoch of the wall-clock fields, ignoring the zone.
    var localMilliseconds: Int64 {
        let days = Int64(FHIRDateTime.days(year: year, month: month, day: day))
        return ((days * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000 + Int64(second) * 1000 + Int64(nanosecond / 1_000_000)
    }

    /// Resets the fields below the precision to their minimum, so equal values have equal fields.
    func cleared() -> FHIRDateTime {
        var r = self
        if precision < .month { r.month = 1 }
        if precision < .day { r.day = 1 }
        if precision < .hour { r.hour = 0; r.timeZoneOffsetMinutes = nil }
        if precision < .minute { r.minute = 0 }
        if precision < .second { r.second = 0 }
        if precision < .millisecond { r.nanosecond = 0; r.fractionDigits = 0 }
        return r
    }

    // MARK: - Ranges

    /// The earliest value the partial value can stand for, written to `precision` (default: milliseconds).
    /// Without a zone, the earliest zone (+14:00) is assumed once the result has a time of day.
    public func lowBoundary(precision target: Precision = .millisecond) -> FHIRDateTime {
        var r = cleared()
        r.precision = target
        r.fractionDigits = target == .millisecond ? 3 : 0
        if target >= .hour && timeZoneOffsetMinutes == nil { r.timeZoneOffsetMinutes = 14 * 60 }
        return r.cleared()
    }

    /// The latest value the partial value can stand for, written to `precision` (default: milliseconds).
    /// Without a zone, the latest zone (-12:00) is assumed once the result has a time of day.
    public func highBoundary(precision target: Precision = .millisecond) -> FHIRDateTime {
        var r = self
        if precision < .month { r.month = 12 }
        if precision < .day { r.day = FHIRDateTime.daysInMonth(year: r.year, month: r.month) }
        if precision < .hour { r.hour = 23 }
        if precision < .minute { r.minute = 59 }
        if precision < .second { r.second = 59 }
        if precision < .millisecond { r.nanosecond = 999_000_000 }
        r.precision = target
        r.fractionDigits = target == .millisecond ? 3 : 0
        if target >= .hour && timeZoneOffsetMinutes == nil { r.timeZoneOffsetMinutes = -12 * 60 }
        return r.cleared()
    }

    /// The milliseconds since 1970-01-01T00:00:00Z of the first and last instant the value covers
    /// (both inclusive). A value without a zone is read in `assumingOffsetMinutes` (UTC by default).
    public func instantRange(assumingOffsetMinutes defaultOffset: Int = 0) -> ClosedRange<Int64> {
        let offset = Int64(timeZoneOffsetMinutes ?? defaultOffset) * 60_000
        var low = cleared()
        low.precision = .millisecond
        var high = highBoundary()
        high.timeZoneOffsetMinutes = nil
        return (low.localMilliseconds - offset)...(high.localMilliseconds - offset)
    }

    // MARK: - Calendar helpers

    /// Gregorian leap years.
    public static func isLeapYear(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    /// 28 to 31.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a civil date (proleptic Gregorian), via `InstantFormat`.
    static func days(year: Int, month: Int, day: Int) -> Int {
        Int(InstantFormat.days(year: Int64(year), month: Int64(month), day: Int64(day)))
    }

    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let (y, m, d) = InstantFormat.civil(fromDays: Int64(days))
        return (Int(y), Int(m), Int(d))
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    static func fraction(_ nanos: Int, digits: Int) -> String {
        let full = pad(nanos, 9)
        if digits <= 9 { return String(full.prefix(max(1, digits))) }
        return full + String(repeating: "0", count: digits - 9)
    }

    static func zoneText(_ minutes: Int) -> String {
        if minutes == 0 { return "Z" }
        let sign = minutes < 0 ? "-" : "+"
        return sign + pad(abs(minutes) / 60, 2) + ":" + pad(abs(minutes) % 60, 2)
    }
}

extension BinaryInteger {
    /// Division rounding toward negative infinity.
    func floorDiv(_ d: Self) -> Self {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}

/// A tiny cursor over date/time text shared by `FHIRDateTime` and `FHIRTime`.
struct DateTextScanner {
    let bytes: [UInt8]
    var i = 0

    init(_ text: some StringProtocol) { bytes = Array(text.utf8) }

    var atEnd: Bool { i == bytes.count }

    mutating func take(_ c: Character) -> Bool {
        guard i < bytes.count, let a = c.asciiValue, bytes[i] == a else { return false }
        i += 1
        return true
    }

    mutating func digits(_ n: Int) -> Int? {
        guard i + n <= bytes.count else { return nil }
        var v = 0
        for k in i..<(i + n) {
            let b = bytes[k]
            guard b >= 48 && b <= 57 else { return nil }
            v = v * 10 + Int(b - 48)
        }
        i += n
        return v
    }

    /// hh(:mm(:ss(.fff)?)?)? — precisionLevel 0 = hour ... 3 = fraction.
    mutating func timeOfDay() -> (hour: Int, minute: Int, second: Int, nanosecond: Int, precisionLevel: Int, fractionDigits: Int)? {
        guard let h = digits(2), h < 24 else { return nil }
        var r = (hour: h, minute: 0, second: 0, nanosecond: 0, precisionLevel: 0, fractionDigits: 0)
        guard take(":") else { return r }
        guard let m = digits(2), m < 60 else { return nil }
        r.minute = m
        r.precisionLevel = 1
        guard take(":") else { return r }
        guard let s = digits(2), s < 60 else { return nil }
        r.second = s
        r.precisionLevel = 2
        guard take(".") else { return r }
        var count = 0
        var nanos = 0
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
            if count < 9 { nanos = nanos * 10 + Int(bytes[i] - 48) }
            count += 1
            i += 1
        }
        guard count > 0 else { return nil }
        for _ in count..<max(count, 9) { nanos *= 10 }
        r.nanosecond = nanos
        r.fractionDigits = count
        r.precisionLevel = 3
        return r
    }

    /// nil: no zone here; .some(nil): a malformed zone; .some(offset): the offset in minutes.
    mutating func timeZone() -> Int?? {
        if take("Z") { return .some(0) }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") else { return nil }
        let negative = bytes[i] == UInt8(ascii: "-")
        i += 1
        guard let h = digits(2), h <= 14, take(":"), let m = digits(2), m < 60 else { return .some(nil) }
        return .some((negative ? -1 : 1) * (h * 60 + m))
    }
}
