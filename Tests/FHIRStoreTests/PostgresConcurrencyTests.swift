import Foundation
import Testing

@testable import FHIRStore

private typealias F = PostgresFixtures

/// The current version was not the one the writer expected (what the repository answers with 412).
private struct VersionMismatch: Error {}

private func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

/// Concurrent writers must get the outcomes SQLite's serialized writer gives them.
@Suite("PostgreSQL backend under concurrent writers", .enabled(if: PostgresTestDatabase.isEnabled))
struct PostgresConcurrencyTests {
    static let writers = 6

    @Test("concurrent If-Match updates of one resource: exactly one wins, the others see its version")
    func ifMatchUpdates() async throws {
        try await PostgresTestDatabase.withBackend(poolSize: Self.writers) { db throws in
            try await db.write { try await $0.put(F.write("Patient", "a")) }
            let outcomes = await withTaskGroup(of: Result<Int, any Error>.self) { group in
                for i in 0..<Self.writers {
                    group.addTask {
                        await outcome {
                            try await db.write { tx in
                                guard let current = try await tx.read(type: "Patient", id: "a"), current.versionId == 1 else {
                                    throw VersionMismatch()
                                }
                                try await Task.sleep(for: .milliseconds(30))  // widen the race window
                                try await tx.put(F.write("Patient", "a", version: 2, at: 2_000,
                                                         json: F.json("Patient", "a", version: 2, extra: #","writer":\#(i)"#)))
                                return i
                            }
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.compactMap { try? $0.get() }
            #expect(winners.count == 1)
            for case .failure(let failure) in outcomes { #expect(failure is VersionMismatch, "\(failure)") }
            let winner = try #require(winners.first)
            let current = try await db.read(type: "Patient", id: "a")
            #expect(current?.versionId == 2)
            #expect(current?.json == F.json("Patient", "a", version: 2, extra: #","writer":\#(winner)"#))
            #expect(try await db.history(HistoryQuery(type: "Patient", id: "a")).records.count == 2)
        }
    }

    @Test("concurrent creates of one id: one creates it, the others find it or get a version conflict")
    func createsOfOneId() async throws {
        try await PostgresTestDatabase.withBackend(poolSize: Self.writers) { db throws in
            let outcomes = await withTaskGroup(of: Result<Bool, any Error>.self) { group in
                for i in 0..<Self.writers {
                    group.addTask {
                        await outcome {
                            try await db.write { tx in
                                if try await tx.read(type: "Patient", id: "new") != nil { return false }
                                try await Task.sleep(for: .milliseconds(30))
                                try await tx.put(F.write("Patient", "new", json: F.json("Patient", "new", version: 1, extra: #","writer":\#(i)"#)))
                                return true
                            }
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { (try? $0.get()) == true }.count == 1)
            let conflict = StoreError.versionConflict(ResourceKey(type: "Patient", id: "new"))
            for case .failure(let failure) in outcomes {
                #expect(failure as? StoreError == conflict, "\(failure)")
            }
            #expect(try await db.history(HistoryQuery(type: "Patient", id: "new")).records.count == 1)
        }
    }

    @Test("concurrent conditional creates with the same criteria create one resource")
    func conditionalCreates() async throws {
        try await PostgresTestDatabase.withBackend(poolSize: Self.writers) { db throws in
            let criteria = StoreQuery(type: "Patient", filters: [[.token(param: "identifier", system: "urn:id", code: "42", systemMustBeAbsent: false)]])
            let created = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<Self.writers {
                    group.addTask {
                        try await db.write { tx in
                            if try await !tx.matchingKeys(criteria, limit: 2).isEmpty { return false }
                            try await Task.sleep(for: .milliseconds(30))
                            let id = UUID().uuidString.lowercased()
                            try await tx.put(F.write("Patient", id, index: F.tokens([("identifier", "urn:id", "42")])))
                            return true
                        }
                    }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(created == 1)
            #expect(try await db.count(criteria) == 1)
        }
    }

    @Test("two transactions creating the same resources in opposite orders both complete")
    func oppositeOrders() async throws {
        try await PostgresTestDatabase.withBackend(poolSize: 4) { db throws in
            // Each holds the lock on its first id while it waits for the other's: a deadlock, which the
            // server breaks by aborting one; the backend runs that one again (SQLite would queue it).
            let created = try await withThrowingTaskGroup(of: Int.self) { group in
                for order in [["a", "b"], ["b", "a"]] {
                    group.addTask {
                        try await db.write { tx in
                            var created = 0
                            for id in order where try await tx.read(type: "Patient", id: id) == nil {
                                try await Task.sleep(for: .milliseconds(200))
                                try await tx.put(F.write("Patient", id))
                                created += 1
                            }
                            return created
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(created == 2)
            for id in ["a", "b"] {
                #expect(try await db.history(HistoryQuery(type: "Patient", id: id)).records.count == 1)
            }
        }
    }

    @Test("a writer of another resource does not wait for an open transaction", .timeLimit(.minutes(1)))
    func independentWriters() async throws {
        try await PostgresTestDatabase.withBackend(poolSize: 4) { db throws in
            let (held, holding) = AsyncStream<Void>.makeStream()
            let (release, releasing) = AsyncStream<Void>.makeStream()
            async let first: Void = db.write { tx in
                _ = try await tx.read(type: "Patient", id: "w0")  // takes the locks for w0
                holding.yield()
                for await _ in release { break }
                try await tx.put(F.write("Patient", "w0"))
            }
            for await _ in held { break }
            // Were writes serialized, this would wait for `first`, which waits for it: the time limit fails.
            try await db.write { tx in
                _ = try await tx.read(type: "Patient", id: "w1")
                try await tx.put(F.write("Patient", "w1"))
            }
            #expect(try await db.read(type: "Patient", id: "w1") != nil)
            #expect(try await db.read(type: "Patient", id: "w0") == nil)
            releasing.yield()
            try await first
            #expect(try await db.read(type: "Patient", id: "w0") != nil)
        }
    }
}

@Suite("PostgreSQL connection URL")
struct PostgresURLTests {
    @Test("a postgres URL gives host, port, user, password, database and options")
    func parsesURL() throws {
        let u = try PostgresURL("postgres://kq:p%40ss%2Fword@db.local:6543/fhir?schema=tenant_a&pool_size=3&sslmode=require")
        #expect(u.host == "db.local" && u.port == 6543 && u.user == "kq" && u.password == "p@ss/word" && u.database == "fhir")
        #expect(u.schema == "tenant_a" && u.poolSize == 3 && u.requireTLS)
        let plain = try PostgresURL("postgresql://kq@localhost")
        #expect(plain.port == 5432 && plain.password == nil && plain.database == "kq" && !plain.requireTLS && plain.schema == nil)
    }

    @Test("connecting to a port where no server listens fails within the timeout")
    func unreachableServer() async {
        let start = ContinuousClock.now
        await #expect(throws: StoreError.self) {
            try await PostgresBackend.connect(url: "postgres://kq:kq@127.0.0.1:1/none", connectTimeout: .seconds(1))
        }
        // Not a speed check: it proves the call gives up instead of retrying forever (a loaded CI
        // machine has taken ~30 s to wind the pool down).
        #expect(ContinuousClock.now - start < .seconds(90))
    }

    @Test("a URL that is not PostgreSQL's or names an unsafe schema is refused")
    func refusesBadURLs() {
        #expect(throws: StoreError.self) { try PostgresURL("mysql://u:p@h/db") }
        #expect(throws: StoreError.self) { try PostgresURL("postgres://h/db") }
        #expect(throws: StoreError.self) { try PostgresURL("postgres://u@h/db?schema=a;drop") }
        #expect(throws: StoreError.self) { try PostgresURL("postgres://u@h/db?colour=blue") }
        #expect(!PostgresURL.isPlainIdentifier("Tenant") && !PostgresURL.isPlainIdentifier("1a") && PostgresURL.isPlainIdentifier("_a1"))
    }
}
