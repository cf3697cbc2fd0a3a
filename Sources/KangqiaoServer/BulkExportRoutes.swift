import Access
import FHIRCore
import FHIRStore
import Foundation

extension OperationRoute {
    static var exportOperations: [OperationRoute] {
        [OperationRoute(name: "$export", types: nil, levels: [.system, .type, .instance], methods: ["GET", "POST"]) { d, call in
            try await d.startExport(call)
        }]
    }
}

extension FHIRDispatcher {
    /// Kick-off (bulk-data export): `GET [base]/$export`, `[base]/Patient/$export`, `[base]/Group/<id>/$export`
    /// with `Prefer: respond-async`; answers 202 and the status URL in Content-Location.
    func startExport(_ call: OperationCall) async throws -> FHIRHTTPResponse {
        guard let exports else { throw FHIRError(status: 501, code: .notSupported, "bulk export is not enabled on this server") }
        let r = call.request
        guard r.header("prefer")?.lowercased().contains("respond-async") == true else {
            throw FHIRError.badRequest("a bulk export runs asynchronously: send Prefer: respond-async")
        }
        switch (call.type, call.id) {
        case (nil, nil), ("Patient", nil), ("Group", .some): break
        default: throw FHIRError(status: 400, code: .notSupported, "$export is offered at system level, on Patient and on a Group")
        }
        let parameters = try call.parameters()
        func value(_ name: String) -> String? { parameters[name]?.first.flatMap { $0["valueString"]?.stringValue ?? $0["valueInstant"]?.stringValue } }
        if let format = value("_outputFormat"), !["application/fhir+ndjson", "application/ndjson", "ndjson"].contains(format) {
            throw FHIRError.badRequest("_outputFormat \(format) is not supported; exports are NDJSON")
        }
        var since: Int64?
        if let text = value("_since") {
            guard let instant = FHIRDateTime(text), instant.precision >= .second else { throw FHIRError.badRequest("_since must be an instant, not '\(text)'") }
            since = instant.instantRange().lowerBound
        }
        let compartmentTypes = Set(R4Definitions.shared.compartments["Patient"]?.keys.map { $0 } ?? []).union(["Patient"])
        let allTypes = R4Definitions.shared.resourceTypeNames.filter { $0 != "AuditEvent" && (call.type == nil || compartmentTypes.contains($0)) }
        var types: [String]
        if let listed = value("_type") {
            types = listed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for t in types {
                guard allTypes.contains(t) else { throw FHIRError.badRequest("_type: \(t) cannot be exported at this level") }
                try await repository.authorize(.search, target: ResourceKey(type: t, id: ""), context: r.context)
            }
        } else {
            // Everything the caller's scopes reach.
            types = []
            for t in allTypes where (try? await repository.authorize(.search, target: ResourceKey(type: t, id: ""), context: r.context)) != nil {
                types.append(t)
            }
        }
        var patients: [String]?
        if call.type == "Group", let id = call.id {
            let group = try JSONParser.parse(try await repository.read(type: "Group", id: id, context: r.context).json)
            patients = (group["member"]?.arrayValue ?? []).compactMap { $0["entity"]?["reference"]?.stringValue }
                .filter { $0.hasPrefix("Patient/") }.map { String($0.dropFirst(8)) }
        }
        let owner = r.context.principal?.subject ?? ""
        let requestURL = r.baseURL + "/" + r.segments.joined(separator: "/") + (r.query.isEmpty ? "" : "?" + r.query)
        let id = try await exports.start(owner: owner, request: requestURL, types: types, since: since, patients: patients,
                                         context: r.context, repository: repository)
        if let trail = repository.hooks.lazy.compactMap({ $0 as? AuditTrail }).first {
            try await trail.record(action: "export", outcome: 0, context: r.context, detail: "bulk export \(id) started: \(requestURL)")
        }
        return FHIRHTTPResponse(status: 202, headers: [("Content-Location", "\(r.baseURL)/_export/\(id)")], body: [])
    }

    /// `[base]/_export/<job>`: status (202 with X-Progress, then 200 and the manifest), DELETE to
    /// cancel; `[base]/_export/<job>/<file>`: an output file.
    func exportStatus(_ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        guard let exports, r.segments.count >= 2 else { throw FHIRError.notFound("no such export") }
        let owner = r.context.principal?.subject ?? ""
        let id = r.segments[1]
        if r.segments.count == 3, r.method == "GET" {
            guard let url = await exports.file(id, name: r.segments[2], owner: owner), let data = FileManager.default.contents(atPath: url.path) else {
                throw FHIRError.notFound("no such export file")
            }
            return FHIRHTTPResponse(status: 200, headers: [("Content-Type", "application/fhir+ndjson")], body: [UInt8](data))
        }
        switch r.method {
        case "DELETE":
            guard await exports.delete(id, owner: owner) else { throw FHIRError.notFound("no such export") }
            return FHIRHTTPResponse(status: 202, headers: [], body: [])
        case "GET":
            guard let job = await exports.job(id, owner: owner) else { throw FHIRError.notFound("no such export") }
            switch job.state {
            case .running, .cancelled:
                return FHIRHTTPResponse(status: 202, headers: [("X-Progress", job.progress.isEmpty ? "started" : job.progress), ("Retry-After", "1")], body: [])
            case .failed(let reason):
                throw FHIRError(status: 500, code: .exception, "the export failed: \(reason)")
            case .completed:
                let output: [JSON] = job.files.map { f in
                    ["type": .string(f.type), "url": .string("\(r.baseURL)/_export/\(id)/\(f.name)"), "count": .number(JSONNumber(f.count))]
                }
                let manifest: JSON = ["transactionTime": .string(job.transactionTime), "request": .string(job.request),
                                      "requiresAccessToken": true, "output": .array(output), "error": []]
                return FHIRHTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: JSONWriter.bytes(manifest))
            }
        default:
            throw FHIRError(status: 405, code: .notSupported, "\(r.method) is not allowed on an export")
        }
    }
}
