import FHIRCore

/// Compiles parsed search parameters into a `StoreQuery` using the search-parameter registry.
struct SearchCompiler {
    let type: String?
    let parameters: (any SearchParameterLookup)?
    /// `Prefer: handling=lenient`: unknown parameters are ignored (and reported) instead of refused.
    let lenient: Bool

    struct Compiled {
        var query: StoreQuery
        var options: SearchResultOptions
        /// Parameters that were applied, for the self link.
        var applied: [SearchParameterValue]
        /// Parameters ignored under lenient handling.
        var ignored: [SearchParameterValue]
    }

    /// Result parameters that shape the answer rather than filter it.
    static let resultParameters: Set<String> = [
        "_count", "_total", "_summary", "_elements", "_sort", "_include", "_revinclude", "_contained",
        "_containedType", "_format", "_pretty", "_cursor",
    ]

    func compile(_ pairs: [SearchParameterValue], defaultCount: Int, maxCount: Int) throws -> Compiled {
        var query = StoreQuery(type: type, count: defaultCount)
        var options = SearchResultOptions()
        var applied: [SearchParameterValue] = []
        var ignored: [SearchParameterValue] = []
        for p in pairs {
            if Self.resultParameters.contains(p.name) {
                try applyResultParameter(p, to: &options, query: &query, maxCount: maxCount)
                applied.append(p)
                continue
            }
            do {
                let ors = try predicates(for: p)
                query.filters.append(ors)
                applied.append(p)
            } catch let error as FHIRError where lenient && error.status == 400 {
                ignored.append(p)
            }
        }
        return Compiled(query: query, options: options, applied: applied, ignored: ignored)
    }

    func applyResultParameter(_ p: SearchParameterValue, to options: inout SearchResultOptions, query: inout StoreQuery, maxCount: Int) throws {
        switch p.name {
        case "_count":
            guard let n = Int(p.value), n >= 0 else { throw FHIRError.badRequest("_count must be a non-negative integer, not '\(p.value)'") }
            options.count = n
            query.count = min(n, maxCount)
        case "_total":
            guard let t = SearchResultOptions.Total(rawValue: p.value) else {
                throw FHIRError.badRequest("_total must be none, estimate or accurate, not '\(p.value)'")
            }
            options.total = t
        case "_summary":
            guard ["true", "false", "text", "data", "count"].contains(p.value) else {
                throw FHIRError.badRequest("_summary must be true, false, text, data or count, not '\(p.value)'")
            }
            options.summary = p.value
        case "_elements":
            options.elements = p.value.split(separator: ",").map { String($0).trimmingSpaces() }
        case "_cursor":
            guard let rid = Int64(p.value) else { throw FHIRError.badRequest("invalid paging cursor") }
            options.cursor = PageCursor(rowId: rid)
            query.after = options.cursor
        case "_format", "_pretty":
            break
        default:
            if !lenient { throw FHIRError(status: 400, code: .notSupported, "search parameter '\(p.name)' is not supported yet") }
        }
    }

    func predicates(for p: SearchParameterValue) throws -> [IndexPredicate] {
        let values = SearchRequest.orValues(p.value)
        switch p.name {
        case "_id":
            guard p.modifier == nil else { throw unsupportedModifier(p) }
            return [.id(values.map(SearchRequest.unescape))]
        case "_lastUpdated":
            return try values.map { v in
                let (prefix, rest) = Self.splitPrefix(v)
                guard let range = DateSearchValue.range(of: rest) else {
                    throw FHIRError.badRequest("'\(v)' is not a valid date for _lastUpdated", expression: [p.raw])
                }
                return .lastUpdated(prefix, low: range.low, high: range.high)
            }
        default:
            break
        }
        guard let info = lookup(p.name) else {
            throw FHIRError(status: 400, code: .notSupported, "unknown search parameter '\(p.name)' for \(type ?? "a system-level search")", expression: [p.raw])
        }
        if p.modifier == "missing" {
            guard p.value == "true" || p.value == "false" else { throw FHIRError.badRequest(":missing takes true or false", expression: [p.raw]) }
            return [.missing(param: info.code, table: Self.table(for: info.kind), missing: p.value == "true")]
        }
        switch info.kind {
        case .token:
            let negate = p.modifier == "not"
            guard p.modifier == nil || negate else { throw unsupportedModifier(p) }
            let ors = values.map { tokenPredicate(info.code, $0) }
            if negate { return [.not(IndexPredicate.any(ors))] }
            return ors
        case .reference:
            return try values.map { try referencePredicate(info, modifier: p.modifier, $0, raw: p.raw) }
        default:
            throw FHIRError(status: 400, code: .notSupported, "searching by '\(p.name)' (\(info.kind.rawValue)) is not supported yet", expression: [p.raw])
        }
    }

    func lookup(_ code: String) -> SearchParameterInfo? {
        if let parameters {
            return parameters.parameter(type: type ?? "Resource", code: code)
        }
        return nil
    }

    func unsupportedModifier(_ p: SearchParameterValue) -> FHIRError {
        FHIRError(status: 400, code: .notSupported, "modifier ':\(p.modifier ?? "")' is not supported for '\(p.name)'", expression: [p.raw])
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

    static func splitPrefix(_ v: String) -> (ComparisonPrefix, String) {
        if v.count > 2, let p = ComparisonPrefix(rawValue: String(v.prefix(2))) {
            return (p, String(v.dropFirst(2)))
        }
        return (.eq, v)
    }

    static func table(for kind: SearchParameterInfo.Kind) -> IndexTable {
        switch kind {
        case .number: return .number
        case .date: return .date
        case .string: return .string
        case .token, .special, .composite: return .token
        case .reference: return .reference
        case .quantity: return .quantity
        case .uri: return .uri
        }
    }
}

extension IndexPredicate {
    /// A disjunction; a single predicate stays itself.
    static func any(_ ors: [IndexPredicate]) -> IndexPredicate {
        ors.count == 1 ? ors[0] : .or(ors)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
