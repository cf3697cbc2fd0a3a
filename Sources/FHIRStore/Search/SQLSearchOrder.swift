/// Ordering and keyset paging of the search statement. Without `_sort` pages follow the row id; with
/// it, the sort keys are columns of a derived table, the row id breaks ties, and a page continues
/// from the key values and row id of the row where the previous one ended (search.html#sort).
extension SQLSearchBuilder {
    static let pageColumns = ["rid", "res_type", "res_id", "version_id", "last_updated", "json"]

    /// The page statement: the rows after (or, for a previous page, before) the cursor in sort order,
    /// one more than the page to know whether another page exists. Columns: rid, res_type, res_id,
    /// version_id, last_updated, json. A previous page comes nearest row first (reverse order).
    public mutating func pageStatement(_ q: StoreQuery) -> String {
        let backward = q.before != nil
        let cursor = q.before ?? q.after
        if q.sort.isEmpty, let driven = drivenPageStatement(q) { return driven }
        if q.sort.isEmpty {
            var w = whereClause(q)
            if let cursor {
                let op = backward ? (cursor.inclusive ? "<=" : "<") : (cursor.inclusive ? ">=" : ">")
                w += " AND r.rid \(op) \(bind(.int(cursor.rowId)))"
            }
            let limit = bind(.int(Int64(q.count + 1)))
            let columns = Self.pageColumns.map { "r." + $0 }.joined(separator: ", ")
            return "SELECT \(columns) FROM resource r WHERE \(w) ORDER BY r.rid\(backward ? " DESC" : "") LIMIT \(limit)"
        }
        var inner = Self.pageColumns.map { "r." + $0 }
        for (i, key) in q.sort.enumerated() { inner.append("\(sortExpression(key)) AS k\(i)") }
        let w = whereClause(q)
        var sql = "SELECT " + Self.pageColumns.map { "page." + $0 }.joined(separator: ", ")
            + " FROM (SELECT " + inner.joined(separator: ", ") + " FROM resource r WHERE \(w)) page"
        if let cursor { sql += " WHERE " + keysetCondition(q.sort, cursor, backward: backward) }
        var order = q.sort.enumerated().map { i, key in
            let descending = key.descending != backward
            return keyColumn(i, key) + (descending ? " DESC" : " ASC") + (backward ? " NULLS FIRST" : " NULLS LAST")
        }
        order.append("page.rid" + (backward ? " DESC" : ""))
        return sql + " ORDER BY " + order.joined(separator: ", ") + " LIMIT \(bind(.int(Int64(q.count + 1))))"
    }

    /// Whether a sort key's values are text (compared by code point on both backends).
    static func isText(_ key: SortKey) -> Bool {
        switch key {
        case .lastUpdated: return false
        case .id: return true
        case .parameter(_, let table, _): return [.string, .token, .reference, .uri].contains(table)
        }
    }

    func keyColumn(_ i: Int, _ key: SortKey) -> String {
        Self.isText(key) ? dialect.bytewise("page.k\(i)") : "page.k\(i)"
    }

    /// The value a resource sorts by: the lowest indexed value ascending, the highest descending.
    mutating func sortExpression(_ key: SortKey) -> String {
        switch key {
        case .lastUpdated: return "r.last_updated"
        case .id: return dialect.bytewise("r.res_id")
        case .parameter(let code, let table, let descending):
            let a = alias("o")
            let column: String
            switch table {
            case .string: column = "\(a).normalized"
            case .token: column = "\(a).code"
            case .reference: column = "COALESCE(\(a).target_type || '/' || \(a).target_id, \(a).url)"
            case .uri: column = "\(a).uri"
            case .number, .quantity: column = "\(a).value"
            case .date: column = descending ? "\(a).high" : "\(a).low"
            }
            let value = Self.isText(key) ? dialect.bytewise(column) : column
            return "(SELECT \(descending ? "max" : "min")(\(value)) FROM \(table.rawValue) \(a) WHERE \(a).rid = r.rid AND \(a).param = \(bind(.text(code))))"
        }
    }

    /// Rows strictly after (before, when `backward`) the cursor row in the order
    /// (k0, k1, ..., rid), resources without a value sorting last: the lexicographic expansion
    /// `k0 > v0 OR (k0 = v0 AND k1 > v1) OR ...`, with NULL handled explicitly (never bound).
    mutating func keysetCondition(_ sort: [SortKey], _ cursor: PageCursor, backward: Bool) -> String {
        var alternatives: [String] = []
        var equal: [String] = []
        for (i, key) in sort.enumerated() {
            let column = keyColumn(i, key)
            let value = i < cursor.keys.count ? cursor.keys[i] : .null
            let beyond: String?
            if value == .null {
                // Values sort before NULL: going forward nothing is beyond it, going back every value is.
                beyond = backward ? "\(column) IS NOT NULL" : nil
            } else {
                let greater = key.descending == backward
                let v = bind(value)
                beyond = backward ? "\(column) \(greater ? ">" : "<") \(v)" : "(\(column) \(greater ? ">" : "<") \(v) OR \(column) IS NULL)"
            }
            if let beyond { alternatives.append((equal + [beyond]).joined(separator: " AND ")) }
            equal.append(value == .null ? "\(column) IS NULL" : "\(column) = \(bind(value))")
        }
        let op = backward ? (cursor.inclusive ? "<=" : "<") : (cursor.inclusive ? ">=" : ">")
        alternatives.append((equal + ["page.rid \(op) \(bind(.int(cursor.rowId)))"]).joined(separator: " AND "))
        return "(" + alternatives.map { "(\($0))" }.joined(separator: " OR ") + ")"
    }
}
