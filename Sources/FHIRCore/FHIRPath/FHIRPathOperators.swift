/// Equality, equivalence, ordering, membership and arithmetic operators.
extension FHIRPathEvaluator {
    func apply(_ op: FHIRPathBinaryOperator, _ a: [FHIRPathValue], _ b: [FHIRPathValue]) throws -> [FHIRPathValue] {
        switch op {
        case .equal, .notEqual:
            guard let eq = FHIRPathEvaluator.collectionsEqual(a, b) else { return [] }
            return [.boolean(op == .equal ? eq : !eq)]
        case .equivalent, .notEquivalent:
            let eq = FHIRPathEvaluator.collectionsEquivalent(a, b)
            return [.boolean(op == .equivalent ? eq : !eq)]
        case .lessThan, .lessOrEqual, .greaterThan, .greaterOrEqual:
            guard let x = try singleton(a, "comparison"), let y = try singleton(b, "comparison") else { return [] }
            guard let c = try FHIRPathEvaluator.order(x, y) else { return [] }
            switch op {
            case .lessThan: return [.boolean(c < 0)]
            case .lessOrEqual: return [.boolean(c <= 0)]
            case .greaterThan: return [.boolean(c > 0)]
            default: return [.boolean(c >= 0)]
            }
        case .in, .contains:
            let (item, collection) = op == .in ? (a, b) : (b, a)
            guard let x = try singleton(item, op.rawValue) else { return [] }
            return [.boolean(collection.contains { FHIRPathEvaluator.itemEquals(x, $0) == true })]
        case .concatenate:
            let x = try singleton(a, "&"), y = try singleton(b, "&")
            return [.string((x?.stringForm() ?? "") + (y?.stringForm() ?? ""))]
        default:
            guard let x = try singleton(a, op.rawValue), let y = try singleton(b, op.rawValue) else { return [] }
            return try arithmetic(op, x.primitive(), y.primitive()).map { [$0] } ?? []
        }
    }

    // MARK: - Equality and equivalence

    /// `=` on collections: nil (empty result) when either side is empty or an item pair is incomparable.
    static func collectionsEqual(_ a: [FHIRPathValue], _ b: [FHIRPathValue]) -> Bool? {
        if a.isEmpty || b.isEmpty { return nil }
        guard a.count == b.count else { return false }
        var result = true
        for i in a.indices {
            guard let eq = itemEquals(a[i], b[i]) else { return nil }
            if !eq { result = false }
        }
        return result
    }

    static func itemEquals(_ a: FHIRPathValue, _ b: FHIRPathValue) -> Bool? {
        switch (a.primitive(), b.primitive()) {
        case (.boolean(let x), .boolean(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.date(let x), .date(let y)), (.dateTime(let x), .dateTime(let y)),
             (.date(let x), .dateTime(let y)), (.dateTime(let x), .date(let y)):
            return x.compare(to: y).map { $0 == 0 }
        case (.time(let x), .time(let y)): return x.compare(to: y).map { $0 == 0 }
        case (.quantity(let x), .quantity(let y)): return x.compare(to: y).map { $0 == 0 }
        case (.element(let x), .element(let y)): return x.json.sameValue(as: y.json)
        case (let x, let y):
            if let d1 = decimalValue(x), let d2 = decimalValue(y) { return d1 == d2 }
            return false
        }
    }

    static func decimalValue(_ v: FHIRPathValue) -> FHIRDecimal? {
        switch v {
        case .integer(let i): return FHIRDecimal(i)
        case .decimal(let d): return d
        default: return nil
        }
    }

    static func collectionsEquivalent(_ a: [FHIRPathValue], _ b: [FHIRPathValue]) -> Bool {
        if a.isEmpty && b.isEmpty { return true }
        guard a.count == b.count else { return false }
        var unused = Array(b.indices)
        for x in a {
            guard let k = unused.firstIndex(where: { itemEquivalent(x, b[$0]) }) else { return false }
            unused.remove(at: k)
        }
        return true
    }

    static func itemEquivalent(_ a: FHIRPathValue, _ b: FHIRPathValue) -> Bool {
        switch (a.primitive(), b.primitive()) {
        case (.string(let x), .string(let y)): return normalizedForEquivalence(x) == normalizedForEquivalence(y)
        case (.date(let x), .date(let y)), (.dateTime(let x), .dateTime(let y)),
             (.date(let x), .dateTime(let y)), (.dateTime(let x), .date(let y)):
            return x.compare(to: y) == 0
        case (.time(let x), .time(let y)): return x.compare(to: y) == 0
        case (.quantity(let x), .quantity(let y)): return x.isEquivalent(to: y)
        case (.element(let x), .element(let y)): return x.json.sameValue(as: y.json)
        case (let x, let y):
            if let d1 = decimalValue(x), let d2 = decimalValue(y) {
                let s = min(d1.scale, d2.scale)
                return d1.rounded(toScale: s) == d2.rounded(toScale: s)
            }
            return itemEquals(x, y) == true
        }
    }

    /// Case-insensitive with runs of whitespace read as one space (string equivalence).
    static func normalizedForEquivalence(_ s: String) -> String {
        s.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    // MARK: - Ordering

    /// -1, 0, 1 for comparable items; nil when unknown (precision, units); error for different kinds.
    static func order(_ a: FHIRPathValue, _ b: FHIRPathValue) throws -> Int? {
        switch (a.primitive(), b.primitive()) {
        case (.string(let x), .string(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.date(let x), .date(let y)), (.dateTime(let x), .dateTime(let y)),
             (.date(let x), .dateTime(let y)), (.dateTime(let x), .date(let y)):
            return x.compare(to: y)
        case (.time(let x), .time(let y)): return x.compare(to: y)
        case (.quantity(let x), .quantity(let y)): return x.compare(to: y)
        case (let x, let y):
            if let d1 = decimalValue(x), let d2 = decimalValue(y) { return FHIRDecimal.compare(d1, d2) }
            throw FHIRPathError.execution("cannot compare \(a.typeName) with \(b.typeName)")
        }
    }

    // MARK: - Arithmetic

    func arithmetic(_ op: FHIRPathBinaryOperator, _ x: FHIRPathValue, _ y: FHIRPathValue) throws -> FHIRPathValue? {
        switch (op, x, y) {
        case (.add, .string(let s), .string(let t)): return .string(s + t)
        case (.add, .integer(let i), .integer(let j)): return i.addingReportingOverflow(j).overflow ? nil : .integer(i + j)
        case (.subtract, .integer(let i), .integer(let j)):
            return i.subtractingReportingOverflow(j).overflow ? nil : .integer(i - j)
        case (.multiply, .integer(let i), .integer(let j)):
            return i.multipliedReportingOverflow(by: j).overflow ? nil : .integer(i * j)
        case (.div, .integer(let i), .integer(let j)):
            return j == 0 || i.dividedReportingOverflow(by: j).overflow ? nil : .integer(i / j)
        case (.mod, .integer(let i), .integer(let j)):
            return j == 0 || i.remainderReportingOverflow(dividingBy: j).overflow ? nil : .integer(i % j)
        case (.add, .date(let d), .quantity(let q)), (.subtract, .date(let d), .quantity(let q)):
            return .date(try shift(d, q, negate: op == .subtract))
        case (.add, .dateTime(let d), .quantity(let q)), (.subtract, .dateTime(let d), .quantity(let q)):
            return .dateTime(try shift(d, q, negate: op == .subtract))
        case (.add, .time(let t), .quantity(let q)), (.subtract, .time(let t), .quantity(let q)):
            guard let unit = q.calendarUnit, unit != .year, unit != .month, unit != .week, unit != .day,
                  let amount = q.value.rounded(toScale: 0, rule: .towardZero).intValue, abs(amount) <= 1_000_000_000_000 else {
                throw FHIRPathError.execution("cannot add \(q) to a time")
            }
            let ms: Int64 = unit == .hour ? 3_600_000 : unit == .minute ? 60_000 : unit == .second ? 1000 : 1
            return .time(t.adding(milliseconds: Int64(op == .subtract ? -amount : amount) * ms))
        case (.add, .quantity(let a), .quantity(let b)), (.subtract, .quantity(let a), .quantity(let b)):
            return a.adding(b, subtract: op == .subtract).map { .quantity($0) }
        case (.multiply, .quantity(let a), .quantity(let b)), (.divide, .quantity(let a), .quantity(let b)):
            return a.multiplying(by: b, divide: op == .divide).map { .quantity($0) }
        case (.multiply, .quantity(let a), _), (.divide, .quantity(let a), _):
            guard let n = FHIRPathEvaluator.decimalValue(y) else { break }
            return a.multiplying(by: FHIRQuantity(value: n, unit: "1"), divide: op == .divide).map { .quantity($0) }
        case (.multiply, _, .quantity(let b)):
            guard let n = FHIRPathEvaluator.decimalValue(x) else { break }
            return FHIRQuantity(value: n, unit: "1").multiplying(by: b).map { .quantity($0) }
        default:
            break
        }
        guard let a = FHIRPathEvaluator.decimalValue(x), let b = FHIRPathEvaluator.decimalValue(y) else {
            throw FHIRPathError.execution("operator \(op.rawValue) cannot combine \(x.typeName) and \(y.typeName)")
        }
        switch op {
        case .add: return try decimalResult(a.adding(b))
        case .subtract: return try decimalResult(a.subtracting(b))
        case .multiply: return try decimalResult(a.multiplying(by: b))
        case .divide:
            guard !b.isZero else { return nil }
            let s = max(a.scale, b.scale)
            return try decimalResult(a.dividing(by: b, scale: max(8, s))?.trimmingTrailingZeros(minimumScale: s))
        case .div:
            guard !b.isZero, let q = a.dividing(by: b, scale: 0 + 10) else { return nil }
            return q.rounded(toScale: 0, rule: .towardZero).intValue.map { .integer($0) }
        case .mod:
            guard !b.isZero, let q = a.dividing(by: b, scale: 10),
                  let t = q.rounded(toScale: 0, rule: .towardZero).intValue,
                  let p = b.multiplying(by: FHIRDecimal(t)) else { return nil }
            return try decimalResult(a.subtracting(p))
        default:
            throw FHIRPathError.execution("operator \(op.rawValue) is not arithmetic")
        }
    }

    private func decimalResult(_ d: FHIRDecimal?) throws -> FHIRPathValue {
        guard let d else { throw FHIRPathError.execution("decimal overflow") }
        return .decimal(d)
    }

    /// Date/dateTime ± a calendar duration; fractions of the quantity are dropped.
    func shift(_ d: FHIRDateTime, _ q: FHIRQuantity, negate: Bool) throws -> FHIRDateTime {
        guard let unit = q.calendarUnit else {
            throw FHIRPathError.execution("\(q) is not a calendar duration; dates move by year, month, week, day, hour, minute, second or millisecond")
        }
        guard let amount = q.value.rounded(toScale: 0, rule: .towardZero).intValue, abs(amount) <= 1_000_000_000_000 else {
            throw FHIRPathError.execution("duration \(q) is too large")
        }
        let moved = d.adding(negate ? -amount : amount, unit)
        guard (1...9999).contains(moved.year) else { throw FHIRPathError.execution("date arithmetic left the years 1-9999") }
        return moved
    }
}
