/// The four error-correction levels of ISO/IEC 18004: the share of codewords that can be restored
/// (about 7 %, 15 %, 25 % and 30 %). A higher level makes a larger symbol for the same data.
public enum QRErrorCorrectionLevel: Int, Sendable, CaseIterable, CustomStringConvertible {
    case low, medium, quartile, high

    /// The letter the standard uses (L, M, Q, H).
    public var description: String {
        switch self {
        case .low: "L"
        case .medium: "M"
        case .quartile: "Q"
        case .high: "H"
        }
    }

    /// The two bits the format information carries for this level (L 01, M 00, Q 11, H 10).
    var formatBits: Int {
        switch self {
        case .low: 1
        case .medium: 0
        case .quartile: 3
        case .high: 2
        }
    }

    /// Error-correction codewords in each block, for versions 1…40 (ISO/IEC 18004 table 9).
    var codewordsPerBlock: [Int] {
        switch self {
        case .low:
            [7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
             28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30]
        case .medium:
            [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
             26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28]
        case .quartile:
            [13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
             28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30]
        case .high:
            [17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
             30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30]
        }
    }

    /// Number of error-correction blocks, for versions 1…40 (ISO/IEC 18004 table 9).
    var blockCounts: [Int] {
        switch self {
        case .low:
            [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
             8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25]
        case .medium:
            [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
             17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49]
        case .quartile:
            [1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
             23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68]
        case .high:
            [1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
             25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81]
        }
    }
}

/// How a version's codewords split into blocks for one level.
struct QRBlockLayout: Equatable {
    let totalCodewords: Int
    let blocks: Int
    let eccPerBlock: Int

    init(version: Int, level: QRErrorCorrectionLevel) {
        totalCodewords = QRTemplate.dataModuleCount(version: version) / 8
        blocks = level.blockCounts[version - 1]
        eccPerBlock = level.codewordsPerBlock[version - 1]
    }

    /// Codewords that carry data (the rest are error correction).
    var dataCodewords: Int { totalCodewords - blocks * eccPerBlock }
    /// Blocks one codeword shorter than the others come first (ISO/IEC 18004 7.5.2).
    var shortBlocks: Int { blocks - totalCodewords % blocks }
    var shortBlockDataCodewords: Int { totalCodewords / blocks - eccPerBlock }
}
