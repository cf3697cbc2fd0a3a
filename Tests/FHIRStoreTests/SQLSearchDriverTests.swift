@testable import FHIRStore
import Testing

/// Which criterion drives a page, and the statements' shape (SQLSearchDriver.swift); no database.
@Suite("search driver choice and statements")
struct SQLSearchDriverTests {
    static let loinc = IndexPredicate.token(param: "code", system: "http://loinc.org", code: "8480-6", systemMustBeAbsent: false)
    static let subject = IndexPredicate.reference(param: "subject", targetType: "Patient", targetId: "p1", url: nil)
    static let ge = IndexPredicate.date(param: "date", prefix: .ge, low: 100, high: 199)
    static let lt = IndexPredicate.date(param: "date", prefix: .lt, low: 300, high: 399)
    static let name = IndexPredicate.string(param: "name", match: .startsWith, value: "wang")

    @Test("the rarer kind in rid order drives; ids, compartments and _has leave the plain statement")
    func choice() {
        let q = { (filters: [[IndexPredicate]]) in StoreQuery(type: "Observation", filters: filters) }
        #expect(SQLSearchBuilder.driver(q([[Self.loinc], [Self.subject]]))?.index == 1)
        #expect(SQLSearchBuilder.driver(q([[Self.ge], [Self.loinc]]))?.index == 1)
        // The upper bound of a date range drives (newest first, SQLSearchDateWalk.swift).
        #expect(SQLSearchBuilder.driver(q([[Self.ge], [Self.lt]]))?.rank == 24)
        #expect(SQLSearchBuilder.driver(q([[Self.ge], [Self.lt]]))?.index == 1)
        #expect(SQLSearchBuilder.implicitOrderKeyCount(q([[Self.ge], [Self.lt]])) == 2)
        #expect(SQLSearchBuilder.implicitOrderKeyCount(q([[Self.ge]])) == 0)
        #expect(SQLSearchBuilder.implicitOrderKeyCount(q([[Self.lt], [Self.loinc]])) == 0)
        #expect(SQLSearchBuilder.driver(q([[Self.name], [Self.ge]]))?.index == 0)
        #expect(SQLSearchBuilder.driver(q([[Self.loinc, Self.subject]])) == nil, "alternatives never drive")
        #expect(SQLSearchBuilder.driver(q([[.id(["o1", "o2"])], [Self.loinc]])) == nil)
        #expect(SQLSearchBuilder.driver(q([[.compartment(["p1"])], [Self.loinc]])) == nil)
        #expect(SQLSearchBuilder.driver(q([[.not(Self.loinc)]])) == nil)
    }

    @Test("beside a criterion an index bounds, one no index bounds (a system without its code) is probed by row id, not listed")
    func unboundedProbed() {
        let anyLoinc = IndexPredicate.token(param: "code", system: "http://loinc.org", code: nil, systemMustBeAbsent: false)
        var b = SQLSearchBuilder(dialect: .sqlite)
        let both = b.keysStatement(StoreQuery(type: "Observation", filters: [[anyLoinc], [Self.subject]]), limit: 10)
        #expect(both.contains("EXISTS (SELECT 1 FROM idx_token"), "\(both)")
        #expect(both.contains("r.rid IN (SELECT x"), "\(both)")
        #expect(!both.contains("r.rid IN (SELECT t"), "\(both)")
        // Alone it stays a list: probing would walk every resource row instead.
        var alone = SQLSearchBuilder(dialect: .sqlite)
        let single = alone.keysStatement(StoreQuery(type: "Observation", filters: [[anyLoinc]]), limit: 10)
        #expect(single.contains("r.rid IN (SELECT t"), "\(single)")
        // Two bounded criteria both stay lists.
        var bounded = SQLSearchBuilder(dialect: .sqlite)
        let lists = bounded.keysStatement(StoreQuery(type: "Observation", filters: [[Self.loinc], [Self.subject]]), limit: 10)
        #expect(!lists.contains("EXISTS"), "\(lists)")
    }

    @Test("an alias is renamed only where it is the whole name")
    func realias() {
        #expect(SQLSearchBuilder.realias("(d7.low < ?3 AND d70.high > d7.high)", from: "d7", to: "d2") == "(d2.low < ?3 AND d70.high > d2.high)")
        #expect(SQLSearchBuilder.realias("xd7.low = d7.low", from: "d7", to: "a1") == "xd7.low = a1.low")
    }

    @Test("every page and count statement uses each of its placeholders", arguments: [SQLDialect.sqlite, .postgres])
    func placeholders(dialect: SQLDialect) {
        let queries: [StoreQuery] = [
            StoreQuery(type: "Observation", filters: [[Self.loinc]]),
            StoreQuery(type: "Observation", filters: [[Self.ge], [Self.lt], [.missing(param: "date", table: .date, missing: false)], [Self.loinc, Self.subject]],
                       after: PageCursor(rowId: 42)),
            StoreQuery(type: "Observation", filters: [[Self.name], [Self.ge], [.chain(param: "subject", targetType: "Patient", filters: [[Self.name]])]],
                       before: PageCursor(rowId: 7, inclusive: true)),
            StoreQuery(type: nil, filters: [[Self.subject], [.lastUpdated(.gt, low: 1, high: 2)]]),
            StoreQuery(type: "Observation", filters: [[Self.ge], [Self.lt], [.not(Self.loinc)]], after: PageCursor(rowId: 42, keys: [.int(5), .int(6)])),
            StoreQuery(type: "Goal", filters: [[.date(param: "target-date", prefix: .le, low: 1, high: 9)], [Self.subject]],
                       before: PageCursor(rowId: 7, keys: [.int(5), .int(6)], inclusive: true)),
            StoreQuery(type: "Goal", filters: [[.date(param: "target-date", prefix: .eb, low: 1, high: 9)]]),
        ]
        for q in queries {
            for count in [false, true] {
                var b = SQLSearchBuilder(dialect: dialect)
                let sql = count ? b.countStatement(q) : b.pageStatement(q)
                for n in 1...max(b.binds.count, 1) where !b.binds.isEmpty {
                    let placeholder = dialect == .sqlite ? "?\(n)" : "$\(n)"
                    let used = sql.split(whereSeparator: { !($0.isNumber || $0 == "?" || $0 == "$") }).contains { $0 == placeholder }
                    #expect(used, "\(placeholder) unused in \(sql)")
                }
            }
        }
    }
}
