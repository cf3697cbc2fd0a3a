import FHIRCore
import FHIRStore

/// The record a person's card belongs to (R-HC-1: one card per person, not per record). Until the
/// patient master index keys people by a master identity of its own, the master is the Patient that
/// `Patient.link` leads to — `replaced-by` (merged into) or `refer` (use the other record) — or the
/// Patient itself.
public enum MasterIdentity {
    /// Link types that say "the other record is the one to use".
    static let forwardingLinks: Set<String> = ["replaced-by", "refer"]

    /// Follows forwarding links from `record` to the current master Patient. A link to a missing or
    /// deleted record, or a loop, stops at the last good record.
    public static func resolve(
        _ record: ResourceRecord, maxHops: Int, read: (String) async throws -> ResourceRecord?
    ) async throws -> ResourceRecord {
        try await path(from: record, maxHops: maxHops, read: read).last ?? record
    }

    /// The records from `record` to its master, both included.
    public static func path(
        from record: ResourceRecord, maxHops: Int, read: (String) async throws -> ResourceRecord?
    ) async throws -> [ResourceRecord] {
        var path = [record]
        var seen: Set<String> = [record.id]
        for _ in 0..<maxHops {
            guard let next = forwardTarget(of: path[path.count - 1]), !seen.contains(next),
                let target = try await read(next), !target.isDeleted
            else { break }
            seen.insert(next)
            path.append(target)
        }
        return path
    }

    /// The id of the Patient a forwarding link of `record` names, if any.
    static func forwardTarget(of record: ResourceRecord) -> String? {
        guard let patient = try? JSONParser.parse(record.json) else { return nil }
        for link in patient["link"]?.arrayValue ?? [] {
            guard let type = link["type"]?.stringValue, forwardingLinks.contains(type),
                let reference = link["other"]?["reference"]?.stringValue, reference.hasPrefix("Patient/")
            else { continue }
            let id = String(reference.dropFirst("Patient/".count))
            if !id.isEmpty, !id.contains("/") { return id }
        }
        return nil
    }

    /// The key a person's card is stored under.
    public static func personKey(of master: ResourceRecord) -> String { "Patient/" + master.id }
}
