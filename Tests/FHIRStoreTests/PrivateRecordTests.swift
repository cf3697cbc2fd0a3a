import FHIRCore
import Foundation
import Testing

@testable import FHIRStore

/// Private records (accounts, credential hashes, sealed keys, refresh tokens) on both backends.
@Suite("Private records (both backends)")
struct PrivateRecordTests {
    struct Abort: Error {}

    @Test("put, read, list by kind in key order, replace and delete", arguments: BackendKind.allCases)
    func crud(kind: BackendKind) async throws {
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            try await db.write { tx in
                try await tx.putPrivateRecord(kind: "account", key: "zhang", value: Array("v1".utf8))
                try await tx.putPrivateRecord(kind: "account", key: "li", value: Array("l1".utf8))
                try await tx.putPrivateRecord(kind: "client", key: "zhang", value: Array("c1".utf8))
            }
            #expect(try await db.privateRecord(kind: "account", key: "zhang") == Array("v1".utf8))
            #expect(try await db.privateRecord(kind: "account", key: "wang") == nil)
            #expect(try await db.privateRecords(kind: "account").map(\.key) == ["li", "zhang"])
            try await db.write { tx in
                try await tx.putPrivateRecord(kind: "account", key: "zhang", value: Array("v2".utf8))
                try await tx.deletePrivateRecord(kind: "account", key: "li")
            }
            #expect(try await db.privateRecord(kind: "account", key: "zhang") == Array("v2".utf8))
            #expect(try await db.privateRecords(kind: "account").map(\.key) == ["zhang"])
            #expect(try await db.privateRecord(kind: "client", key: "zhang") == Array("c1".utf8))
        }
    }

    @Test("a failed transaction leaves no private record behind", arguments: BackendKind.allCases)
    func rollback(kind: BackendKind) async throws {
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            await #expect(throws: Abort.self) {
                try await db.write { tx in
                    try await tx.putPrivateRecord(kind: "refresh", key: "t1", value: [1, 2, 3])
                    throw Abort()
                }
            }
            #expect(try await db.privateRecord(kind: "refresh", key: "t1") == nil)
        }
    }

    @Test("concurrent read-modify-writes of one record lose no update", arguments: BackendKind.allCases)
    func readModifyWrite(kind: BackendKind) async throws {
        try await withBackend(kind) { (db: any StoreBackend) async throws in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await db.write { tx in
                            let current = try await tx.privateRecord(kind: "counter", key: "c").flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
                            try await tx.putPrivateRecord(kind: "counter", key: "c", value: Array(String(current + 1).utf8))
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await db.privateRecord(kind: "counter", key: "c") == Array("20".utf8))
        }
    }
}
