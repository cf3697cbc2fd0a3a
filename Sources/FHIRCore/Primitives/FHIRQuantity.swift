/// A FHIRPath `Quantity`: an exact decimal value with a unit that is either a UCUM code (`mg`, `[lb_av]`)
/// or a calendar duration keyword (`year`, `months`, `day`, ...). Keywords are kept as written so the
/// quantity prints the way it was given (`1 week`, `1 'wk'`).
///
/// Definite calendar durations equal their UCUM counterparts (`1 week = 7 'd'`); `year` and `month` only
/// compare with themselves, never with UCUM `a` and `mo`.
public struct FHIRQuantity: Sendable, Hashable, CustomStringConvertible {
    /// The amount, with its precision.
    public var value: FHIRDecimal
    /// A UCUM code, or a calendar keyword when `isCalendarKeyword`.
    public var unit: String

    /// A quantity; `unit` is a UCUM code (`mg`, `1`) or a calendar keyword (`days`).
    public init(value: FHIRDecimal, unit: String) {
        self.value = value
        self.unit = unit
    }

    /// The FHIRPath calendar duration keywords, singular and plural, with the UCUM unit each one equals
    /// (nil for year and month, which have no exact UCUM equivalent).
    public static let calendarKeywords: [String: String?] = [
        "year": nil, "years": nil, "month": nil, "months": nil,
        "week": "wk", "weeks": "wk", "day": "d", "days": "d", "hour": "h", "hours": "h",
        "minute": "min", "minutes": "min", "second": "s", "seconds": "s",
        "millisecond": "ms", "milliseconds": "ms",
    ]

    /// True when the unit is a calendar duration keyword rather than UCUM.
    public var isCalendarKeyword: Bool { FHIRQuantity.calendarKeywords[unit] != nil }

    /// FHIRPath text: `4.5 'mg'`, `3 days`.
    public var description: String {
        isCalendarKeyword ? "\(value) \(unit)" : "\(value) '\(unit)'"
    }

    /// The calendar unit for date/time arithmetic; nil for units that are not calendar durations
    /// (UCUM `a` and `mo` included: they are not calendar years and months).
    public var calendarUnit: FHIRDateTime.CalendarUnit? {
        switch unit {
        case "year", "years": return .year
        case "month", "months": return .month
        case "week", "weeks", "wk": return .week
        case "day", "days", "d": return .day
        case "hour", "hours", "h": return .hour
        case "minute", "minutes", "min": return .minute
        case "second", "seconds", "s": return .second
        case "millisecond", "milliseconds", "ms": return .millisecond
        default: return nil
        }
    }

    /// The unit as UCUM (`week` → `wk`); year/month keywords become `a`/`mo` only when `forArithmetic`.
    func ucumCode(forArithmetic: Bool = false) -> String? {
        if let mapped = FHIRQuantity.calendarKeywords[unit] {
            if let m = mapped { return m }
            guard forArithmetic else { return nil }
            return unit.hasPrefix("year") ? "a" : "mo"
        }
        return unit
    }

    /// The value in base units and the unit's dimensions; nil when the unit is unknown or special.
    func normalized() -> (value: FHIRDecimal, unit: UCUMUnit)? {
        guard let code = ucumCode(), let u = UCUMUnit(code), let v = value.multiplying(by: u.factor) else { return nil }
        return (v, u)
    }

    /// A key telling which units are directly interchangeable: keywords year/month form their own groups.
    private var sameUnitKey: String {
        switch unit {
        case "year", "years": return "year"
        case "month", "months": return "month"
        default: return ucumCode() ?? unit
        }
    }

    /// Both values in one scale, or nil when the units do not measure the same thing.
    func commonValues(with other: FHIRQuantity) -> (FHIRDecimal, FHIRDecimal)? {
        if sameUnitKey == other.sameUnitKey { return (value, other.value) }
        let calendar: Set<String> = ["year", "month"]
        if calendar.contains(sameUnitKey), calendar.contains(other.sameUnitKey) {
            // Calendar years are exactly twelve calendar months.
            let twelve = FHIRDecimal(12)
            let a = sameUnitKey == "year" ? value.multiplying(by: twelve) : value
            let b = other.sameUnitKey == "year" ? other.value.multiplying(by: twelve) : other.value
            guard let a, let b else { return nil }
            return (a, b)
        }
        guard let a = normalized(), let b = other.normalized(), a.unit.isComparable(to: b.unit) else { return nil }
        return (a.value, b.value)
    }

    /// -1, 0 or 1; nil when the units are not comparable.
    public func compare(to other: FHIRQuantity) -> Int? {
        guard let (a, b) = commonValues(with: other) else { return nil }
        return FHIRDecimal.compare(a, b)
    }

    /// True when both quantities measure the same kind of thing (FHIRPath `comparable()`).
    public func isComparable(to other: FHIRQuantity) -> Bool {
        commonValues(with: other) != nil
    }

    /// Equality after rounding both values to the coarser precision (FHIRPath `~`).
    public func isEquivalent(to other: FHIRQuantity) -> Bool {
        guard let (a, b) = commonValues(with: other) else { return false }
        let s = min(a.scale, b.scale)
        return a.rounded(toScale: s) == b.rounded(toScale: s)
    }

    /// The sum or difference in `self`'s unit; nil when the units are not comparable.
    public func adding(_ other: FHIRQuantity, subtract: Bool = false) -> FHIRQuantity? {
        var otherValue: FHIRDecimal
        if sameUnitKey == other.sameUnitKey {
            otherValue = other.value
        } else {
            guard let a = UCUMUnit(ucumCode() ?? ""), let b = other.normalized(), a.isComparable(to: b.unit),
                  let v = b.value.dividing(by: a.factor, scale: FHIRDecimal.maximumScale) else { return nil }
            otherValue = v.trimmingTrailingZeros(minimumScale: other.value.scale)
        }
        if subtract { otherValue = otherValue.negated() }
        guard let sum = value.adding(otherValue) else { return nil }
        return FHIRQuantity(value: sum, unit: unit)
    }

    /// The product or quotient, with a combined UCUM unit (`cm` × `m` = `cm.m`).
    public func multiplying(by other: FHIRQuantity, divide: Bool = false) -> FHIRQuantity? {
        guard let u1 = ucumCode(forArithmetic: true), let u2 = other.ucumCode(forArithmetic: true),
              UCUMUnit(u1) != nil, UCUMUnit(u2) != nil else { return nil }
        let value: FHIRDecimal?
        if divide {
            let s = max(self.value.scale, other.value.scale)
            value = self.value.dividing(by: other.value, scale: max(8, s))?.trimmingTrailingZeros(minimumScale: s)
        } else {
            value = self.value.multiplying(by: other.value)
        }
        guard let v = value else { return nil }
        func wrapped(_ u: String) -> String {
            u.contains("/") || u.contains(".") ? "(\(u))" : u
        }
        let unit: String
        if divide {
            unit = u2 == "1" ? u1 : (u1 == "1" ? "/" + wrapped(u2) : u1 + "/" + wrapped(u2))
        } else {
            unit = u2 == "1" ? u1 : (u1 == "1" ? u2 : wrapped(u1) + "." + wrapped(u2))
        }
        return FHIRQuantity(value: v, unit: unit)
    }
}
