import Access
import FHIRCore
import FHIRStore
import Foundation

/// `GET /fhir/AuditEvent` and `GET /fhir/AuditEvent/<id>` answered from the audit trail
/// (`audit_event`), not from the resource tables. `POST /fhir/AuditEvent` appends a hospital
/// system's own event to the trail (chained like ours); the trail is append-only, so AuditEvents
/// cannot be changed or deleted through the API. Search parameters: `patient`, `agent` (account),
/// `organization`, `date` (with `ge`/`gt`/`le`/`lt`/`eq`), `outcome`, `_count`; pages newest first.
extension FHIRDispatcher {
    static let maxAuditPage = 200

    func auditEvents(_ r: FHIRHTTPRequest, id: String?) async throws -> FHIRHTTPResponse {
        if r.method == "POST", id == nil { return try await appendExternalAuditEvent(r) }
        guard r.method == "GET" else {
            throw FHIRError(status: 405, code: .notSupported, "the audit trail is append-only: AuditEvents are appended, read and searched")
        }
        try await repository.authorize(id == nil ? .search : .read, target: ResourceKey(type: "AuditEvent", id: id ?? ""), context: r.context)
        var query = AuditQuery(limit: 20)
        if let id {
            guard let aid = Int64(id) else { throw FHIRError.notFound("AuditEvent/\(id) is not known") }
            query.beforeAid = aid + 1
            query.limit = 1
        } else {
            query = try Self.auditQuery(r.query)
        }
        let restricted: AuditQuery
        switch AuditAccessPolicy.restrict(query, for: r.context.principal) {
        case .allowed(let q): restricted = q
        case .refused(let why): throw FHIRError(status: 403, code: .forbidden, why)
        }
        let rows = try await repository.backend.searchAudit(restricted)
        if let id {
            guard let row = rows.first, String(row.aid) == id else { throw FHIRError.notFound("AuditEvent/\(id) is not known") }
            try await repository.performed(.read, records: [], context: r.context)
            return FHIRHTTPResponse(status: 200, headers: [("Content-Type", FHIRMediaType.fhirJSON)], body: Self.served(row))
        }
        try await repository.performed(.search, records: [], context: r.context)
        let page = rows.prefix(restricted.limit)
        var links: [(String, String)] = [("self", r.baseURL + "/AuditEvent" + (r.query.isEmpty ? "" : "?" + r.query))]
        if rows.count == restricted.limit, let last = page.last {
            let kept = r.query.split(separator: "&").filter { !$0.hasPrefix("_before=") }.joined(separator: "&")
            links.append(("next", r.baseURL + "/AuditEvent?" + (kept.isEmpty ? "" : kept + "&") + "_before=\(last.aid)"))
        }
        let bundle = JSON.object(JSONObject([
            ("resourceType", "Bundle"), ("type", "searchset"),
            ("link", .array(links.map { .object(JSONObject([("relation", .string($0.0)), ("url", .string($0.1))])) })),
            ("entry", .array(page.compactMap { row in
                AuditFacts.event(record: row.row.record, id: String(row.aid), lastUpdated: row.row.recorded).map { resource in
                    .object(JSONObject([("fullUrl", .string(r.baseURL + "/AuditEvent/\(row.aid)")), ("resource", resource)]))
                }
            })),
        ]))
        return FHIRHTTPResponse(status: 200, headers: [("Content-Type", FHIRMediaType.fhirJSON)], body: JSONWriter.bytes(bundle))
    }

    /// The stored record with the trail's row number as its id (and, as every record has one version,
    /// version 1 at the time it was recorded).
    static func served(_ row: StoredAuditRow) -> [UInt8] {
        AuditFacts.eventJSON(record: row.row.record, id: String(row.aid), lastUpdated: row.row.recorded)
    }

    /// A client's AuditEvent (an ATNA-style report of an access in its own system), validated, then
    /// appended to the trail as given, its submitter recorded as the actor.
    func appendExternalAuditEvent(_ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        try await repository.authorize(.create, target: ResourceKey(type: "AuditEvent", id: ""), context: r.context)
        let event: JSON
        do { event = try JSONParser.parse(r.body) } catch { throw FHIRError(status: 400, code: .structure, "the body is not JSON: \(error)") }
        guard case .object(var o) = event, o["resourceType"] == "AuditEvent" else {
            throw FHIRError(status: 400, code: .invalid, "POST /AuditEvent takes an AuditEvent", expression: ["resourceType"])
        }
        if let validator {
            let errors = validator.check(event).filter(\.isError)
            if !errors.isEmpty { throw FHIRError(rejecting: errors) }
        }
        o["id"] = nil
        o["meta"] = nil
        let patients = (o["entity"]?.arrayValue ?? []).compactMap { $0["what"]?["reference"]?.stringValue }
            .filter { $0.hasPrefix("Patient/") }.map { $0.split(separator: "/").prefix(2).joined(separator: "/") }
        let row = AuditRow(
            recorded: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)), action: "external",
            outcome: Int(o["outcome"]?.stringValue ?? "0") ?? 0, actor: r.context.principal?.subject,
            organization: r.context.principal?.organization, source: r.context.sourceAddress, patients: Array(Set(patients)).sorted(),
            record: JSONWriter.bytes(.object(o)))
        let aids = try await repository.backend.write { tx in try await tx.appendAudit([row]) }
        guard let aid = aids.first else { throw FHIRError.internal("the trail answered no record number") }
        let body = Self.served(StoredAuditRow(aid: aid, row: row, chain: nil, sequence: nil, link: nil))
        return FHIRHTTPResponse(
            status: 201,
            headers: [("Content-Type", FHIRMediaType.fhirJSON), ("Location", r.baseURL + "/AuditEvent/\(aid)/_history/1"), ("ETag", "W/\"1\"")],
            body: body)
    }

    static func auditQuery(_ queryString: String) throws -> AuditQuery {
        var q = AuditQuery(limit: 20)
        for pair in queryString.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(kv[0])
            let value = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1])) : ""
            switch name {
            case "patient": q.patient = value.hasPrefix("Patient/") ? value : "Patient/" + value
            case "agent", "who": q.actor = value
            case "organization": q.organization = value.hasPrefix("Organization/") ? value : "Organization/" + value
            case "outcome":
                guard let o = Int(value), [0, 4, 8, 12].contains(o) else { throw FHIRError.badRequest("outcome is 0, 4, 8 or 12", expression: ["outcome"]) }
                q.outcome = o
            case "_count":
                guard let n = Int(value), n >= 0 else { throw FHIRError.badRequest("_count must be a number", expression: ["_count"]) }
                q.limit = min(n, maxAuditPage)
            case "_before":
                guard let aid = Int64(value) else { throw FHIRError.badRequest("_before must be a record number", expression: ["_before"]) }
                q.beforeAid = aid
            case "date":
                let prefixes = ["ge", "gt", "le", "lt", "eq"]
                let prefix = prefixes.first { value.hasPrefix($0) } ?? "eq"
                let text = prefixes.contains(String(value.prefix(2))) ? String(value.dropFirst(2)) : value
                guard let dt = FHIRDateTime(text) else { throw FHIRError.badRequest("'\(value)' is not a date", expression: ["date"]) }
                let range = dt.instantRange()
                switch prefix {
                case "ge": q.from = max(q.from ?? .min, range.lowerBound)
                case "gt": q.from = max(q.from ?? .min, range.upperBound + 1)
                case "le": q.to = min(q.to ?? .max, range.upperBound)
                case "lt": q.to = min(q.to ?? .max, range.lowerBound - 1)
                default:
                    q.from = max(q.from ?? .min, range.lowerBound)
                    q.to = min(q.to ?? .max, range.upperBound)
                }
            case "_format", "_pretty": continue
            default:
                throw FHIRError(status: 400, code: .notSupported,
                                "AuditEvent is searched by patient, agent, organization, date, outcome and _count; not '\(name)'", expression: [name])
            }
        }
        return q
    }
}
