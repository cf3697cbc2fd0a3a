/// China's administrative divisions (GB/T 2260): the province, prefecture and county units in force
/// (NBS 2023), and every county-or-higher code ever issued, which is what the first six digits of a
/// resident ID are checked against (R-ID18: an ID keeps the code in force when it was issued).
public struct AdministrativeDivisions: Sendable {
    public enum Level: String, Sendable { case province, prefecture, county }

    public struct Division: Sendable, Hashable {
        public let code: String
        public let name: String
        public let level: Level
        /// The code of the unit above, nil for a province.
        public let parentCode: String?
    }

    public struct HistoricCode: Sendable, Hashable {
        public let code: String
        public let name: String
        public let firstYear: Int
        public let lastYear: Int
    }

    public static let shared = AdministrativeDivisions()

    private let current: [String: Division]
    private let children: [String: [Division]]
    private let everIssued: [String: HistoricCode]

    private init() {
        var current: [String: Division] = [:]
        var children: [String: [Division]] = [:]
        for row in ReferenceFile.rows("divisions-2023") where row.count >= 4 {
            guard let level = Level(rawValue: String(row[2])) else { continue }
            let d = Division(code: String(row[0]), name: String(row[1]), level: level, parentCode: row[3].isEmpty ? nil : String(row[3]))
            current[d.code] = d
            if let p = d.parentCode { children[p, default: []].append(d) }
        }
        var issued: [String: HistoricCode] = [:]
        for row in ReferenceFile.rows("division-codes-history") where row.count >= 4 {
            let h = HistoricCode(code: String(row[0]), name: String(row[1]), firstYear: Int(row[2]) ?? 0, lastYear: Int(row[3]) ?? 0)
            issued[h.code] = h
        }
        self.current = current
        self.children = children
        self.everIssued = issued
    }

    /// The unit in force with this code, if any.
    public func division(_ code: String) -> Division? { current[code] }

    /// The units directly under `code`, in code order.
    public func children(of code: String) -> [Division] {
        (children[code] ?? []).sorted { $0.code < $1.code }
    }

    /// The chain from the province down to `code` (e.g. 广东省 › 汕头市 › 潮阳区).
    public func path(to code: String) -> [Division] {
        var chain: [Division] = []
        var next = current[code]
        while let d = next {
            chain.insert(d, at: 0)
            next = d.parentCode.flatMap { current[$0] }
        }
        return chain
    }

    /// The full name as written on an address, skipping placeholder levels such as 市辖区.
    public func fullName(_ code: String) -> String? {
        let chain = path(to: code)
        guard !chain.isEmpty else { return everIssued[code]?.name }
        return chain.filter { $0.name != "市辖区" && $0.name != "县" && !$0.name.hasSuffix("直辖县级行政区划") }.map(\.name).joined()
    }

    /// The code as issued at some time (in force now or retired), e.g. 110103 崇文区 (retired 2010).
    public func issuedCode(_ code: String) -> HistoricCode? {
        everIssued[code] ?? current[code].map { HistoricCode(code: $0.code, name: $0.name, firstYear: 2023, lastYear: 2023) }
    }

    /// True when a resident ID may begin with this code: a county-or-higher code that has been issued.
    public func isIssuedCode(_ code: String) -> Bool { issuedCode(code) != nil }
}
