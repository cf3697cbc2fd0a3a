import FHIRCore
import Foundation
import StoreTestSupport
import Testing
@testable import FHIRStore
@testable import HealthCard

/// The card records in a real database (SQLite and, when configured, PostgreSQL): uniqueness held by
/// the store's keys and locks, not by memory.
@Suite("e-health card registry")
struct HealthCardRegistryTests {
    typealias Backend = TestStore

    static func withRegistry(_ kind: Backend, _ body: (HealthCardRegistry) async throws -> Void) async throws {
        try await kind.with(prefix: "kq-card", poolSize: 8) { try await body(HealthCardRegistry(backend: $0)) }
    }

    @Test("R-HC-2: twenty concurrent uses of one dynamic code: exactly one is recorded", arguments: Backend.allCases)
    func singleUse(kind: Backend) async throws {
        try await Self.withRegistry(kind) { registry in
            let code = HealthCardCode.dynamicCode(for: HealthCardNumber.random(division: "350102"), expiresAt: 1_800_000_060)
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 { group.addTask { try await registry.recordUse(of: code, scene: .payment, organization: "Organization/h1", now: 1_800_000_000) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await registry.recordUse(of: code, scene: .registration, organization: nil, now: 1_800_000_001) == false)
            // A static code has no id and is never used up.
            let staticCode = HealthCardCode.staticCode(for: code.cardNumber)
            #expect(try await registry.recordUse(of: staticCode, scene: .registration, organization: nil, now: 0))
            #expect(try await registry.recordUse(of: staticCode, scene: .registration, organization: nil, now: 0))
        }
    }

    @Test("R-HC-2: records of used dynamic codes are kept for the policy's days, then deleted", arguments: Backend.allCases)
    func pruneUsed(kind: Backend) async throws {
        try await Self.withRegistry(kind) { registry in
            let now = Int64(Date().timeIntervalSince1970)
            for _ in 0..<3 {
                let code = HealthCardCode.dynamicCode(for: HealthCardNumber.random(division: "350102"), expiresAt: now + 60)
                let recorded = try await registry.recordUse(of: code, scene: .payment, organization: nil, now: now)
                #expect(recorded)
            }
            let policy = HealthCardPolicy()
            let early = try await registry.pruneUsedCodes(policy: policy, now: now)
            #expect(early == 0, "kept within the record days")
            let late = try await registry.pruneUsedCodes(policy: policy, now: now + Int64(policy.usedCodeRecordDays + 1) * 86_400)
            #expect(late == 3)
            let left = try await registry.backend.privateRecords(kind: "health-card-code-use")
            #expect(left.isEmpty)
        }
    }

    @Test("R-HC-1: concurrent claims for one person keep the first card; a number is never given to two people", arguments: Backend.allCases)
    func claims(kind: Backend) async throws {
        try await Self.withRegistry(kind) { registry in
            let numbers = (0..<10).map { _ in HealthCardNumber.random(division: "350102") }
            let claimed = try await withThrowingTaskGroup(of: HealthCardNumber?.self) { group in
                for n in numbers {
                    group.addTask {
                        try await registry.backend.write { tx in
                            try await HealthCardRegistry.claim(n, for: "Patient/a", patient: "Patient/a", now: 1, in: tx).card
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let card = try #require(try await registry.card(ofPerson: "Patient/a"))
            #expect(Set(claimed.compactMap { $0 }) == [card])
            #expect(try await registry.person(holding: card) == "Patient/a")
            // The same number for someone else: not written.
            let other = try await registry.backend.write { tx in try await HealthCardRegistry.claim(card, for: "Patient/b", patient: "Patient/b", now: 1, in: tx) }
            #expect(other.card == nil && !other.created)
            #expect(try await registry.card(ofPerson: "Patient/b") == nil)
        }
    }

    @Test("R-HC-1: a card moves to a merged record's survivor only when the survivor has none", arguments: Backend.allCases)
    func transfer(kind: Backend) async throws {
        try await Self.withRegistry(kind) { registry in
            let first = HealthCardNumber.random(division: "350102"), second = HealthCardNumber.random(division: "350102")
            _ = try await registry.backend.write { tx in try await HealthCardRegistry.claim(first, for: "Patient/old", patient: "Patient/old", now: 1, in: tx) }
            #expect(try await registry.transfer(from: "Patient/old", to: "Patient/new"))
            #expect(try await registry.card(ofPerson: "Patient/new") == first)
            #expect(try await registry.card(ofPerson: "Patient/old") == nil)
            #expect(try await registry.person(holding: first) == "Patient/new")
            #expect(try await registry.transfer(from: "Patient/old", to: "Patient/new") == false)
            _ = try await registry.backend.write { tx in try await HealthCardRegistry.claim(second, for: "Patient/x", patient: "Patient/x", now: 1, in: tx) }
            #expect(try await registry.transfer(from: "Patient/x", to: "Patient/new") == false)
            #expect(try await registry.card(ofPerson: "Patient/new") == first)
        }
    }
}
