import Testing

@testable import FHIRStore

private typealias F = PostgresFixtures

@Suite("PostgreSQL backend search", .enabled(if: PostgresTestDatabase.isEnabled))
struct PostgresSearchTests {
    /// Three patients, a deleted fourth, and observations referring to them in three ways.
    static func load(_ db: PostgresBackend) async throws {
        func patient(_ id: String, at: Int64, gender: String, identifier: String?, tag: (String?, String)) -> ResourceWrite {
            var tokens: [(param: String, system: String?, code: String?)] = [("gender", "http://hl7.org/fhir/administrative-gender", gender)]
            if let identifier { tokens.append(("identifier", "urn:id", identifier)) }
            tokens.append(("_tag", tag.0, tag.1))
            return F.write("Patient", id, at: at, compartment: id, index: F.tokens(tokens))
        }
        func observation(_ id: String, subject: SearchIndexRows.Reference, code: String, compartment: String?) -> ResourceWrite {
            var ix = F.tokens([("code", "http://loinc.org", code)])
            ix.references = [subject]
            return F.write("Observation", id, at: 4_000, compartment: compartment, index: ix)
        }
        let patients = [
            patient("p1", at: 1_000, gender: "female", identifier: "111", tag: ("urn:tags", "x")),
            patient("p2", at: 2_000, gender: "male", identifier: "222", tag: ("urn:tags", "x")),
            patient("p3", at: 3_000, gender: "female", identifier: nil, tag: (nil, "x")),
            patient("p4", at: 3_500, gender: "female", identifier: "444", tag: (nil, "x")),
        ]
        let observations = [
            observation("o1", subject: .init(param: "subject", targetType: "Patient", targetId: "p1"), code: "1234-5", compartment: "p1"),
            observation("o2", subject: .init(param: "subject", targetType: "Patient", targetId: "p2"), code: "5678-9", compartment: "p2"),
            observation("o3", subject: .init(param: "subject", targetType: nil, targetId: nil, url: "https://elsewhere.example/Patient/9"),
                        code: "1234-5", compartment: nil),
        ]
        try await db.write { tx in
            for p in patients { try await tx.put(p) }  // one statement pair each
            try await tx.putAll(observations)  // one statement pair for all
        }
        try await db.write { try await $0.put(F.write("Patient", "p4", version: 2, at: 5_000, deleted: true)) }
    }

    static func token(_ param: String, _ system: String?, _ code: String?, absent: Bool = false) -> IndexPredicate {
        .token(param: param, system: system, code: code, systemMustBeAbsent: absent)
    }

    /// The ids a query finds, checked against `count` and `matchingKeys` so all three agree.
    static func ids(_ db: PostgresBackend, _ type: String?, _ filters: [[IndexPredicate]]) async throws -> [String] {
        let q = StoreQuery(type: type, filters: filters, count: 100)
        let found = try await db.search(q).records.map(\.id)
        #expect(try await db.count(q) == found.count)
        let keys = try await db.write { try await $0.matchingKeys(q, limit: 100) }
        #expect(keys.map(\.id) == found)
        return found
    }

    @Test("token predicates match code, system|code and |code, and skip deleted resources")
    func tokens() async throws {
        try await PostgresTestDatabase.withBackend { db in
            try await Self.load(db)
            #expect(try await Self.ids(db, "Patient", [[Self.token("gender", nil, "female")]]) == ["p1", "p3"])
            #expect(try await Self.ids(db, "Patient", [[Self.token("identifier", "urn:id", "111")]]) == ["p1"])
            #expect(try await Self.ids(db, "Patient", [[Self.token("identifier", "urn:other", "111")]]) == [])
            #expect(try await Self.ids(db, "Patient", [[Self.token("_tag", nil, "x", absent: true)]]) == ["p3"])
            #expect(try await Self.ids(db, "Patient", [[Self.token("identifier", "urn:id", nil)]]) == ["p1", "p2"])
            #expect(try await Self.ids(db, "Patient", [[Self.token("identifier", nil, "444")]]) == [])
            #expect(try await Self.ids(db, "Patient", []) == ["p1", "p2", "p3"])
        }
    }

    @Test("reference predicates match type and id, id alone, or an absolute url")
    func references() async throws {
        try await PostgresTestDatabase.withBackend { db in
            try await Self.load(db)
            func ref(_ type: String?, _ id: String?, _ url: String? = nil) -> [[IndexPredicate]] {
                [[.reference(param: "subject", targetType: type, targetId: id, url: url)]]
            }
            #expect(try await Self.ids(db, "Observation", ref("Patient", "p1")) == ["o1"])
            #expect(try await Self.ids(db, "Observation", ref(nil, "p2")) == ["o2"])
            #expect(try await Self.ids(db, "Observation", ref("Group", "p2")) == [])
            #expect(try await Self.ids(db, "Observation", ref(nil, nil, "https://elsewhere.example/Patient/9")) == ["o3"])
        }
    }

    @Test("id, lastUpdated, missing, not, or and compartment predicates combine as FHIR says")
    func otherPredicates() async throws {
        try await PostgresTestDatabase.withBackend { db in
            try await Self.load(db)
            #expect(try await Self.ids(db, "Patient", [[.id(["p1", "p3", "p4", "zz"])]]) == ["p1", "p3"])
            #expect(try await Self.ids(db, "Patient", [[.lastUpdated(.ge, low: 2_000, high: 2_000)]]) == ["p2", "p3"])
            #expect(try await Self.ids(db, "Patient", [[.lastUpdated(.lt, low: 2_000, high: 2_000)]]) == ["p1"])
            #expect(try await Self.ids(db, "Patient", [[.lastUpdated(.eq, low: 2_000, high: 2_999)]]) == ["p2"])
            #expect(try await Self.ids(db, "Patient", [[.missing(param: "identifier", table: .token, missing: true)]]) == ["p3"])
            #expect(try await Self.ids(db, "Patient", [[.missing(param: "identifier", table: .token, missing: false)]]) == ["p1", "p2"])
            #expect(try await Self.ids(db, "Patient", [[.not(Self.token("gender", nil, "female"))]]) == ["p2"])
            let either: [IndexPredicate] = [Self.token("identifier", "urn:id", "111"), Self.token("identifier", "urn:id", "222")]
            #expect(try await Self.ids(db, "Patient", [either]) == ["p1", "p2"])
            #expect(try await Self.ids(db, "Patient", [[.or(either)], [Self.token("gender", nil, "male")]]) == ["p2"])
            #expect(try await Self.ids(db, nil, [[.compartment(["p1"])]]) == ["p1", "o1"])
            #expect(try await Self.ids(db, "Observation", [[.compartment(["p1", "p2"])]]) == ["o1", "o2"])
            #expect(try await Self.ids(db, nil, [[Self.token("code", "http://loinc.org", "1234-5")]]) == ["o1", "o3"])
        }
    }

    @Test("search pages by row id with a cursor and matchingKeys honours its limit")
    func paging() async throws {
        try await PostgresTestDatabase.withBackend { db in
            try await Self.load(db)
            let first = try await db.search(StoreQuery(type: "Patient", count: 2))
            #expect(first.records.map(\.id) == ["p1", "p2"])
            let cursor = try #require(first.next)
            let second = try await db.search(StoreQuery(type: "Patient", count: 2, after: cursor))
            #expect(second.records.map(\.id) == ["p3"])
            #expect(second.next == nil)
            #expect(second.records[0].json == F.json("Patient", "p3", version: 1))
            let keys = try await db.write { try await $0.matchingKeys(StoreQuery(type: "Patient"), limit: 2) }
            #expect(keys == [ResourceKey(type: "Patient", id: "p1"), ResourceKey(type: "Patient", id: "p2")])
            #expect(try await db.count(StoreQuery(type: nil)) == 6)
        }
    }
}
