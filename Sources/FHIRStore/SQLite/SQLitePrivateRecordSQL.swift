import Foundation

/// `private_record` statements of the SQLite backend (accounts, credentials, keys: not FHIR).
extension SQLiteConnection {
    func privateRecord(kind: String, key: String) throws -> [UInt8]? {
        var value: [UInt8]?
        try query("SELECT value FROM private_record WHERE kind = ?1 AND rkey = ?2", [.text(kind), .text(key)]) { value = $0.bytes(0) }
        return value
    }

    func privateRecords(kind: String) throws -> [PrivateRecord] {
        var records: [PrivateRecord] = []
        try query("SELECT rkey, value FROM private_record WHERE kind = ?1 ORDER BY rkey", [.text(kind)]) {
            records.append(PrivateRecord(key: $0.text(0) ?? "", value: $0.bytes(1)))
        }
        return records
    }

    func putPrivateRecord(kind: String, key: String, value: [UInt8]) throws {
        try run(
            "INSERT INTO private_record (kind, rkey, value, updated) VALUES (?1, ?2, ?3, ?4) "
                + "ON CONFLICT (kind, rkey) DO UPDATE SET value = excluded.value, updated = excluded.updated",
            [.text(kind), .text(key), .blob(value), .int(Int64(Date().timeIntervalSince1970 * 1000))])
    }

    func deletePrivateRecord(kind: String, key: String) throws {
        try run("DELETE FROM private_record WHERE kind = ?1 AND rkey = ?2", [.text(kind), .text(key)])
    }

    func deletePrivateRecords(kind: String, updatedBefore: Int64, limit: Int) throws -> Int {
        var deleted = 0
        try query(
            "DELETE FROM private_record WHERE rowid IN (SELECT rowid FROM private_record WHERE kind = ?1 AND updated < ?2 LIMIT ?3) RETURNING 1",
            [.text(kind), .int(updatedBefore), .int(Int64(limit))]) { _ in deleted += 1 }
        return deleted
    }
}
