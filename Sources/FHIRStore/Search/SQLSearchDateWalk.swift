/// Pages of a date range, newest first. A page in row-id order of `date=ge2024-03-01&date=lt2024-04-01`
/// over 700,000 Observations (one month: 0.76 % of them) walks ~2,800 index rows to find 21 matches
/// (~1 ms, 12× a read by id; docs/benchmarks.md). Walked from the range's upper end down the value
/// index `(param, low, high, rid)`, the first rows met are matches: a page costs the page.
///
/// The order is the server's to choose when no `_sort` is given (search.html#sort): a search driven by a
/// date criterion with an upper bound (`lt`, `le`, `eb`) returns its resources by that criterion's
/// latest matching value, newest first, ties by row id (descending). Each resource comes once, at its
/// latest value meeting the driving criterion; every other criterion is a probe, one on the same
/// parameter (the `ge` half) first tried on the walked row itself and else on any row of the resource,
/// so each criterion may still be met by a different value (a Goal due in January and June matches
/// March). Paging is by keyset on (low, high, rid) of that value, carried in the cursor.
extension SQLSearchBuilder {
    /// Key columns the page statement returns after `pageColumns` (the date walk's low and high).
    static let dateWalkKeyCount = 2

    /// How many sort-key values a paging cursor of this query carries without `_sort`: a date walk's
    /// two, else none (pages in row-id order).
    static func implicitOrderKeyCount(_ q: StoreQuery) -> Int {
        guard let driver = driver(q), driver.rank >= 20 else { return 0 }
        var uncursored = q
        uncursored.after = nil
        uncursored.before = nil
        return dateWalk(uncursored, driver: driver.index) == nil ? 0 : dateWalkKeyCount
    }

    /// The driving date criterion's parts when the page can be walked newest first: no `_sort`, the
    /// driver a date with an upper bound, and a cursor (if any) carrying this walk's keys.
    static func dateWalk(_ q: StoreQuery, driver: Int) -> (param: String, prefix: ComparisonPrefix, low: Int64, high: Int64)? {
        guard q.sort.isEmpty, q.filters[driver].count == 1, case .date(let param, let prefix, let low, let high) = q.filters[driver][0],
            [.lt, .le, .eb].contains(prefix)
        else { return nil }
        if let cursor = q.before ?? q.after {
            guard cursor.keys.count == dateWalkKeyCount, cursor.keys.allSatisfy({ if case .int = $0 { true } else { false } }) else { return nil }
        }
        return (param, prefix, low, high)
    }

    /// The criterion's condition on the date row `a`, with the bound on `low` it implies (`low ≤ high`)
    /// spelled out so the walk is an index range.
    mutating func upperBoundedCondition(_ prefix: ComparisonPrefix, low: Int64, high: Int64, on a: String) -> String {
        let condition = rangeCondition(prefix, lowColumn: "\(a).low", highColumn: "\(a).high", low: low, high: high)
        switch prefix {
        case .eb: return "\(a).low < \(bind(.int(low))) AND \(condition)"
        case .le: return "\(a).low <= \(bind(.int(high))) AND \(condition)"
        default: return condition  // lt: `low < ?` already
        }
    }

    /// The page statement of a date walk; its rows end with the walked value's low and high.
    mutating func dateWalkPageStatement(_ q: StoreQuery, driver: Int) -> String? {
        guard let (param, prefix, low, high) = Self.dateWalk(q, driver: driver) else { return nil }
        let backward = q.before != nil
        let cursor = q.before ?? q.after
        let a = alias("d")
        let b = alias("d")
        let p = alias("p")
        let paramBind = bind(.text(param))
        var walk = ["\(a).param = \(paramBind)", upperBoundedCondition(prefix, low: low, high: high, on: a)]
        if let cursor, case .int(let cursorLow) = cursor.keys[0], case .int(let cursorHigh) = cursor.keys[1] {
            // Newest first: "after" the cursor is below it. The plain bound on `low` keeps the range
            // an index range where a row-value comparison is not one.
            let below = !backward
            let op = below ? (cursor.inclusive ? "<=" : "<") : (cursor.inclusive ? ">=" : ">")
            let lowBind = bind(.int(cursorLow))
            walk.append("\(a).low \(below ? "<=" : ">=") \(lowBind)")
            walk.append("(\(a).low, \(a).high, \(a).rid) \(op) (\(lowBind), \(bind(.int(cursorHigh))), \(bind(.int(cursor.rowId))))")
        }
        // Only at the resource's latest row that meets the criterion.
        let later = "(\(b).low > \(a).low OR (\(b).low = \(a).low AND \(b).high > \(a).high))"
        walk.append("NOT EXISTS (SELECT 1 FROM idx_date \(b) WHERE \(b).rid = \(a).rid AND \(dialect.unindexed("\(b).param")) = \(paramBind) AND "
            + upperBoundedCondition(prefix, low: low, high: high, on: b) + " AND \(later)\(dialect.probeFence))")
        var resource = ["\(p).rid = \(a).rid", "\(p).deleted = 0"]
        if let type = q.type { resource.append("\(dialect.unindexed("\(p).res_type")) = \(bind(.text(type)))") }
        membership = .probe
        defer { membership = .list }
        for (i, ors) in q.filters.enumerated() where i != driver && !ors.isEmpty {
            if ors.count == 1, case .date(let otherParam, let otherPrefix, let otherLow, let otherHigh) = ors[0], otherParam == param {
                // The walked row itself usually meets the other half of the range: no look-up then.
                let onRow = rangeCondition(otherPrefix, lowColumn: "\(a).low", highColumn: "\(a).high", low: otherLow, high: otherHigh)
                walk.append("(\(onRow) OR \(predicate(ors[0], on: a, type: q.type)))")
                continue
            }
            let alts = ors.map { predicate($0, on: p, type: q.type) }
            resource.append(alts.count == 1 ? alts[0] : "(" + alts.joined(separator: " OR ") + ")")
        }
        walk.append("EXISTS (SELECT 1 FROM resource \(p) WHERE " + resource.joined(separator: " AND ") + dialect.probeFence + ")")
        let order = backward ? "" : " DESC"
        let keys = ["low", "high", "rid"]
        let inner = "SELECT DISTINCT " + keys.map { "\(a).\($0)" }.joined(separator: ", ") + " FROM idx_date \(a) WHERE "
            + walk.joined(separator: " AND ") + " ORDER BY " + keys.map { "\(a).\($0)\(order)" }.joined(separator: ", ")
            + " LIMIT \(bind(.int(Int64(q.count + 1))))"
        let columns = (Self.pageColumns.map { "r." + $0 } + ["w.low", "w.high"]).joined(separator: ", ")
        pageKeyCount = Self.dateWalkKeyCount
        return "SELECT \(columns) FROM (\(inner)) w JOIN resource r ON r.rid = w.rid ORDER BY "
            + keys.map { "w.\($0)\(order)" }.joined(separator: ", ")
    }
}
