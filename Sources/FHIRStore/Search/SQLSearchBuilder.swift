/// A value bound to a SQL placeholder; both backends bind exactly these kinds.
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}

/// Placeholder spelling and other differences between the two SQL dialects we speak.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    func placeholder(_ n: Int) -> String {
        switch self {
        case .sqlite: return "?\(n)"
        case .postgres: return "$\(n)"
        }
    }
}

/// Turns a `StoreQuery` into one SQL statement over `resource` and the index tables. Every predicate
/// becomes an `EXISTS` on its index table keyed by the resource's row id, so one statement answers the
/// search and the same WHERE clause answers the count.
public struct SQLSearchBuilder {
    public let dialect: SQLDialect
    public private(set) var binds: [SQLValue] = []

    public init(dialect: SQLDialect) { self.dialect = dialect }

    mutating func bind(_ v: SQLValue) -> String {
        binds.append(v)
        return dialect.placeholder(binds.count)
    }

    /// The WHERE clause (without the keyword) for the query's type and filters.
    public mutating func whereClause(_ q: StoreQuery) -> String {
        var parts = ["r.deleted = 0"]
        if let type = q.type { parts.append("r.res_type = \(bind(.text(type)))") }
        for ors in q.filters where !ors.isEmpty {
            let alts = ors.map { predicate($0) }
            parts.append(alts.count == 1 ? alts[0] : "(" + alts.joined(separator: " OR ") + ")")
        }
        return parts.joined(separator: " AND ")
    }

    mutating func predicate(_ p: IndexPredicate) -> String {
        switch p {
        case .id(let ids):
            let list = ids.map { bind(.text($0)) }.joined(separator: ", ")
            return "r.res_id IN (\(list))"
        case .lastUpdated(let prefix, let low, let high):
            return rangeCondition(prefix, lowColumn: "r.last_updated", highColumn: "r.last_updated", low: low, high: high)
        case .token(let param, let system, let code, let systemMustBeAbsent):
            var c = ["t.rid = r.rid", "t.param = \(bind(.text(param)))"]
            if let code { c.append("t.code = \(bind(.text(code)))") }
            if systemMustBeAbsent {
                c.append("t.system IS NULL")
            } else if let system {
                c.append("t.system = \(bind(.text(system)))")
            }
            return "EXISTS (SELECT 1 FROM idx_token t WHERE " + c.joined(separator: " AND ") + ")"
        case .reference(let param, let targetType, let targetId, let url):
            var c = ["x.rid = r.rid", "x.param = \(bind(.text(param)))"]
            if let targetId { c.append("x.target_id = \(bind(.text(targetId)))") }
            if let targetType { c.append("x.target_type = \(bind(.text(targetType)))") }
            if let url { c.append("x.url = \(bind(.text(url)))") }
            return "EXISTS (SELECT 1 FROM idx_reference x WHERE " + c.joined(separator: " AND ") + ")"
        case .missing(let param, let table, let missing):
            let exists = "EXISTS (SELECT 1 FROM \(table.rawValue) m WHERE m.rid = r.rid AND m.param = \(bind(.text(param))))"
            return missing ? "NOT " + exists : exists
        case .not(let inner):
            return "NOT (" + predicate(inner) + ")"
        case .or(let alternatives):
            return "(" + alternatives.map { predicate($0) }.joined(separator: " OR ") + ")"
        case .compartment(let ids):
            return "r.compartment IN (" + ids.map { bind(.text($0)) }.joined(separator: ", ") + ")"
        }
    }

    /// FHIR prefix semantics on a stored range [lowColumn, highColumn] against the search range [low, high].
    mutating func rangeCondition(_ prefix: ComparisonPrefix, lowColumn: String, highColumn: String, low: Int64, high: Int64) -> String {
        let lo = bind(.int(low))
        let hi = bind(.int(high))
        switch prefix {
        case .eq: return "(\(lowColumn) >= \(lo) AND \(highColumn) <= \(hi))"
        case .ne: return "(\(lowColumn) < \(lo) OR \(highColumn) > \(hi))"
        case .gt: return "\(highColumn) > \(hi)"
        case .lt: return "\(lowColumn) < \(lo)"
        case .ge: return "\(highColumn) >= \(lo)"
        case .le: return "\(lowColumn) <= \(hi)"
        case .sa: return "\(lowColumn) > \(hi)"
        case .eb: return "\(highColumn) < \(lo)"
        case .ap: return "(\(highColumn) >= \(lo) AND \(lowColumn) <= \(hi))"
        }
    }

    /// The page statement: rows after the cursor in row-id order, one more than the page to know
    /// whether a next page exists.
    public mutating func pageStatement(_ q: StoreQuery) -> String {
        var w = whereClause(q)
        if let after = q.after { w += " AND r.rid > \(bind(.int(after.rowId)))" }
        let limit = bind(.int(Int64(q.count + 1)))
        return "SELECT r.rid, r.res_type, r.res_id, r.version_id, r.last_updated, r.json FROM resource r WHERE \(w) ORDER BY r.rid LIMIT \(limit)"
    }

    public mutating func countStatement(_ q: StoreQuery) -> String {
        "SELECT count(*) FROM resource r WHERE " + whereClause(q)
    }

    /// Conditional-interaction lookup: the keys of at most `limit` matches.
    public mutating func keysStatement(_ q: StoreQuery, limit: Int) -> String {
        "SELECT r.res_type, r.res_id FROM resource r WHERE \(whereClause(q)) ORDER BY r.rid LIMIT \(bind(.int(Int64(limit))))"
    }
}
