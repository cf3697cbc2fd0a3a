/// A UCUM unit reduced to a factor and the powers of the base units (m, g, s, rad, K, C, cd), enough to
/// tell whether two units measure the same thing and to convert between them (`mg` → `g`, `[lb_av]` →
/// `g`, `cm.m` → `m2`, `wk` → `s`). Covers the common metric atoms with prefixes, customary length and
/// mass, time, volume, `%`, `10*n`, annotations and parentheses. Units with an offset (Cel, [degF]) only
/// compare with themselves.
public struct UCUMUnit: Sendable, Hashable {
    /// Multiply a value in this unit by `factor` to get it in base units.
    public let factor: FHIRDecimal
    /// Exponents of m, g, s, rad, K, C, cd.
    public let dimensions: SIMD8<Int8>
    /// True for units with an offset or a non-linear scale; they convert to nothing but themselves.
    public let isSpecial: Bool

    public init(factor: FHIRDecimal, dimensions: SIMD8<Int8>, isSpecial: Bool = false) {
        self.factor = factor
        self.dimensions = dimensions
        self.isSpecial = isSpecial
    }

    static let one = UCUMUnit(factor: FHIRDecimal(1), dimensions: .zero)

    /// Parses a UCUM expression (`mg`, `mm[Hg]`, `kg/m2`, `10*3/uL`, `{beats}/min`); nil when unknown.
    public init?(_ code: String) {
        if code.isEmpty {
            self = .one
            return
        }
        var p = UCUMParser(bytes: Array(code.utf8))
        guard let u = p.term(), p.i == p.bytes.count else { return nil }
        self = u
    }

    /// True when a quantity in `self` can be converted to `other`.
    public func isComparable(to other: UCUMUnit) -> Bool {
        dimensions == other.dimensions && !isSpecial && !other.isSpecial
    }

    /// The base units this unit reduces to, as a UCUM code (`g.m-3` for `mg/dL`, `s-1` for `/min`, `1` when
    /// dimensionless): two units are commensurable exactly when their canonical codes are equal, which
    /// lets a search index compare quantities written in different units (search.html#quantity).
    public var canonicalCode: String {
        let names = ["m", "g", "s", "rad", "K", "C", "cd"]
        var parts: [String] = []
        for (i, name) in names.enumerated() where dimensions[i] != 0 {
            parts.append(dimensions[i] == 1 ? name : name + String(dimensions[i]))
        }
        return parts.isEmpty ? "1" : parts.joined(separator: ".")
    }

    /// `value` (in this unit) in the base units of `canonicalCode`; nil for special units (Cel, [degF]),
    /// which have an offset or a non-linear scale.
    public func canonicalValue(of value: Double) -> Double? {
        isSpecial ? nil : value * factor.doubleValue
    }

    func multiplied(by other: UCUMUnit) -> UCUMUnit? {
        guard let f = factor.multiplying(by: other.factor) else { return nil }
        return UCUMUnit(factor: f, dimensions: dimensions &+ other.dimensions, isSpecial: isSpecial || other.isSpecial)
    }

    func divided(by other: UCUMUnit) -> UCUMUnit? {
        // Large factors leave less room for fraction digits in 38 digits: retry with fewer.
        guard let f = stride(from: FHIRDecimal.maximumScale, through: 0, by: -4).lazy
            .compactMap({ self.factor.dividing(by: other.factor, scale: $0) }).first?.trimmingTrailingZeros()
        else { return nil }
        return UCUMUnit(factor: f, dimensions: dimensions &- other.dimensions, isSpecial: isSpecial || other.isSpecial)
    }

    func power(_ n: Int) -> UCUMUnit? {
        guard abs(n) <= 24 else { return nil }
        var r = UCUMUnit.one
        for _ in 0..<abs(n) {
            guard let m = r.multiplied(by: self) else { return nil }
            r = m
        }
        return n < 0 ? UCUMUnit.one.divided(by: r) : r
    }

    // MARK: - Tables

    private static func dims(_ m: Int8 = 0, _ g: Int8 = 0, _ s: Int8 = 0, _ rad: Int8 = 0, _ k: Int8 = 0,
                             _ c: Int8 = 0, _ cd: Int8 = 0) -> SIMD8<Int8> {
        SIMD8(m, g, s, rad, k, c, cd, 0)
    }

    private static func atom(_ factor: String, _ d: SIMD8<Int8>, metric: Bool, special: Bool = false) -> Atom {
        Atom(unit: UCUMUnit(factor: FHIRDecimal(factor) ?? FHIRDecimal(1), dimensions: d, isSpecial: special), metric: metric)
    }

    struct Atom: Sendable {
        let unit: UCUMUnit
        let metric: Bool
    }

    static let atoms: [String: Atom] = [
        "m": atom("1", dims(1), metric: true),
        "g": atom("1", dims(0, 1), metric: true),
        "s": atom("1", dims(0, 0, 1), metric: true),
        "rad": atom("1", dims(0, 0, 0, 1), metric: true),
        "K": atom("1", dims(0, 0, 0, 0, 1), metric: true),
        "C": atom("1", dims(0, 0, 0, 0, 0, 1), metric: true),
        "cd": atom("1", dims(0, 0, 0, 0, 0, 0, 1), metric: true),
        "sr": atom("1", dims(0, 0, 0, 2), metric: true),
        "L": atom("0.001", dims(3), metric: true),
        "l": atom("0.001", dims(3), metric: true),
        "mol": atom("602213670000000000000000", dims(), metric: true),
        "eq": atom("602213670000000000000000", dims(), metric: true),
        "osm": atom("602213670000000000000000", dims(), metric: true),
        "kat": atom("602213670000000000000000", dims(0, 0, -1), metric: true),
        "U": atom("10036894500000000", dims(0, 0, -1), metric: true),
        "Hz": atom("1", dims(0, 0, -1), metric: true),
        "N": atom("1000", dims(1, 1, -2), metric: true),
        "Pa": atom("1000", dims(-1, 1, -2), metric: true),
        "J": atom("1000", dims(2, 1, -2), metric: true),
        "W": atom("1000", dims(2, 1, -3), metric: true),
        "A": atom("1", dims(0, 0, -1, 0, 0, 1), metric: true),
        "V": atom("1000", dims(2, 1, -2, 0, 0, -1), metric: true),
        "Ohm": atom("1000", dims(2, 1, -1, 0, 0, -2), metric: true),
        "bar": atom("100000000", dims(-1, 1, -2), metric: true),
        "cal": atom("4184", dims(2, 1, -2), metric: true),
        "t": atom("1000000", dims(0, 1), metric: true),
        "Bq": atom("1", dims(0, 0, -1), metric: true),
        "Gy": atom("1", dims(2, 0, -2), metric: true),
        "Sv": atom("1", dims(2, 0, -2), metric: true),
        "m[Hg]": atom("133322000", dims(-1, 1, -2), metric: true),
        "m[H2O]": atom("9806650", dims(-1, 1, -2), metric: true),
        "[iU]": atom("1", dims(), metric: true),
        "[IU]": atom("1", dims(), metric: true),
        "min": atom("60", dims(0, 0, 1), metric: false),
        "h": atom("3600", dims(0, 0, 1), metric: false),
        "d": atom("86400", dims(0, 0, 1), metric: false),
        "wk": atom("604800", dims(0, 0, 1), metric: false),
        "mo": atom("2629800", dims(0, 0, 1), metric: false),
        "mo_j": atom("2629800", dims(0, 0, 1), metric: false),
        "mo_g": atom("2629746", dims(0, 0, 1), metric: false),
        "a": atom("31557600", dims(0, 0, 1), metric: false),
        "a_j": atom("31557600", dims(0, 0, 1), metric: false),
        "a_g": atom("31556952", dims(0, 0, 1), metric: false),
        "[in_i]": atom("0.0254", dims(1), metric: false),
        "[ft_i]": atom("0.3048", dims(1), metric: false),
        "[yd_i]": atom("0.9144", dims(1), metric: false),
        "[mi_i]": atom("1609.344", dims(1), metric: false),
        "[lb_av]": atom("453.59237", dims(0, 1), metric: false),
        "[oz_av]": atom("28.349523125", dims(0, 1), metric: false),
        "[gr]": atom("0.06479891", dims(0, 1), metric: false),
        "[stone_av]": atom("6350.29318", dims(0, 1), metric: false),
        "[pt_us]": atom("0.000473176473", dims(3), metric: false),
        "[foz_us]": atom("0.0000295735295625", dims(3), metric: false),
        "[gal_us]": atom("0.003785411784", dims(3), metric: false),
        "deg": atom("0.0174532925199432957692", dims(0, 0, 0, 1), metric: false),
        "%": atom("0.01", dims(), metric: false),
        "[ppth]": atom("0.001", dims(), metric: false),
        "[ppm]": atom("0.000001", dims(), metric: false),
        "[ppb]": atom("0.000000001", dims(), metric: false),
        "Cel": atom("1", dims(0, 0, 0, 0, 1), metric: true, special: true),
        "[degF]": atom("1", dims(0, 0, 0, 0, 1), metric: false, special: true),
        "[pH]": atom("1", dims(), metric: false, special: true),
        "[HPF]": atom("1", dims(), metric: false),
        "[LPF]": atom("1", dims(), metric: false),
        "[drp]": atom("0.00000005", dims(3), metric: false),
    ]

    static let prefixes: [(String, String)] = [
        ("da", "10"), ("Y", "1000000000000000000000000"), ("Z", "1000000000000000000000"),
        ("E", "1000000000000000000"), ("P", "1000000000000000"), ("T", "1000000000000"), ("G", "1000000000"),
        ("M", "1000000"), ("k", "1000"), ("h", "100"), ("d", "0.1"), ("c", "0.01"), ("m", "0.001"),
        ("u", "0.000001"), ("n", "0.000000001"), ("p", "0.000000000001"), ("f", "0.000000000000001"),
        ("a", "0.000000000000000001"),
    ]

    /// A simple unit without exponent: an atom, or a metric atom with a prefix.
    static func simple(_ s: String) -> UCUMUnit? {
        if let a = atoms[s] { return a.unit }
        for (p, f) in prefixes where s.hasPrefix(p) {
            guard let a = atoms[String(s.dropFirst(p.count))], a.metric, let pf = FHIRDecimal(f),
                  let factor = a.unit.factor.multiplying(by: pf) else { continue }
            return UCUMUnit(factor: factor, dimensions: a.unit.dimensions, isSpecial: a.unit.isSpecial)
        }
        return nil
    }
}

/// Recursive-descent reader of UCUM expressions: term = component (('.' | '/') component)*.
private struct UCUMParser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func term() -> UCUMUnit? {
        var result: UCUMUnit
        if i < bytes.count, bytes[i] == UInt8(ascii: "/") {
            result = .one
        } else {
            guard let first = component() else { return nil }
            result = first
        }
        while i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "/") {
            let op = bytes[i]
            i += 1
            guard let next = component() else { return nil }
            guard let r = op == UInt8(ascii: ".") ? result.multiplied(by: next) : result.divided(by: next) else { return nil }
            result = r
        }
        return result
    }

    mutating func component() -> UCUMUnit? {
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: "(") {
            i += 1
            guard let inner = term(), i < bytes.count, bytes[i] == UInt8(ascii: ")") else { return nil }
            i += 1
            return skipAnnotation() ? inner : nil
        }
        if bytes[i] == UInt8(ascii: "{") {
            return skipAnnotation() ? .one : nil
        }
        // A run of digits alone is a factor; `10*n` / `10^n` is a power of ten.
        var j = i
        while j < bytes.count, isDigit(bytes[j]) { j += 1 }
        if j > i {
            let digits = String(decoding: bytes[i..<j], as: UTF8.self)
            if j + 1 < bytes.count, digits == "10", bytes[j] == UInt8(ascii: "*") || bytes[j] == UInt8(ascii: "^") {
                i = j + 1
                guard let e = exponent(), let ten = UCUMUnit(factor: FHIRDecimal(10), dimensions: .zero).power(e) else { return nil }
                return ten
            }
            if j == bytes.count || !isAtomByte(bytes[j]) {
                i = j
                guard let f = FHIRDecimal(digits) else { return nil }
                return UCUMUnit(factor: f, dimensions: .zero)
            }
        }
        // The atom: everything up to an operator, a parenthesis, an annotation or a trailing exponent.
        let start = i
        var depth = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "[") { depth += 1 } else if b == UInt8(ascii: "]") { depth -= 1 }
            if depth == 0 && (b == UInt8(ascii: ".") || b == UInt8(ascii: "/") || b == UInt8(ascii: "(")
                || b == UInt8(ascii: ")") || b == UInt8(ascii: "{")) { break }
            i += 1
        }
        var end = i
        // Split a trailing signed exponent off the atom (`m2`, `s-1`).
        var k = end
        while k > start, isDigit(bytes[k - 1]) { k -= 1 }
        if k > start, k < end, bytes[k - 1] == UInt8(ascii: "-") || bytes[k - 1] == UInt8(ascii: "+") { k -= 1 }
        var exp = 1
        if k > start, k < end, let e = Int(String(decoding: bytes[k..<end], as: UTF8.self)) {
            exp = e
            end = k
        }
        guard end > start, let unit = UCUMUnit.simple(String(decoding: bytes[start..<end], as: UTF8.self)),
              let powered = exp == 1 ? unit : unit.power(exp) else { return nil }
        return skipAnnotation() ? powered : nil
    }

    mutating func exponent() -> Int? {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        return Int(String(decoding: bytes[start..<i], as: UTF8.self))
    }

    /// Skips `{...}` when present; false when an annotation is not closed.
    mutating func skipAnnotation() -> Bool {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return true }
        while i < bytes.count, bytes[i] != UInt8(ascii: "}") { i += 1 }
        guard i < bytes.count else { return false }
        i += 1
        return true
    }

    func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    func isAtomByte(_ b: UInt8) -> Bool { !isDigit(b) && b != UInt8(ascii: ".") && b != UInt8(ascii: "/") && b != UInt8(ascii: ")") }
}
