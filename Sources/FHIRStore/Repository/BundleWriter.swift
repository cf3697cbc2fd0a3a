import FHIRCore
import Foundation

/// Writes Bundle JSON straight to bytes, splicing in stored resource bytes without re-encoding them
/// (reads never re-serialize; ARCHITECTURE "Speed by design").
struct BundleWriter {
    private(set) var out: [UInt8] = []
    private var entryCount = 0

    init(type: String, total: Int?, links: [(relation: String, url: String)]) {
        out.reserveCapacity(16 * 1024)
        append(#"{"resourceType":"Bundle","id":"#)
        JSONWriter.writeString(UUID().uuidString.lowercased(), into: &out)
        append(#","meta":{"lastUpdated":"#)
        JSONWriter.writeString(InstantFormat.string(millis: FHIRRepository.now()), into: &out)
        append(#"},"type":"#)
        JSONWriter.writeString(type, into: &out)
        if let total { append(#","total":\#(total)"#) }
        if !links.isEmpty {
            append(#","link":["#)
            for (i, link) in links.enumerated() {
                if i > 0 { append(",") }
                append(#"{"relation":"#)
                JSONWriter.writeString(link.relation, into: &out)
                append(#","url":"#)
                JSONWriter.writeString(link.url, into: &out)
                append("}")
            }
            append("]")
        }
    }

    private mutating func append(_ s: String) { out.append(contentsOf: s.utf8) }

    /// Adds an entry; `resource` is raw resource JSON bytes, `extra` are further entry members
    /// (search, request, response) as JSON.
    mutating func entry(fullUrl: String?, resource: [UInt8]?, extra: [(String, JSON)] = []) {
        append(entryCount == 0 ? #","entry":[{"# : #",{"#)
        entryCount += 1
        var first = true
        if let fullUrl {
            append(#""fullUrl":"#)
            JSONWriter.writeString(fullUrl, into: &out)
            first = false
        }
        if let resource, !resource.isEmpty {
            append(first ? #""resource":"# : #","resource":"#)
            out.append(contentsOf: resource)
            first = false
        }
        for (key, value) in extra {
            if !first { append(",") }
            JSONWriter.writeString(key, into: &out)
            append(":")
            JSONWriter().write(value, into: &out)
            first = false
        }
        append("}")
    }

    consuming func finish() -> [UInt8] {
        if entryCount > 0 { append("]") }
        append("}")
        return out
    }
}
