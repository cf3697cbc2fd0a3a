import Foundation

/// Chinese names for synthetic people: a surname drawn by its real frequency, then one or two
/// given-name characters drawn by how often each sex's names use them (vendored, MIT).
struct DemoNames: Sendable {
    let surnames: [(String, Double)]
    let male: [(String, Double)]
    let female: [(String, Double)]

    static let shared = DemoNames()

    private init() {
        func rows(_ name: String) -> [[Substring]] {
            guard let url = Bundle.module.url(forResource: name, withExtension: "tsv"),
                let text = try? String(contentsOf: url, encoding: .utf8)
            else { fatalError("DemoRegion resource \(name).tsv is missing from the build") }
            return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t") }
        }
        surnames = rows("surnames").compactMap { r in r.count >= 2 ? (String(r[0]), Double(r[1]) ?? 0) : nil }
        let characters = rows("given-name-characters").compactMap { r -> (String, Double, Double)? in
            guard r.count >= 3, let m = Double(r[1]), let f = Double(r[2]) else { return nil }
            return (String(r[0]), m, f)
        }
        // A character counts for a sex when that sex uses it at least a third of the time.
        male = characters.filter { $0.1 >= ($0.1 + $0.2) / 3 }.map { ($0.0, $0.1) }
        female = characters.filter { $0.2 >= ($0.1 + $0.2) / 3 }.map { ($0.0, $0.2) }
    }

    func surname(_ random: inout DemoRandom) -> String { random.weighted(surnames) }

    func given(_ sex: String, _ random: inout DemoRandom) -> String {
        let pool = sex == "male" ? male : female
        let first = random.weighted(pool)
        guard random.chance(0.78) else { return first }
        var second = random.weighted(pool)
        while second == first { second = random.weighted(pool) }
        return first + second
    }
}
