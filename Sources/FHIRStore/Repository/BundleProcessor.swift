import FHIRCore

/// batch and transaction Bundles posted to the base (http.html#transaction).
///
/// A transaction runs in one database transaction: entries are processed in the order the spec gives
/// (DELETE, POST, PUT/PATCH, then GET), `urn:uuid:` and other fullUrls are rewritten to the ids the
/// server assigns, conditional references (`Patient?identifier=...`) are resolved, and any failing entry
/// rolls back everything. A batch runs each entry on its own.
extension FHIRRepository {
    struct BundleEntryRequest: Sendable {
        var index: Int
        var method: String
        var url: String
        var fullUrl: String?
        var resource: JSON?
        var ifNoneExist: String?
        var ifMatch: Int?
        /// Type and id (or query) parsed from `url`.
        var type: String
        var id: String?
        var query: String?
        var versionId: Int?
    }

    /// The answer to one entry, in the response bundle.
    struct EntryResponse: Sendable {
        var status: String
        var location: String?
        var record: ResourceRecord?
        var outcome: JSON?
        var body: [UInt8]?
    }

    public func processBundle(_ bundle: JSON, baseURL: String, context: RequestContext = RequestContext()) async throws -> [UInt8] {
        guard case .object(let o) = bundle, o["resourceType"]?.stringValue == "Bundle" else {
            throw FHIRError(status: 400, code: .invalid, "POST to the base takes a Bundle of type batch or transaction")
        }
        if let checker {
            let errors = checker.check(bundle).filter(\.isError)
            if !errors.isEmpty { throw FHIRError(rejecting: errors) }
        }
        guard let type = o["type"]?.stringValue, type == "transaction" || type == "batch" else {
            throw FHIRError(status: 400, code: .invalid, "Bundle.type must be batch or transaction", expression: ["Bundle.type"])
        }
        let entries = try parseEntries(o, transaction: type == "transaction")
        let responses: [EntryResponse]
        if type == "transaction" {
            try await runHooks(.transaction, nil, context)
            // Every write entry is checked as the interaction it is before anything is written (reads
            // go through read and search, which run their own hooks): one refusal refuses the bundle.
            for e in entries {
                let interaction: FHIRInteraction? = switch e.method {
                case "POST": .create
                case "PUT", "PATCH": .update
                case "DELETE": .delete
                default: nil
                }
                if let interaction { try await runHooks(interaction, ResourceKey(type: e.type, id: e.id ?? ""), context) }
            }
            responses = try await transaction(entries, baseURL: baseURL, context: context)
            try await finishHooks(.transaction, responses.compactMap(\.record), context)
        } else {
            try await runHooks(.batch, nil, context)
            responses = await batch(entries, baseURL: baseURL, context: context)
            try await finishHooks(.batch, responses.compactMap(\.record), context)
        }
        var writer = BundleWriter(type: type + "-response", total: nil, links: [])
        for r in responses {
            var response: [(String, JSON)] = [("status", .string(r.status))]
            if let location = r.location { response.append(("location", .string(location))) }
            if let record = r.record {
                response.append(("etag", .string("W/\"\(record.versionId)\"")))
                response.append(("lastModified", .string(InstantFormat.string(millis: record.lastUpdated))))
            }
            if let outcome = r.outcome { response.append(("outcome", outcome)) }
            let fullUrl = r.record.map { "\(baseURL)/\($0.type)/\($0.id)" }
            let body = r.body ?? (r.record?.isDeleted == false ? r.record?.json : nil)
            writer.entry(fullUrl: fullUrl, resource: body, extra: [("response", .object(JSONObject(response)))])
        }
        return writer.finish()
    }

    func parseEntries(_ bundle: JSONObject, transaction: Bool) throws -> [BundleEntryRequest] {
        guard let raw = bundle["entry"] else { return [] }
        guard let items = raw.arrayValue else { throw FHIRError(status: 400, code: .structure, "Bundle.entry must be an array", expression: ["Bundle.entry"]) }
        var result: [BundleEntryRequest] = []
        var fullUrls: Set<String> = []
        for (i, item) in items.enumerated() {
            let at = "Bundle.entry[\(i)]"
            guard let e = item.objectValue else { throw FHIRError(status: 400, code: .structure, "an entry must be an object", expression: [at]) }
            guard let request = e["request"]?.objectValue else {
                throw FHIRError(status: 400, code: .required, "every \(transaction ? "transaction" : "batch") entry needs a request", expression: [at + ".request"])
            }
            guard let method = request["method"]?.stringValue, ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"].contains(method) else {
                throw FHIRError(status: 400, code: .required, "request.method must be GET, HEAD, POST, PUT, DELETE or PATCH", expression: [at + ".request.method"])
            }
            guard let url = request["url"]?.stringValue, !url.isEmpty else {
                throw FHIRError(status: 400, code: .required, "request.url is missing", expression: [at + ".request.url"])
            }
            let fullUrl = e["fullUrl"]?.stringValue
            if let fullUrl, transaction {
                guard fullUrls.insert(fullUrl).inserted else {
                    throw FHIRError(status: 400, code: .duplicate, "fullUrl '\(fullUrl)' appears more than once", expression: [at + ".fullUrl"])
                }
            }
            let resource = e["resource"]
            if (method == "POST" || method == "PUT"), resource?.objectValue == nil {
                throw FHIRError(status: 400, code: .required, "a \(method) entry needs a resource object", expression: [at + ".resource"])
            }
            var entry = BundleEntryRequest(
                index: i, method: method, url: url, fullUrl: fullUrl, resource: resource,
                ifNoneExist: request["ifNoneExist"]?.stringValue, ifMatch: nil, type: "")
            if let m = request["ifMatch"]?.stringValue { entry.ifMatch = ETag.version(m) }
            try parseURL(&entry, at: at)
            result.append(entry)
        }
        return result
    }

    func parseURL(_ entry: inout BundleEntryRequest, at: String) throws {
        var url = entry.url
        if url.hasPrefix("/") { url.removeFirst() }
        let pathAndQuery = url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let segments = pathAndQuery[0].split(separator: "/").map(String.init)
        entry.query = pathAndQuery.count > 1 ? String(pathAndQuery[1]) : nil
        guard let type = segments.first, parameters?.isResourceType(type) ?? true else {
            throw FHIRError(status: 400, code: .invalid, "request.url '\(entry.url)' does not name a resource type", expression: [at + ".request.url"])
        }
        entry.type = type
        if segments.count >= 2 { entry.id = segments[1] }
        if segments.count == 4, segments[2] == "_history" { entry.versionId = Int(segments[3]) }
    }

    func transaction(_ entries: [BundleEntryRequest], baseURL: String, context: RequestContext) async throws -> [EntryResponse] {
        let order: [String: Int] = ["DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3]
        let sorted = entries.sorted { (order[$0.method] ?? 9, $0.index) < (order[$1.method] ?? 9, $1.index) }
        let writes = sorted.filter { $0.method != "GET" && $0.method != "HEAD" }
        let reads = sorted.filter { $0.method == "GET" || $0.method == "HEAD" }
        let repository = self
        // Without conditional entries or references, identities, rewriting, validation and indexing
        // need no database: they run here, in parallel with other requests, not inside the one writer.
        let plan = try preplan(writes)
        var responses = try await backend.write { storeTx -> [Int: EntryResponse] in
            // Writes are held and sent as one batch at the end (reads and searches still see them).
            let tx = BufferedTransaction(storeTx)
            var answers: [Int: EntryResponse] = [:]
            var resolved: [String: String] = plan?.resolved ?? [:]  // fullUrl -> Type/id
            // First pass: decide the identity of every created or updated resource.
            var identities: [Int: (id: String, existing: ResourceRecord?)] = plan?.ids.mapValues { ($0, nil) } ?? [:]
            for e in writes where e.method == "POST" && plan == nil {
                if let cond = e.ifNoneExist {
                    let q = try repository.searchQuery(type: e.type, queryString: cond)
                    let matches = try await tx.matchingKeys(q, limit: 2)
                    if matches.count > 1 { throw FHIRError.preconditionFailed("Bundle.entry[\(e.index)]: ifNoneExist matched several resources") }
                    if let m = matches.first {
                        identities[e.index] = (m.id, try await tx.read(type: m.type, id: m.id))
                        if let f = e.fullUrl { resolved[f] = "\(m.type)/\(m.id)" }
                        continue
                    }
                }
                let id = Self.newId()
                identities[e.index] = (id, nil)
                if let f = e.fullUrl { resolved[f] = "\(e.type)/\(id)" }
            }
            for e in writes where e.method == "PUT" && plan == nil {
                if let id = e.id, e.query == nil {
                    if let f = e.fullUrl { resolved[f] = "\(e.type)/\(id)" }
                } else if let q = e.query {
                    let matches = try await tx.matchingKeys(try repository.searchQuery(type: e.type, queryString: q), limit: 2)
                    if matches.count > 1 { throw FHIRError.preconditionFailed("Bundle.entry[\(e.index)]: conditional update matched several resources") }
                    let id = matches.first?.id ?? e.resource?["id"]?.stringValue ?? Self.newId()
                    identities[e.index] = (id, nil)
                    if let f = e.fullUrl { resolved[f] = "\(e.type)/\(id)" }
                }
            }
            for e in writes {
                let at = "Bundle.entry[\(e.index)]"
                switch e.method {
                case "DELETE":
                    if let id = e.id {
                        let record = try await Self.deleteIfPresent(type: e.type, id: id, in: tx)
                        answers[e.index] = EntryResponse(status: "204 No Content", record: record)
                    } else if let q = e.query {
                        let matches = try await tx.matchingKeys(try repository.searchQuery(type: e.type, queryString: q), limit: 2)
                        if matches.count > 1 { throw FHIRError.preconditionFailed("\(at): conditional delete matched several resources") }
                        let record = try await matches.first.asyncMap { try await Self.deleteIfPresent(type: $0.type, id: $0.id, in: tx) } ?? nil
                        answers[e.index] = EntryResponse(status: "204 No Content", record: record)
                    }
                case "POST", "PUT":
                    guard let resource = e.resource else { continue }
                    let rewritten: JSON
                    let prepared: PreparedResource
                    if let ready = plan?.prepared[e.index] {
                        (rewritten, prepared) = ready
                    } else {
                        rewritten = try await ReferenceRewriter(resolved: resolved, tx: tx, repository: repository, entryPath: at).rewrite(resource)
                        if e.method == "POST", let identity = identities[e.index], let existing = identity.existing {
                            answers[e.index] = EntryResponse(status: "200 OK", location: Self.location(existing), record: existing)
                            continue
                        }
                        prepared = try repository.prepare(rewritten, type: e.type, expressionPrefix: at + ".resource.", alreadyChecked: true)
                    }
                    let result: WriteResult
                    if e.method == "POST" {
                        result = try await Self.create(prepared, id: identities[e.index]?.id, condition: nil, in: tx)
                    } else {
                        let id = identities[e.index]?.id ?? e.id ?? ""
                        if let bodyId = rewritten["id"]?.stringValue, bodyId != id {
                            throw FHIRError(status: 400, code: .invalid, "\(at): resource id '\(bodyId)' differs from the request url", expression: [at + ".resource.id"])
                        }
                        guard FHIRIdentifierRules.isValidId(id) else { throw FHIRError.badRequest("\(at): invalid id '\(id)'", expression: [at + ".request.url"]) }
                        result = try await Self.update(prepared, id: id, ifMatch: e.ifMatch, in: tx)
                    }
                    let status = result.created ? "201 Created" : "200 OK"
                    answers[e.index] = EntryResponse(status: status, location: Self.location(result.record), record: result.record)
                default:
                    throw FHIRError(status: 400, code: .notSupported, "\(at): \(e.method) is not supported in transactions yet", expression: [at + ".request.method"])
                }
            }
            try await repository.commitHooks(.transaction, answers.values.compactMap(\.record), context, tx)
            try await tx.flush()
            return answers
        }
        for e in reads {
            responses[e.index] = await answerRead(e, baseURL: baseURL, context: context)
        }
        return entries.map { responses[$0.index] ?? EntryResponse(status: "500 Internal Server Error") }
    }

    /// What a transaction can settle before it touches the database; nil when an entry is conditional
    /// (ifNoneExist, a conditional url or a conditional reference), which needs the transaction's reads.
    struct Preplan: Sendable {
        var ids: [Int: String]
        var resolved: [String: String]
        var prepared: [Int: (JSON, PreparedResource)]
    }

    func preplan(_ writes: [BundleEntryRequest]) throws -> Preplan? {
        guard writes.allSatisfy({ $0.ifNoneExist == nil && $0.query == nil }) else { return nil }
        var plan = Preplan(ids: [:], resolved: [:], prepared: [:])
        for e in writes where e.method == "POST" || e.method == "PUT" {
            let id = e.method == "POST" ? Self.newId() : (e.id ?? "")
            if e.method == "POST" { plan.ids[e.index] = id }
            if let f = e.fullUrl { plan.resolved[f] = "\(e.type)/\(id)" }
        }
        for e in writes where e.method == "POST" || e.method == "PUT" {
            guard let resource = e.resource else { continue }
            let at = "Bundle.entry[\(e.index)]"
            guard let rewritten = try ReferenceRewriter.rewriteWithoutDatabase(resource, resolved: plan.resolved, entryPath: at) else {
                return nil
            }
            plan.prepared[e.index] = (rewritten, try prepare(rewritten, type: e.type, expressionPrefix: at + ".resource.", alreadyChecked: true))
        }
        return plan
    }

    static func deleteIfPresent(type: String, id: String, in tx: any StoreTransaction) async throws -> ResourceRecord? {
        guard try await tx.read(type: type, id: id) != nil else { return nil }
        return try await delete(type: type, id: id, in: tx)
    }

    static func location(_ r: ResourceRecord) -> String { "\(r.type)/\(r.id)/_history/\(r.versionId)" }

    func batch(_ entries: [BundleEntryRequest], baseURL: String, context: RequestContext) async -> [EntryResponse] {
        var answers: [EntryResponse] = []
        for e in entries {
            do {
                answers.append(try await answerBatchEntry(e, baseURL: baseURL, context: context))
            } catch let error as FHIRError {
                answers.append(EntryResponse(status: "\(error.status)", outcome: error.outcome))
            } catch {
                answers.append(EntryResponse(status: "500", outcome: FHIRError.internal("\(error)").outcome))
            }
        }
        return answers
    }

    func answerBatchEntry(_ e: BundleEntryRequest, baseURL: String, context: RequestContext) async throws -> EntryResponse {
        switch e.method {
        case "GET", "HEAD":
            return await answerRead(e, baseURL: baseURL, context: context)
        case "POST":
            let r = try await create(type: e.type, resource: e.resource ?? .null, ifNoneExist: e.ifNoneExist, context: context)
            return EntryResponse(status: r.created ? "201 Created" : "200 OK", location: Self.location(r.record), record: r.record)
        case "PUT":
            let r: WriteResult
            if let q = e.query {
                r = try await conditionalUpdate(type: e.type, queryString: q, resource: e.resource ?? .null, context: context)
            } else {
                r = try await update(type: e.type, id: e.id ?? "", resource: e.resource ?? .null, ifMatch: e.ifMatch, context: context)
            }
            return EntryResponse(status: r.created ? "201 Created" : "200 OK", location: Self.location(r.record), record: r.record)
        case "DELETE":
            let record: ResourceRecord?
            if let q = e.query {
                record = try await conditionalDelete(type: e.type, queryString: q, context: context)
            } else {
                record = try await delete(type: e.type, id: e.id ?? "", context: context)
            }
            return EntryResponse(status: "204 No Content", record: record)
        default:
            throw FHIRError(status: 400, code: .notSupported, "\(e.method) is not supported in batches yet")
        }
    }

    func answerRead(_ e: BundleEntryRequest, baseURL: String, context: RequestContext) async -> EntryResponse {
        do {
            if let id = e.id {
                let r: ResourceRecord
                if let v = e.versionId {
                    r = try await vread(type: e.type, id: id, versionId: v, context: context)
                } else {
                    r = try await read(type: e.type, id: id, context: context)
                }
                return EntryResponse(status: "200 OK", record: r)
            }
            let body = try await search(type: e.type, queryString: e.query ?? "", baseURL: baseURL, context: context)
            return EntryResponse(status: "200 OK", body: body)
        } catch let error as FHIRError {
            return EntryResponse(status: "\(error.status)", outcome: error.outcome)
        } catch {
            return EntryResponse(status: "500", outcome: FHIRError.internal("\(error)").outcome)
        }
    }
}
