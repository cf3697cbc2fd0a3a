import Crypto
import FHIRCore

/// A resource checked and indexed before its transaction starts, so the writer holds the database
/// only for the statements themselves.
struct PreparedResource: Sendable {
    var type: String
    var body: JSONObject
    var contentHash: String
    var index: SearchIndexRows
    var compartment: String?

    /// Stamps `id`, `meta.versionId` and `meta.lastUpdated` and returns the write.
    func write(id: String, versionId: Int, lastUpdated: Int64) -> ResourceWrite {
        var o = body
        o.set("id", .string(id), insertingAt: 1)
        var meta = o["meta"]?.objectValue ?? JSONObject()
        meta.set("versionId", .string(String(versionId)), insertingAt: 0)
        meta.set("lastUpdated", .string(InstantFormat.string(millis: lastUpdated)), insertingAt: 1)
        o.set("meta", .object(meta), insertingAt: 2)
        let record = ResourceRecord(
            type: type, id: id, versionId: versionId, lastUpdated: lastUpdated, isDeleted: false,
            json: JSONWriter.bytes(.object(o)))
        // A Patient is its own compartment, also when the server chose its id just now.
        return ResourceWrite(record: record, contentHash: contentHash, compartment: type == "Patient" ? id : compartment, index: index)
    }
}

enum ContentHash {
    /// SHA-256 of the resource without `id`, `meta.versionId` and `meta.lastUpdated`: equal hashes mean
    /// an update changes nothing.
    static func of(_ body: JSONObject) -> String {
        var o = body
        o["id"] = nil
        if var meta = o["meta"]?.objectValue {
            meta["versionId"] = nil
            meta["lastUpdated"] = nil
            o["meta"] = meta.isEmpty ? nil : .object(meta)
        }
        let digest = SHA256.hash(data: JSONWriter.bytes(.object(o)))
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func deleted() -> String { "deleted" }
}
