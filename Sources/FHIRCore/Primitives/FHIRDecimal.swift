/// An exact decimal number that remembers its precision (the digits written after the point), as FHIR
/// `decimal` and FHIRPath `Decimal` need it: `1.50` stays `1.50`, `0.1 + 0.2` is exactly `0.3`.
///
/// The value is `significand / 10^scale`. Equality and ordering compare values (`1.10 == 1.1`); the
/// scale only matters for printing and for precision-aware operations (equivalence, boundaries).
/// Arithmetic that would overflow 38 digits returns nil instead of trapping.
public struct FHIRDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The digits of the number, sign included.
    public let significand: Int128
    /// How many of those digits are after the decimal point (never negative).
    public let scale: Int

    /// The largest scale kept by division and by conversions from `Double`.
    public static let maximumScale = 28

    /// The value `significand / 10^scale` (`FHIRDecimal(significand: 150, scale: 2)` is `1.50`).
    public init(significand: Int128, scale: Int) {
        if scale >= 0 {
            self.significand = significand
            self.scale = scale
        } else {
            // A negative scale means trailing zeros before the point; fold them into the digits
            // (saturating at the largest representable magnitude).
            let (m, o) = significand.multipliedReportingOverflow(by: FHIRDecimal.powerOfTen(min(-scale, 38)))
            self.significand = o || -scale > 38 ? (significand < 0 ? Int128.min + 1 : Int128.max) : m
            self.scale = 0
        }
    }

    /// An integer value (scale 0).
    public init(_ value: Int) {
        significand = Int128(value)
        scale = 0
    }

    /// Parses decimal text in JSON/FHIR grammar (`-12.50`, `1e-3`, `+3`); nil when it is not a number.
    public init?(_ text: some StringProtocol) {
        var digits: Int128 = 0
        var scale = 0
        var negative = false
        var sawDigit = false
        var inFraction = false
        var exponent = 0
        let bytes = Array(text.utf8)
        var i = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        while i < bytes.count {
            let b = bytes[i]
            if b >= 48 && b <= 57 {
                let (m, o1) = digits.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int128(b - 48))
                if o1 || o2 { return nil }
                digits = a
                if inFraction { scale += 1 }
                sawDigit = true
            } else if b == UInt8(ascii: "."), !inFraction {
                inFraction = true
                // A point must be followed by at least one digit.
                if i + 1 >= bytes.count || !(bytes[i + 1] >= 48 && bytes[i + 1] <= 57) { return nil }
            } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                guard sawDigit, let e = Int(String(decoding: bytes[(i + 1)...], as: UTF8.self)), abs(e) < 60 else {
                    return nil
                }
                exponent = e
                i = bytes.count
                break
            } else {
                return nil
            }
            i += 1
        }
        guard sawDigit else { return nil }
        scale -= exponent
        if scale < 0 {
            guard let p = FHIRDecimal.checkedPowerOfTen(-scale) else { return nil }
            let (m, o) = digits.multipliedReportingOverflow(by: p)
            if o { return nil }
            digits = m
            scale = 0
        }
        self.significand = negative ? -digits : digits
        self.scale = scale
    }

    /// The nearest decimal to a `Double` (shortest round-trip digits); nil for NaN and infinities.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        guard let d = FHIRDecimal(String(value)) else { return nil }
        self = d.trimmingTrailingZeros().rounded(toScale: Swift.min(d.scale, FHIRDecimal.maximumScale))
    }

    /// The number with exactly `scale` digits after the point (`1.50`, `-0.003`, `42`).
    public var description: String {
        let negative = significand < 0
        var digits = String(significand.magnitude)
        if scale > 0 {
            if digits.count <= scale {
                digits = String(repeating: "0", count: scale - digits.count + 1) + digits
            }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return negative ? "-" + digits : digits
    }

    /// The nearest `Double` (for math functions only; comparisons stay exact).
    public var doubleValue: Double { Double(description) ?? .nan }
    public var isZero: Bool { significand == 0 }
    public var isNegative: Bool { significand < 0 }
    /// True when the value has no fractional part (`2.00` is integral).
    public var isIntegral: Bool { significand % FHIRDecimal.powerOfTen(scale) == 0 }

    /// The value as an `Int` when it is integral and fits.
    public var intValue: Int? {
        guard isIntegral else { return nil }
        return Int(exactly: significand / FHIRDecimal.powerOfTen(scale))
    }

    /// The same value written with exactly `newScale` digits after the point (rounding half away from
    /// zero when digits are dropped).
    public func rounded(toScale newScale: Int, rule: RoundingRule = .halfAwayFromZero) -> FHIRDecimal {
        if newScale >= scale {
            guard let p = FHIRDecimal.checkedPowerOfTen(newScale - scale) else { return self }
            let (m, o) = significand.multipliedReportingOverflow(by: p)
            return o ? self : FHIRDecimal(significand: m, scale: newScale)
        }
        let divisor = FHIRDecimal.powerOfTen(scale - newScale)
        return FHIRDecimal(significand: FHIRDecimal.divide(significand, divisor, rule: rule), scale: newScale)
    }

    /// How digits are dropped by `rounded(toScale:rule:)`.
    public enum RoundingRule: Sendable {
        case halfAwayFromZero, towardZero, down, up  // down = toward -infinity, up = toward +infinity
    }

    /// The same value without trailing zeros after the point, keeping at least `minimumScale` digits.
    public func trimmingTrailingZeros(minimumScale: Int = 0) -> FHIRDecimal {
        var s = significand
        var sc = scale
        while sc > minimumScale, s % 10 == 0 {
            s /= 10
            sc -= 1
        }
        return FHIRDecimal(significand: s, scale: sc)
    }

    /// The exact sum (scale of the finer operand); nil on overflow.
    public func adding(_ other: FHIRDecimal) -> FHIRDecimal? {
        guard let (a, b, s) = FHIRDecimal.aligned(self, other) else { return nil }
        let (r, o) = a.addingReportingOverflow(b)
        return o ? nil : FHIRDecimal(significand: r, scale: s)
    }

    /// The exact difference; nil on overflow.
    public func subtracting(_ other: FHIRDecimal) -> FHIRDecimal? {
        adding(other.negated())
    }

    /// The exact product (scales add up, rounded beyond `maximumScale`); nil on overflow.
    public func multiplying(by other: FHIRDecimal) -> FHIRDecimal? {
        let (r, o) = significand.multipliedReportingOverflow(by: other.significand)
        if !o {
            let product = FHIRDecimal(significand: r, scale: scale + other.scale)
            return product.scale > FHIRDecimal.maximumScale
                ? product.rounded(toScale: FHIRDecimal.maximumScale) : product
        }
        // Drop insignificant trailing digits and retry once.
        let a = trimmingTrailingZeros(), b = other.trimmingTrailingZeros()
        guard a.scale != scale || b.scale != other.scale else { return nil }
        return a.multiplying(by: b)
    }

    /// The quotient rounded to `resultScale` digits after the point; nil on division by zero or overflow.
    public func dividing(by other: FHIRDecimal, scale resultScale: Int) -> FHIRDecimal? {
        guard other.significand != 0 else { return nil }
        // (A/10^sa) / (B/10^sb) at scale s = A * 10^(sb + s - sa) / B
        let shift = other.scale + resultScale - scale
        var numerator = significand
        var denominator = other.significand
        if shift >= 0 {
            guard let p = FHIRDecimal.checkedPowerOfTen(shift) else { return nil }
            let (m, o) = numerator.multipliedReportingOverflow(by: p)
            if o { return nil }
            numerator = m
        } else {
            guard let p = FHIRDecimal.checkedPowerOfTen(-shift) else { return nil }
            let (m, o) = denominator.multipliedReportingOverflow(by: p)
            if o { return nil }
            denominator = m
        }
        return FHIRDecimal(significand: FHIRDecimal.divide(numerator, denominator, rule: .halfAwayFromZero),
                           scale: resultScale)
    }

    /// The value with the opposite sign, same scale.
    public func negated() -> FHIRDecimal { FHIRDecimal(significand: -significand, scale: scale) }
    /// The absolute value, same scale.
    public var magnitude: FHIRDecimal { significand < 0 ? negated() : self }

    public static func == (lhs: FHIRDecimal, rhs: FHIRDecimal) -> Bool {
        compare(lhs, rhs) == 0
    }

    public static func < (lhs: FHIRDecimal, rhs: FHIRDecimal) -> Bool {
        compare(lhs, rhs) < 0
    }

    public func hash(into hasher: inout Hasher) {
        let t = trimmingTrailingZeros()
        hasher.combine(t.significand)
        hasher.combine(t.scale)
    }

    // MARK: - Helpers

    static func compare(_ a: FHIRDecimal, _ b: FHIRDecimal) -> Int {
        if let (x, y, _) = aligned(a, b) {
            return x == y ? 0 : (x < y ? -1 : 1)
        }
        let (x, y) = (a.doubleValue, b.doubleValue)
        return x == y ? 0 : (x < y ? -1 : 1)
    }

    /// Both significands at the larger scale; nil when that overflows.
    static func aligned(_ a: FHIRDecimal, _ b: FHIRDecimal) -> (Int128, Int128, Int)? {
        if a.scale == b.scale { return (a.significand, b.significand, a.scale) }
        if a.scale < b.scale {
            guard let p = checkedPowerOfTen(b.scale - a.scale) else { return nil }
            let (m, o) = a.significand.multipliedReportingOverflow(by: p)
            return o ? nil : (m, b.significand, b.scale)
        }
        guard let p = checkedPowerOfTen(a.scale - b.scale) else { return nil }
        let (m, o) = b.significand.multipliedReportingOverflow(by: p)
        return o ? nil : (a.significand, m, a.scale)
    }

    static func divide(_ n: Int128, _ d: Int128, rule: RoundingRule) -> Int128 {
        let q = n / d
        let r = n % d
        if r == 0 { return q }
        let positive = (n < 0) == (d < 0)
        switch rule {
        case .towardZero: return q
        case .down: return positive ? q : q - 1
        case .up: return positive ? q + 1 : q
        case .halfAwayFromZero:
            let twice = r.magnitude * 2
            if twice >= d.magnitude { return positive ? q + 1 : q - 1 }
            return q
        }
    }

    static func checkedPowerOfTen(_ n: Int) -> Int128? {
        guard n >= 0, n <= 38 else { return nil }
        return powerOfTen(n)
    }

    /// 10^n for n in 0...38; larger n saturate at `Int128.max` (bigger than any significand, so
    /// divisions by it give 0 and remainders give the dividend).
    static func powerOfTen(_ n: Int) -> Int128 {
        n <= 38 ? powersOfTen[max(0, n)] : Int128.max
    }

    private static let powersOfTen: [Int128] = {
        var table: [Int128] = [1]
        for _ in 1...38 { table.append(table[table.count - 1] * 10) }
        return table
    }()
}
