import Foundation

/// Reads one of the vendored tab-separated tables: `#` lines are comments (each file names its source
/// there), every other line is one row.
enum ReferenceFile {
    static func rows(_ name: String) -> [[Substring]] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "tsv"),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("ChinaReference resource \(name).tsv is missing from the build") }
        var rows: [[Substring]] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
            rows.append(line.split(separator: "\t", omittingEmptySubsequences: false))
        }
        return rows
    }
}
