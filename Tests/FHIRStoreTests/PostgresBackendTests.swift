import Foundation
import Testing

@testable import FHIRStore

private typealias F = PostgresFixtures

/// A test body's own failure, to tell it from the store's.
private struct Abandoned: Error {}

@Suite("PostgreSQL backend", .enabled(if: PostgresTestDatabase.isEnabled))
struct PostgresBackendTests {
    @Test("migrate can run again and records the schema version")
    func migrateIsIdempotent() async throws {
        try await PostgresTestDatabase.withBackend { db in
            try await db.migrate()
            try await db.migrate()
            #expect(try await db.schemaVersion() == Schema.version)
            try await db.write { try await $0.put(F.write("Patient", "a")) }
            try await db.migrate()
            #expect(try await db.read(type: "Patient", id: "a")?.versionId == 1)
        }
    }

    @Test("connections commit synchronously and use the store's own schema")
    func connectionSettings() async throws {
        try await PostgresTestDatabase.withBackend { db throws in
            #expect(try await db.setting("synchronous_commit") == "on")
            #expect(try await db.setting("search_path") == db.schema)
        }
    }

    @Test("a database newer than the program is refused")
    func newerSchemaIsRefused() async throws {
        try await PostgresTestDatabase.withBackend { db in
            try await db.execute("INSERT INTO schema_version (version) VALUES (99)")
            await #expect(throws: StoreError.schemaTooNew(found: 99, supported: Schema.version)) { try await db.migrate() }
        }
    }

    @Test("R-SEC-2: a batch of read records goes in as one statement: each row once, its own id, and its patients' links")
    func auditBatchInOneStatement() async throws {
        try await PostgresTestDatabase.withBackend { db in
            func row(_ n: Int, patients: [String]) -> AuditRow {
                AuditRow(recorded: 1_000 + Int64(n), action: n % 2 == 0 ? "read" : "search", outcome: 0, actor: n == 3 ? nil : "acct-\(n)",
                         organization: nil, source: "10.0.0.\(n)", patients: patients, record: Array("记录 \(n)".utf8) + [0, 0xFF])
            }
            let batch = [row(1, patients: ["Patient/a"]), row(2, patients: []), row(3, patients: ["Patient/a", "Patient/b", "Patient/a"]),
                         row(4, patients: ["Patient/b"])]
            try await db.appendAuditAtomically(batch)
            try await db.appendAuditAtomically([row(5, patients: [])])  // no links at all: empty link arrays
            let all = try await db.searchAudit(AuditQuery(limit: 100))
            #expect(all.count == 5 && Set(all.map(\.aid)).count == 5)
            #expect(all.map(\.row).sorted { $0.recorded < $1.recorded } == batch + [row(5, patients: [])])
            // Each row's links name its own id: the patient's access log finds exactly the rows about them.
            #expect(Set(try await db.searchAudit(AuditQuery(patient: "Patient/a")).map(\.row.recorded)) == [1_001, 1_003])
            #expect(Set(try await db.searchAudit(AuditQuery(patient: "Patient/b")).map(\.row.recorded)) == [1_003, 1_004])
            // A batch that fails in the database leaves nothing: its rows go in before its links, and a
            // link that PostgreSQL refuses (text cannot hold NUL) fails the statement after them.
            let bad = row(6, patients: ["Patient/c\u{0}"])
            await #expect(throws: (any Error).self) { try await db.appendAuditAtomically([row(7, patients: ["Patient/c"]), bad]) }
            // An outcome the column cannot hold is refused, not cut to fit.
            var outOfRange = row(8, patients: ["Patient/c"])
            outOfRange.outcome = 70_000
            await #expect(throws: StoreError.self) { try await db.appendAuditAtomically([outOfRange]) }
            let afterFailure = try await db.searchAudit(AuditQuery(limit: 100))
            #expect(afterFailure.count == 5 && !afterFailure.contains { $0.row.patients.contains("Patient/c") })
        }
    }

    @Test("a written version reads back byte for byte, current and by version")
    func roundTripsBytes() async throws {
        try await PostgresTestDatabase.withBackend { db in
            // Not only JSON: every byte value must come back as it was given.
            let v1 = Array(#"{"resourceType":"Patient","id":"p","name":[{"text":"张三 \u00e9\n"}]}  "#.utf8) + (0...255).map { UInt8($0) }
            let v2 = Array(#"{"resourceType":"Patient","id":"p","active":true}"#.utf8)
            try await db.write { try await $0.put(F.write("Patient", "p", version: 1, at: 1_000, json: v1, compartment: "p")) }
            try await db.write { try await $0.put(F.write("Patient", "p", version: 2, at: 2_000, json: v2, compartment: "p")) }

            let current = try #require(try await db.read(type: "Patient", id: "p"))
            #expect(current == ResourceRecord(type: "Patient", id: "p", versionId: 2, lastUpdated: 2_000, isDeleted: false, json: v2))
            #expect(try await db.readVersion(type: "Patient", id: "p", versionId: 1)?.json == v1)
            #expect(try await db.readVersion(type: "Patient", id: "p", versionId: 2) == current)
            #expect(try await db.readVersion(type: "Patient", id: "p", versionId: 3) == nil)
            #expect(try await db.read(type: "Patient", id: "nobody") == nil)
            #expect(try await db.read(type: "Observation", id: "p") == nil)

            try await db.write { try await $0.put(F.write("Patient", "p", version: 3, at: 3_000, deleted: true)) }
            let gone = try #require(try await db.read(type: "Patient", id: "p"))
            #expect(gone.isDeleted && gone.json.isEmpty && gone.versionId == 3)
            #expect(try await db.readVersion(type: "Patient", id: "p", versionId: 1)?.json == v1)
        }
    }

    @Test("a transaction sees its own writes, the content hash included")
    func transactionSeesItsWrites() async throws {
        try await PostgresTestDatabase.withBackend { db in
            let w = F.write("Patient", "t")
            let seen = try await db.write { tx -> (ResourceRecord?, String?) in
                try await tx.put(w)
                return (try await tx.read(type: "Patient", id: "t"), try await tx.contentHash(type: "Patient", id: "t"))
            }
            #expect(seen.0 == w.record)
            #expect(seen.1 == w.contentHash)
            #expect(try await db.write { try await $0.contentHash(type: "Patient", id: "none") } == nil)
        }
    }

    @Test("history lists versions newest first, pages by sequence and honours since")
    func historyPages() async throws {
        try await PostgresTestDatabase.withBackend { db in
            try await db.write { tx in
                try await tx.put(F.write("Patient", "a", version: 1, at: 1_000))
                try await tx.put(F.write("Patient", "a", version: 2, at: 2_000))
                try await tx.put(F.write("Patient", "b", version: 1, at: 1_500))
            }
            try await db.write { try await $0.put(F.write("Observation", "o", version: 1, at: 2_500)) }
            try await db.write { try await $0.put(F.write("Patient", "a", version: 3, at: 3_000, deleted: true)) }
            func names(_ page: HistoryPage) -> [String] { page.records.map { "\($0.id)\($0.versionId)" } }

            let instance = try await db.history(HistoryQuery(type: "Patient", id: "a"))
            #expect(names(instance) == ["a3", "a2", "a1"])
            #expect(instance.records[0].isDeleted && instance.next == nil)

            let first = try await db.history(HistoryQuery(type: "Patient", id: nil, count: 2))
            #expect(names(first) == ["a3", "b1"])
            let next = try #require(first.next)
            let second = try await db.history(HistoryQuery(type: "Patient", id: nil, count: 2, before: next))
            #expect(names(second) == ["a2", "a1"])
            #expect(second.next == nil)

            #expect(names(try await db.history(HistoryQuery(type: "Patient", id: nil, since: 2_000))) == ["a3", "a2"])
            #expect(names(try await db.history(HistoryQuery(type: nil, id: nil))) == ["a3", "o1", "b1", "a2", "a1"])
            #expect(names(try await db.history(HistoryQuery(type: nil, id: nil, since: 2_500, count: 1))) == ["a3"])
            #expect(try await db.history(HistoryQuery(type: "Patient", id: "nobody")).records.isEmpty)
        }
    }

    @Test("a body that throws leaves nothing behind")
    func failedBodyLeavesNothing() async throws {
        try await PostgresTestDatabase.withBackend { db in
            await #expect(throws: Abandoned.self) {
                try await db.write { tx in
                    try await tx.put(F.write("Patient", "x", compartment: "x", index: F.tokens([("gender", nil, "female")])))
                    try await tx.putAll((0..<10).map { F.write("Observation", "o\($0)", compartment: "x") })
                    throw Abandoned()
                }
            }
            #expect(try await db.read(type: "Patient", id: "x") == nil)
            #expect(try await db.history(HistoryQuery(type: nil, id: nil)).records.isEmpty)
            #expect(try await db.count(StoreQuery(type: nil)) == 0)
            #expect(try await db.count(StoreQuery(type: "Patient", filters: [[.token(param: "gender", system: nil, code: "female", systemMustBeAbsent: false)]])) == 0)
            // The connection went back to the pool clean: the next transaction commits.
            try await db.write { try await $0.put(F.write("Patient", "x")) }
            #expect(try await db.read(type: "Patient", id: "x")?.versionId == 1)
        }
    }

    @Test("writing a version that exists is a version conflict and changes nothing")
    func existingVersionConflicts() async throws {
        try await PostgresTestDatabase.withBackend { db in
            let original = F.write("Patient", "a", json: F.json("Patient", "a", version: 1, extra: #","active":true"#))
            try await db.write { try await $0.put(original) }
            let key = ResourceKey(type: "Patient", id: "a")
            await #expect(throws: StoreError.versionConflict(key)) {
                try await db.write { try await $0.put(F.write("Patient", "a", at: 9_000)) }
            }
            await #expect(throws: StoreError.versionConflict(key)) {
                try await db.write { try await $0.putAll([F.write("Patient", "b"), F.write("Patient", "a"), F.write("Patient", "c")]) }
            }
            // A body that swallows the conflict still does not commit: the transaction is spoiled.
            await #expect(throws: StoreError.versionConflict(key)) {
                try await db.write { tx in
                    try await tx.put(F.write("Patient", "d"))
                    _ = try? await tx.put(F.write("Patient", "a"))
                }
            }
            #expect(try await db.read(type: "Patient", id: "a") == original.record)
            for id in ["b", "c", "d"] { #expect(try await db.read(type: "Patient", id: id) == nil) }
            #expect(try await db.history(HistoryQuery(type: nil, id: nil)).records.count == 1)
        }
    }

    @Test("putAll writes successive versions of one resource in order and keeps the last index rows")
    func putAllWithRepeatedResource() async throws {
        try await PostgresTestDatabase.withBackend { db in
            try await db.write { tx in
                try await tx.putAll([
                    F.write("Patient", "a", version: 1, index: F.tokens([("gender", nil, "female")])),
                    F.write("Patient", "b", version: 1, index: F.tokens([("gender", nil, "male")])),
                    F.write("Patient", "a", version: 2, index: F.tokens([("gender", nil, "other")])),
                    F.write("Patient", "a", version: 3, at: 2_000, index: F.tokens([("gender", nil, "unknown")])),
                ])
            }
            #expect(try await db.read(type: "Patient", id: "a")?.versionId == 3)
            #expect(try await db.history(HistoryQuery(type: "Patient", id: "a")).records.map(\.versionId) == [3, 2, 1])
            func gender(_ code: String) -> StoreQuery {
                StoreQuery(type: "Patient", filters: [[.token(param: "gender", system: nil, code: code, systemMustBeAbsent: false)]])
            }
            #expect(try await db.count(gender("female")) == 0)
            #expect(try await db.count(gender("other")) == 0)
            #expect(try await db.search(gender("unknown")).records.map(\.id) == ["a"])
            #expect(try await db.search(gender("male")).records.map(\.id) == ["b"])
        }
    }

    @Test("putAll writes 1,000 resources with their index rows in one transaction, then replaces them")
    func putAllThousand() async throws {
        try await PostgresTestDatabase.withBackend { db in
            func observation(_ i: Int, version: Int, code: String) -> ResourceWrite {
                var ix = SearchIndexRows()
                ix.tokens = [
                    .init(param: "code", system: "http://loinc.org", code: code, text: "heart rate"),
                    .init(param: "status", system: nil, code: "final"),
                    .init(param: "identifier", system: "urn:kq", code: "obs-\(i)"),
                ]
                ix.strings = [.init(param: "note", normalized: "note \(i)", exact: "Note \(i)")]
                ix.dates = [.init(param: "date", low: Int64(i) * 1_000, high: Int64(i) * 1_000 + 999)]
                ix.references = [.init(param: "subject", targetType: "Patient", targetId: "p\(i % 10)")]
                ix.numbers = [.init(param: "seq", value: Double(i))]
                ix.quantities = [.init(param: "value-quantity", value: 60 + Double(i % 40), system: "http://unitsofmeasure.org", code: "/min")]
                ix.uris = [.init(param: "url", uri: "urn:obs:\(i)")]
                let extra = #","code":"\#(code)","valueQuantity":{"value":\#(60 + i % 40)},"note":"\#(String(repeating: "x", count: 1_200))""#
                return F.write("Observation", "o\(i)", version: version, at: 10_000 + Int64(i),
                               json: F.json("Observation", "o\(i)", version: version, extra: extra), compartment: "p\(i % 10)", index: ix)
            }
            let n = 1_000
            let created = (0..<n).map { observation($0, version: 1, code: "8867-4") }
            let start = ContinuousClock.now
            try await db.write { try await $0.putAll(created) }
            let createTime = ContinuousClock.now - start
            let updated = (0..<n).map { observation($0, version: 2, code: "9279-1") }
            let updateStart = ContinuousClock.now
            try await db.write { try await $0.putAll(updated) }
            let updateTime = ContinuousClock.now - updateStart
            func rate(_ d: Duration) -> Int { Int(Double(n) / (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)) }
            print("PostgresBackend.putAll: \(n) new resources (9 index rows each) in \(createTime), \(rate(createTime))/s; "
                + "\(n) updates in \(updateTime), \(rate(updateTime))/s")

            func code(_ c: String) -> StoreQuery {
                StoreQuery(type: "Observation", filters: [[.token(param: "code", system: "http://loinc.org", code: c, systemMustBeAbsent: false)]])
            }
            #expect(try await db.count(StoreQuery(type: "Observation")) == n)
            #expect(try await db.count(code("8867-4")) == 0)
            #expect(try await db.count(code("9279-1")) == n)
            for table in IndexTable.allCases {
                let param = ["idx_token": "status", "idx_string": "note", "idx_date": "date", "idx_reference": "subject",
                             "idx_number": "seq", "idx_quantity": "value-quantity", "idx_uri": "url"][table.rawValue] ?? ""
                let has = StoreQuery(type: "Observation", filters: [[.missing(param: param, table: table, missing: false)]])
                #expect(try await db.count(has) == n, "index rows in \(table.rawValue)")
            }
            #expect(try await db.count(StoreQuery(type: nil, filters: [[.compartment(["p3"])]])) == n / 10)
            #expect(try await db.read(type: "Observation", id: "o999") == updated[999].record)
            #expect(try await db.history(HistoryQuery(type: "Observation", id: nil, count: 5_000)).records.count == 2 * n)
        }
    }
}
