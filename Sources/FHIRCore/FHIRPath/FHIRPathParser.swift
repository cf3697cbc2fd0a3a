/// Precedence-climbing parser from tokens to `FHIRPathAST`, following the FHIRPath grammar:
/// postfix `.`/`[]` bind tightest, then unary `+`/`-`, `* / div mod`, `+ - &`, `is as`, `|`,
/// `< > <= >=`, `= ~ != !~`, `in contains`, `and`, `or xor`, `implies`.
struct FHIRPathParser {
    private let tokens: [FHIRPathToken]
    private var p = 0

    /// Deepest expression tree accepted: evaluation recurses once per level, and evaluations may run on
    /// threads with small stacks. R4's deepest invariant needs about 20.
    static let maximumDepth = 100

    static func parse(_ source: String) throws(FHIRPathError) -> FHIRPathAST {
        var parser = FHIRPathParser(tokens: try FHIRPathLexer.tokenize(source))
        let ast = try parser.expression(minPrecedence: 0)
        guard case .end = parser.current.kind else {
            throw .syntax("unexpected \(parser.describe(parser.current))", at: parser.current.position)
        }
        guard ast.depth <= maximumDepth else { throw .syntax("expression nests deeper than \(maximumDepth) levels") }
        return ast
    }

    private init(tokens: [FHIRPathToken]) { self.tokens = tokens }

    /// Current recursion depth of the parser itself (parentheses, arguments, unary chains).
    private var nesting = 0

    private var current: FHIRPathToken { tokens[p] }
    private var nextToken: FHIRPathToken { tokens[min(p + 1, tokens.count - 1)] }

    private func describe(_ t: FHIRPathToken) -> String {
        switch t.kind {
        case .end: return "end of expression"
        case .identifier(let s), .symbol(let s): return "'\(s)'"
        default: return "token"
        }
    }

    private func isSymbol(_ s: String) -> Bool {
        if case .symbol(let x) = current.kind { return x == s }
        return false
    }

    private mutating func expect(_ s: String) throws(FHIRPathError) {
        guard isSymbol(s) else { throw .syntax("expected '\(s)' but found \(describe(current))", at: current.position) }
        p += 1
    }

    /// The binary operator at the current token, if any (`is`/`as` are reported separately).
    private func binaryOperator() -> FHIRPathBinaryOperator? {
        switch current.kind {
        case .symbol(let s): return FHIRPathBinaryOperator(rawValue: s)
        case .identifier(let s):
            switch s {
            case "div", "mod", "in", "contains", "and", "or", "xor", "implies": return FHIRPathBinaryOperator(rawValue: s)
            default: return nil
            }
        default: return nil
        }
    }

    private mutating func expression(minPrecedence: Int) throws(FHIRPathError) -> FHIRPathAST {
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= FHIRPathParser.maximumDepth else {
            throw .syntax("expression nests deeper than \(FHIRPathParser.maximumDepth) levels", at: current.position)
        }
        var left = try unary()
        while true {
            if case .identifier(let word) = current.kind, word == "is" || word == "as", 8 >= minPrecedence {
                p += 1
                let type = try typeSpecifier()
                left = .typeTest(left, word == "is" ? .is : .as, type)
                continue
            }
            guard let op = binaryOperator(), op.precedence >= minPrecedence else { return left }
            p += 1
            let right = try expression(minPrecedence: op.precedence + 1)
            left = .binary(op, left, right)
        }
    }

    private mutating func unary() throws(FHIRPathError) -> FHIRPathAST {
        if isSymbol("-") || isSymbol("+") {
            let minus = isSymbol("-")
            p += 1
            nesting += 1
            defer { nesting -= 1 }
            guard nesting <= FHIRPathParser.maximumDepth else { throw .syntax("too many signs", at: current.position) }
            let operand = try unary()
            guard minus else { return operand }
            switch operand {
            case .literal(.integer(let v)): return .literal(.integer(-v))
            case .literal(.decimal(let v)): return .literal(.decimal(v.negated()))
            case .literal(.quantity(let q)): return .literal(.quantity(FHIRQuantity(value: q.value.negated(), unit: q.unit)))
            default: return .negate(operand)
            }
        }
        return try postfix(try term())
    }

    private mutating func postfix(_ base: FHIRPathAST) throws(FHIRPathError) -> FHIRPathAST {
        var node = base
        while true {
            if isSymbol(".") {
                p += 1
                node = try invocation(on: node)
            } else if isSymbol("[") {
                p += 1
                let index = try expression(minPrecedence: 0)
                try expect("]")
                node = .indexer(node, index)
            } else {
                return node
            }
        }
    }

    private mutating func identifierName() throws(FHIRPathError) -> String {
        switch current.kind {
        case .identifier(let s), .delimitedIdentifier(let s):
            p += 1
            return s
        default:
            throw .syntax("expected a name but found \(describe(current))", at: current.position)
        }
    }

    private mutating func invocation(on base: FHIRPathAST?) throws(FHIRPathError) -> FHIRPathAST {
        if case .special(let s) = current.kind {
            p += 1
            return s == "this" ? .this : s == "index" ? .index : .total
        }
        let isDelimited: Bool
        if case .delimitedIdentifier = current.kind { isDelimited = true } else { isDelimited = false }
        let position = current.position
        let name = try identifierName()
        guard isSymbol("("), !isDelimited else { return .member(base, name) }
        p += 1
        var args: [FHIRPathAST] = []
        if !isSymbol(")") {
            args.append(try expression(minPrecedence: 0))
            while isSymbol(",") {
                p += 1
                args.append(try expression(minPrecedence: 0))
            }
        }
        try expect(")")
        return try call(name, base: base, args: args, position: position)
    }

    private func call(_ name: String, base: FHIRPathAST?, args: [FHIRPathAST], position: Int) throws(FHIRPathError) -> FHIRPathAST {
        if name == "is" || name == "as" || name == "ofType" {
            guard args.count == 1, let parts = FHIRPathParser.qualifiedName(args[0]) else {
                throw .semantic("\(name)() takes one type name")
            }
            let op: FHIRPathTypeOperation = name == "is" ? .is : name == "as" ? .as : .ofType
            return .typeTest(base, op, FHIRPathTypeSpecifier(parts))
        }
        guard let function = FHIRPathFunction(rawValue: name) else {
            throw .semantic("unknown function \(name)() at \(position)")
        }
        guard function.arity.contains(args.count) else {
            throw .semantic("\(name)() does not take \(args.count) argument\(args.count == 1 ? "" : "s")")
        }
        return .call(base, function, args)
    }

    /// `FHIR.Patient` parsed as an expression, read back as a dotted name.
    static func qualifiedName(_ ast: FHIRPathAST) -> [String]? {
        switch ast {
        case .member(nil, let name): return [name]
        case .member(let base?, let name): return qualifiedName(base).map { $0 + [name] }
        default: return nil
        }
    }

    private mutating func typeSpecifier() throws(FHIRPathError) -> FHIRPathTypeSpecifier {
        var parts = [try identifierName()]
        while isSymbol("."), case .identifier = nextToken.kind {
            p += 1
            parts.append(try identifierName())
        }
        while isSymbol("."), case .delimitedIdentifier = nextToken.kind {
            p += 1
            parts.append(try identifierName())
        }
        return FHIRPathTypeSpecifier(parts)
    }

    private mutating func term() throws(FHIRPathError) -> FHIRPathAST {
        let t = current
        switch t.kind {
        case .number(let text):
            p += 1
            if let unit = quantityUnit() {
                guard let v = FHIRDecimal(text) else { throw .syntax("bad number \(text)", at: t.position) }
                return .literal(.quantity(FHIRQuantity(value: v, unit: unit)))
            }
            if !text.contains(".") {
                guard let v = Int(text) else { throw .syntax("integer \(text) is too large", at: t.position) }
                return .literal(.integer(v))
            }
            guard let v = FHIRDecimal(text) else { throw .syntax("bad number \(text)", at: t.position) }
            return .literal(.decimal(v))
        case .longNumber(let text):
            p += 1
            guard let v = Int(text) else { throw .syntax("integer \(text) is too large", at: t.position) }
            return .literal(.integer(v))
        case .string(let s):
            p += 1
            return .literal(.string(s))
        case .dateTime(let text):
            p += 1
            if text.hasSuffix("T") {
                guard let v = FHIRDateTime(text.dropLast()) else { throw .syntax("bad date/time @\(text)", at: t.position) }
                return .literal(.dateTime(v))
            }
            guard let v = FHIRDateTime(text) else { throw .syntax("bad date/time @\(text)", at: t.position) }
            return .literal(text.contains("T") ? .dateTime(v) : .date(v))
        case .time(let text):
            p += 1
            guard let v = FHIRTime(text) else { throw .syntax("bad time @T\(text)", at: t.position) }
            return .literal(.time(v))
        case .externalConstant(let name):
            p += 1
            return .externalConstant(name)
        case .special:
            return try invocation(on: nil)
        case .symbol("("):
            p += 1
            let inner = try expression(minPrecedence: 0)
            try expect(")")
            return inner
        case .symbol("{"):
            p += 1
            try expect("}")
            return .empty
        case .identifier(let s) where s == "true" || s == "false":
            p += 1
            return .literal(.boolean(s == "true"))
        case .identifier, .delimitedIdentifier:
            return try invocation(on: nil)
        case .end:
            throw .syntax("unexpected end of expression", at: t.position)
        default:
            throw .syntax("unexpected \(describe(t))", at: t.position)
        }
    }

    /// After a number: a quoted UCUM unit or a calendar keyword makes it a quantity.
    private mutating func quantityUnit() -> String? {
        switch current.kind {
        case .string(let unit):
            p += 1
            return unit
        case .identifier(let word) where FHIRQuantity.calendarKeywords[word] != nil:
            p += 1
            return word
        default:
            return nil
        }
    }
}
