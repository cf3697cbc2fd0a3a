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

    /// A text expression compared by code point (UTF-8 byte order). SQLite's default BINARY collation
    /// already is; PostgreSQL's database collation may be a locale's, under which neither prefix
    /// ranges nor keyset comparisons would agree with the values the server computes.
    func bytewise(_ expression: String) -> String {
        switch self {
        case .sqlite: return expression
        case .postgres: return "(\(expression) COLLATE \"C\")"
        }
    }

    /// `resource` aliased `alias` for counting the current rows of one type: on SQLite through the
    /// partial index `resource_current` (type, rid) alone, not the table rows (a count meets tens of
    /// thousands; measured 50,083 token matches: 85 → 33 ms). The statement must say
    /// `<alias>.deleted = 0 AND <alias>.res_type = ?` without `+`. PostgreSQL chooses by itself.
    func currentRows(_ alias: String) -> String {
        switch self {
        case .sqlite: return "resource \(alias) INDEXED BY resource_current"
        case .postgres: return "resource \(alias)"
        }
    }

    /// Ends a probe's sub-query so that it stays one: PostgreSQL turns an `EXISTS` into a join it
    /// may start from (a chain of 王 began at every 王's 70,000 references: 557 → 18 ms), but not one
    /// with an OFFSET. SQLite keeps probes as they are written.
    var probeFence: String {
        switch self {
        case .sqlite: return ""
        case .postgres: return " OFFSET 0"
        }
    }

    /// Whether a walk folds criteria of its own parameter into a `GROUP BY rid … HAVING` (see
    /// `walkedRows`). Not on PostgreSQL: it cannot estimate how many groups pass the `HAVING`, costs
    /// the walk as the whole table and compiles it with JIT first (258 ms of JIT for a 1.3 ms
    /// date range at 1M); the probes' plan is costed right there.
    var foldsWalks: Bool { self == .sqlite }

    /// Whether a page of a criterion's matches (a list) picks its row ids first, checking type and
    /// deletion in the index of current rows, and reads the page's rows after: PostgreSQL otherwise
    /// reads every match's whole row (with its JSON) before the sort (`family=wang` over 10,000
    /// patients, 715 matches: 7 → 1.5 ms warm, 72 → 5 ms cold). SQLite reads the matches in row-id
    /// order and stops at the page's end, which the two steps would only slow (0.07 → 0.29 ms).
    /// The matches are then an array computed once (`= ANY(ARRAY(SELECT …))`), not `IN (SELECT …)`:
    /// on tables not yet analyzed PostgreSQL estimates one match and re-runs the index scan for every
    /// current row of the type (measured right after loading 5,000 patients: 279 → 1.9 ms).
    var limitsRowIdsFirst: Bool { self == .postgres }

    /// A column SQLite's planner must not look up through an index (unary `+`): it decides without
    /// statistics and would otherwise pick the index with the most equal columns. PostgreSQL plans
    /// from statistics and takes the column as it is.
    func unindexed(_ column: String) -> String {
        switch self {
        case .sqlite: return "+" + column
        case .postgres: return column
        }
    }
}

/// Turns a `StoreQuery` into one SQL statement over `resource` and the index tables. A predicate is
/// written as `membership` says: as a list, `r.rid IN (SELECT rid FROM <index table> WHERE <value>)`,
/// an uncorrelated set the value index (which ends in `rid`) answers alone, so the planner starts from
/// the few matching rows (measured at 1M resources: 13.9 s → 0.1 ms for a reference); or, on pages and
/// counts that one criterion drives (SQLSearchDriver.swift), as a probe by row id on the rows that
/// criterion's walk meets. `_sort` pages and conditional look-ups use lists.
/// Only portable SQL (SQLite 3.40, PostgreSQL 15); where the dialects differ, `SQLDialect` says how.
public struct SQLSearchBuilder {
    public let dialect: SQLDialect
    public internal(set) var binds: [SQLValue] = []
    /// Numbers the table aliases so nested sub-queries (chains) never shadow an outer alias.
    private var aliases = 0
    /// How criteria on index rows are written (SQLSearchDriver.swift); lists unless a walk is driven.
    var membership = Membership.list
    /// The driving criterion's index rows, when `membership` is `.capture`.
    var captured: DrivingRows?
    /// Lists written `rid = ANY(ARRAY(SELECT …))`: computed once, whatever the planner estimates
    /// (PostgreSQL, see `SQLDialect.limitsRowIdsFirst`).
    var listsAsArrays = false
    /// Sort-key columns the page statement returns after `pageColumns` (a date walk's low and high),
    /// which the next page's cursor carries.
    public internal(set) var pageKeyCount = 0

    public init(dialect: SQLDialect) { self.dialect = dialect }

    mutating func bind(_ v: SQLValue) -> String {
        binds.append(v)
        return dialect.placeholder(binds.count)
    }

    mutating func alias(_ prefix: String) -> String {
        aliases += 1
        return "\(prefix)\(aliases)"
    }

    /// The WHERE clause (without the keyword) for the query's type and filters.
    public mutating func whereClause(_ q: StoreQuery) -> String {
        conditions(type: q.type, filters: q.filters, on: "r").joined(separator: " AND ")
    }

    /// The conditions on the resource row aliased `r`: current, of `type`, matching every filter.
    mutating func conditions(type: String?, filters: [[IndexPredicate]], on r: String) -> [String] {
        // A criterion naming the rows by id goes in by the (type, id) index; SQLite would rather walk
        // the type's current rows (`resource_current`, already in rid order) than sort two ids, so
        // it is kept from that partial index.
        let byId = filters.contains(where: Self.namesIds)
        var parts = [(byId ? dialect.unindexed("\(r).deleted") : "\(r).deleted") + " = 0"]
        if let type {
            // With criteria, SQLite must start from their index lists (rows by primary key, already in
            // rid order), not scan every row of the type: without statistics its planner picks the type
            // index (measured at 100k resources: 567 ms → under 1 ms). Except by id, as above.
            let column = filters.contains(where: { !$0.isEmpty }) && !byId ? dialect.unindexed("\(r).res_type") : "\(r).res_type"
            parts.append("\(column) = \(bind(.text(type)))")
        }
        // A criterion that no value index bounds (a token's system without its code, a one-sided
        // range, `:missing=false`) would be listed in full, every row of its parameter, even beside a
        // criterion that names a few rows (the master index's linking queries read every identifier
        // row of the database). Beside one that an index bounds, it is probed by row id instead.
        let bounded = membership == .list && filters.contains { ors in
            !ors.isEmpty && ors.allSatisfy { (Self.drivingRank($0) ?? Int.max) < 20 }
        }
        for ors in filters where !ors.isEmpty {
            let unbounded = bounded && ors.allSatisfy { (Self.drivingRank($0) ?? 0) >= 20 }
            let alts = unbounded ? probing { b in ors.map { b.predicate($0, on: r, type: type) } } : ors.map { predicate($0, on: r, type: type) }
            parts.append(alts.count == 1 ? alts[0] : "(" + alts.joined(separator: " OR ") + ")")
        }
        return parts
    }

    /// Whether a criterion looks resources up by id (`_id`, or `_has` on a known type): `res_id IN (…)`.
    static func namesIds(_ ors: [IndexPredicate]) -> Bool {
        ors.contains { p in
            switch p {
            case .id, .referencedBy: return true
            default: return false
            }
        }
    }

    /// True when resource row `r` has a row of `table` (aliased `a`) for parameter `param` that meets
    /// `conditions` (which name only `a`'s columns): written as `membership` says.
    mutating func exists(_ table: IndexTable, _ a: String, of r: String, param: String, _ conditions: [String]) -> String {
        let paramBind = bind(.text(param))
        switch membership {
        case .list:
            let all = ["\(a).param = \(paramBind)"] + conditions
            let rows = "SELECT \(a).rid FROM \(table.rawValue) \(a) WHERE " + all.joined(separator: " AND ")
            return listsAsArrays ? "\(r).rid = ANY(ARRAY(\(rows)))" : "\(r).rid IN (\(rows))"
        case .probe:
            // By row id (the table's rid index), never a range over the value index.
            let all = ["\(a).rid = \(r).rid", "\(dialect.unindexed("\(a).param")) = \(paramBind)"] + conditions
            return "EXISTS (SELECT 1 FROM \(table.rawValue) \(a) WHERE " + all.joined(separator: " AND ") + dialect.probeFence + ")"
        case .capture:
            captured = DrivingRows(table: table, alias: a, param: param, paramBind: paramBind, conditions: conditions)
            return ""
        }
    }

    /// `body` with criteria written as lists: the inner sets of chains and `_has`, computed once.
    mutating func listed<T>(_ body: (inout SQLSearchBuilder) -> T) -> T { writing(as: .list, body) }

    /// `body` with criteria written as probes by row id.
    mutating func probing<T>(_ body: (inout SQLSearchBuilder) -> T) -> T { writing(as: .probe, body) }

    private mutating func writing<T>(as written: Membership, _ body: (inout SQLSearchBuilder) -> T) -> T {
        let outer = membership
        membership = written
        defer { membership = outer }
        return body(&self)
    }

    mutating func predicate(_ p: IndexPredicate, on r: String, type: String?) -> String {
        switch p {
        case .id(let ids):
            let list = ids.map { bind(.text($0)) }.joined(separator: ", ")
            return "\(r).res_id IN (\(list))"
        case .lastUpdated(let prefix, let low, let high):
            return rangeCondition(prefix, lowColumn: "\(r).last_updated", highColumn: "\(r).last_updated", low: low, high: high)
        case .token(let param, let system, let code, let systemMustBeAbsent):
            let t = alias("t")
            var c: [String] = []
            if let code { c.append("\(t).code = \(bind(.text(code)))") }
            if systemMustBeAbsent {
                c.append("\(t).system IS NULL")
            } else if let system {
                c.append("\(t).system = \(bind(.text(system)))")
            }
            return exists(.token, t, of: r, param: param, c)
        case .tokenText(let param, let value):
            let t = alias("t")
            return exists(.token, t, of: r, param: param, [textCondition("\(t).text", .startsWith, value)])
        case .reference(let param, let targetType, let targetId, let url):
            let x = alias("x")
            var c: [String] = []
            if let targetId { c.append("\(x).target_id = \(bind(.text(targetId)))") }
            if let targetType { c.append("\(x).target_type = \(bind(.text(targetType)))") }
            if let url { c.append("\(x).url = \(bind(.text(url)))") }
            return exists(.reference, x, of: r, param: param, c)
        case .missing(let param, let table, let missing):
            let m = alias("m")
            let e = exists(table, m, of: r, param: param, [])
            return missing ? "NOT " + e : e
        case .string(let param, let match, let value):
            let s = alias("s")
            let c = match == .exact ? "\(s).exact = \(bind(.text(value)))" : textCondition("\(s).normalized", match, value)
            return exists(.string, s, of: r, param: param, [c])
        case .date(let param, let prefix, let low, let high):
            let d = alias("d")
            return exists(.date, d, of: r, param: param, [rangeCondition(prefix, lowColumn: "\(d).low", highColumn: "\(d).high", low: low, high: high)])
        case .number(let param, let prefix, let value, let low, let high):
            let n = alias("n")
            return exists(.number, n, of: r, param: param, [numberCondition("\(n).value", prefix, value: value, low: low, high: high)])
        case .quantity(let param, let prefix, let value, let low, let high, let system, let code):
            let q = alias("q")
            var c = [numberCondition("\(q).value", prefix, value: value, low: low, high: high)]
            if let system { c.append("\(q).system = \(bind(.text(system)))") }
            if let code { c.append("\(q).code = \(bind(.text(code)))") }
            return exists(.quantity, q, of: r, param: param, c)
        case .uri(let param, let match, let value):
            let u = alias("u")
            return exists(.uri, u, of: r, param: param, [textCondition("\(u).uri", match, value)])
        case .chain(let param, let targetType, let filters):
            if membership == .probe { return chainProbe(param: param, targetType: targetType, filters: filters, of: r) }
            let x = alias("x")
            let t = alias("r")
            let typeBind = bind(.text(targetType))
            let inner = listed { $0.conditions(type: targetType, filters: filters, on: t) }
            // From the few targets that match to the references to them (the value index is keyed by
            // param and target id), never from every reference of the parameter.
            let targets = "\(x).target_id IN (SELECT \(t).res_id FROM resource \(t) WHERE " + inner.joined(separator: " AND ") + ")"
            return exists(.reference, x, of: r, param: param, ["\(x).target_type = \(typeBind)", targets])
        case .referencedBy(let sourceType, let param, let filters):
            let x = alias("x")
            let s = alias("r")
            let paramBind = bind(.text(param))
            let inner = listed { $0.conditions(type: sourceType, filters: filters, on: s) }.joined(separator: " AND ")
            let from = "FROM idx_reference \(x) JOIN resource \(s) ON \(s).rid = \(x).rid WHERE \(x).param = \(paramBind)"
            if let type {
                // The searched type is known: an uncorrelated set of ids, computed once.
                return "\(r).res_id IN (SELECT \(x).target_id \(from) AND \(x).target_type = \(bind(.text(type))) AND \(inner))"
            }
            return "EXISTS (SELECT 1 \(from) AND \(x).target_type = \(r).res_type AND \(x).target_id = \(r).res_id AND \(inner))"
        case .not(let inner):
            return "NOT (" + predicate(inner, on: r, type: type) + ")"
        case .or(let alternatives):
            return "(" + alternatives.map { predicate($0, on: r, type: type) }.joined(separator: " OR ") + ")"
        case .and(let all):
            return "(" + all.map { predicate($0, on: r, type: type) }.joined(separator: " AND ") + ")"
        case .compartment(let ids):
            return "\(r).compartment IN (" + ids.map { bind(.text($0)) }.joined(separator: ", ") + ")"
        case .relatedPatients(let links):
            // The related patients, found from the reference index: one uncorrelated list.
            let x = alias("x")
            let e = alias("e")
            let tie = links.map { link in
                "(\(e).res_type = \(bind(.text(link.type))) AND \(x).param = \(bind(.text(link.param))) "
                    + "AND \(x).target_type = \(bind(.text(link.targetType))) AND \(x).target_id = \(bind(.text(link.targetId))))"
            }
            guard !tie.isEmpty else { return "1 = 0" }
            let related = "SELECT \(e).compartment FROM idx_reference \(x) JOIN resource \(e) ON \(e).rid = \(x).rid "
                + "WHERE \(e).deleted = 0 AND \(e).compartment IS NOT NULL AND (" + tie.joined(separator: " OR ") + ")"
            return type == "Patient" ? "\(r).res_id IN (\(related))" : "\(r).compartment IN (\(related))"
        case .composite, .canonicalQuantity, .text, .tokenIn:
            return extendedPredicate(p, on: r)
        case .compartmentOf(let sourceType, let filters):
            let e = alias("r")
            let inner = listed { $0.conditions(type: sourceType, filters: filters, on: e) }
            let owners = "SELECT \(e).compartment FROM resource \(e) WHERE \(e).compartment IS NOT NULL AND " + inner.joined(separator: " AND ")
            return type == "Patient" ? "\(r).res_id IN (\(owners))" : "\(r).compartment IN (\(owners))"
        case .near(let param, let latitude, let longitude, let kilometres):
            return nearCondition(param: param, latitude: latitude, longitude: longitude, kilometres: kilometres, on: r)
        }
    }

    /// A text column against a value: equal, starting with it (a code-point range, which an index on
    /// the column answers), containing it, or (`.above`) being a prefix of it.
    mutating func textCondition(_ column: String, _ match: TextMatch, _ value: String) -> String {
        switch match {
        case .exact:
            return "\(column) = \(bind(.text(value)))"
        case .startsWith:
            guard !value.isEmpty else { return "\(column) IS NOT NULL" }
            let c = dialect.bytewise(column)
            let low = "\(c) >= \(bind(.text(value)))"
            guard let next = Self.prefixSuccessor(value) else { return low }
            return "(\(low) AND \(c) < \(bind(.text(next))))"
        case .contains:
            let v = bind(.text(value))
            switch dialect {
            case .sqlite: return "instr(\(column), \(v)) > 0"
            case .postgres: return "strpos(\(column), \(v)) > 0"
            }
        case .above:
            return "(length(\(column)) > 0 AND substr(\(bind(.text(value))), 1, length(\(column))) = \(column))"
        }
    }

    /// The smallest string greater than every string that starts with `prefix` (in code-point order),
    /// nil when there is none.
    static func prefixSuccessor(_ prefix: String) -> String? {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            var v = last.value + 1
            if v == 0xD800 { v = 0xE000 }
            if let next = Unicode.Scalar(v) {
                scalars.append(next)
                var s = String.UnicodeScalarView()
                s.append(contentsOf: scalars)
                return String(s)
            }
        }
        return nil
    }

    /// FHIR prefix semantics on a stored range [lowColumn, highColumn] against the search range [low, high]
    /// (search.html#prefix: "the range of the search value fully contains the range of the target value"
    /// for eq; ge and le are gt and lt or eq).
    mutating func rangeCondition(_ prefix: ComparisonPrefix, lowColumn: String, highColumn: String, low: Int64, high: Int64) -> String {
        // Only the bounds a prefix compares with are bound: no placeholder is left unused.
        switch prefix {
        case .gt: return "\(highColumn) > \(bind(.int(high)))"
        case .lt: return "\(lowColumn) < \(bind(.int(low)))"
        case .sa: return "\(lowColumn) > \(bind(.int(high)))"
        case .eb: return "\(highColumn) < \(bind(.int(low)))"
        case .eq, .ne, .ge, .le, .ap:
            let lo = bind(.int(low))
            let hi = bind(.int(high))
            switch prefix {
            // `low <= hi` is implied (low ≤ high) but bounds the value index's range on `low` from above:
            // without it an equality walks every later value (a birth date: half the patients).
            case .eq: return "(\(lowColumn) >= \(lo) AND \(lowColumn) <= \(hi) AND \(highColumn) <= \(hi))"
            case .ne: return "(\(lowColumn) < \(lo) OR \(highColumn) > \(hi))"
            case .ge: return "(\(highColumn) > \(hi) OR (\(lowColumn) >= \(lo) AND \(highColumn) <= \(hi)))"
            case .le: return "(\(lowColumn) < \(lo) OR (\(lowColumn) >= \(lo) AND \(highColumn) <= \(hi)))"
            default: return "(\(highColumn) >= \(lo) AND \(lowColumn) <= \(hi))"  // ap
            }
        }
    }

    /// FHIR prefix semantics on a stored number (search.html#number): `eq` and `ne` use the range
    /// [low, high) the search value's precision implies, the ordering prefixes the value itself,
    /// `ap` ±10 % of it.
    mutating func numberCondition(_ column: String, _ prefix: ComparisonPrefix, value: Double, low: Double, high: Double) -> String {
        switch prefix {
        case .eq: return "(\(column) >= \(bind(.double(low))) AND \(column) < \(bind(.double(high))))"
        case .ne: return "(\(column) < \(bind(.double(low))) OR \(column) >= \(bind(.double(high))))"
        case .gt, .sa: return "\(column) > \(bind(.double(value)))"
        case .lt, .eb: return "\(column) < \(bind(.double(value)))"
        case .ge: return "\(column) >= \(bind(.double(value)))"
        case .le: return "\(column) <= \(bind(.double(value)))"
        case .ap:
            let margin = abs(value) * 0.1
            return "(\(column) >= \(bind(.double(value - margin))) AND \(column) <= \(bind(.double(value + margin))))"
        }
    }

    public mutating func countStatement(_ q: StoreQuery) -> String {
        drivenCountStatement(q) ?? "SELECT count(*) FROM resource r WHERE " + whereClause(q)
    }

    /// Conditional-interaction lookup: the keys of at most `limit` matches.
    public mutating func keysStatement(_ q: StoreQuery, limit: Int) -> String {
        "SELECT r.res_type, r.res_id FROM resource r WHERE \(whereClause(q)) ORDER BY r.rid LIMIT \(bind(.int(Int64(limit))))"
    }
}
