import Foundation
import NIOCore
import PostgresNIO

/// `private_record` statements of the PostgreSQL backend (accounts, credentials, keys: not FHIR).
extension PostgresResourceSQL {
    func privateRecord(kind: String, key: String, forUpdate: Bool = false) async throws -> [UInt8]? {
        let lock = forUpdate ? " FOR UPDATE" : ""
        let rows = try await rows("SELECT value FROM private_record WHERE kind = $1 AND rkey = $2\(lock)", [.text(kind), .text(key)])
        return try rows.first.map { row in try PostgresErrors.decoding { Array(try row.decode(ByteBuffer.self).readableBytesView) } }
    }

    func privateRecords(kind: String) async throws -> [PrivateRecord] {
        try await rows("SELECT rkey, value FROM private_record WHERE kind = $1 ORDER BY rkey COLLATE \"C\"", [.text(kind)]).map { row in
            let (key, value) = try PostgresErrors.decoding { try row.decode((String, ByteBuffer).self) }
            return PrivateRecord(key: key, value: Array(value.readableBytesView))
        }
    }

    func putPrivateRecord(kind: String, key: String, value: [UInt8]) async throws {
        _ = try await rows(
            "INSERT INTO private_record (kind, rkey, value, updated) VALUES ($1, $2, $3, $4) "
                + "ON CONFLICT (kind, rkey) DO UPDATE SET value = excluded.value, updated = excluded.updated",
            [.text(kind), .text(key), .blob(value), .int(Int64(Date().timeIntervalSince1970 * 1000))])
    }

    func deletePrivateRecord(kind: String, key: String) async throws {
        _ = try await rows("DELETE FROM private_record WHERE kind = $1 AND rkey = $2", [.text(kind), .text(key)])
    }

    func deletePrivateRecords(kind: String, updatedBefore: Int64, limit: Int) async throws -> Int {
        try await rows(
            "DELETE FROM private_record WHERE (kind, rkey) IN (SELECT kind, rkey FROM private_record WHERE kind = $1 AND updated < $2 LIMIT $3) RETURNING 1",
            [.text(kind), .int(updatedBefore), .int(Int64(limit))]).count
    }
}

extension PostgresTransaction {
    func privateRecord(kind: String, key: String) async throws -> [UInt8]? {
        try await statement {
            if let value = try await sql.privateRecord(kind: kind, key: key, forUpdate: true) { return value }
            // Absent: serialize on the key, then look again (a concurrent insert committed meanwhile is seen).
            _ = try await sql.rows(AdvisoryLockStatement(key: "private|\(kind)|\(key)"))
            return try await sql.privateRecord(kind: kind, key: key, forUpdate: true)
        }
    }

    func putPrivateRecord(kind: String, key: String, value: [UInt8]) async throws {
        try await statement { try await sql.putPrivateRecord(kind: kind, key: key, value: value) }
    }

    func deletePrivateRecord(kind: String, key: String) async throws {
        try await statement { try await sql.deletePrivateRecord(kind: kind, key: key) }
    }

    func deletePrivateRecords(kind: String, updatedBefore: Int64, limit: Int) async throws -> Int {
        try await statement { try await sql.deletePrivateRecords(kind: kind, updatedBefore: updatedBefore, limit: limit) }
    }
}
