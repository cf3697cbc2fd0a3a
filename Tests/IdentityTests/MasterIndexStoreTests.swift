import ChinaReference
import FHIRCore
@testable import FHIRStore
import Foundation
@testable import Identity
import KangqiaoServer
import StoreTestSupport
import Testing

/// The same register imported through the product's runtime (the master index hook in each import
/// transaction, audit trail on), on SQLite and PostgreSQL: what the store links and queues is
/// measured against the known duplicates, with the import rate.
@Suite("Master index on the store")
struct MasterIndexStoreTests {
    typealias Kind = TestStore

    static func all(_ backend: any StoreBackend, _ type: String, _ filters: [[IndexPredicate]] = []) async throws -> [JSON] {
        var out: [JSON] = []
        var cursor: PageCursor?
        repeat {
            let page = try await backend.search(StoreQuery(type: type, filters: filters, count: 500, after: cursor))
            out += page.records.compactMap { try? JSONParser.parse($0.json) }
            cursor = page.next
        } while cursor != nil
        return out
    }

    @Test("an import of a register with known duplicates (400 residents on SQLite, 250 on PostgreSQL) links certain matches (precision ≥ 0.99) and links or queues ≥ 0.95 of the true pairs",
          arguments: Kind.allCases)
    func importedRegister(kind: Kind) async throws {
        try await kind.with(prefix: "kq-mpi") { try await measure($0, kind) }
    }

    @Test("a Person that is not the index's own (no master-person identifier) is neither reused nor changed when the index links its Patient",
          arguments: Kind.allCases)
    func foreignPersonLeftAlone(kind: Kind) async throws {
        try await kind.with(prefix: "kq-mpi-foreign") { backend in
            let runtime = KangqiaoRuntime(backend: backend, accessControl: false)
            func patient(_ name: String) throws -> JSON {
                try JSONParser.parse(Array(#"""
                    {"resourceType":"Patient","identifier":[{"system":"\#(ChinaProfile.IdentifierSystem.residentID)","value":"11010519491231002X"}],
                     "name":[{"text":"\#(name)"}],"gender":"female","birthDate":"1949-12-31"}
                    """#.utf8))
            }
            let a = try await runtime.repository.create(type: "Patient", resource: try patient("张三")).record.id
            let foreign = try JSONParser.parse(Array(#"{"resourceType":"Person","active":true,"link":[{"target":{"reference":"Patient/\#(a)"}}]}"#.utf8))
            let person = try await runtime.repository.create(type: "Person", resource: foreign).record
            // Same resident ID: a certain match, linked under a master Person.
            let b = try await runtime.repository.create(type: "Patient", resource: try patient("张 三")).record.id
            let persons = try await Self.all(backend, "Person")
            let master = persons.filter(MasterPerson.isActiveMaster)
            #expect(master.count == 1)
            #expect(Set(master.first.map(MasterPerson.members) ?? []) == [a, b])
            let after = try #require(try await backend.read(type: "Person", id: person.id))
            #expect(after.versionId == 1, "the foreign Person was changed")
            #expect(!MasterPerson.isActiveMaster(try JSONParser.parse(after.json)))
        }
    }

    func measure(_ backend: any StoreBackend, _ kind: Kind) async throws {
        let runtime = KangqiaoRuntime(backend: backend)
        // A cross-check of the store path, not the measure of the matcher (MatcherCorpusTests is): a
        // register small enough not to starve the timing-sensitive suites running beside it.
        let corpus = try ResidentCorpus(residents: kind == .sqlite ? 400 : 250, duplicateShare: 0.30, seed: 42)
        let start = Date()
        for batch in stride(from: 0, to: corpus.records.count, by: 200) {
            let resources = corpus.records[batch..<min(batch + 200, corpus.records.count)].map(\.patient)
            #expect(try await runtime.repository.bulkUpsert(Array(resources)) == resources.count)
        }
        let seconds = Date().timeIntervalSince(start)

        var certain = Set<ResidentCorpus.Pair>()
        for person in try await Self.all(backend, "Person") {
            let members = MasterPerson.members(person)
            for (i, a) in members.enumerated() { for b in members[(i + 1)...] { certain.insert(.init(a, b)) } }
        }
        var probable = Set<ResidentCorpus.Pair>()
        for task in try await Self.all(backend, "Task") where MasterIndexTask.kind(of: task) == MasterIndexTask.reviewMatch {
            if let a = MatchService.patientId(task["for"]), let b = MatchService.patientId(task["focus"]) { probable.insert(.init(a, b)) }
        }
        let truth = corpus.truePairs
        let precision = certain.isEmpty ? 1 : Double(certain.intersection(truth).count) / Double(certain.count)
        let recall = Double(certain.union(probable).intersection(truth).count) / Double(truth.count)
        print("""
            [master index, \(kind.rawValue)] \(corpus.records.count) Patients imported in batches of 200 in \(String(format: "%.2f", seconds)) s \
            (\(Int(Double(corpus.records.count) / seconds)) matched and written per second); \(truth.count) true pairs; \
            linked \(certain.count) pairs, queued \(probable.count); precision \(String(format: "%.4f", precision)), recall \(String(format: "%.4f", recall))
            """)
        #expect(truth.count >= (kind == .sqlite ? 100 : 60))
        #expect(precision >= 0.99)
        #expect(recall >= 0.95)
        // Every search by a duplicate's id finds its original too (one person), through the repository.
        let sample = try #require(corpus.records.first { r in r.duplicateOf != nil && certain.contains(.init(r.id, r.duplicateOf!)) })
        let page = try await backend.search(try await runtime.repository.widenedToLinkedPatients(StoreQuery(type: "Patient", filters: [[.id([sample.id])]])))
        #expect(Set(page.records.map(\.id)) == [sample.id, sample.duplicateOf!])
    }
}
