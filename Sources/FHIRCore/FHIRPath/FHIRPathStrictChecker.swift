/// Static checks of strict mode (`FHIRPathOptions.strict`): element names must exist on the types the
/// model says they are reached from, a root type name must match the input, functions that depend on
/// order refuse the output of `children()`/`descendants()`, and `iif()` needs a boolean criterion.
/// Violations are `.semantic` errors raised before evaluation.
struct FHIRPathStrictChecker {
    let model: any FHIRTypeModel

    /// What is known about an expression's result: its possible FHIR types (nil: unknown) and whether
    /// its order is meaningful.
    struct Shape {
        var types: [String]?
        var ordered = true
    }

    func check(_ ast: FHIRPathAST, inputType: String?) throws {
        _ = try shape(ast, input: Shape(types: inputType.map { [$0] }))
    }

    private func shape(_ ast: FHIRPathAST, input: Shape) throws -> Shape {
        switch ast {
        case .member(let base, let name):
            let from = try base.map { try shape($0, input: input) } ?? input
            guard let types = from.types else { return Shape(types: nil, ordered: from.ordered) }
            if base == nil, let first = name.unicodeScalars.first, first.properties.isUppercase {
                if types.contains(where: { $0 == name || model.isType($0, subtypeOf: name) }) {
                    return Shape(types: [name], ordered: from.ordered)
                }
                if model.isResource(name) {
                    throw FHIRPathError.semantic("the input is \(types.joined(separator: "|")), not \(name)")
                }
            }
            var result: [String] = []
            for t in types {
                if let children = model.elementTypes(of: t, element: name) { result.append(contentsOf: children) }
            }
            if result.isEmpty, types.contains(where: { modelKnows($0) }) {
                throw FHIRPathError.semantic("\(types.joined(separator: "|")) has no element '\(name)'")
            }
            return Shape(types: result.isEmpty ? nil : result, ordered: from.ordered)
        case .typeTest(let base, let op, let type):
            let from = try base.map { try shape($0, input: input) } ?? input
            switch op {
            case .is: return Shape(types: nil)
            case .as, .ofType:
                return Shape(types: type.namespace == "System" ? nil : [type.name], ordered: from.ordered)
            }
        case .call(let base, let f, let args):
            let from = try base.map { try shape($0, input: input) } ?? input
            if f.needsOrderedInput && !from.ordered {
                throw FHIRPathError.semantic("\(f.rawValue)() needs ordered input, but its input has no defined order")
            }
            if f == .iif, case .literal(let v)? = args.first {
                if case .boolean = v {} else { throw FHIRPathError.semantic("iif() criterion must be boolean") }
            }
            for arg in args where f.takesExpressionArguments {
                _ = try shape(arg, input: Shape(types: from.types, ordered: true))
            }
            switch f {
            case .children, .descendants: return Shape(types: nil, ordered: false)
            case .where, .first, .last, .tail, .skip, .take, .single, .distinct, .trace:
                return from
            default: return Shape(types: nil)
            }
        case .indexer(let base, _):
            return try shape(base, input: input)
        case .binary(let op, let l, let r):
            let a = try shape(l, input: input), b = try shape(r, input: input)
            if op == .union, let x = a.types, let y = b.types { return Shape(types: x + y) }
            return Shape(types: nil)
        case .negate(let e):
            _ = try shape(e, input: input)
            return Shape(types: nil)
        default:
            return Shape(types: nil)
        }
    }

    private func modelKnows(_ t: String) -> Bool {
        model.isPrimitive(t) || model.isResource(t) || model.baseType(of: t) != nil
    }
}
