/// Math functions, boundaries (`lowBoundary`/`highBoundary`), `precision()`, `comparable()` and the
/// date/time component functions.
extension FHIRPathEvaluator {
    func mathFunction(_ f: FHIRPathFunction, _ input: [FHIRPathValue], _ args: [[FHIRPathValue]]) throws -> [FHIRPathValue]? {
        switch f {
        case .abs, .ceiling, .exp, .floor, .ln, .log, .power, .round, .sqrt, .truncate:
            break
        case .lowBoundary, .highBoundary:
            guard let item = try singleton(input, "\(f.rawValue)()") else { return [] }
            let precision = try args.first.map { try integerArgument($0, "\(f.rawValue)() precision") } ?? nil
            if let first = args.first, first.isEmpty { return [] }
            return try boundary(item.primitive(), precision: precision, high: f == .highBoundary).map { [$0] } ?? []
        case .precision:
            guard let item = try singleton(input, "precision()") else { return [] }
            switch item.primitive() {
            case .decimal(let d): return [.integer(d.scale)]
            case .integer: return [.integer(0)]
            case .date(let d), .dateTime(let d): return [.integer([4, 6, 8, 10, 12, 14, 17][d.precision.rawValue])]
            case .time(let t): return [.integer([2, 4, 6, 9][t.precision.rawValue])]
            default: return []
            }
        case .comparable:
            guard let item = try singleton(input, "comparable()"), let other = try singleton(args[0], "comparable()") else { return [] }
            guard case .quantity(let a) = item.primitive(), case .quantity(let b) = other.primitive() else {
                throw FHIRPathError.execution("comparable() works on quantities")
            }
            return [.boolean(a.isComparable(to: b))]
        case .yearOf, .monthOf, .dayOf, .hourOf, .minuteOf, .secondOf, .millisecondOf, .timezoneOffsetOf, .dateOf, .timeOf:
            guard let item = try singleton(input, "\(f.rawValue)()") else { return [] }
            return FHIRPathEvaluator.component(f, item.primitive()).map { [$0] } ?? []
        default:
            return nil
        }
        guard let item = try singleton(input, "\(f.rawValue)()") else { return [] }
        let value = item.primitive()
        if case .quantity(let q) = value, f == .abs {
            return [.quantity(FHIRQuantity(value: q.value.magnitude, unit: q.unit))]
        }
        guard let d = FHIRPathEvaluator.decimalValue(value) else {
            throw FHIRPathError.execution("\(f.rawValue)() needs a number, not \(item.typeName)")
        }
        let isInteger: Bool
        if case .integer = value { isInteger = true } else { isInteger = false }
        func real(_ x: Double) -> [FHIRPathValue] {
            FHIRDecimal(x).map { [.decimal($0)] } ?? []
        }
        switch f {
        case .abs:
            guard isInteger else { return [.decimal(d.magnitude)] }
            return d.intValue.flatMap { $0 == .min ? nil : [.integer(Swift.abs($0))] } ?? []
        case .ceiling: return d.rounded(toScale: 0, rule: .up).intValue.map { [.integer($0)] } ?? []
        case .floor: return d.rounded(toScale: 0, rule: .down).intValue.map { [.integer($0)] } ?? []
        case .truncate: return d.rounded(toScale: 0, rule: .towardZero).intValue.map { [.integer($0)] } ?? []
        case .round:
            let digits = try args.first.map { try integerArgument($0, "round() precision") ?? 0 } ?? 0
            guard digits >= 0 else { throw FHIRPathError.execution("round() precision must not be negative") }
            return [.decimal(d.rounded(toScale: digits))]
        case .sqrt: return d.isNegative ? [] : real(d.doubleValue.squareRoot())
        case .exp: return real(FHIRMath.exp(d.doubleValue))
        case .ln: return d.isNegative || d.isZero ? [] : real(FHIRMath.log(d.doubleValue))
        case .log:
            guard let b = try singleton(args[0], "log() base"), let base = FHIRPathEvaluator.decimalValue(b.primitive()) else { return [] }
            guard !d.isNegative, !d.isZero, !base.isNegative, !base.isZero else { return [] }
            return real(FHIRMath.log(d.doubleValue) / FHIRMath.log(base.doubleValue))
        case .power:
            guard let e = try singleton(args[0], "power() exponent") else { return [] }
            let exponent = e.primitive()
            if isInteger, case .integer(let n) = exponent, n >= 0, let base = d.intValue {
                var r = 1
                for _ in 0..<n {
                    let (m, o) = r.multipliedReportingOverflow(by: base)
                    if o { return [] }
                    r = m
                }
                return [.integer(r)]
            }
            guard let x = FHIRPathEvaluator.decimalValue(exponent) else { throw FHIRPathError.execution("power() needs a number") }
            let r = FHIRMath.pow(d.doubleValue, x.doubleValue)
            return r.isNaN ? [] : real(r)
        default:
            return nil
        }
    }

    /// The lowest/highest value an imprecise number, quantity or date could stand for.
    func boundary(_ v: FHIRPathValue, precision: Int?, high: Bool) throws -> FHIRPathValue? {
        switch v {
        case .integer(let i): return try boundary(.decimal(FHIRDecimal(i)), precision: precision, high: high)
        case .decimal(let d):
            let target = precision ?? 8
            guard target >= 0, target <= FHIRDecimal.maximumScale else { return nil }
            // The value stands for everything within half a unit of its last digit.
            let half = FHIRDecimal(significand: 5, scale: d.scale + 1)
            guard var b = high ? d.adding(half) : d.subtracting(half) else { return nil }
            if target < b.scale {
                let unit = FHIRDecimal(significand: 1, scale: target)
                if b.magnitude < unit {
                    b = FHIRDecimal(significand: 0, scale: target)  // below the precision: zero at that precision
                } else {
                    b = b.rounded(toScale: target, rule: high ? .up : .down)
                }
            } else {
                b = b.rounded(toScale: target)
            }
            return .decimal(b)
        case .quantity(let q):
            guard case .decimal(let d)? = try boundary(.decimal(q.value), precision: precision, high: high) else { return nil }
            return .quantity(FHIRQuantity(value: d, unit: q.unit))
        case .date(let d), .dateTime(let d):
            let isDate: Bool
            if case .date = v { isDate = true } else { isDate = false }
            let target = precision ?? (isDate ? 8 : 17)
            let levels: [Int: FHIRDateTime.Precision] = [4: .year, 6: .month, 8: .day, 10: .hour, 12: .minute, 14: .second, 17: .millisecond]
            guard let p = levels[target], !(isDate && p > .day) else { return nil }
            let r = high ? d.highBoundary(precision: p) : d.lowBoundary(precision: p)
            return p <= .day ? .date(r) : .dateTime(r)
        case .time(let t):
            let target = precision ?? 9
            let levels: [Int: FHIRTime.Precision] = [2: .hour, 4: .minute, 6: .second, 9: .millisecond]
            guard let p = levels[target] else { return nil }
            return .time(high ? t.highBoundary(precision: p) : t.lowBoundary(precision: p))
        default:
            throw FHIRPathError.execution("boundaries need a number, quantity, date or time")
        }
    }

    static func component(_ f: FHIRPathFunction, _ v: FHIRPathValue) -> FHIRPathValue? {
        switch v {
        case .date(let d), .dateTime(let d):
            let p = d.precision
            switch f {
            case .yearOf: return .integer(d.year)
            case .monthOf: return p >= .month ? .integer(d.month) : nil
            case .dayOf: return p >= .day ? .integer(d.day) : nil
            case .hourOf: return p >= .hour ? .integer(d.hour) : nil
            case .minuteOf: return p >= .minute ? .integer(d.minute) : nil
            case .secondOf: return p >= .second ? .integer(d.second) : nil
            case .millisecondOf: return p >= .millisecond ? .integer(d.nanosecond / 1_000_000) : nil
            case .timezoneOffsetOf:
                return d.timeZoneOffsetMinutes.map { .decimal(FHIRDecimal($0).dividing(by: FHIRDecimal(60), scale: 2)!.trimmingTrailingZeros()) }
            case .dateOf: return .date(d.datePart)
            case .timeOf:
                return p >= .hour ? .time(FHIRTime(hour: d.hour, minute: d.minute, second: d.second, nanosecond: d.nanosecond,
                                                   precision: FHIRTime.Precision(rawValue: p.rawValue - 3) ?? .millisecond,
                                                   fractionDigits: d.fractionDigits)) : nil
            default: return nil
            }
        case .time(let t):
            switch f {
            case .hourOf: return .integer(t.hour)
            case .minuteOf: return t.precision >= .minute ? .integer(t.minute) : nil
            case .secondOf: return t.precision >= .second ? .integer(t.second) : nil
            case .millisecondOf: return t.precision >= .millisecond ? .integer(t.nanosecond / 1_000_000) : nil
            default: return nil
            }
        default:
            return nil
        }
    }
}
