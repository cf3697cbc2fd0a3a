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

/// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5).
enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            let chars = min(4, bytes.count - i + 1)
            for k in 0..<chars { out.append(alphabet[Int(n >> UInt32(18 - 6 * k) & 63)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var bits: UInt32 = 0
        var count = 0
        var out: [UInt8] = []
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "-"): v = 62
            case UInt8(ascii: "_"): v = 63
            default: return nil
            }
            bits = bits << 6 | UInt32(v)
            count += 6
            if count >= 8 {
                count -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
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
