/// The eight data mask patterns and the penalty rules that choose among them (ISO/IEC 18004 7.8):
/// the mask whose symbol has the fewest long runs, 2×2 blocks, finder-like patterns and the most
/// balanced dark/light ratio is the easiest to read.
enum QRMasking {
    /// Penalty weights N1–N4 of the standard.
    static let runWeight = 3, blockWeight = 3, finderLikeWeight = 40, balanceWeight = 10

    /// Whether mask `pattern` inverts the module at column x, row y.
    static func inverts(_ pattern: Int, _ x: Int, _ y: Int) -> Bool {
        switch pattern {
        case 0: return (x + y) % 2 == 0
        case 1: return y % 2 == 0
        case 2: return x % 3 == 0
        case 3: return (x + y) % 3 == 0
        case 4: return (x / 3 + y / 2) % 2 == 0
        case 5: return x * y % 2 + x * y % 3 == 0
        case 6: return (x * y % 2 + x * y % 3) % 2 == 0
        default: return ((x + y) % 2 + x * y % 3) % 2 == 0
        }
    }

    /// XORs the mask over the data modules (applying it twice removes it).
    static func apply(_ pattern: Int, to grid: inout QRGrid) {
        let n = grid.size
        for y in 0..<n {
            for x in 0..<n where !grid.isFunction[y * n + x] && inverts(pattern, x, y) {
                grid.dark[y * n + x].toggle()
            }
        }
    }

    static func bestMask(for grid: QRGrid, level: QRErrorCorrectionLevel) -> Int {
        var best = (mask: 0, penalty: Int.max)
        for pattern in 0..<8 {
            var candidate = grid
            apply(pattern, to: &candidate)
            QRTemplate.drawFormat(&candidate, level: level, mask: pattern)
            let p = penalty(candidate)
            if p < best.penalty { best = (pattern, p) }
        }
        return best.mask
    }

    static func penalty(_ grid: QRGrid) -> Int {
        let n = grid.size
        let cells = grid.dark
        var total = 0
        // One buffer for every row and column, with the four light quiet-zone modules on each side.
        var line = [Bool](repeating: false, count: n + 8)
        for horizontal in [true, false] {
            for i in 0..<n {
                for j in 0..<n { line[j + 4] = horizontal ? cells[i * n + j] : cells[j * n + i] }
                total += runPenalty(line[4..<n + 4]) + finderLikePenalty(padded: line)
            }
        }
        for y in 0..<n - 1 {
            for x in 0..<n - 1 {
                let c = cells[y * n + x]
                if cells[y * n + x + 1] == c, cells[(y + 1) * n + x] == c, cells[(y + 1) * n + x + 1] == c { total += blockWeight }
            }
        }
        // N4 for every full 5 % step the dark share is away from 50 %.
        let dark = cells.reduce(0) { $0 + ($1 ? 1 : 0) }
        let steps = abs(dark * 20 - n * n * 10) / (n * n)
        return total + steps * balanceWeight
    }

    /// N1 + (length − 5) for each run of five or more modules of one colour.
    static func runPenalty(_ line: ArraySlice<Bool>) -> Int {
        var total = 0
        var run = 0
        var previous: Bool?
        for module in line {
            if module == previous {
                run += 1
            } else {
                if run >= 5 { total += runWeight + run - 5 }
                run = 1
                previous = module
            }
        }
        if run >= 5 { total += runWeight + run - 5 }
        return total
    }

    static func runPenalty(_ line: [Bool]) -> Int { runPenalty(line[...]) }

    /// N3 for each 1:1:3:1:1 dark pattern with four light modules before or after it (outside the
    /// symbol counts as light, as the quiet zone is).
    static func finderLikePenalty(_ line: [Bool]) -> Int {
        finderLikePenalty(padded: [Bool](repeating: false, count: 4) + line + [Bool](repeating: false, count: 4))
    }

    /// The same over a line already padded with four light modules at each end.
    static func finderLikePenalty(padded p: [Bool]) -> Int {
        var total = 0
        for i in 4...(p.count - 11) where p[i] && !p[i + 1] && p[i + 2] && p[i + 3] && p[i + 4] && !p[i + 5] && p[i + 6] {
            let lightBefore = !p[i - 4] && !p[i - 3] && !p[i - 2] && !p[i - 1]
            let lightAfter = !p[i + 7] && !p[i + 8] && !p[i + 9] && !p[i + 10]
            if lightBefore || lightAfter { total += finderLikeWeight }
        }
        return total
    }
}
