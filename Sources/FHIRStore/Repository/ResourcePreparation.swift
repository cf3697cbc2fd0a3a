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
        stamped(id: id, versionId: versionId).write(lastUpdated: lastUpdated)
    }

    /// The resource with its `id` and `meta.versionId`, serialized; `meta.lastUpdated` is filled in by
    /// `StampedResource.write(lastUpdated:)`. A create stamps outside its write transaction and only
    /// sets the time inside (the time follows commit order), so the single writer does not serialize.
    func stamped(id: String, versionId: Int) -> StampedResource {
        StampedResource(prepared: self, id: id, versionId: versionId,
                        json: serialized(id: id, versionId: versionId, lastUpdated: StampedResource.placeholder))
    }

    /// The body with `id` and `meta` (versionId, lastUpdated first in it), serialized.
    func serialized(id: String, versionId: Int, lastUpdated: String) -> [UInt8] {
        var o = body
        o.set("id", .string(id), insertingAt: 1)
        var meta = o["meta"]?.objectValue ?? JSONObject()
        meta.set("versionId", .string(String(versionId)), insertingAt: 0)
        meta.set("lastUpdated", .string(lastUpdated), insertingAt: 1)
        o.set("meta", .object(meta), insertingAt: 2)
        return JSONWriter.bytes(.object(o))
    }
}

/// A prepared resource serialized with its id and version, waiting for its time.
struct StampedResource: Sendable {
    let prepared: PreparedResource
    let id: String
    let versionId: Int
    let json: [UInt8]
    /// Where the placeholder time's 24 characters are.
    let timeOffset: Int?

    /// A time-wide placeholder no client can know (random per process), so finding it cannot hit a
    /// `lastUpdated` of theirs (in a contained resource, say).
    static let placeholder: String = {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return "~" + String((0..<23).map { _ in letters.randomElement()! })
    }()
    private static let pattern = Array((#""lastUpdated":""# + placeholder + "\"").utf8)

    init(prepared: PreparedResource, id: String, versionId: Int, json: [UInt8]) {
        self.prepared = prepared
        self.id = id
        self.versionId = versionId
        self.json = json
        timeOffset = json.firstRange(of: Self.pattern).map { $0.lowerBound + #""lastUpdated":""#.utf8.count }
    }

    func write(lastUpdated: Int64) -> ResourceWrite {
        let time = Array(InstantFormat.string(millis: lastUpdated).utf8)
        var bytes = json
        if let at = timeOffset, time.count == Self.placeholder.utf8.count, at + time.count <= bytes.count {
            bytes.replaceSubrange(at..<at + time.count, with: time)
        } else {
            // A year outside 1000…9999 has another width: serialize again (never in practice).
            bytes = prepared.serialized(id: id, versionId: versionId, lastUpdated: InstantFormat.string(millis: lastUpdated))
        }
        let record = ResourceRecord(type: prepared.type, id: id, versionId: versionId, lastUpdated: lastUpdated, isDeleted: false, json: bytes)
        // A Patient is its own compartment, also when the server chose its id just now.
        return ResourceWrite(
            record: record, contentHash: prepared.contentHash, compartment: prepared.type == "Patient" ? id : prepared.compartment,
            index: prepared.index)
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
