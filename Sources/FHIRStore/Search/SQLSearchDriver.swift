/// Pages in row-id order driven by one criterion. A first page must cost the page, not the result:
/// instead of a list of every match per criterion (50,000 row ids for a common LOINC code, most of
/// the table for each half of a date range), one criterion's index rows are walked in row-id order
/// and the walk stops at the page's end; every other criterion is a probe (`EXISTS` by row id) on
/// the rows the walk meets. Measured at 1M resources over HTTP (p50): token 13 → 0.5 ms, date range
/// 423 → 3 ms (docs/benchmarks.md, "Search (1M resources)").
extension SQLSearchBuilder {
    /// How `exists` writes a criterion on index rows.
    enum Membership {
        /// `r.rid IN (SELECT rid FROM idx …)`: an uncorrelated set (narrow criteria, counts, sorts).
        case list
        /// `EXISTS (SELECT 1 FROM idx a WHERE a.rid = r.rid …)`: one index look-up per row met.
        case probe
        /// Not written: the index rows are kept in `captured` to drive the statement.
        case capture
    }

    /// A criterion's index rows, as captured to drive a statement: `table` aliased `alias`,
    /// `param = paramBind` and `conditions` on the alias's columns.
    struct DrivingRows {
        var table: IndexTable
        var alias: String
        var param: String
        var paramBind: String
        var conditions: [String]
    }

    /// How well a criterion drives a walk in row-id order; smaller is better, nil when it cannot.
    /// Tens: 0 = its index rows come in row-id order for one value (equality on every column before
    /// `rid`: the walk stops after the page); 1 = an index range bounds it (its matches are a list,
    /// usually short, see `listDrivenWhere`); 2 = no index bound (one-sided ranges, text inside
    /// values, `:missing=false`): the walk goes through the table's row-id index, cheap when
    /// matches are common, up to the whole table when they are rare (a one-sided date matching
    /// nothing: ~120 ms at 1M). Units prefer the kind that is usually the rarer.
    static func drivingRank(_ p: IndexPredicate) -> Int? {
        switch p {
        case .reference(_, let type, let id, let url):
            if id != nil, type != nil, url == nil { return 0 }
            return id != nil || url != nil ? 10 : 20
        case .uri(_, let match, _):
            return match == .exact ? 1 : (match == .startsWith ? 11 : 21)
        case .token(_, let system, let code, let absent):
            guard code != nil else { return 22 }
            return system != nil || absent ? 2 : 12
        case .string(_, let match, let value):
            return match == .startsWith && !value.isEmpty ? 13 : 23
        case .chain:
            return 14
        case .date(_, let prefix, _, _):
            // An upper bound drives a walk newest first (SQLSearchDateWalk.swift).
            return prefix == .eq ? 15 : ([.lt, .le, .eb].contains(prefix) ? 24 : 25)
        case .number(_, let prefix, _, _, _):
            return prefix == .eq ? 16 : 26
        case .quantity(_, let prefix, _, _, _, _, let code):
            return prefix == .eq && code != nil ? 17 : 27
        case .tokenText:
            return 28
        case .missing(_, _, let missing):
            return missing ? nil : 29
        default:
            // _id, _lastUpdated, _has, compartments, negations and alternatives: see `driver`.
            return nil
        }
    }

    /// Whether a criterion names the resource rows themselves (by id, by compartment, or as the
    /// targets of other resources): such a set is small and indexed on `resource`, so the plain
    /// statement answers best.
    static func keysRows(_ ors: [IndexPredicate]) -> Bool {
        ors.contains { p in
            switch p {
            case .id, .compartment, .referencedBy, .relatedPatients, .compartmentOf: return true
            default: return false
            }
        }
    }

    /// The criterion (index into `filters`) that drives the statement and its rank, nil when the
    /// plain statement is better: no criterion can drive, or one names the rows by key.
    static func driver(_ q: StoreQuery) -> (index: Int, rank: Int)? {
        guard !q.filters.contains(where: keysRows) else { return nil }
        var best: (index: Int, rank: Int)?
        for (i, ors) in q.filters.enumerated() where ors.count == 1 {
            guard let rank = drivingRank(ors[0]), rank < best?.rank ?? Int.max else { continue }
            best = (i, rank)
        }
        return best
    }

    /// `SELECT DISTINCT a.rid FROM <driving index rows> a JOIN resource p …`: the current rows of the
    /// query's type met by the walk that pass every other criterion (as probes), after `cursor`.
    /// Nil when the driving criterion could not be captured.
    /// When `counting`, the resource rows are read through the index of current rows by type.
    mutating func drivenRows(_ q: StoreQuery, driver: (index: Int, rank: Int), cursor: PageCursor?, backward: Bool, counting: Bool = false) -> (sql: String, alias: String)? {
        let p = alias("p")
        let mark = binds.count
        membership = .capture
        captured = nil
        _ = predicate(q.filters[driver.index][0], on: p, type: q.type)
        membership = .probe
        defer { membership = .list }
        guard let rows = captured else {
            binds.removeLast(binds.count - mark)
            return nil
        }
        let a = rows.alias
        // Unbounded criteria walk the table's row-id index; SQLite must not pick the value index
        // (a range over most of it, then a sort of every match).
        let param = (driver.rank >= 20 ? dialect.unindexed("\(a).param") : "\(a).param") + " = \(rows.paramBind)"
        var parts = [param] + rows.conditions + ["\(p).deleted = 0"]
        let viaCurrent = counting && q.type != nil
        if let type = q.type { parts.append("\(viaCurrent ? "\(p).res_type" : dialect.unindexed("\(p).res_type")) = \(bind(.text(type)))") }
        for (i, ors) in q.filters.enumerated() where i != driver.index && !ors.isEmpty {
            let alts = ors.map { predicate($0, on: p, type: q.type) }
            parts.append(alts.count == 1 ? alts[0] : "(" + alts.joined(separator: " OR ") + ")")
        }
        if let cursor {
            let op = backward ? (cursor.inclusive ? "<=" : "<") : (cursor.inclusive ? ">=" : ">")
            parts.append("\(a).rid \(op) \(bind(.int(cursor.rowId)))")
        }
        let resource = viaCurrent ? dialect.currentRows(p) : "resource \(p)"
        let sql = "SELECT DISTINCT \(a).rid FROM \(rows.table.rawValue) \(a) JOIN \(resource) ON \(p).rid = \(a).rid WHERE "
            + parts.joined(separator: " AND ")
        return (sql, a)
    }

    /// The rows of a walk through an unbounded criterion's table (ranks 2x), in rid order:
    /// `SELECT a.rid FROM <table> a WHERE a.param = ? AND (c0 OR c1 …) GROUP BY a.rid HAVING
    /// max(CASE WHEN c1 …) = 1 … AND EXISTS (<the resource row, other criteria probed>)`. Criteria on
    /// the same table and parameter as the driver (the `lt` of a `ge`…`lt` date range) are folded
    /// into the walk: each must hold for some row of the resource, not necessarily the same row, as
    /// when they are apart, but no probe is needed (date range page in the sqlite3 shell: p50
    /// 1.2 → 0.76 ms, p99 4.8 → 2.3 ms). The resource row is read only for resources that passed.
    mutating func walkedRows(_ q: StoreQuery, driver: Int, cursor: PageCursor?, backward: Bool) -> (sql: String, alias: String)? {
        let mark = binds.count
        membership = .capture
        defer { membership = .list }
        captured = nil
        _ = predicate(q.filters[driver][0], on: "r", type: q.type)
        guard let rows = captured else {
            binds.removeLast(binds.count - mark)
            return nil
        }
        let a = rows.alias
        var folded = [Self.condition(rows.conditions)]
        var probed: [[IndexPredicate]] = []
        for (i, ors) in q.filters.enumerated() where i != driver && !ors.isEmpty {
            let before = binds.count
            captured = nil
            if ors.count == 1, Self.drivingRank(ors[0]) != nil {
                _ = predicate(ors[0], on: "r", type: q.type)
                if let other = captured, other.table == rows.table, other.param == rows.param {
                    folded.append(Self.condition(other.conditions.map { Self.realias($0, from: other.alias, to: a) }))
                    // Its parameter (bound last) is the driver's: no placeholder is left unused.
                    if other.paramBind == dialect.placeholder(binds.count) { binds.removeLast() }
                    continue
                }
            }
            binds.removeLast(binds.count - before)
            probed.append(ors)
        }
        let p = alias("p")
        membership = .probe
        var resource = ["\(p).rid = \(a).rid", "\(p).deleted = 0"]
        if let type = q.type { resource.append("\(dialect.unindexed("\(p).res_type")) = \(bind(.text(type)))") }
        for ors in probed {
            let alts = ors.map { predicate($0, on: p, type: q.type) }
            resource.append(alts.count == 1 ? alts[0] : "(" + alts.joined(separator: " OR ") + ")")
        }
        // SQLite must walk the table's rid index, not a range of the value index then a sort.
        var walk = ["\(dialect.unindexed("\(a).param")) = \(rows.paramBind)", folded.count == 1 ? folded[0] : "(" + folded.joined(separator: " OR ") + ")"]
        if let cursor {
            let op = backward ? (cursor.inclusive ? "<=" : "<") : (cursor.inclusive ? ">=" : ">")
            walk.append("\(a).rid \(op) \(bind(.int(cursor.rowId)))")
        }
        var having = folded.count == 1 ? [] : folded.map { "max(CASE WHEN \($0) THEN 1 ELSE 0 END) = 1" }
        having.append("EXISTS (SELECT 1 FROM resource \(p) WHERE " + resource.joined(separator: " AND ") + dialect.probeFence + ")")
        let sql = "SELECT \(a).rid FROM \(rows.table.rawValue) \(a) WHERE " + walk.joined(separator: " AND ")
            + " GROUP BY \(a).rid HAVING " + having.joined(separator: " AND ")
        return (sql, a)
    }

    /// Conditions as one (`1 = 1` when there are none, as for `:missing=false`).
    static func condition(_ parts: [String]) -> String {
        parts.isEmpty ? "1 = 1" : "(" + parts.joined(separator: " AND ") + ")"
    }

    /// `sql` with the table alias `from` renamed `to` (`d7.low` → `d3.low`, never `d70.low`).
    static func realias(_ sql: String, from: String, to: String) -> String {
        var out = ""
        var rest = Substring(sql)
        let needle = from + "."
        while let range = rest.range(of: needle) {
            let before = rest[..<range.lowerBound]
            let joined = before.last.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false
            out += before + (joined ? needle : to + ".")
            rest = rest[range.upperBound...]
        }
        return out + rest
    }

    /// A chain as a probe: the references of row `r` through `param`, their targets by (type, id),
    /// the targets' criteria probed in turn. Its cost follows the rows the walk meets, where the
    /// chain as a list would first collect every target that matches (5,000 for a gender).
    /// `CROSS JOIN` keeps SQLite on that order (references of the row first); PostgreSQL reads it
    /// as an inner join.
    mutating func chainProbe(param: String, targetType: String, filters: [[IndexPredicate]], of r: String) -> String {
        let x = alias("x")
        let t = alias("r")
        let typeBind = bind(.text(targetType))
        var parts = [
            "\(x).rid = \(r).rid", "\(dialect.unindexed("\(x).param")) = \(bind(.text(param)))", "\(x).target_type = \(typeBind)",
            "\(t).res_type = \(typeBind)", "\(t).res_id = \(x).target_id", "\(t).deleted = 0",
        ]
        for ors in filters where !ors.isEmpty {
            let alts = ors.map { predicate($0, on: t, type: targetType) }
            parts.append(alts.count == 1 ? alts[0] : "(" + alts.joined(separator: " OR ") + ")")
        }
        return "EXISTS (SELECT 1 FROM idx_reference \(x) CROSS JOIN resource \(t) WHERE " + parts.joined(separator: " AND ") + dialect.probeFence + ")"
    }

    /// The WHERE clause on `r` for a driver bounded by an index range (ranks 1x): its matches as a
    /// list, which the planner reads and sorts by rid (usually few, and only the index), then the
    /// rows in rid order with every other criterion probed, stopping at the page's end. Walking
    /// the index instead would look up the resource row of every match before the sort.
    /// When `counting`, the type is written for `currentRows` (no `+`).
    mutating func listDrivenWhere(_ q: StoreQuery, driver: Int, counting: Bool = false, asArray: Bool = false) -> String {
        var parts = ["r.deleted = 0"]
        if let type = q.type { parts.append("\(counting ? "r.res_type" : dialect.unindexed("r.res_type")) = \(bind(.text(type)))") }
        listsAsArrays = asArray
        parts.append(predicate(q.filters[driver][0], on: "r", type: q.type))
        listsAsArrays = false
        membership = .probe
        defer { membership = .list }
        for (i, ors) in q.filters.enumerated() where i != driver && !ors.isEmpty {
            let alts = ors.map { predicate($0, on: "r", type: q.type) }
            parts.append(alts.count == 1 ? alts[0] : "(" + alts.joined(separator: " OR ") + ")")
        }
        return parts.joined(separator: " AND ")
    }

    /// The page statement in row-id order when a criterion can drive it (see `driver`).
    mutating func drivenPageStatement(_ q: StoreQuery) -> String? {
        guard let driver = Self.driver(q) else { return nil }
        let backward = q.before != nil
        let cursor = q.before ?? q.after
        let order = backward ? " DESC" : ""
        if driver.rank >= 20, let walk = dateWalkPageStatement(q, driver: driver.index) { return walk }
        let columns = Self.pageColumns.map { "r." + $0 }.joined(separator: ", ")
        if (10..<20).contains(driver.rank) {
            let twoSteps = dialect.limitsRowIdsFirst
            var w = listDrivenWhere(q, driver: driver.index, counting: twoSteps, asArray: twoSteps)
            if let cursor {
                let op = backward ? (cursor.inclusive ? "<=" : "<") : (cursor.inclusive ? ">=" : ">")
                w += " AND r.rid \(op) \(bind(.int(cursor.rowId)))"
            }
            let limit = bind(.int(Int64(q.count + 1)))
            if twoSteps {
                let resource = q.type == nil ? "resource r" : dialect.currentRows("r")
                let outer = Self.pageColumns.map { "o." + $0 }.joined(separator: ", ")
                return "SELECT \(outer) FROM resource o WHERE o.rid IN (SELECT r.rid FROM \(resource) WHERE \(w) ORDER BY r.rid\(order) LIMIT \(limit)) ORDER BY o.rid\(order)"
            }
            return "SELECT \(columns) FROM resource r WHERE \(w) ORDER BY r.rid\(order) LIMIT \(limit)"
        }
        let walked = driver.rank >= 20 && dialect.foldsWalks
            ? walkedRows(q, driver: driver.index, cursor: cursor, backward: backward)
            : drivenRows(q, driver: driver, cursor: cursor, backward: backward)
        guard let rows = walked else { return nil }
        let limit = bind(.int(Int64(q.count + 1)))
        return "SELECT \(columns) FROM resource r WHERE r.rid IN (\(rows.sql) ORDER BY \(rows.alias).rid\(order) LIMIT \(limit)) ORDER BY r.rid\(order)"
    }

    /// The count statement when an index bounds the driving criterion (ranks under 20): its
    /// matches, the other criteria probed on them.
    mutating func drivenCountStatement(_ q: StoreQuery) -> String? {
        guard let driver = Self.driver(q), driver.rank < 20 else { return nil }
        if driver.rank >= 10 {
            let resource = q.type == nil ? "resource r" : dialect.currentRows("r")
            return "SELECT count(*) FROM \(resource) WHERE " + listDrivenWhere(q, driver: driver.index, counting: true)
        }
        guard let rows = drivenRows(q, driver: driver, cursor: nil, backward: false, counting: true) else { return nil }
        return "SELECT count(*) FROM (\(rows.sql)) matches"
    }
}
