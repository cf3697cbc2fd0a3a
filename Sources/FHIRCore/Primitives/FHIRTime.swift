/// A FHIR `time` / FHIRPath `Time`: a time of day with the precision it was written to (`14`, `14:30`,
/// `14:30:00`, `14:30:00.250`). Compared like `FHIRDateTime`: unknown (`nil`) when the values agree as
/// far as the coarser one goes but have different precisions.
public struct FHIRTime: Sendable, Hashable, CustomStringConvertible {
    /// How much of the time is known; `millisecond` means fractional seconds were given.
    public enum Precision: Int, Sendable, Comparable {
        case hour, minute, second, millisecond

        public static func < (a: Precision, b: Precision) -> Bool { a.rawValue < b.rawValue }
    }

    /// The fields; those below `precision` are 0.
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var nanosecond: Int
    public var precision: Precision
    public var fractionDigits: Int

    /// A time from its fields.
    public init(hour: Int, minute: Int = 0, second: Int = 0, nanosecond: Int = 0, precision: Precision,
                fractionDigits: Int = 3) {
        self.hour = hour
        self.minute = precision >= .minute ? minute : 0
        self.second = precision >= .second ? second : 0
        self.nanosecond = precision >= .millisecond ? nanosecond : 0
        self.precision = precision
        self.fractionDigits = precision == .millisecond ? max(1, fractionDigits) : 0
    }

    /// Parses `hh(:mm(:ss(.f+)?)?)?`; nil for anything else.
    public init?(_ text: some StringProtocol) {
        var s = DateTextScanner(text)
        guard let t = s.timeOfDay(), s.atEnd else { return nil }
        self.init(hour: t.hour, minute: t.minute, second: t.second, nanosecond: t.nanosecond,
                  precision: [.hour, .minute, .second, .millisecond][t.precisionLevel], fractionDigits: t.fractionDigits)
    }

    /// `hh:mm:ss.fff` to the value's precision.
    public var description: String {
        var out = FHIRDateTime.pad(hour, 2)
        if precision >= .minute { out += ":" + FHIRDateTime.pad(minute, 2) }
        if precision >= .second { out += ":" + FHIRDateTime.pad(second, 2) }
        if precision >= .millisecond { out += "." + FHIRDateTime.fraction(nanosecond, digits: fractionDigits) }
        return out
    }

    var level: Int { min(precision.rawValue, Precision.second.rawValue) }

    /// -1, 0 or 1; nil when the precisions differ and the known part is equal.
    public func compare(to other: FHIRTime) -> Int? {
        let common = min(level, other.level)
        if hour != other.hour { return hour < other.hour ? -1 : 1 }
        if common >= 1, minute != other.minute { return minute < other.minute ? -1 : 1 }
        if common >= 2 {
            let x = second * 1_000_000_000 + nanosecond, y = other.second * 1_000_000_000 + other.nanosecond
            if x != y { return x < y ? -1 : 1 }
        }
        return level == other.level ? 0 : nil
    }

    /// The time moved by a number of milliseconds, wrapping around midnight, keeping its precision.
    public func adding(milliseconds: Int64) -> FHIRTime {
        let day: Int64 = 86_400_000
        let current = Int64(((hour * 60 + minute) * 60 + second) * 1000 + nanosecond / 1_000_000)
        var t = (current + milliseconds) % day
        if t < 0 { t += day }
        let ms = Int(t)
        return FHIRTime(hour: ms / 3_600_000, minute: ms / 60_000 % 60, second: ms / 1000 % 60,
                        nanosecond: ms % 1000 * 1_000_000 + nanosecond % 1_000_000, precision: precision,
                        fractionDigits: fractionDigits)
    }

    /// The earliest time the partial value stands for, at `precision`.
    public func lowBoundary(precision target: Precision = .millisecond) -> FHIRTime {
        FHIRTime(hour: hour, minute: minute, second: second, nanosecond: nanosecond, precision: target)
    }

    /// The latest time the partial value stands for, at `precision`.
    public func highBoundary(precision target: Precision = .millisecond) -> FHIRTime {
        FHIRTime(hour: hour, minute: precision >= .minute ? minute : 59, second: precision >= .second ? second : 59,
                 nanosecond: precision >= .millisecond ? nanosecond : 999_000_000, precision: target)
    }
}
