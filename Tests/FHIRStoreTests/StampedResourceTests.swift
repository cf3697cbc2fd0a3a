import FHIRCore
import Foundation
import Testing

@testable import FHIRStore

/// A create is serialized with its id and version before its write transaction; inside, only the
/// time is set, in place. The result must be what serializing it whole gives.
@Suite("Stamping a resource outside the write transaction")
struct StampedResourceTests {
    func prepared(_ text: String) throws -> PreparedResource {
        let body = try #require(try JSONParser.parse(Array(text.utf8)).objectValue)
        return PreparedResource(type: "Patient", body: body, contentHash: "h", index: SearchIndexRows(), compartment: nil)
    }

    /// What the write was before stamping existed: the whole resource serialized with its meta.
    func serializedWhole(_ p: PreparedResource, id: String, versionId: Int, lastUpdated: Int64) -> [UInt8] {
        var o = p.body
        o.set("id", .string(id), insertingAt: 1)
        var meta = o["meta"]?.objectValue ?? JSONObject()
        meta.set("versionId", .string(String(versionId)), insertingAt: 0)
        meta.set("lastUpdated", .string(InstantFormat.string(millis: lastUpdated)), insertingAt: 1)
        o.set("meta", .object(meta), insertingAt: 2)
        return JSONWriter.bytes(.object(o))
    }

    @Test("the time set in place gives the bytes of the whole serialization, a client's meta and contained metas included",
          arguments: [
              #"{"resourceType":"Patient","name":[{"family":"李"}]}"#,
              #"{"resourceType":"Patient","meta":{"lastUpdated":"2001-01-01T00:00:00.000Z","tag":[{"code":"x"}]},"active":true}"#,
              // A contained resource's `lastUpdated` comes before the resource's own meta.
              #"{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","meta":{"lastUpdated":"2001-01-01T00:00:00.000Z"}}],"meta":{"versionId":"9"},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">\"lastUpdated\":\"</div>"}}"#,
          ])
    func sameBytes(text: String) throws {
        let p = try prepared(text)
        let stamped = p.stamped(id: "p-1", versionId: 1)
        for millis: Int64 in [0, 1_795_000_000_123, 253_402_300_799_999] {  // 1970, 2026, the last instant of 9999
            let w = stamped.write(lastUpdated: millis)
            #expect(w.record.json == serializedWhole(p, id: "p-1", versionId: 1, lastUpdated: millis))
            #expect(w.record.lastUpdated == millis && w.record.id == "p-1" && w.record.versionId == 1)
            #expect(!String(decoding: w.record.json, as: UTF8.self).contains(StampedResource.placeholder))
        }
    }

    @Test("a time of another width (a year before 1000) is serialized whole")
    func otherWidth() throws {
        let p = try prepared(#"{"resourceType":"Patient"}"#)
        let millis: Int64 = -40_000_000_000_000  // year 702
        #expect(p.stamped(id: "a", versionId: 2).write(lastUpdated: millis).record.json == serializedWhole(p, id: "a", versionId: 2, lastUpdated: millis))
    }
}
