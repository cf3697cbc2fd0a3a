/// Walks a `FHIRPathAST` over collections. One evaluator serves one evaluation; it holds no mutable state.
struct FHIRPathEvaluator {
    let env: FHIRPathEnvironment
    var model: any FHIRTypeModel { env.model }

    /// What `$this`, `$index`, `$total` and an unqualified name refer to at a point of the expression.
    struct Scope {
        /// The input of names and functions that start an expression (the context, or `$this` inside
        /// `where`/`select`/...).
        var focus: [FHIRPathValue]
        var index: Int?
        var total: [FHIRPathValue]?

        init(focus: [FHIRPathValue], index: Int? = nil, total: [FHIRPathValue]? = nil) {
            self.focus = focus
            self.index = index
            self.total = total
        }

        /// The scope inside an iteration over `item`.
        func iterating(_ item: FHIRPathValue, at i: Int) -> Scope {
            Scope(focus: [item], index: i, total: total)
        }
    }

    func evaluate(_ node: FHIRPathAST, _ scope: Scope) throws -> [FHIRPathValue] {
        switch node {
        case .empty:
            return []
        case .literal(let v):
            return [v]
        case .this:
            return scope.focus
        case .index:
            return scope.index.map { [.integer($0)] } ?? []
        case .total:
            return scope.total ?? []
        case .externalConstant(let name):
            return try env.constant(name)
        case .member(let base, let name):
            if let base {
                return try navigate(try evaluate(base, scope), name)
            }
            return try startMember(scope.focus, name)
        case .call(let base, let function, let args):
            let input = try base.map { try evaluate($0, scope) } ?? scope.focus
            return try call(function, input: input, args: args, scope: scope)
        case .typeTest(let base, let op, let type):
            let input = try base.map { try evaluate($0, scope) } ?? scope.focus
            return try typeTest(op, input, type)
        case .indexer(let base, let indexExpr):
            let input = try evaluate(base, scope)
            let index = try evaluate(indexExpr, scope)
            guard let i = try integerArgument(index, "indexer") else { return [] }
            return i >= 0 && i < input.count ? [input[i]] : []
        case .negate(let operand):
            let value = try evaluate(operand, scope)
            guard let item = try singleton(value, "unary minus") else { return [] }
            switch item.primitive() {
            case .integer(let i): return i == .min ? [] : [.integer(-i)]
            case .decimal(let d): return [.decimal(d.negated())]
            case .quantity(let q): return [.quantity(FHIRQuantity(value: q.value.negated(), unit: q.unit))]
            default: throw FHIRPathError.execution("unary minus needs a number or a quantity, not \(item.typeName)")
            }
        case .binary(let op, let left, let right):
            return try binary(op, left, right, scope)
        }
    }

    // MARK: - Boolean logic

    private func binary(_ op: FHIRPathBinaryOperator, _ l: FHIRPathAST, _ r: FHIRPathAST, _ scope: Scope) throws -> [FHIRPathValue] {
        switch op {
        case .and, .or, .xor, .implies:
            let a = try FHIRPathEvaluator.singletonBoolean(try evaluate(l, scope), what: "the left operand of \(op.rawValue)")
            // Short cuts that do not depend on the right side.
            if op == .and, a == false { return [.boolean(false)] }
            if op == .or, a == true { return [.boolean(true)] }
            if op == .implies, a == false { return [.boolean(true)] }
            let b = try FHIRPathEvaluator.singletonBoolean(try evaluate(r, scope), what: "the right operand of \(op.rawValue)")
            let result: Bool?
            switch op {
            case .and: result = b == false ? false : (a == true && b == true ? true : nil)
            case .or: result = b == true ? true : (a == false && b == false ? false : nil)
            case .xor: result = a != nil && b != nil ? a != b : nil
            default: result = b == true ? true : (a == true ? b : nil)
            }
            return result.map { [.boolean($0)] } ?? []
        case .union:
            return FHIRPathEvaluator.union(try evaluate(l, scope), try evaluate(r, scope))
        default:
            return try apply(op, try evaluate(l, scope), try evaluate(r, scope))
        }
    }

    /// FHIRPath's reading of a collection as a boolean: empty → nil, one boolean → it, one other item →
    /// true, more items → an execution error.
    static func singletonBoolean(_ c: [FHIRPathValue], what: String) throws -> Bool? {
        guard let first = c.first else { return nil }
        guard c.count == 1 else { throw FHIRPathError.execution("\(what) has \(c.count) items where one boolean is expected") }
        if case .boolean(let b) = first.primitive() { return b }
        return true
    }

    // MARK: - Helpers shared by operators and functions

    /// The only item, nil when empty; an execution error for more than one.
    func singleton(_ c: [FHIRPathValue], _ what: String) throws -> FHIRPathValue? {
        guard c.count <= 1 else { throw FHIRPathError.execution("\(what) expects one item, got \(c.count)") }
        return c.first
    }

    func integerArgument(_ c: [FHIRPathValue], _ what: String) throws -> Int? {
        guard let v = try singleton(c, what) else { return nil }
        if case .integer(let i) = v.primitive() { return i }
        throw FHIRPathError.execution("\(what) expects an integer, not \(v.typeName)")
    }

    func stringArgument(_ c: [FHIRPathValue], _ what: String) throws -> String? {
        guard let v = try singleton(c, what) else { return nil }
        if case .string(let s) = v.primitive() { return s }
        throw FHIRPathError.execution("\(what) expects a string, not \(v.typeName)")
    }

    /// Evaluates `arg` once per input item with `$this` = the item and `$index` = its position.
    func evaluatePerItem(_ arg: FHIRPathAST, _ input: [FHIRPathValue], _ scope: Scope,
                         _ body: (Int, FHIRPathValue, [FHIRPathValue]) throws -> Void) throws {
        for (i, item) in input.enumerated() {
            try body(i, item, try evaluate(arg, scope.iterating(item, at: i)))
        }
    }

    static func union(_ a: [FHIRPathValue], _ b: [FHIRPathValue]) -> [FHIRPathValue] {
        // Strings (codes, ids, uris …) compare by value: a hash set keeps `isDistinct()` on a 33,000-code
        // CodeSystem (invariant csd-1) linear instead of quadratic.
        if a.count + b.count > 16 {
            var strings: [String] = []
            strings.reserveCapacity(a.count + b.count)
            for item in a + b {
                guard case .string(let text) = item.primitive() else { strings.removeAll(); break }
                strings.append(text)
            }
            if strings.count == a.count + b.count {
                var seen = Set<String>()
                var out: [FHIRPathValue] = []
                for (item, text) in zip(a + b, strings) where seen.insert(text).inserted { out.append(item) }
                return out
            }
        }
        var out: [FHIRPathValue] = []
        out.reserveCapacity(a.count + b.count)
        for item in a where !out.contains(where: { FHIRPathEvaluator.isSame(item, $0) }) { out.append(item) }
        for item in b where !out.contains(where: { FHIRPathEvaluator.isSame(item, $0) }) { out.append(item) }
        return out
    }

    /// Item identity for union, distinct, intersect and exclude: FHIRPath equality, with items that
    /// cannot be compared counted as different.
    static func isSame(_ a: FHIRPathValue, _ b: FHIRPathValue) -> Bool {
        FHIRPathEvaluator.itemEquals(a, b) == true
    }

    /// Wraps a JSON value as a FHIRPath item of the given FHIR type (inferred when nil).
    static func item(for json: JSON, typeName: String?, model: any FHIRTypeModel) -> FHIRPathValue {
        if let t = typeName { return .element(FHIRPathElement(json: json, typeName: t)) }
        if let rt = json["resourceType"]?.stringValue { return .element(FHIRPathElement(json: json, typeName: rt)) }
        return .element(FHIRPathElement(json: json, typeName: inferredType(json)))
    }

    /// A type for JSON the model cannot type: resources by `resourceType`, primitives by JSON kind.
    static func inferredType(_ json: JSON) -> String {
        switch json {
        case .object(let o): return o["resourceType"]?.stringValue ?? ""
        case .string: return "string"
        case .bool: return "boolean"
        case .number(let n): return n.isInteger ? "integer" : "decimal"
        default: return ""
        }
    }
}
