import Access
import FHIRCore
import FHIRStore
import Identity
import Terminology

/// Maps FHIR REST requests (http.html) to repository calls and their results to FHIR responses.
/// Every failure becomes an OperationOutcome here, in one place.
public struct FHIRDispatcher: Sendable {
    public let repository: FHIRRepository
    public let capabilities: CapabilityStatementBuilder
    /// Validates a resource for `$validate` and `kangqiao validate` (the same checks as writes).
    public let validator: (any ResourceChecking)?
    /// Each person's signature keys, for `$sign` and `$verify-signature` (set when access control is on).
    public var signingKeys: PersonalSigningKeys?
    /// Bulk export jobs (`$export`); nil: not offered.
    public var exports: BulkExportJobs?
    /// The e-health card's policy and clock (HealthCardOperations.swift).
    public var healthCards = HealthCardSettings()
    /// The master patient index's weights and thresholds, for `Patient/$match` (IdentityOperations.swift).
    public var matchPolicy: MatchPolicy = .standard
    /// The terminology catalogues (shipped, or with a region's directory on top); nil: the shipped ones.
    public var terminology: TerminologyCatalogue?
    /// The `$operations` beyond the core REST interactions (OperationTable.swift).
    var operations: [OperationRoute] = OperationRoute.all

    public init(repository: FHIRRepository, capabilities: CapabilityStatementBuilder, validator: (any ResourceChecking)?) {
        self.repository = repository
        self.capabilities = capabilities
        self.validator = validator
    }

    public func handle(_ request: FHIRHTTPRequest) async -> FHIRHTTPResponse {
        let (format, pretty) = request.formatParameters
        if let format, !FHIRMediaType.isJSON(format) {
            return .outcome(FHIRError(status: FHIRMediaType.isXML(format) ? 406 : 400, code: .notSupported,
                                      "_format '\(format)' is not supported; this server speaks FHIR JSON"))
        }
        if format == nil, let accept = request.header("accept"), FHIRMediaType.isXML(accept), !accept.contains("json"), !accept.contains("*/*") {
            return .outcome(FHIRError(status: 406, code: .notSupported, "only FHIR JSON can be returned (Accept: \(accept))"))
        }
        var response: FHIRHTTPResponse
        do {
            response = try await route(request)
        } catch let error as FHIRError {
            response = .outcome(error)
        } catch let error as StoreError {
            response = .outcome(Self.map(error))
        } catch {
            response = .outcome(FHIRError.internal("unexpected failure: \(error)"))
        }
        if pretty, !response.body.isEmpty, let parsed = try? JSONParser.parse(response.body) {
            response.body = JSONWriter.bytes(parsed, pretty: true)
        }
        return response
    }

    static func map(_ error: StoreError) -> FHIRError {
        switch error {
        case .versionConflict(let key): return FHIRError(status: 409, code: .conflict, "\(key) was changed by another request at the same time; retry")
        case .database(let message): return FHIRError(status: 503, code: .transient, "the database failed: \(message)")
        case .schemaTooNew(let found, let supported):
            return FHIRError(status: 503, code: .exception, "database schema \(found) is newer than this server (\(supported))")
        }
    }

    func route(_ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        let s = r.segments
        let m = r.method
        if s.first == "_export" { return try await exportStatus(r) }
        if let last = s.last, last.hasPrefix("$"), s.count <= 3 {
            let level: OperationRoute.Level = s.count == 1 ? .system : s.count == 2 ? .type : .instance
            let type = s.count >= 2 ? try knownType(s[0]) : nil
            if let operation = operations.first(where: { $0.matches(name: last, type: type, level: level, method: m) }) {
                return try await operation.run(self, OperationCall(request: r, type: type, id: s.count == 3 ? s[1] : nil))
            }
        }
        switch s.count {
        case 0:
            if m == "POST" { return try await bundle(r) }
            if m == "GET" { return try await searchResponse(type: nil, r, query: r.query) }
        case 1:
            switch s[0] {
            case "metadata": if m == "GET" { return json(200, capabilities.statement(baseURL: r.baseURL)) }
            case "_history": if m == "GET" { return try await historyResponse(type: nil, id: nil, r) }
            case "_search": if m == "POST" { return try await searchResponse(type: nil, r, query: try formQuery(r)) }
            case "AuditEvent": return try await auditEvents(r, id: nil)
            default:
                let type = try knownType(s[0])
                switch m {
                case "GET": return try await searchResponse(type: type, r, query: r.query)
                case "POST": return try await create(type: type, r)
                case "PUT": return try await conditionalUpdate(type: type, r)
                case "DELETE": return try await conditionalDelete(type: type, r)
                default: break
                }
            }
        case 2:
            let type = try knownType(s[0])
            if type == "AuditEvent", !s[1].hasPrefix("$"), s[1] != "_history", s[1] != "_search" { return try await auditEvents(r, id: s[1]) }
            switch (m, s[1]) {
            case ("POST", "_search"): return try await searchResponse(type: type, r, query: try formQuery(r))
            case ("GET", "_history"): return try await historyResponse(type: type, id: nil, r)
            case ("POST", "$validate"): return try validate(type: type, r)
            case (_, let op) where op.hasPrefix("$"):
                throw FHIRError(status: 400, code: .notSupported, "operation \(op) is not supported on \(type)")
            case ("GET", let id): return try await read(type: type, id: id, r)
            case ("PUT", let id): return try await update(type: type, id: id, r)
            case ("DELETE", let id): return try await delete(type: type, id: id, r)
            default: break
            }
        case 3:
            let type = try knownType(s[0])
            switch (m, s[2]) {
            case ("GET", "_history"): return try await historyResponse(type: type, id: s[1], r)
            case ("GET", "$everything") where type == "Patient", ("POST", "$everything") where type == "Patient":
                let body = try await repository.everything(patientId: s[1], baseURL: r.baseURL, context: r.context)
                return FHIRHTTPResponse(status: 200, headers: [("Content-Type", FHIRMediaType.fhirJSON)], body: body)
            case ("POST", "$validate"): return try validate(type: type, r)
            default: break
            }
        case 4:
            let type = try knownType(s[0])
            if m == "GET", s[2] == "_history" {
                guard let v = Int(s[3]) else { throw FHIRError.badRequest("'\(s[3])' is not a version id") }
                // A trail record has one version.
                if type == "AuditEvent" {
                    guard v == 1 else { throw FHIRError.notFound("AuditEvent/\(s[1]) has no version \(v)") }
                    return try await auditEvents(r, id: s[1])
                }
                let record = try await repository.vread(type: type, id: s[1], versionId: v, context: r.context)
                return resource(200, record)
            }
        default:
            break
        }
        if s.count >= 1, s[0] != "metadata", s[0] != "_history", s[0] != "_search" { _ = try knownType(s[0]) }
        throw FHIRError(status: 405, code: .notSupported, "\(m) /\(s.joined(separator: "/")) is not a FHIR interaction this server offers")
    }

    func knownType(_ name: String) throws -> String {
        guard repository.parameters?.isResourceType(name) ?? FHIRDispatcher.looksLikeType(name) else {
            throw FHIRError(status: 404, code: .notSupported, "'\(name)' is not a FHIR R4 resource type")
        }
        return name
    }

    static func looksLikeType(_ name: String) -> Bool {
        guard let f = name.unicodeScalars.first else { return false }
        return f.properties.isUppercase && name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic }
    }

    // MARK: Bodies

    func parseBody(_ r: FHIRHTTPRequest) throws -> JSON {
        if let ct = r.header("content-type"), !FHIRMediaType.isJSON(ct) {
            if ct.lowercased().hasPrefix("application/x-www-form-urlencoded") == false {
                throw FHIRError(status: 415, code: .notSupported, "Content-Type '\(ct)' is not supported; send application/fhir+json")
            }
        }
        guard !r.body.isEmpty else { throw FHIRError(status: 400, code: .structure, "the request body is empty; a FHIR resource was expected") }
        do {
            return try JSONParser.parse(r.body)
        } catch {
            throw FHIRError(status: 400, code: .structure, "the body is not valid JSON: \(error)")
        }
    }

    func formQuery(_ r: FHIRHTTPRequest) throws -> String {
        let form = String(decoding: r.body, as: UTF8.self)
        if let ct = r.header("content-type"), !ct.lowercased().hasPrefix("application/x-www-form-urlencoded"), !r.body.isEmpty {
            throw FHIRError(status: 415, code: .notSupported, "POST _search takes application/x-www-form-urlencoded parameters")
        }
        return [r.query, form].filter { !$0.isEmpty }.joined(separator: "&")
    }

    // MARK: Responses

    func json(_ status: Int, _ value: JSON, headers: [(String, String)] = []) -> FHIRHTTPResponse {
        FHIRHTTPResponse(status: status, headers: [("Content-Type", FHIRMediaType.fhirJSON)] + headers, body: JSONWriter.bytes(value))
    }

    func versionHeaders(_ record: ResourceRecord) -> [(String, String)] {
        [("ETag", "W/\"\(record.versionId)\""), ("Last-Modified", InstantFormat.httpDate(millis: record.lastUpdated))]
    }

    func resource(_ status: Int, _ record: ResourceRecord, extra: [(String, String)] = []) -> FHIRHTTPResponse {
        FHIRHTTPResponse(
            status: status, headers: [("Content-Type", FHIRMediaType.fhirJSON)] + versionHeaders(record) + extra, body: record.json)
    }

    /// The answer to a write, shaped by `Prefer: return=`.
    func written(_ status: Int, _ record: ResourceRecord, _ r: FHIRHTTPRequest, location: Bool) -> FHIRHTTPResponse {
        var headers = versionHeaders(record)
        if location { headers.append(("Location", "\(r.baseURL)/\(record.type)/\(record.id)/_history/\(record.versionId)")) }
        switch r.preferReturn {
        case "minimal":
            return FHIRHTTPResponse(status: status, headers: headers)
        case "OperationOutcome":
            let oo = OperationOutcome.json([OutcomeIssue(severity: .information, code: .informational,
                                                         diagnostics: "\(record.type)/\(record.id) version \(record.versionId)")])
            return json(status, oo, headers: headers)
        default:
            return resource(status, record, extra: headers.filter { $0.0 == "Location" })
        }
    }

    // MARK: Interactions

    func read(type: String, id: String, _ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        let record = try await repository.read(type: type, id: id, context: r.context)
        if let none = r.header("if-none-match"), ETag.version(none) == record.versionId {
            return FHIRHTTPResponse(status: 304, headers: versionHeaders(record))
        }
        var options = SearchResultOptions()
        for p in SearchRequest.pairs(r.query) {
            if p.name == "_elements" { options.elements = p.value.split(separator: ",").map(String.init) }
            if p.name == "_summary" { options.summary = p.value }
        }
        let lookup = repository.parameters
        let shaped = ResultShaping(options: options, summaryElements: { lookup?.summaryElements(of: $0) }).apply(record.json)
        if shaped != record.json {
            return resource(200, ResourceRecord(type: record.type, id: record.id, versionId: record.versionId, lastUpdated: record.lastUpdated,
                                                isDeleted: false, json: shaped))
        }
        return resource(200, record)
    }

    func create(type: String, _ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        let body = try parseBody(r)
        let result = try await repository.create(type: type, resource: body, ifNoneExist: r.header("if-none-exist"), context: r.context)
        return written(result.created ? 201 : 200, result.record, r, location: result.created)
    }

    func update(type: String, id: String, _ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        let body = try parseBody(r)
        var ifMatch: Int?
        if let header = r.header("if-match") {
            guard let v = ETag.version(header) else { throw FHIRError.badRequest("If-Match '\(header)' is not a version ETag") }
            ifMatch = v
        }
        let result = try await repository.update(type: type, id: id, resource: body, ifMatch: ifMatch, context: r.context)
        return written(result.created ? 201 : 200, result.record, r, location: result.created)
    }

    func conditionalUpdate(type: String, _ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        guard !r.query.isEmpty else { throw FHIRError(status: 405, code: .notSupported, "PUT needs an id or search criteria") }
        let body = try parseBody(r)
        let result = try await repository.conditionalUpdate(type: type, queryString: r.query, resource: body, context: r.context)
        return written(result.created ? 201 : 200, result.record, r, location: result.created)
    }

    func delete(type: String, id: String, _ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        let record = try await repository.delete(type: type, id: id, context: r.context)
        return deleted(record, r)
    }

    func conditionalDelete(type: String, _ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        guard !r.query.isEmpty else { throw FHIRError(status: 405, code: .notSupported, "DELETE needs an id or search criteria") }
        let record = try await repository.conditionalDelete(type: type, queryString: r.query, context: r.context)
        return deleted(record, r)
    }

    func deleted(_ record: ResourceRecord?, _ r: FHIRHTTPRequest) -> FHIRHTTPResponse {
        let headers = record.map { [("ETag", "W/\"\($0.versionId)\"")] } ?? []
        if r.preferReturn == "OperationOutcome" {
            let text = record.map { "deleted \($0.type)/\($0.id) (version \($0.versionId))" } ?? "nothing to delete"
            return json(200, OperationOutcome.json([OutcomeIssue(severity: .information, code: .informational, diagnostics: text)]), headers: headers)
        }
        return FHIRHTTPResponse(status: 204, headers: headers)
    }

    func searchResponse(type: String?, _ r: FHIRHTTPRequest, query: String) async throws -> FHIRHTTPResponse {
        let body = try await repository.search(type: type, queryString: query, baseURL: r.baseURL, lenient: r.lenient, context: r.context)
        return FHIRHTTPResponse(status: 200, headers: [("Content-Type", FHIRMediaType.fhirJSON)], body: body)
    }

    func historyResponse(type: String?, id: String?, _ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        let body = try await repository.history(type: type, id: id, queryString: r.query, baseURL: r.baseURL, context: r.context)
        return FHIRHTTPResponse(status: 200, headers: [("Content-Type", FHIRMediaType.fhirJSON)], body: body)
    }

    func bundle(_ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        let body = try parseBody(r)
        let result = try await repository.processBundle(body, baseURL: r.baseURL, context: r.context)
        return FHIRHTTPResponse(status: 200, headers: [("Content-Type", FHIRMediaType.fhirJSON)], body: result)
    }

    func validate(type: String, _ r: FHIRHTTPRequest) throws -> FHIRHTTPResponse {
        var body = try parseBody(r)
        // $validate takes the resource itself or a Parameters with a `resource` parameter.
        if body["resourceType"]?.stringValue == "Parameters", let params = body["parameter"]?.arrayValue,
            let resource = params.first(where: { $0["name"]?.stringValue == "resource" })?["resource"]
        {
            body = resource
        }
        var issues: [OutcomeIssue] = []
        if body["resourceType"]?.stringValue != type {
            issues.append(OutcomeIssue(code: .invalid, diagnostics: "resourceType must be \(type)", expression: ["resourceType"]))
        }
        issues += validator?.check(body) ?? []
        return json(200, OperationOutcome.json(issues))
    }
}
