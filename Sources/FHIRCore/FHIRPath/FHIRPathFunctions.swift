/// Function dispatch, and the collection functions (existence, filtering, subsetting, combining,
/// aggregation, sorting).
extension FHIRPathEvaluator {
    func call(_ f: FHIRPathFunction, input: [FHIRPathValue], args: [FHIRPathAST], scope: Scope) throws -> [FHIRPathValue] {
        if f.takesExpressionArguments { return try callWithExpressions(f, input: input, args: args, scope: scope) }
        // Other functions evaluate their arguments once, against the scope of the whole expression.
        let values = try args.map { try evaluate($0, scope) }
        switch f {
        case .empty: return [.boolean(input.isEmpty)]
        case .count: return [.integer(input.count)]
        case .allTrue, .anyTrue, .allFalse, .anyFalse: return [.boolean(try booleanAggregate(f, input))]
        case .subsetOf: return [.boolean(input.allSatisfy { x in values[0].contains { FHIRPathEvaluator.isSame(x, $0) } })]
        case .supersetOf: return [.boolean(values[0].allSatisfy { x in input.contains { FHIRPathEvaluator.isSame(x, $0) } })]
        case .distinct: return FHIRPathEvaluator.union(input, [])
        case .isDistinct: return [.boolean(FHIRPathEvaluator.union(input, []).count == input.count)]
        case .single: return try singleton(input, "single()").map { [$0] } ?? []
        case .first: return input.first.map { [$0] } ?? []
        case .last: return input.last.map { [$0] } ?? []
        case .tail: return Array(input.dropFirst())
        case .skip:
            guard let n = try integerArgument(values[0], "skip()") else { return [] }
            return Array(input.dropFirst(max(0, n)))
        case .take:
            guard let n = try integerArgument(values[0], "take()") else { return [] }
            return Array(input.prefix(max(0, n)))
        case .intersect:
            return FHIRPathEvaluator.union(input.filter { x in values[0].contains { FHIRPathEvaluator.isSame(x, $0) } }, [])
        case .exclude: return input.filter { x in !values[0].contains { FHIRPathEvaluator.isSame(x, $0) } }
        case .union: return FHIRPathEvaluator.union(input, values[0])
        case .combine: return input + values[0]
        case .not:
            guard let b = try FHIRPathEvaluator.singletonBoolean(input, what: "not()") else { return [] }
            return [.boolean(!b)]
        case .children: return allChildren(input)
        case .descendants: return descendants(input)
        case .now: return [.dateTime(env.now)]
        case .today: return [.date(env.now.datePart)]
        case .timeOfDay:
            let n = env.now
            return [.time(FHIRTime(hour: n.hour, minute: n.minute, second: n.second, nanosecond: n.nanosecond, precision: .millisecond))]
        case .coalesce:
            if !input.isEmpty && args.isEmpty { return input }
            return values.first { !$0.isEmpty } ?? []
        case .sum, .min, .max, .avg: return try numericAggregate(f, input)
        default:
            break
        }
        if let r = try stringFunction(f, input, values) { return r }
        if let r = try conversionFunction(f, input, values) { return r }
        if let r = try mathFunction(f, input, values) { return r }
        return try fhirFunction(f, input, values)
    }

    private func callWithExpressions(_ f: FHIRPathFunction, input: [FHIRPathValue], args: [FHIRPathAST], scope: Scope) throws -> [FHIRPathValue] {
        switch f {
        case .exists:
            guard let criteria = args.first else { return [.boolean(!input.isEmpty)] }
            var found = false
            for (i, item) in input.enumerated() where !found {
                found = try FHIRPathEvaluator.singletonBoolean(try evaluate(criteria, scope.iterating(item, at: i)), what: "exists() criteria") == true
            }
            return [.boolean(found)]
        case .all:
            for (i, item) in input.enumerated() {
                let r = try FHIRPathEvaluator.singletonBoolean(try evaluate(args[0], scope.iterating(item, at: i)), what: "all() criteria")
                if r != true { return [.boolean(false)] }
            }
            return [.boolean(true)]
        case .where:
            var out: [FHIRPathValue] = []
            try evaluatePerItem(args[0], input, scope) { _, item, r in
                if try FHIRPathEvaluator.singletonBoolean(r, what: "where() criteria") == true { out.append(item) }
            }
            return out
        case .select:
            var out: [FHIRPathValue] = []
            try evaluatePerItem(args[0], input, scope) { _, _, r in out.append(contentsOf: r) }
            return out
        case .repeat, .repeatAll:
            var out: [FHIRPathValue] = []
            var level = input
            var rounds = 0
            while !level.isEmpty {
                rounds += 1
                guard rounds < 10_000 else { throw FHIRPathError.execution("repeat() does not terminate") }
                var next: [FHIRPathValue] = []
                try evaluatePerItem(args[0], level, scope) { _, _, r in
                    for item in r where f == .repeatAll || !out.contains(where: { FHIRPathEvaluator.isSame(item, $0) }) {
                        out.append(item)
                        next.append(item)
                    }
                }
                level = next
            }
            return out
        case .aggregate:
            var total = args.count > 1 ? try evaluate(args[1], scope) : []
            for (i, item) in input.enumerated() {
                var s = scope.iterating(item, at: i)
                s.total = total
                total = try evaluate(args[0], s)
            }
            return total
        case .iif:
            let criterion = try evaluate(args[0], scope.with(focus: input))
            if try FHIRPathEvaluator.singletonBoolean(criterion, what: "iif() criterion") == true {
                return try evaluate(args[1], scope.with(focus: input))
            }
            return args.count > 2 ? try evaluate(args[2], scope.with(focus: input)) : []
        case .trace:
            let name = try stringArgument(try evaluate(args[0], scope), "trace() name") ?? ""
            if let sink = env.options.trace {
                if args.count > 1 {
                    var projected: [FHIRPathValue] = []
                    try evaluatePerItem(args[1], input, scope) { _, _, r in projected.append(contentsOf: r) }
                    sink(name, projected)
                } else {
                    sink(name, input)
                }
            }
            return input
        case .sort:
            return try sort(input, args, scope)
        default:
            throw FHIRPathError.semantic("\(f.rawValue)() is not supported")
        }
    }

    private func booleanAggregate(_ f: FHIRPathFunction, _ input: [FHIRPathValue]) throws -> Bool {
        let values = try input.map { item -> Bool in
            guard case .boolean(let b) = item.primitive() else {
                throw FHIRPathError.execution("\(f.rawValue)() needs booleans, found \(item.typeName)")
            }
            return b
        }
        switch f {
        case .allTrue: return values.allSatisfy { $0 }
        case .anyTrue: return values.contains(true)
        case .allFalse: return values.allSatisfy { !$0 }
        default: return values.contains(false)
        }
    }

    private func numericAggregate(_ f: FHIRPathFunction, _ input: [FHIRPathValue]) throws -> [FHIRPathValue] {
        guard var acc = input.first?.primitive() else { return f == .sum ? [.integer(0)] : [] }
        for item in input.dropFirst() {
            let v = item.primitive()
            switch f {
            case .sum, .avg: acc = try arithmetic(.add, acc, v) ?? acc
            case .min: if try FHIRPathEvaluator.order(v, acc) ?? 0 < 0 { acc = v }
            default: if try FHIRPathEvaluator.order(v, acc) ?? 0 > 0 { acc = v }
            }
        }
        if f == .avg { return try arithmetic(.divide, acc, .integer(input.count)).map { [$0] } ?? [] }
        return [acc]
    }

    /// `sort()` by the items themselves or by key expressions; a key written `-expr` sorts descending.
    private func sort(_ input: [FHIRPathValue], _ args: [FHIRPathAST], _ scope: Scope) throws -> [FHIRPathValue] {
        let keys: [(FHIRPathAST, Bool)] = args.map { arg in
            if case .negate(let inner) = arg { return (inner, true) }
            return (arg, false)
        }
        var rows: [(item: FHIRPathValue, keys: [FHIRPathValue?])] = []
        for (i, item) in input.enumerated() {
            if keys.isEmpty {
                rows.append((item, [item]))
            } else {
                rows.append((item, try keys.map { try singleton(try evaluate($0.0, scope.iterating(item, at: i)), "sort() key") }))
            }
        }
        var failure: Error?
        rows.sort { a, b in
            for k in a.keys.indices {
                let descending = keys.isEmpty ? false : keys[k].1
                switch (a.keys[k], b.keys[k]) {
                case (nil, nil): continue
                case (nil, _): return descending  // empty keys sort after every value
                case (_, nil): return !descending
                case (let x?, let y?):
                    do {
                        let c = try FHIRPathEvaluator.order(x, y) ?? 0
                        if c != 0 { return descending ? c > 0 : c < 0 }
                    } catch {
                        failure = error
                        return false
                    }
                }
            }
            return false
        }
        if let failure { throw failure }
        return rows.map(\.item)
    }
}

extension FHIRPathEvaluator.Scope {
    func with(focus: [FHIRPathValue]) -> FHIRPathEvaluator.Scope {
        var s = self
        s.focus = focus
        return s
    }
}
