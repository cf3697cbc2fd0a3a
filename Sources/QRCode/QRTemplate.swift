/// The module grid of one symbol: which modules are dark, and which belong to function patterns
/// (finders, separators, timing, alignment, format and version information) rather than data.
struct QRGrid {
    let size: Int
    var dark: [Bool]
    var isFunction: [Bool]

    init(size: Int) {
        self.size = size
        dark = [Bool](repeating: false, count: size * size)
        isFunction = [Bool](repeating: false, count: size * size)
    }

    subscript(x: Int, y: Int) -> Bool {
        get { dark[y * size + x] }
        set { dark[y * size + x] = newValue }
    }

    mutating func setFunction(_ x: Int, _ y: Int, _ value: Bool) {
        dark[y * size + x] = value
        isFunction[y * size + x] = true
    }
}

/// Draws the function patterns of a version (ISO/IEC 18004 6.3) and the format and version information.
enum QRTemplate {
    static func size(version: Int) -> Int { version * 4 + 17 }

    /// The grid of `version` with every function pattern drawn and the format area reserved.
    static func grid(version: Int) -> QRGrid {
        var grid = QRGrid(size: size(version: version))
        let n = grid.size
        for i in 0..<n {
            grid.setFunction(6, i, i % 2 == 0)
            grid.setFunction(i, 6, i % 2 == 0)
        }
        for (cx, cy) in [(3, 3), (n - 4, 3), (3, n - 4)] { drawFinder(&grid, cx, cy) }
        let centres = alignmentCentres(version: version)
        let last = centres.count - 1
        for (i, cx) in centres.enumerated() {
            for (j, cy) in centres.enumerated() {
                // The three corners that coincide with finder patterns have no alignment pattern.
                if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                drawAlignment(&grid, cx, cy)
            }
        }
        drawFormat(&grid, level: .medium, mask: 0)  // reserves the area; the real bits come with the mask
        drawVersion(&grid, version: version)
        return grid
    }

    /// A finder (7×7) with its light separator, clipped at the symbol's edge.
    static func drawFinder(_ grid: inout QRGrid, _ cx: Int, _ cy: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let x = cx + dx, y = cy + dy
                guard x >= 0, x < grid.size, y >= 0, y < grid.size else { continue }
                let ring = max(abs(dx), abs(dy))
                grid.setFunction(x, y, ring != 2 && ring != 4)
            }
        }
    }

    static func drawAlignment(_ grid: inout QRGrid, _ cx: Int, _ cy: Int) {
        for dy in -2...2 {
            for dx in -2...2 { grid.setFunction(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) }
        }
    }

    /// Row/column coordinates of alignment pattern centres: 6, then evenly spaced (an even step)
    /// back from size − 7 (ISO/IEC 18004 annex E; version 32 is the one exception to the rule).
    static func alignmentCentres(version: Int) -> [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let last = size(version: version) - 7
        let step = version == 32 ? 26 : (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
        var centres = [6]
        for k in stride(from: count - 2, through: 0, by: -1) { centres.append(last - k * step) }
        return centres
    }

    /// The 15 format bits: level and mask with a BCH(15,5) code, XORed with 0x5412 so they are never all light.
    static func formatBits(level: QRErrorCorrectionLevel, mask: Int) -> Int {
        let data = level.formatBits << 3 | mask
        return (data << 10 | bchRemainder(data << 10, generator: 0x537, degree: 10)) ^ 0x5412
    }

    /// The 18 version bits (versions 7 and up): the version with a BCH(18,6) code.
    static func versionBits(version: Int) -> Int {
        version << 12 | bchRemainder(version << 12, generator: 0x1F25, degree: 12)
    }

    static func bchRemainder(_ value: Int, generator: Int, degree: Int) -> Int {
        var r = value
        var top = 0
        while r >> top > 1 { top += 1 }
        while top >= degree {
            if r >> top & 1 == 1 { r ^= generator << (top - degree) }
            top -= 1
        }
        return r
    }

    /// Both copies of the format information, bit 0 the least significant, and the dark module.
    static func drawFormat(_ grid: inout QRGrid, level: QRErrorCorrectionLevel, mask: Int) {
        let bits = formatBits(level: level, mask: mask)
        let n = grid.size
        func bit(_ i: Int) -> Bool { bits >> i & 1 == 1 }
        // Beside the top-left finder: down column 8, then left along row 8 (skipping the timing pattern).
        for i in 0..<6 { grid.setFunction(8, i, bit(i)) }
        grid.setFunction(8, 7, bit(6))
        grid.setFunction(8, 8, bit(7))
        grid.setFunction(7, 8, bit(8))
        for i in 9..<15 { grid.setFunction(14 - i, 8, bit(i)) }
        // The second copy: along row 8 under the top-right finder, and up column 8 beside the bottom-left one.
        for i in 0..<8 { grid.setFunction(n - 1 - i, 8, bit(i)) }
        for i in 8..<15 { grid.setFunction(8, n - 15 + i, bit(i)) }
        grid.setFunction(8, n - 8, true)
    }

    /// The two 6×3 version blocks beside the top-right and bottom-left finders.
    static func drawVersion(_ grid: inout QRGrid, version: Int) {
        guard version >= 7 else { return }
        let bits = versionBits(version: version)
        for i in 0..<18 {
            let dark = bits >> i & 1 == 1
            let a = grid.size - 11 + i % 3, b = i / 3
            grid.setFunction(a, b, dark)
            grid.setFunction(b, a, dark)
        }
    }

    /// Modules left for data and error correction in `version` (the standard's "data modules").
    static func dataModuleCount(version: Int) -> Int { dataModuleCounts[version - 1] }

    private static let dataModuleCounts: [Int] = (1...40).map { v in grid(version: v).isFunction.lazy.filter { !$0 }.count }
}
