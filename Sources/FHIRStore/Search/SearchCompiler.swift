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
            do {
                if Self.resultParameters.contains(p.name) {
                    try applyResultParameter(p, to: &options, query: &query, maxCount: maxCount)
                } else {
                    query.filters.append(try predicates(for: p))
                }
                applied.append(p)
            } catch let error as FHIRError where lenient && error.status == 400 && p.name != "_count" && p.name != "_cursor" {
                ignored.append(p)
            }
        }
        if let page = options.page {
            // A cursor carries one value per sort key (without `_sort`, those of the order the search
            // walks in); any other cursor belongs to another search.
            let keys = query.sort.isEmpty ? SQLSearchBuilder.implicitOrderKeyCount(query) : query.sort.count
            guard page.cursor.keys.count == keys else {
                throw FHIRError.badRequest("the paging cursor does not belong to this search's _sort")
            }
            if page.backward { query.before = page.cursor } else { query.after = page.cursor }
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
            guard let cursor = SearchCursor(p.value) else { throw FHIRError.badRequest("invalid paging cursor") }
            options.page = cursor
            options.cursor = cursor.cursor
        case "_sort":
            query.sort = try sortKeys(p)
        case "_include":
            options.includes.append(try includeRequest(p, reverse: false))
        case "_revinclude":
            options.revincludes.append(try includeRequest(p, reverse: true))
        case "_format", "_pretty":
            break
        default:
            throw FHIRError(status: 400, code: .notSupported, "search parameter '\(p.name)' is not supported yet", expression: [p.raw])
        }
    }

    /// `_sort=a,-b`: each a registry parameter of the searched type, `_id` or `_lastUpdated`.
    func sortKeys(_ p: SearchParameterValue) throws -> [SortKey] {
        try p.value.split(separator: ",").map { item in
            let descending = item.hasPrefix("-")
            let code = String(descending ? item.dropFirst() : item[...]).trimmingSpaces()
            switch code {
            case "_id": return .id(descending: descending)
            case "_lastUpdated": return .lastUpdated(descending: descending)
            default:
                guard let info = lookup(code), ![.composite, .special].contains(info.kind) else {
                    throw FHIRError(status: 400, code: .notSupported, "cannot sort by '\(code)' for \(type ?? "a system-level search")", expression: [p.raw])
                }
                return .parameter(code: info.code, table: Self.table(for: info.kind), descending: descending)
            }
        }
    }

    /// `_include=Source:param[:Target]`, `_include=*`, with `:iterate` (R3's `:recurse` is read alike).
    func includeRequest(_ p: SearchParameterValue, reverse: Bool) throws -> IncludeRequest {
        guard p.modifier == nil || p.modifier == "iterate" || p.modifier == "recurse" else { throw unsupportedModifier(p) }
        let iterate = p.modifier != nil
        if p.value == "*" && !reverse { return IncludeRequest(sourceType: "*", param: nil, targetType: nil, iterate: iterate) }
        let parts = p.value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, parameters?.isResourceType(parts[0]) == true else {
            throw FHIRError.badRequest("\(p.raw) must be Type:parameter or Type:parameter:TargetType, not '\(p.value)'", expression: [p.raw])
        }
        var target: String?
        if parts.count == 3 {
            guard parameters?.isResourceType(parts[2]) == true else {
                throw FHIRError.badRequest("'\(parts[2])' in \(p.raw) is not a resource type", expression: [p.raw])
            }
            target = parts[2]
        }
        if parts[1] == "*" && !reverse { return IncludeRequest(sourceType: parts[0], param: nil, targetType: target, iterate: iterate) }
        guard let info = parameters?.parameter(type: parts[0], code: parts[1]), info.kind == .reference else {
            throw FHIRError.badRequest("'\(parts[1])' is not a reference parameter of \(parts[0])", expression: [p.raw])
        }
        return IncludeRequest(sourceType: parts[0], param: info.code, targetType: target, iterate: iterate)
    }

    func predicates(for p: SearchParameterValue) throws -> [IndexPredicate] {
        if p.name == "_has" { return [try reverseChain(p)] }
        if p.raw.contains(".") { return [try chain(p)] }
        let values = SearchRequest.orValues(p.value)
        switch p.name {
        case "_id":
            guard p.modifier == nil else { throw unsupportedModifier(p) }
            return [.id(values.map(SearchRequest.unescape))]
        case "_lastUpdated":
            guard p.modifier == nil else { throw unsupportedModifier(p) }
            return try values.map { v in
                let (prefix, rest) = Self.splitPrefix(v)
                guard let range = DateSearchValue.range(of: rest) else {
                    throw FHIRError.badRequest("'\(v)' is not a valid date for _lastUpdated", expression: [p.raw])
                }
                return .lastUpdated(prefix, low: range.low, high: range.high)
            }
        case "_text", "_content":
            // Simple contains, case- and accent-insensitive (search.html#text, #content).
            guard p.modifier == nil else { throw unsupportedModifier(p) }
            return values.map { .text(param: p.name, value: IndexValueConversion.normalize(SearchRequest.unescape($0))) }
        case "_list":
            // The resources a List's entries refer to: `_has:List:item:_id` (search.html#list).
            guard p.modifier == nil else { throw unsupportedModifier(p) }
            return [.referencedBy(sourceType: "List", param: "item", filters: [[.id(values.map(SearchRequest.unescape))]])]
        default:
            break
        }
        guard let info = lookup(p.name) else {
            throw FHIRError(status: 400, code: .notSupported, "unknown search parameter '\(p.name)' for \(type ?? "a system-level search")", expression: [p.raw])
        }
        if p.modifier == "missing" {
            guard p.value == "true" || p.value == "false" else { throw FHIRError.badRequest(":missing takes true or false", expression: [p.raw]) }
            if info.kind == .composite, let present = compositePresent(info) {
                return [p.value == "true" ? .not(present) : present]
            }
            return [.missing(param: info.code, table: Self.table(for: info.kind), missing: p.value == "true")]
        }
        return try valuePredicates(info, p, values)
    }

    /// Resources with a value for composite `info`: for a focus element, a value of every component.
    func compositePresent(_ info: SearchParameterInfo) -> IndexPredicate? {
        if !info.unionOf.isEmpty {
            let parts = info.unionOf.compactMap(compositePresent)
            return parts.count == info.unionOf.count ? .any(parts) : nil
        }
        if info.componentsOnResource {
            return .and(info.components.map { .missing(param: $0.code, table: Self.table(for: $0.kind), missing: false) })
        }
        // A focus element is indexed only when every component has a value: the first stands for all.
        guard let first = info.components.first else { return nil }
        return .missing(param: CompiledComposite.componentParam(info.code, 0), table: Self.table(for: first.kind), missing: false)
    }

    /// The predicates of `values` (already split at commas) of parameter `info`, by its type.
    func valuePredicates(_ info: SearchParameterInfo, _ p: SearchParameterValue, _ values: [String]) throws -> [IndexPredicate] {
        switch info.kind {
        case .token: return try tokenPredicates(info, p, values)
        case .reference where p.modifier == "identifier":
            // search.html#reference: Reference.identifier, indexed as tokens of `param:identifier`.
            return values.map { tokenPredicate(info.code + ":identifier", $0) }
        case .reference: return try values.map { try referencePredicate(info, modifier: p.modifier, $0, raw: p.raw) }
        case .string: return try stringPredicates(info, p, values)
        case .date: return try datePredicates(info, p, values)
        case .number, .quantity: return try numericPredicates(info, p, values)
        case .uri: return try uriPredicates(info, p, values)
        case .composite where !info.components.isEmpty: return try compositePredicates(info, p, values)
        case .special where info.code == GeoDistance.parameter && p.modifier == nil:
            return try values.map { try GeoDistance.predicate(param: info.code, $0) }
        case .composite, .special:
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
