import FHIRCore

/// The value syntax of each search parameter type (search.html#ptypes) turned into predicates.
extension SearchCompiler {
    /// Tokens: `code`, `system|code`, `|code`, `system|`; `:not`, `:text`, `:of-type` (identifiers).
    func tokenPredicates(_ info: SearchParameterInfo, _ p: SearchParameterValue, _ values: [String]) throws -> [IndexPredicate] {
        switch p.modifier {
        case nil:
            return values.map { tokenPredicate(info.code, $0) }
        case "not":
            return [.not(IndexPredicate.any(values.map { tokenPredicate(info.code, $0) }))]
        case "in", "not-in":
            // search.html#modifiers: the code is (not) in the value set; only value sets the server can expand.
            let sets = try values.map { v -> IndexPredicate in
                let url = SearchRequest.unescape(v)
                guard let set = parameters?.valueSet(url) else {
                    throw FHIRError(status: 400, code: .notSupported, "value set '\(url)' of \(p.raw) cannot be expanded by this server", expression: [p.raw])
                }
                return .tokenIn(param: info.code, systems: set.systems, codes: set.codes)
            }
            return p.modifier == "in" ? sets : [.not(IndexPredicate.any(sets))]
        case "text":
            return values.map { .tokenText(param: info.code, value: IndexValueConversion.normalize(SearchRequest.unescape($0))) }
        case "of-type":
            // `type-system|type-code|value`, indexed as extra rows of `param:of-type` (see IndexValueConversion).
            return try values.map { v in
                guard let (system, rest) = SearchRequest.splitBar(v), let (code, value) = SearchRequest.splitBar(rest),
                    !code.isEmpty, !value.isEmpty
                else {
                    throw FHIRError.badRequest(":of-type takes type-system|type-code|value, not '\(v)'", expression: [p.raw])
                }
                let s = SearchRequest.unescape(system)
                return .token(param: info.code + ":of-type", system: s.isEmpty ? nil : s,
                              code: SearchRequest.unescape(code) + "|" + SearchRequest.unescape(value), systemMustBeAbsent: s.isEmpty)
            }
        default:
            throw unsupportedModifier(p)
        }
    }

    func tokenPredicate(_ param: String, _ value: String) -> IndexPredicate {
        if let (system, code) = SearchRequest.splitBar(value) {
            let s = SearchRequest.unescape(system)
            let c = SearchRequest.unescape(code)
            if s.isEmpty { return .token(param: param, system: nil, code: c, systemMustBeAbsent: true) }
            return .token(param: param, system: s, code: c.isEmpty ? nil : c, systemMustBeAbsent: false)
        }
        return .token(param: param, system: nil, code: SearchRequest.unescape(value), systemMustBeAbsent: false)
    }

    /// Strings (search.html#string): by default the value starts the indexed text, both compared
    /// case- and accent-insensitively (Chinese text is compared as written: `张` starts `张三`);
    /// `:exact` compares the text as written, `:contains` anywhere in it.
    func stringPredicates(_ info: SearchParameterInfo, _ p: SearchParameterValue, _ values: [String]) throws -> [IndexPredicate] {
        let match: TextMatch
        switch p.modifier {
        case nil: match = .startsWith
        case "exact": match = .exact
        case "contains": match = .contains
        default: throw unsupportedModifier(p)
        }
        return values.map { v in
            let text = SearchRequest.unescape(v)
            return .string(param: info.code, match: match, value: match == .exact ? text : IndexValueConversion.normalize(text))
        }
    }

    /// Dates with a prefix; the value's precision makes it a range (`2024-03` is all of March).
    func datePredicates(_ info: SearchParameterInfo, _ p: SearchParameterValue, _ values: [String]) throws -> [IndexPredicate] {
        guard p.modifier == nil else { throw unsupportedModifier(p) }
        return try values.map { v in
            let (prefix, rest) = Self.splitPrefix(v)
            guard let range = DateSearchValue.range(of: rest) else {
                throw FHIRError.badRequest("'\(v)' is not a valid date for \(p.name)", expression: [p.raw])
            }
            return .date(param: info.code, prefix: prefix, low: range.low, high: range.high)
        }
    }

    /// Numbers and quantities with a prefix; quantities may add `|system|code` or `||code`.
    func numericPredicates(_ info: SearchParameterInfo, _ p: SearchParameterValue, _ values: [String]) throws -> [IndexPredicate] {
        guard p.modifier == nil else { throw unsupportedModifier(p) }
        return try values.map { v in
            var numberText = v
            var system: String?
            var code: String?
            if info.kind == .quantity, let (n, units) = SearchRequest.splitBar(v) {
                numberText = n
                if let (s, c) = SearchRequest.splitBar(units) {
                    system = s.isEmpty ? nil : SearchRequest.unescape(s)
                    code = c.isEmpty ? nil : SearchRequest.unescape(c)
                } else {
                    code = units.isEmpty ? nil : SearchRequest.unescape(units)
                }
            }
            let (prefix, rest) = Self.splitPrefix(numberText)
            guard let n = Self.numberRange(rest) else {
                throw FHIRError.badRequest("'\(v)' is not a valid \(info.kind.rawValue) for \(p.name)", expression: [p.raw])
            }
            if info.kind == .quantity, system == IndexValueConversion.ucum, let code {
                // UCUM units compare across commensurable units, in base units (search.html#quantity).
                guard let unit = UCUMUnit(code) else {
                    throw FHIRError.badRequest("'\(code)' in \(p.name) is not a UCUM unit", expression: [p.raw])
                }
                if let v = unit.canonicalValue(of: n.value), let low = unit.canonicalValue(of: n.low), let high = unit.canonicalValue(of: n.high) {
                    // Quantity rows written before schema 5 have no canonical value until reindexed: they
                    // still match in the unit as written.
                    return .or([
                        .canonicalQuantity(param: info.code, prefix: prefix, value: v, low: low, high: high, code: unit.canonicalCode),
                        .quantity(param: info.code, prefix: prefix, value: n.value, low: n.low, high: n.high, system: system, code: code),
                    ])
                }
            }
            if info.kind == .quantity {
                return .quantity(param: info.code, prefix: prefix, value: n.value, low: n.low, high: n.high, system: system, code: code)
            }
            return .number(param: info.code, prefix: prefix, value: n.value, low: n.low, high: n.high)
        }
    }

    /// A decimal and the range its significant digits imply: `100` is [99.5, 100.5), `1.50` is
    /// [1.495, 1.505), `1e2` is [50, 150) (search.html#number).
    static func numberRange(_ text: String) -> (value: Double, low: Double, high: Double)? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
            let value = Double(text), value.isFinite
        else { return nil }
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            guard let x = Int(text[text.index(after: e)...]) else { return nil }
            exponent = x
        }
        let decimals = mantissa.firstIndex(of: ".").map { mantissa.distance(from: $0, to: mantissa.endIndex) - 1 } ?? 0
        var half = 0.5
        let scale = exponent - decimals
        if scale > 0 { for _ in 0..<min(scale, 308) { half *= 10 } } else { for _ in 0..<min(-scale, 320) { half /= 10 } }
        return (value, value - half, value + half)
    }

    /// URIs: equal by default, `:below` under the value (starts with it), `:above` a prefix of it.
    func uriPredicates(_ info: SearchParameterInfo, _ p: SearchParameterValue, _ values: [String]) throws -> [IndexPredicate] {
        let match: TextMatch
        switch p.modifier {
        case nil: match = .exact
        case "below": match = .startsWith
        case "above": match = .above
        default: throw unsupportedModifier(p)
        }
        return values.map { .uri(param: info.code, match: match, value: SearchRequest.unescape($0)) }
    }

    /// References: `id`, `Type/id`, an absolute URL, `:Type`.
    func referencePredicate(_ info: SearchParameterInfo, modifier: String?, _ rawValue: String, raw: String) throws -> IndexPredicate {
        let value = SearchRequest.unescape(rawValue)
        var targetType: String? = nil
        if let modifier {
            guard parameters?.isResourceType(modifier) == true else {
                throw FHIRError(status: 400, code: .notSupported, "modifier ':\(modifier)' is not supported for '\(info.code)'", expression: [raw])
            }
            targetType = modifier
        }
        if value.hasPrefix("http://") || value.hasPrefix("https://") || value.hasPrefix("urn:") {
            // An absolute URL that ends in Type/id of a known type also matches local references.
            let parts = value.split(separator: "/").map(String.init)
            if parts.count >= 2, parameters?.isResourceType(parts[parts.count - 2]) == true {
                return .reference(param: info.code, targetType: parts[parts.count - 2], targetId: parts[parts.count - 1], url: nil)
            }
            return .reference(param: info.code, targetType: nil, targetId: nil, url: value)
        }
        let parts = value.split(separator: "/").map(String.init)
        if parts.count == 2 {
            return .reference(param: info.code, targetType: parts[0], targetId: parts[1], url: nil)
        }
        if parts.count == 4, parts[2] == "_history" {
            return .reference(param: info.code, targetType: parts[0], targetId: parts[1], url: nil)
        }
        if targetType == nil, info.targets.count == 1 { targetType = info.targets[0] }
        return .reference(param: info.code, targetType: targetType, targetId: value, url: nil)
    }

    /// Composite values (search.html#composite): `token$quantity`, one part per component, all of which
    /// one focus element must match (`component-code-value-quantity=http://loinc.org|8480-6$gt100`).
    func compositePredicates(_ info: SearchParameterInfo, _ p: SearchParameterValue, _ values: [String]) throws -> [IndexPredicate] {
        guard p.modifier == nil else { throw unsupportedModifier(p) }
        if !info.unionOf.isEmpty {
            return try values.map { v in IndexPredicate.any(try info.unionOf.flatMap { try compositePredicates($0, p, [v]) }) }
        }
        return try values.map { v in
            let parts = SearchRequest.split(v, on: "$")
            guard parts.count == info.components.count else {
                throw FHIRError.badRequest("\(p.name) takes \(info.components.count) values separated by '$', not '\(v)'", expression: [p.raw])
            }
            var components: [IndexPredicate] = []
            for (i, (component, part)) in zip(info.components, parts).enumerated() {
                var c = component
                if !info.componentsOnResource { c.code = CompiledComposite.componentParam(info.code, i) }
                // Errors name the composite parameter; the part is one value (commas already split off).
                let one = try valuePredicates(c, SearchParameterValue(name: p.name, modifier: nil, value: part), [part])
                components += one.map(Self.canonicalOnly)
            }
            return info.componentsOnResource ? .and(components) : .composite(param: info.code, components: components)
        }
    }

    /// A composite's rows were all written with canonical quantities (schema 5): the as-written
    /// alternative kept for older quantity rows is not needed among its components.
    static func canonicalOnly(_ p: IndexPredicate) -> IndexPredicate {
        guard case .or(let alternatives) = p else { return p }
        for a in alternatives { if case .canonicalQuantity = a { return a } }
        return p
    }

    /// Chaining (search.html#chaining): `subject:Patient.name=张`, `patient.birthdate=ge2000`,
    /// several levels deep. Without a `:Type`, every target type that has the chained parameter is
    /// searched.
    func chain(_ p: SearchParameterValue) throws -> IndexPredicate {
        let key = p.raw
        guard let dot = key.firstIndex(of: ".") else { throw unsupportedModifier(p) }
        let head = key[..<dot].split(separator: ":", maxSplits: 1).map(String.init)
        let rest = SearchRequest.parameter(key: String(key[key.index(after: dot)...]), value: p.value)
        guard let name = head.first, let info = lookup(name), info.kind == .reference else {
            throw FHIRError(status: 400, code: .notSupported, "'\(head.first ?? key)' is not a reference parameter of \(type ?? "Resource") and cannot be chained", expression: [key])
        }
        var targets = info.targets
        if head.count > 1 {
            guard parameters?.isResourceType(head[1]) == true else { throw FHIRError.badRequest("'\(head[1])' is not a resource type", expression: [key]) }
            targets = [head[1]]
        }
        var alternatives: [IndexPredicate] = []
        for target in targets {
            let sub = SearchCompiler(type: target, parameters: parameters, lenient: false)
            guard sub.knows(rest.name.prefix { $0 != "." }) else { continue }
            alternatives.append(.chain(param: info.code, targetType: target, filters: [try sub.predicates(for: rest)]))
        }
        guard !alternatives.isEmpty else {
            throw FHIRError(status: 400, code: .notSupported, "no target of '\(name)' has a search parameter '\(rest.name)'", expression: [key])
        }
        return IndexPredicate.any(alternatives)
    }

    /// Reverse chaining (search.html#has): `_has:Observation:patient:code=1234-5`, nestable.
    func reverseChain(_ p: SearchParameterValue) throws -> IndexPredicate {
        let parts = (p.modifier ?? "").split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parameters?.isResourceType(parts[0]) == true else {
            throw FHIRError.badRequest("_has takes _has:Type:reference:parameter=value", expression: [p.raw])
        }
        let sub = SearchCompiler(type: parts[0], parameters: parameters, lenient: false)
        guard let info = sub.lookup(parts[1]), info.kind == .reference else {
            throw FHIRError.badRequest("'\(parts[1])' is not a reference parameter of \(parts[0])", expression: [p.raw])
        }
        let rest = SearchRequest.parameter(key: parts[2], value: p.value)
        guard sub.knows(rest.name.prefix { $0 != "." }) else {
            throw FHIRError(status: 400, code: .notSupported, "unknown search parameter '\(rest.name)' for \(parts[0])", expression: [p.raw])
        }
        return .referencedBy(sourceType: parts[0], param: info.code, filters: [try sub.predicates(for: rest)])
    }

    /// Whether `name` is something this type can be searched by.
    func knows(_ name: Substring) -> Bool {
        ["_id", "_lastUpdated", "_has", "_text", "_content", "_list"].contains(name) || lookup(String(name)) != nil
    }
}
