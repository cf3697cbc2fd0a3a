/// Toneless pinyin of Han characters, for name matching and type-ahead (`zs` or `zhangsan` finds 张三).
/// A character can have several readings (多音字; surnames such as 单 Shàn, 曾 Zēng): every reading is
/// kept, the most common first, so a matcher can try them all.
public struct Pinyin: Sendable {
    private let readings: [Character: [String]]

    /// The table vendored from pypinyin (MIT), loaded once.
    public static let shared = Pinyin()

    private init() {
        var table: [Character: [String]] = [:]
        for row in ReferenceFile.rows("pinyin") where row.count >= 2 {
            guard let ch = row[0].first else { continue }
            table[ch] = row[1].split(separator: "|").map(String.init)
        }
        readings = table
    }

    /// Every toneless reading of `character`, most common first; empty for a character that is not Han.
    public func readings(of character: Character) -> [String] {
        readings[character] ?? []
    }

    /// The most common reading of each character, lowercased; other characters are kept as they are
    /// (lowercased, spaces dropped), so `张三` → `zhangsan`, `Li Ming` → `liming`.
    public func romanize(_ text: String) -> String {
        var out = ""
        for ch in text {
            if let r = readings[ch]?.first { out += r } else if !ch.isWhitespace && ch != "·" && ch != "." { out += ch.lowercased() }
        }
        return out
    }

    /// One syllable per Han character (most common reading), for display and word-level comparison.
    public func syllables(_ text: String) -> [String] {
        text.compactMap { ch in readings[ch]?.first ?? (ch.isLetter || ch.isNumber ? ch.lowercased() : nil) }
    }

    /// Every romanization obtained by trying each reading of each character (bounded, since a name
    /// of four polyphonic characters could have dozens).
    public func allRomanizations(_ text: String, limit: Int = 16) -> [String] {
        var results = [""]
        for ch in text {
            if ch.isWhitespace || ch == "·" || ch == "." { continue }
            let options = readings[ch] ?? [ch.lowercased()]
            var next: [String] = []
            for prefix in results {
                for option in options where next.count < limit { next.append(prefix + option) }
            }
            results = next
        }
        return results
    }

    /// The first letters of the most common readings (`张三` → `zs`), as Chinese type-ahead uses.
    public func initials(_ text: String) -> String {
        String(text.compactMap { ch -> Character? in
            if let r = readings[ch]?.first { return r.first }
            return ch.isLetter || ch.isNumber ? Character(ch.lowercased()) : nil
        })
    }

    /// True when `text` contains a Han character the table knows.
    public func containsHan(_ text: String) -> Bool {
        text.contains { readings[$0] != nil }
    }
}
