import FHIRCore

/// One `name=value` pair of a search query string, percent-decoded, with the modifier split off.
public struct SearchParameterValue: Sendable, Equatable {
    public var name: String
    public var modifier: String?
    public var value: String
    public var raw: String { modifier.map { "\(name):\($0)" } ?? name }
}

/// The result-shaping parameters of a search (search.html#return).
public struct SearchResultOptions: Sendable {
    public enum Total: String, Sendable { case none, estimate, accurate }
    public var count: Int?
    public var total: Total = .none
    public var summary: String?
    public var elements: [String]?
    public var cursor: PageCursor?
    /// `_include` and `_revinclude` requests, in the order given.
    public var includes: [IncludeRequest] = []
    public var revincludes: [IncludeRequest] = []
    /// The page position from `_cursor`, with its direction.
    var page: SearchCursor?
    public init() {}
}

/// One `_include` or `_revinclude` value (search.html#include): `Source:param[:Target]`, or `*` for
/// every reference parameter; `:iterate` also applies it to the resources it included.
public struct IncludeRequest: Sendable, Equatable {
    /// The type whose references are followed; `*` for any type.
    public var sourceType: String
    /// The reference parameter, nil for all of them.
    public var param: String?
    public var targetType: String?
    public var iterate: Bool
    public init(sourceType: String, param: String?, targetType: String?, iterate: Bool) {
        self.sourceType = sourceType
        self.param = param
        self.targetType = targetType
        self.iterate = iterate
    }
}

/// Parsing of query strings into `StoreQuery` filters.
public enum SearchRequest {
    /// Splits `a=1&b:exact=x%20y` into decoded pairs. `+` is a space (form encoding, used by POST _search).
    public static func pairs(_ query: String) -> [SearchParameterValue] {
        var result: [SearchParameterValue] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let rawName = percentDecode(String(kv[0]))
            let value = kv.count > 1 ? percentDecode(String(kv[1])) : ""
            let nameParts = rawName.split(separator: ":", maxSplits: 1).map(String.init)
            guard let name = nameParts.first, !name.isEmpty else { continue }
            result.append(SearchParameterValue(name: name, modifier: nameParts.count > 1 ? nameParts[1] : nil, value: value))
        }
        return result
    }

    static func percentDecode(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return s }
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if c == UInt8(ascii: "%"), it.count >= 2,
                let h = hexValue(it[it.startIndex]), let l = hexValue(it[it.startIndex + 1])
            {
                bytes.append(h << 4 | l)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// Splits a parameter value on unescaped commas (OR) and removes the `\,` `\|` `\$` escapes
    /// later, after `|` has been split.
    static func orValues(_ value: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for ch in value {
            if escaped {
                current.append("\\")
                current.append(ch)
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else if ch == "," {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        if escaped { current.append("\\") }
        parts.append(current)
        return parts
    }

    /// A parameter written as `name[:modifier]` (the key of a chain's or `_has`'s remainder).
    static func parameter(key: String, value: String) -> SearchParameterValue {
        if key.hasPrefix("_has:") {
            return SearchParameterValue(name: "_has", modifier: String(key.dropFirst(5)), value: value)
        }
        let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
        return SearchParameterValue(name: parts.first ?? key, modifier: parts.count > 1 ? parts[1] : nil, value: value)
    }

    /// Splits on every unescaped `separator`, keeping the escapes (composite values split on `$`).
    static func split(_ value: String, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for ch in value {
            if escaped {
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else if ch == separator {
                parts.append(current)
                current = ""
                continue
            }
            current.append(ch)
        }
        parts.append(current)
        return parts
    }

    /// Splits on the first unescaped `|`.
    static func splitBar(_ value: String) -> (String, String)? {
        var escaped = false
        var idx = value.startIndex
        while idx < value.endIndex {
            let ch = value[idx]
            if escaped {
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else if ch == "|" {
                return (String(value[..<idx]), String(value[value.index(after: idx)...]))
            }
            idx = value.index(after: idx)
        }
        return nil
    }

    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = ""
        var escaped = false
        for ch in s {
            if escaped {
                out.append(ch)
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
