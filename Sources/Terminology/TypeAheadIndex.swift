import ChinaReference

/// Search keys of every concept of a code system, for `$expand?filter=`: the display (and other
/// designations) as typed in Chinese characters, the full pinyin (`gaoxueya`) and the pinyin
/// initials (`gxy`) of the display, and the code. Built once per code system, on first use.
struct TypeAheadIndex: Sendable {
    private let codes: [[UInt8]]
    private let texts: [[UInt8]]
    private let spellings: [[UInt8]]
    private let initials: [[UInt8]]

    /// How well a concept matches, best first; ties keep the shorter display first.
    enum Rank: Int, Comparable, Sendable {
        case exact = 0, prefix, contains
        static func < (a: Rank, b: Rank) -> Bool { a.rawValue < b.rawValue }
    }

    init(_ concepts: [TerminologyConcept]) {
        let pinyin = Pinyin.shared
        var codes: [[UInt8]] = [], texts: [[UInt8]] = [], spellings: [[UInt8]] = [], initials: [[UInt8]] = []
        codes.reserveCapacity(concepts.count)
        texts.reserveCapacity(concepts.count)
        spellings.reserveCapacity(concepts.count)
        initials.reserveCapacity(concepts.count)
        for c in concepts {
            let display = c.display ?? ""
            codes.append(Array(c.code.lowercased().utf8))
            // Other designations (English names) are searchable too, after the display so prefixes rank on it.
            let text = ([display] + c.designations.map(\.value)).joined(separator: "\u{1}").lowercased()
            texts.append(Array(text.utf8))
            spellings.append(Array(pinyin.syllables(display).joined().utf8))
            initials.append(Array(pinyin.initials(display).utf8))
        }
        self.codes = codes
        self.texts = texts
        self.spellings = spellings
        self.initials = initials
    }

    /// The positions of the concepts matching every word of `filter`, best match first.
    func matches(_ filter: String) -> [Int] {
        let words = filter.lowercased().split(whereSeparator: \.isWhitespace).map { Array($0.utf8) }
        guard !words.isEmpty else { return Array(codes.indices) }
        var hits: [(rank: Rank, length: Int, position: Int)] = []
        for i in codes.indices {
            var worst = Rank.exact
            var all = true
            for w in words {
                guard let r = rank(w, i) else { all = false; break }
                worst = max(worst, r)
            }
            if all { hits.append((worst, texts[i].count, i)) }
        }
        hits.sort { ($0.rank, $0.length, $0.position) < ($1.rank, $1.length, $1.position) }
        return hits.map(\.position)
    }

    private func rank(_ word: [UInt8], _ i: Int) -> Rank? {
        if codes[i] == word { return .exact }
        var best: Rank?
        for key in [texts[i], spellings[i], initials[i], codes[i]] {
            if key.count == word.count, key == word { return .exact }
            if Self.hasPrefix(key, word) { best = .prefix } else if best == nil, Self.contains(key, word) { best = .contains }
        }
        return best
    }

    static func hasPrefix(_ key: [UInt8], _ word: [UInt8]) -> Bool {
        key.count >= word.count && key.withUnsafeBufferPointer { k in word.withUnsafeBufferPointer { w in
            for j in 0..<w.count where k[j] != w[j] { return false }
            return true
        } }
    }

    /// Byte-wise substring search: UTF-8 keeps a character's bytes together, so a byte match is a text match.
    static func contains(_ key: [UInt8], _ word: [UInt8]) -> Bool {
        guard !word.isEmpty else { return true }
        guard key.count >= word.count else { return false }
        return key.withUnsafeBufferPointer { k in word.withUnsafeBufferPointer { w in
            let first = w[0]
            var i = 0
            let last = k.count - w.count
            while i <= last {
                if k[i] == first {
                    var j = 1
                    while j < w.count && k[i + j] == w[j] { j += 1 }
                    if j == w.count { return true }
                }
                i += 1
            }
            return false
        } }
    }
}
