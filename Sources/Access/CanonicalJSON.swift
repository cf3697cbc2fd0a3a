import FHIRCore

/// The form of a resource that is signed: JSON without whitespace, object members sorted by their
/// names' UTF-16 code units (as RFC 8785), numbers and strings exactly as stored, and without `meta`
/// (version id and timestamps change on every save) — so a signature covers the clinical content and
/// the id, and any change to them after signing is detected.
public enum CanonicalJSON {
    public static let name = "application/fhir+json;canonicalization=kangqiao-sorted-v1"

    public static func bytes(_ resource: JSON) -> [UInt8] {
        var copy = resource
        if case .object(var o) = copy {
            o["meta"] = nil
            copy = .object(o)
        }
        return JSONWriter.bytes(sorted(copy))
    }

    static func sorted(_ value: JSON) -> JSON {
        switch value {
        case .object(let o):
            let members = zip(o.keys, o.values).sorted { a, b in a.0.utf16.lexicographicallyPrecedes(b.0.utf16) }
            return .object(JSONObject(members.map { ($0.0, sorted($0.1)) }))
        case .array(let items):
            return .array(items.map(sorted))
        default:
            return value
        }
    }
}
