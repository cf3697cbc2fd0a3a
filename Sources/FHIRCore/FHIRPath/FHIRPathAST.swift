/// A compiled FHIRPath expression tree. Names are resolved at compile time: functions to
/// `FHIRPathFunction`, type specifiers to `FHIRPathTypeSpecifier`, so evaluation does no string dispatch.
indirect enum FHIRPathAST: Sendable {
    case empty
    case literal(FHIRPathValue)
    case this
    case index
    case total
    case externalConstant(String)
    /// `base.name`, or `name` on the focus when base is nil.
    case member(FHIRPathAST?, String)
    case call(FHIRPathAST?, FHIRPathFunction, [FHIRPathAST])
    /// `is`/`as` (operator or function) and `ofType`.
    case typeTest(FHIRPathAST?, FHIRPathTypeOperation, FHIRPathTypeSpecifier)
    case indexer(FHIRPathAST, FHIRPathAST)
    case negate(FHIRPathAST)
    case binary(FHIRPathBinaryOperator, FHIRPathAST, FHIRPathAST)
}

extension FHIRPathAST {
    /// The direct subexpressions.
    var subexpressions: [FHIRPathAST] {
        switch self {
        case .empty, .literal, .this, .index, .total, .externalConstant: return []
        case .member(let base, _): return base.map { [$0] } ?? []
        case .call(let base, _, let args): return (base.map { [$0] } ?? []) + args
        case .typeTest(let base, _, _): return base.map { [$0] } ?? []
        case .indexer(let a, let b), .binary(_, let a, let b): return [a, b]
        case .negate(let a): return [a]
        }
    }

    /// The height of the tree, measured without recursion (left-leaning operator chains can be long).
    var depth: Int {
        var deepest = 0
        var stack: [(FHIRPathAST, Int)] = [(self, 1)]
        while let (node, level) = stack.popLast() {
            deepest = max(deepest, level)
            for child in node.subexpressions { stack.append((child, level + 1)) }
        }
        return deepest
    }
}

enum FHIRPathTypeOperation: Sendable {
    case `is`, `as`, ofType
}

/// A type name as written: `Patient`, `FHIR.Patient`, `System.Boolean`.
struct FHIRPathTypeSpecifier: Sendable, CustomStringConvertible {
    /// "FHIR", "System" or nil when unqualified.
    let namespace: String?
    let name: String

    init(_ parts: [String]) {
        if parts.count >= 2 {
            namespace = parts[0]
            name = parts.dropFirst().joined(separator: ".")
        } else {
            namespace = nil
            name = parts.first ?? ""
        }
    }

    var description: String { namespace.map { "\($0).\(name)" } ?? name }
}

enum FHIRPathBinaryOperator: String, Sendable {
    case multiply = "*", divide = "/", div, mod
    case add = "+", subtract = "-", concatenate = "&"
    case union = "|"
    case lessThan = "<", lessOrEqual = "<=", greaterThan = ">", greaterOrEqual = ">="
    case equal = "=", notEqual = "!=", equivalent = "~", notEquivalent = "!~"
    case `in`, contains
    case and, or, xor, implies

    /// Binding strength: higher binds tighter.
    var precedence: Int {
        switch self {
        case .multiply, .divide, .div, .mod: return 10
        case .add, .subtract, .concatenate: return 9
        case .union: return 7
        case .lessThan, .lessOrEqual, .greaterThan, .greaterOrEqual: return 6
        case .equal, .notEqual, .equivalent, .notEquivalent: return 5
        case .in, .contains: return 4
        case .and: return 3
        case .or, .xor: return 2
        case .implies: return 1
        }
    }
}

/// Every function the evaluator knows, with its allowed argument counts.
enum FHIRPathFunction: String, Sendable, CaseIterable {
    // existence
    case empty, exists, all, allTrue, anyTrue, allFalse, anyFalse, subsetOf, supersetOf, count, distinct, isDistinct
    // filtering and projection
    case `where`, select, `repeat`, repeatAll
    // subsetting
    case single, first, last, tail, skip, take, intersect, exclude
    // combining
    case union, combine
    // conversion
    case iif, toBoolean, convertsToBoolean, toInteger, convertsToInteger, toLong, convertsToLong, toDecimal, convertsToDecimal
    case toString, convertsToString, toDate, convertsToDate, toDateTime, convertsToDateTime, toTime, convertsToTime
    case toQuantity, convertsToQuantity
    // strings
    case indexOf, lastIndexOf, substring, startsWith, endsWith, contains, upper, lower, replace, matches, matchesFull
    case replaceMatches, length, toChars, trim, split, join, encode, decode, escape, unescape
    // math
    case abs, ceiling, exp, floor, ln, log, power, round, sqrt, truncate
    // tree navigation
    case children, descendants
    // utility
    case trace, now, timeOfDay, today, not, defineVariable, lowBoundary, highBoundary, precision, comparable
    case aggregate, sort, coalesce, sum, min, max, avg
    case type
    case yearOf, monthOf, dayOf, hourOf, minuteOf, secondOf, millisecondOf, timezoneOffsetOf, dateOf, timeOf
    // FHIR additions
    case `extension`, hasValue, getValue, resolve, htmlChecks, htmlChecks2, conformsTo, memberOf, subsumes, subsumedBy
    case elementDefinition, slice, checkModifiers, hasTemplateIdOf

    /// Minimum and maximum number of arguments.
    var arity: ClosedRange<Int> {
        switch self {
        case .empty, .allTrue, .anyTrue, .allFalse, .anyFalse, .count, .distinct, .isDistinct, .single, .first,
             .last, .tail, .toBoolean, .convertsToBoolean, .toInteger, .convertsToInteger, .toLong, .convertsToLong,
             .toDecimal, .convertsToDecimal, .toString, .convertsToString, .toDate, .convertsToDate, .toDateTime,
             .convertsToDateTime, .toTime, .convertsToTime, .upper, .lower, .length, .toChars, .trim, .abs, .ceiling,
             .exp, .floor, .ln, .sqrt, .truncate, .children, .descendants, .now, .timeOfDay, .today, .not, .type,
             .hasValue, .getValue, .resolve, .htmlChecks, .htmlChecks2, .yearOf, .monthOf, .dayOf, .hourOf,
             .minuteOf, .secondOf, .millisecondOf, .timezoneOffsetOf, .dateOf, .timeOf, .sum, .min, .max, .avg,
             .elementDefinition, .precision:
            return 0...0
        case .exists, .round, .toQuantity, .convertsToQuantity, .join, .lowBoundary, .highBoundary:
            return 0...1
        case .all, .where, .select, .repeat, .repeatAll, .subsetOf, .supersetOf, .skip, .take, .intersect, .exclude,
             .union, .combine, .indexOf, .lastIndexOf, .startsWith, .endsWith, .contains, .matches, .matchesFull,
             .split, .encode, .decode, .escape, .unescape, .log, .power, .extension, .conformsTo, .memberOf,
             .subsumes, .subsumedBy, .comparable, .hasTemplateIdOf, .checkModifiers:
            return 1...1
        case .substring, .trace, .aggregate, .defineVariable, .slice:
            return 1...2
        case .replace, .replaceMatches:
            return 2...2
        case .iif:
            return 2...3
        case .sort, .coalesce:
            return 0...16
        }
    }

    /// Functions whose arguments are evaluated per input item (with `$this`), not once up front.
    var takesExpressionArguments: Bool {
        switch self {
        case .exists, .all, .where, .select, .repeat, .repeatAll, .aggregate, .iif, .sort, .trace, .defineVariable:
            return true
        default:
            return false
        }
    }

    /// Functions whose result depends on the input's order (checked in strict mode).
    var needsOrderedInput: Bool {
        switch self {
        case .first, .last, .tail, .skip, .take: return true
        default: return false
        }
    }
}
