/// `toX()` / `convertsToX()` conversions between the System types.
extension FHIRPathEvaluator {
    func conversionFunction(_ f: FHIRPathFunction, _ input: [FHIRPathValue], _ args: [[FHIRPathValue]]) throws -> [FHIRPathValue]? {
        let target: (FHIRPathValue) throws -> FHIRPathValue?
        let test: Bool
        switch f {
        case .toBoolean, .convertsToBoolean: target = { FHIRPathEvaluator.toBoolean($0) }; test = f == .convertsToBoolean
        case .toInteger, .convertsToInteger, .toLong, .convertsToLong:
            target = { FHIRPathEvaluator.toInteger($0) }; test = f == .convertsToInteger || f == .convertsToLong
        case .toDecimal, .convertsToDecimal: target = { FHIRPathEvaluator.toDecimal($0) }; test = f == .convertsToDecimal
        case .toString, .convertsToString: target = { $0.stringForm().map { .string($0) } }; test = f == .convertsToString
        case .toDate, .convertsToDate: target = { FHIRPathEvaluator.toDate($0) }; test = f == .convertsToDate
        case .toDateTime, .convertsToDateTime: target = { FHIRPathEvaluator.toDateTime($0) }; test = f == .convertsToDateTime
        case .toTime, .convertsToTime: target = { FHIRPathEvaluator.toTime($0) }; test = f == .convertsToTime
        case .toQuantity, .convertsToQuantity:
            let unit = try args.first.map { try stringArgument($0, "\(f.rawValue)() unit") }
            if let first = args.first, first.isEmpty { return [] }
            target = { v in
                guard case .quantity(let q)? = FHIRPathEvaluator.toQuantity(v) else { return nil }
                guard let unit = unit ?? nil else { return .quantity(q) }
                return FHIRPathEvaluator.convert(q, to: unit).map { .quantity($0) }
            }
            test = f == .convertsToQuantity
        default:
            return nil
        }
        guard let item = try singleton(input, "\(f.rawValue)()") else { return [] }
        let converted = try target(item.primitive())
        if test { return [.boolean(converted != nil)] }
        return converted.map { [$0] } ?? []
    }

    static func toBoolean(_ v: FHIRPathValue) -> FHIRPathValue? {
        switch v {
        case .boolean: return v
        case .integer(let i): return i == 1 ? .boolean(true) : i == 0 ? .boolean(false) : nil
        case .decimal(let d): return d == FHIRDecimal(1) ? .boolean(true) : d.isZero ? .boolean(false) : nil
        case .string(let s):
            switch s.lowercased() {
            case "true", "t", "yes", "y", "1", "1.0": return .boolean(true)
            case "false", "f", "no", "n", "0", "0.0": return .boolean(false)
            default: return nil
            }
        default: return nil
        }
    }

    static func toInteger(_ v: FHIRPathValue) -> FHIRPathValue? {
        switch v {
        case .integer: return v
        case .boolean(let b): return .integer(b ? 1 : 0)
        case .string(let s):
            let digits = s.hasPrefix("+") || s.hasPrefix("-") ? s.dropFirst() : Substring(s)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(s.hasPrefix("+") ? String(digits) : s).map { .integer($0) }
        default: return nil
        }
    }

    static func toDecimal(_ v: FHIRPathValue) -> FHIRPathValue? {
        switch v {
        case .decimal: return v
        case .integer(let i): return .decimal(FHIRDecimal(i))
        case .boolean(let b): return .decimal(FHIRDecimal(b ? 1 : 0))
        case .string(let s):
            // FHIRPath decimals: optional sign, digits, optional fraction; no exponent.
            guard !s.contains(where: { $0 == "e" || $0 == "E" }) else { return nil }
            return FHIRDecimal(s).map { .decimal($0) }
        default: return nil
        }
    }

    static func toDate(_ v: FHIRPathValue) -> FHIRPathValue? {
        switch v {
        case .date: return v
        case .dateTime(let d): return .date(d.datePart)
        case .string(let s):
            guard let d = FHIRDateTime(s) else { return nil }
            return .date(d.datePart)
        default: return nil
        }
    }

    static func toDateTime(_ v: FHIRPathValue) -> FHIRPathValue? {
        switch v {
        case .dateTime: return v
        case .date(let d): return .dateTime(d)
        case .string(let s): return FHIRDateTime(s).map { .dateTime($0) }
        default: return nil
        }
    }

    static func toTime(_ v: FHIRPathValue) -> FHIRPathValue? {
        switch v {
        case .time: return v
        case .string(let s): return FHIRTime(s).map { .time($0) }
        default: return nil
        }
    }

    static func toQuantity(_ v: FHIRPathValue) -> FHIRPathValue? {
        switch v {
        case .quantity: return v
        case .integer(let i): return .quantity(FHIRQuantity(value: FHIRDecimal(i), unit: "1"))
        case .decimal(let d): return .quantity(FHIRQuantity(value: d, unit: "1"))
        case .boolean(let b): return .quantity(FHIRQuantity(value: FHIRDecimal(b ? "1.0" : "0.0")!, unit: "1"))
        case .string(let s): return parseQuantity(s).map { .quantity($0) }
        default: return nil
        }
    }

    /// FHIRPath quantity text: a number, then optionally a quoted UCUM unit or a calendar keyword.
    static func parseQuantity(_ s: String) -> FHIRQuantity? {
        let trimmed = s.trimmingWhitespace()
        let numberEnd = trimmed.firstIndex(where: { $0 == " " }) ?? trimmed.endIndex
        let numberText = trimmed[..<numberEnd]
        guard !numberText.contains(where: { $0 == "e" || $0 == "E" }), let value = FHIRDecimal(numberText) else { return nil }
        let unitText = trimmed[numberEnd...].trimmingWhitespace()
        if unitText.isEmpty { return FHIRQuantity(value: value, unit: "1") }
        if unitText.count >= 2, unitText.hasPrefix("'"), unitText.hasSuffix("'") {
            let unit = String(unitText.dropFirst().dropLast())
            return UCUMUnit(unit) != nil || FHIRQuantity.calendarKeywords[unit] != nil ? FHIRQuantity(value: value, unit: unit) : nil
        }
        return FHIRQuantity.calendarKeywords[unitText] != nil ? FHIRQuantity(value: value, unit: unitText) : nil
    }

    /// The quantity in another unit; nil when the units are not comparable.
    static func convert(_ q: FHIRQuantity, to unit: String) -> FHIRQuantity? {
        if q.unit == unit { return q }
        guard let (base, _) = q.normalized(), let target = UCUMUnit(unit), let u = UCUMUnit(q.ucumCode() ?? ""),
              u.isComparable(to: target),
              let v = base.dividing(by: target.factor, scale: FHIRDecimal.maximumScale) else { return nil }
        return FHIRQuantity(value: v.trimmingTrailingZeros(minimumScale: q.value.scale), unit: unit)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
