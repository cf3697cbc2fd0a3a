import FHIRCore
import Foundation
import Testing

@testable import FHIRStore

/// The storage guarantees of `StoreBackend`, checked identically on SQLite and PostgreSQL.
@Suite("Store contract (both backends)")
struct StoreContractTests {
    @Test("a written version reads back byte for byte, current and by version", arguments: BackendKind.allCases)
    func roundTrip(kind: BackendKind) async throws {
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            let v1 = record("Patient", "p1", body: #"{"resourceType":"Patient","id":"p1","x":1.50}"#)
            try await db.write { tx in try await tx.put(write(v1)) }
            let v2 = record("Patient", "p1", version: 2, at: 1_700_000_001_000, body: #"{"resourceType":"Patient","id":"p1","x":2}"#)
            try await db.write { tx in try await tx.put(write(v2)) }
            #expect(try await db.read(type: "Patient", id: "p1") == v2)
            #expect(try await db.readVersion(type: "Patient", id: "p1", versionId: 1) == v1)
            #expect(try await db.readVersion(type: "Patient", id: "p1", versionId: 3) == nil)
            #expect(try await db.read(type: "Patient", id: "nope") == nil)
        }
    }

    @Test("writing an existing version again is a version conflict", arguments: BackendKind.allCases)
    func duplicateVersion(kind: BackendKind) async throws {
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            try await db.write { tx in try await tx.put(write(record("Patient", "p1"))) }
            await #expect(throws: StoreError.versionConflict(ResourceKey(type: "Patient", id: "p1"))) {
                try await db.write { tx in try await tx.put(write(record("Patient", "p1"))) }
            }
        }
    }

    @Test("a transaction whose body throws leaves nothing behind, and the next one goes in", arguments: BackendKind.allCases)
    func failedTransactionLeavesNothing(kind: BackendKind) async throws {
        struct Boom: Error {}
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            await #expect(throws: Boom.self) {
                try await db.write { tx in
                    try await tx.put(write(record("Patient", "a")))
                    try await tx.put(write(record("Patient", "b"), index: rows(token: ("identifier", "sys", "1"))))
                    throw Boom()
                }
            }
            #expect(try await db.read(type: "Patient", id: "a") == nil)
            #expect(try await db.count(StoreQuery(type: nil)) == 0)
            #expect(try await db.history(HistoryQuery(type: nil, id: nil)).records.isEmpty)
            // Alone in its group, the body ran without a savepoint: the rollback left the writer ready.
            try await db.write { tx in try await tx.put(write(record("Patient", "after"))) }
            #expect(try await db.count(StoreQuery(type: nil)) == 1)
        }
    }

    @Test("concurrent writers are all committed, and a failing one does not undo the others", arguments: BackendKind.allCases)
    func concurrentWritesGroupCommit(kind: BackendKind) async throws {
        struct Boom: Error {}
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<64 {
                    group.addTask {
                        do {
                            try await db.write { tx in
                                try await tx.put(write(record("Observation", "o\(i)")))
                                if i % 8 == 0 { throw Boom() }
                            }
                            return true
                        } catch is Boom {
                            return false
                        }
                    }
                }
                var ok = 0
                for try await r in group where r { ok += 1 }
                #expect(ok == 56)
            }
            #expect(try await db.count(StoreQuery(type: "Observation")) == 56)
            #expect(try await db.read(type: "Observation", id: "o8") == nil)
            #expect(try await db.read(type: "Observation", id: "o9") != nil)
        }
    }

    @Test("history is newest first, pages by cursor, and honours since", arguments: BackendKind.allCases)
    func historyPaging(kind: BackendKind) async throws {
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            for v in 1...5 {
                try await db.write { tx in try await tx.put(write(record("Patient", "p", version: v, at: 1_000 * Int64(v)))) }
            }
            try await db.write { tx in try await tx.put(write(record("Observation", "o", at: 10_000))) }
            let first = try await db.history(HistoryQuery(type: "Patient", id: "p", count: 2))
            #expect(first.records.map(\.versionId) == [5, 4])
            let second = try await db.history(HistoryQuery(type: "Patient", id: "p", count: 2, before: first.next))
            #expect(second.records.map(\.versionId) == [3, 2])
            let since = try await db.history(HistoryQuery(type: nil, id: nil, since: 4_000, count: 10))
            #expect(since.records.map { "\($0.type)/\($0.versionId)" } == ["Observation/1", "Patient/5", "Patient/4"])
        }
    }

    @Test("index predicates find exactly the matching resources", arguments: BackendKind.allCases)
    func indexPredicates(kind: BackendKind) async throws {
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            try await db.write { tx in
                try await tx.put(write(record("Patient", "p1", at: 1_000), compartment: "p1", index: rows(token: ("identifier", "urn:id", "A"))))
                try await tx.put(write(record("Patient", "p2", at: 2_000), compartment: "p2", index: rows(token: ("identifier", nil, "B"))))
                try await tx.put(write(record("Observation", "o1", at: 3_000), compartment: "p1",
                                       index: rows(reference: ("subject", "Patient", "p1"))))
                try await tx.put(write(record("Observation", "o2", at: 4_000), compartment: "p2",
                                       index: rows(reference: ("subject", "Patient", "p2"))))
            }
            func ids(_ q: StoreQuery) async throws -> [String] { try await db.search(q).records.map(\.id).sorted() }
            #expect(try await ids(StoreQuery(type: "Patient", filters: [[.token(param: "identifier", system: "urn:id", code: "A", systemMustBeAbsent: false)]])) == ["p1"])
            #expect(try await ids(StoreQuery(type: "Patient", filters: [[.token(param: "identifier", system: nil, code: "B", systemMustBeAbsent: true)]])) == ["p2"])
            #expect(try await ids(StoreQuery(type: "Patient", filters: [[.token(param: "identifier", system: "urn:id", code: nil, systemMustBeAbsent: false)]])) == ["p1"])
            #expect(try await ids(StoreQuery(type: "Patient", filters: [[.not(.token(param: "identifier", system: nil, code: "A", systemMustBeAbsent: false))]])) == ["p2"])
            #expect(try await ids(StoreQuery(type: "Observation", filters: [[.reference(param: "subject", targetType: "Patient", targetId: "p2", url: nil)]])) == ["o2"])
            #expect(try await ids(StoreQuery(type: nil, filters: [[.compartment(["p1"])]])) == ["o1", "p1"])
            #expect(try await ids(StoreQuery(type: nil, filters: [[.id(["p1", "o2"])]])) == ["o2", "p1"])
            #expect(try await ids(StoreQuery(type: nil, filters: [[.lastUpdated(.ge, low: 3_000, high: 3_000)]])) == ["o1", "o2"])
            #expect(try await ids(StoreQuery(type: "Patient", filters: [[.missing(param: "identifier", table: .token, missing: true)]])) == [])
            #expect(try await ids(StoreQuery(type: "Observation", filters: [[.missing(param: "identifier", table: .token, missing: true)]])) == ["o1", "o2"])
            #expect(try await db.count(StoreQuery(type: "Observation")) == 2)
            let keys = try await db.write { tx in
                try await tx.matchingKeys(StoreQuery(type: "Patient", filters: [[.token(param: "identifier", system: "urn:id", code: "A", systemMustBeAbsent: false)]]), limit: 2)
            }
            #expect(keys == [ResourceKey(type: "Patient", id: "p1")])
        }
    }

    @Test("search pages continue from a keyset cursor while rows are added", arguments: BackendKind.allCases)
    func keysetPaging(kind: BackendKind) async throws {
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            for i in 0..<5 { try await db.write { tx in try await tx.put(write(record("Patient", "p\(i)"))) } }
            let first = try await db.search(StoreQuery(type: "Patient", count: 2))
            #expect(first.records.map(\.id) == ["p0", "p1"])
            try await db.write { tx in try await tx.put(write(record("Patient", "late"))) }
            let second = try await db.search(StoreQuery(type: "Patient", count: 2, after: first.next))
            #expect(second.records.map(\.id) == ["p2", "p3"])
            let third = try await db.search(StoreQuery(type: "Patient", count: 2, after: second.next))
            #expect(third.records.map(\.id) == ["p4", "late"])
            #expect(third.next == nil)
        }
    }

    @Test("a deleted resource keeps its history but leaves search and its index rows", arguments: BackendKind.allCases)
    func deletionRemovesFromSearch(kind: BackendKind) async throws {
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            try await db.write { tx in try await tx.put(write(record("Patient", "p"), index: rows(token: ("identifier", "s", "1")))) }
            let tombstone = ResourceRecord(type: "Patient", id: "p", versionId: 2, lastUpdated: 2, isDeleted: true, json: [])
            try await db.write { tx in try await tx.put(write(tombstone)) }
            #expect(try await db.read(type: "Patient", id: "p")?.isDeleted == true)
            #expect(try await db.count(StoreQuery(type: "Patient")) == 0)
            #expect(try await db.history(HistoryQuery(type: "Patient", id: "p")).records.count == 2)
        }
    }

    @Test("putAll writes a large batch with its index rows in one transaction", arguments: BackendKind.allCases)
    func bulkPut(kind: BackendKind) async throws {
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            let writes = (0..<2_000).map { i in
                write(record("Observation", "o\(i)"), compartment: "p\(i % 10)",
                      index: rows(token: ("code", "http://loinc.org", "\(i % 7)"), reference: ("subject", "Patient", "p\(i % 10)")))
            }
            try await db.write { tx in try await tx.putAll(writes) }
            #expect(try await db.count(StoreQuery(type: "Observation")) == 2_000)
            let q = StoreQuery(type: "Observation", filters: [[.token(param: "code", system: "http://loinc.org", code: "3", systemMustBeAbsent: false)],
                                                              [.reference(param: "subject", targetType: "Patient", targetId: "p3", url: nil)]])
            // i ≡ 3 (mod 7) and i ≡ 3 (mod 10): i ≡ 3 (mod 70) → 29 of 2,000.
            #expect(try await db.count(q) == 29)
        }
    }

    @Test("migrations run once and record the schema version", arguments: BackendKind.allCases)
    func migrateIsIdempotent(kind: BackendKind) async throws {
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            try await db.migrate()
            try await db.write { tx in try await tx.put(write(record("Patient", "p"))) }
            try await db.migrate()
            #expect(try await db.read(type: "Patient", id: "p") != nil)
        }
    }
}

func rows(token: (String, String?, String)? = nil, reference: (String, String, String)? = nil) -> SearchIndexRows {
    var r = SearchIndexRows()
    if let token { r.tokens.append(.init(param: token.0, system: token.1, code: token.2)) }
    if let reference { r.references.append(.init(param: reference.0, targetType: reference.1, targetId: reference.2)) }
    return r
}
