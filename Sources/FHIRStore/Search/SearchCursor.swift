import FHIRCore

/// The `_cursor` value of paging links: which side of which row a page starts from, with the row's
/// sort-key values, so a page is found by keyset whatever was written since (never OFFSET).
///
/// Form: a direction letter (`a` after, `A` at or after, `b` before, `B` at or before), the row id,
/// then one `~`-separated value per sort key: `n` (none), `i<integer>`, `d<double>`,
/// `s<base64url of UTF-8>`. A bare integer is the row id going forward (links of earlier versions).
struct SearchCursor: Equatable {
    var cursor: PageCursor
    var backward: Bool

    init(_ cursor: PageCursor, backward: Bool) {
        self.cursor = cursor
        self.backward = backward
    }

    init?(_ text: String) {
        if let rid = Int64(text) {
            self.init(PageCursor(rowId: rid), backward: false)
            return
        }
        let parts = text.split(separator: "~", omittingEmptySubsequences: false)
        guard let head = parts.first, let direction = head.first, let rid = Int64(head.dropFirst()) else { return nil }
        var keys: [SQLValue] = []
        for part in parts.dropFirst() {
            guard let tag = part.first else { return nil }
            let body = String(part.dropFirst())
            switch tag {
            case "n": keys.append(.null)
            case "i":
                guard let v = Int64(body) else { return nil }
                keys.append(.int(v))
            case "d":
                guard let v = Double(body), v.isFinite else { return nil }
                keys.append(.double(v))
            case "s":
                guard let bytes = Base64URL.decode(body) else { return nil }
                keys.append(.text(String(decoding: bytes, as: UTF8.self)))
            default: return nil
            }
        }
        switch direction {
        case "a": self.init(PageCursor(rowId: rid, keys: keys), backward: false)
        case "A": self.init(PageCursor(rowId: rid, keys: keys, inclusive: true), backward: false)
        case "b": self.init(PageCursor(rowId: rid, keys: keys), backward: true)
        case "B": self.init(PageCursor(rowId: rid, keys: keys, inclusive: true), backward: true)
        default: return nil
        }
    }

    var text: String {
        let direction = backward ? (cursor.inclusive ? "B" : "b") : (cursor.inclusive ? "A" : "a")
        var out = direction + String(cursor.rowId)
        for k in cursor.keys {
            switch k {
            case .null, .blob: out += "~n"
            case .int(let v): out += "~i\(v)"
            case .double(let v): out += "~d\(v)"
            case .text(let s): out += "~s" + Base64URL.encode(Array(s.utf8))
            }
        }
        return out
    }
}

extension SortKey {
    /// The value this key gives `record` — computed from the resource's own index rows, exactly as
    /// the SQL sort expression computes it from the stored ones (lowest value ascending, highest
    /// descending, text by code point), so a cursor continues where the page ended.
    func value(of record: ResourceRecord, rows: SearchIndexRows) -> SQLValue {
        switch self {
        case .lastUpdated: return .int(record.lastUpdated)
        case .id: return .text(record.id)
        case .parameter(let code, let table, let descending):
            func pick<T: Comparable>(_ values: [T]) -> T? { descending ? values.max() : values.min() }
            func text(_ values: [String]) -> SQLValue {
                let sorted = values.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                guard let v = descending ? sorted.last : sorted.first else { return .null }
                return .text(v)
            }
            switch table {
            case .string: return text(rows.strings.filter { $0.param == code }.map(\.normalized))
            case .token: return text(rows.tokens.filter { $0.param == code }.compactMap(\.code))
            case .reference:
                return text(rows.references.filter { $0.param == code }.compactMap { x in
                    if let t = x.targetType, let id = x.targetId { return t + "/" + id }
                    return x.url
                })
            case .uri: return text(rows.uris.filter { $0.param == code }.map(\.uri))
            case .number: return pick(rows.numbers.filter { $0.param == code }.map(\.value)).map { .double($0) } ?? .null
            case .quantity: return pick(rows.quantities.filter { $0.param == code }.map(\.value)).map { .double($0) } ?? .null
            case .date:
                let dates = rows.dates.filter { $0.param == code }
                return pick(dates.map { descending ? $0.high : $0.low }).map { .int($0) } ?? .null
            }
        }
    }
}
