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
        for y in 0..<grid.size {
            for x in 0..<grid.size where !grid.isFunction[y * grid.size + x] && inverts(pattern, x, y) {
                grid[x, y].toggle()
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
        var total = 0
        var dark = 0
        for i in 0..<n {
            let row = (0..<n).map { grid[$0, i] }
            let column = (0..<n).map { grid[i, $0] }
            total += runPenalty(row) + runPenalty(column) + finderLikePenalty(row) + finderLikePenalty(column)
            dark += row.lazy.filter { $0 }.count
        }
        for y in 0..<n - 1 {
            for x in 0..<n - 1 {
                let c = grid[x, y]
                if grid[x + 1, y] == c, grid[x, y + 1] == c, grid[x + 1, y + 1] == c { total += blockWeight }
            }
        }
        // N4 for every full 5 % step the dark share is away from 50 %.
        let cells = n * n
        let steps = abs(dark * 20 - cells * 10) / cells
        return total + steps * balanceWeight
    }

    /// N1 + (length − 5) for each run of five or more modules of one colour.
    static func runPenalty(_ line: [Bool]) -> Int {
        var total = 0
        var run = 1
        for i in 1...line.count {
            if i < line.count, line[i] == line[i - 1] {
                run += 1
            } else {
                if run >= 5 { total += runWeight + run - 5 }
                run = 1
            }
        }
        return total
    }

    static let finderLike: [Bool] = [true, false, true, true, true, false, true]

    /// N3 for each 1:1:3:1:1 dark pattern with four light modules before or after it (outside the
    /// symbol counts as light, as the quiet zone is).
    static func finderLikePenalty(_ line: [Bool]) -> Int {
        let padded = [Bool](repeating: false, count: 4) + line + [Bool](repeating: false, count: 4)
        var total = 0
        for i in 4...(padded.count - 11) where padded[i] && padded[i + 6] && padded[i..<i + 7].elementsEqual(finderLike) {
            let lightBefore = !padded[i - 4..<i].contains(true)
            let lightAfter = !padded[i + 7..<i + 11].contains(true)
            if lightBefore || lightAfter { total += finderLikeWeight }
        }
        return total
    }
}
