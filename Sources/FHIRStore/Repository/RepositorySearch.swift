import FHIRCore

extension FHIRRepository {
    /// Compiles a query string (as in If-None-Exist or a conditional URL) into a store query.
    public func searchQuery(type: String, queryString: String) throws -> StoreQuery {
        var queryString = queryString
        // Clients often write the condition as a relative URL: `Patient?identifier=...`.
        if let q = queryString.firstIndex(of: "?"), !queryString[..<q].contains("=") {
            queryString = String(queryString[queryString.index(after: q)...])
        }
        let compiler = SearchCompiler(type: type, parameters: parameters, lenient: false)
        let compiled = try compiler.compile(SearchRequest.pairs(queryString), defaultCount: settings.defaultPageSize, maxCount: settings.maxPageSize)
        guard !compiled.query.filters.isEmpty else {
            throw FHIRError.preconditionFailed("a conditional interaction needs at least one search criterion")
        }
        return compiled.query
    }

    /// A search at type level (`type` set) or system level; answers a searchset Bundle.
    /// `baseURL` is the FHIR base (`http://host/fhir`) used for fullUrls and links.
    public func search(
        type: String?, queryString: String, baseURL: String, lenient: Bool = false, context: RequestContext = RequestContext()
    ) async throws -> [UInt8] {
        try await runHooks(.search, type.map { ResourceKey(type: $0, id: "") }, context)
        let compiler = SearchCompiler(type: type, parameters: parameters, lenient: lenient)
        let compiled = try compiler.compile(SearchRequest.pairs(queryString), defaultCount: settings.defaultPageSize, maxCount: settings.maxPageSize)
        var query = try await widenedToLinkedPatients(compiled.query)
        // A system-level search spans types: the hooks refuse it to any caller a rule restricts.
        if let type { query.filters += try await restrictions(type, .search, context) }
        let summaryCount = compiled.options.summary == "count"
        var page = StorePage(records: [], next: nil)
        if !summaryCount && query.count > 0 { page = try await backend.search(query) }
        var total: Int?
        if compiled.options.total == .accurate || compiled.options.total == .estimate || summaryCount {
            total = try await backend.count(query)
        } else if query.after == nil && query.before == nil && page.next == nil {
            total = page.records.count  // the whole result is on this page: the count is free
        }
        let (records, next, previous) = pageLinks(page, query: query, incoming: compiled.options.page)
        let repository = self
        let included = summaryCount ? [] : try await included(for: records, options: compiled.options) { t in
            try await repository.restrictions(t, .search, context)
        }
        let path = baseURL + "/" + (type ?? "")
        let selfParams = compiled.applied.filter { $0.name != "_cursor" }
        var links: [(String, String)] = [("self", Self.url(path, selfParams))]
        for (relation, cursor) in [("next", next), ("previous", previous)] {
            guard let cursor else { continue }
            links.append((relation, Self.url(path, selfParams + [SearchParameterValue(name: "_cursor", modifier: nil, value: cursor.text)])))
        }
        var writer = BundleWriter(type: "searchset", total: total, links: links)
        let lookup = parameters
        let shaping = ResultShaping(options: compiled.options, summaryElements: { lookup?.summaryElements(of: $0) })
        for r in records {
            writer.entry(fullUrl: "\(baseURL)/\(r.type)/\(r.id)", resource: shaping.apply(r.json), extra: [("search", ["mode": "match"])])
        }
        for r in included {
            writer.entry(fullUrl: "\(baseURL)/\(r.type)/\(r.id)", resource: shaping.apply(r.json), extra: [("search", ["mode": "include"])])
        }
        if !compiled.ignored.isEmpty {
            let text = "ignored unknown or unsupported search parameters: " + compiled.ignored.map(\.raw).joined(separator: ", ")
            let outcome = OperationOutcome.json([OutcomeIssue(severity: .warning, code: .notSupported, diagnostics: text)])
            writer.entry(fullUrl: nil, resource: JSONWriter.bytes(outcome), extra: [("search", ["mode": "outcome"])])
        }
        try await finishHooks(.search, records + included, context)
        return writer.finish()
    }

    static func url(_ path: String, _ params: [SearchParameterValue]) -> String {
        guard !params.isEmpty else { return path }
        return path + "?" + params.map { "\(percentEncode($0.raw))=\(percentEncode($0.value))" }.joined(separator: "&")
    }

    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "|"),
                UInt8(ascii: "/"), UInt8(ascii: ","):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// History of one resource, a type, or the whole system, newest first (http.html#history).
    public func history(type: String?, id: String?, queryString: String, baseURL: String, context: RequestContext = RequestContext()) async throws -> [UInt8] {
        try await runHooks(.history, type.map { ResourceKey(type: $0, id: id ?? "") }, context)
        var since: Int64?
        var count = settings.defaultPageSize
        var before: Int64?
        var applied: [SearchParameterValue] = []
        for p in SearchRequest.pairs(queryString) {
            switch p.name {
            case "_since":
                guard let r = DateSearchValue.range(of: p.value) else { throw FHIRError.badRequest("_since must be an instant, not '\(p.value)'") }
                since = r.low
                applied.append(p)
            case "_count":
                guard let n = Int(p.value), n >= 0 else { throw FHIRError.badRequest("_count must be a non-negative integer") }
                count = min(n, settings.maxPageSize)
                applied.append(p)
            case "_cursor":
                guard let n = Int64(p.value) else { throw FHIRError.badRequest("invalid paging cursor") }
                before = n
            case "_format", "_pretty":
                break
            default:
                throw FHIRError(status: 400, code: .notSupported, "history does not support parameter '\(p.name)'", expression: [p.raw])
            }
        }
        if let type, let id, try await backend.read(type: type, id: id) == nil {
            throw FHIRError.notFound("\(type)/\(id) is not known")
        }
        if let type, let id {
            try await ensureVisible(type, id, .history, context)
        } else if let type, !(try await restrictions(type, .history, context)).isEmpty {
            throw FHIRError(status: 403, code: .forbidden, "the history of all \(type) resources is outside what this caller may see")
        }
        let page = try await backend.history(HistoryQuery(type: type, id: id, since: since, count: max(count, 1), before: before))
        var path = baseURL
        if let type { path += "/" + type }
        if let id { path += "/" + id }
        path += "/_history"
        var links: [(String, String)] = [("self", Self.url(path, applied))]
        if let next = page.next {
            links.append(("next", Self.url(path, applied + [SearchParameterValue(name: "_cursor", modifier: nil, value: String(next))])))
        }
        var writer = BundleWriter(type: "history", total: nil, links: links)
        for r in page.records {
            let method = r.isDeleted ? "DELETE" : (r.versionId == 1 ? "POST" : "PUT")
            let url = method == "POST" ? r.type : "\(r.type)/\(r.id)"
            let status = r.isDeleted ? "204" : (r.versionId == 1 ? "201" : "200")
            let response: JSON = [
                "status": .string(status), "etag": .string("W/\"\(r.versionId)\""),
                "lastModified": .string(InstantFormat.string(millis: r.lastUpdated)),
            ]
            writer.entry(
                fullUrl: "\(baseURL)/\(r.type)/\(r.id)", resource: r.isDeleted ? nil : r.json,
                extra: [("request", ["method": .string(method), "url": .string(url)]), ("response", response)])
        }
        try await finishHooks(.history, page.records, context)
        return writer.finish()
    }

    /// The records the caller's restrictions reach, checked per type by the same SQL as a search
    /// (a multi-type result such as $everything cannot carry one type's filters in its query).
    func visibleOnly(_ records: [ResourceRecord], _ context: RequestContext) async throws -> [ResourceRecord] {
        var keep = Set<String>()
        var restricted = Set<String>()
        for (type, group) in Dictionary(grouping: records, by: \.type) {
            let filters = try await restrictions(type, .search, context)
            guard !filters.isEmpty else { continue }
            restricted.insert(type)
            for chunk in group.map(\.id).chunked(500) {
                for r in try await backend.search(StoreQuery(type: type, filters: [[.id(chunk)]] + filters, count: chunk.count)).records {
                    keep.insert(r.type + "/" + r.id)
                }
            }
        }
        return records.filter { !restricted.contains($0.type) || keep.contains($0.type + "/" + $0.id) }
    }

    /// Patient/$everything: the patient and every resource in their compartment (operation-patient-everything).
    public func everything(patientId: String, baseURL: String, context: RequestContext = RequestContext()) async throws -> [UInt8] {
        try await runHooks(.operation, ResourceKey(type: "Patient", id: patientId), context)
        try await ensureVisible("Patient", patientId, .operation, context)
        let patient = try await read(type: "Patient", id: patientId, context: context)
        var records = [patient]
        // The same person's other records (master patient index) and their compartments too.
        let compartment = try await widenedToLinkedPatients(StoreQuery(type: nil, filters: [[.compartment([patientId])]])).filters
        var cursor: PageCursor?
        repeat {
            let q = StoreQuery(type: nil, filters: compartment, count: 1000, after: cursor)
            let page = try await backend.search(q)
            records += page.records.filter { !($0.type == "Patient" && $0.id == patientId) }
            cursor = page.next
        } while cursor != nil
        records = try await visibleOnly(records, context)
        var writer = BundleWriter(type: "searchset", total: records.count, links: [("self", "\(baseURL)/Patient/\(patientId)/$everything")])
        for r in records {
            writer.entry(fullUrl: "\(baseURL)/\(r.type)/\(r.id)", resource: r.json, extra: [("search", ["mode": "match"])])
        }
        try await finishHooks(.operation, records, context)
        return writer.finish()
    }
}

/// `_summary` and `_elements` applied to stored JSON (only when asked: otherwise bytes pass through).
/// A shaped resource carries the SUBSETTED tag (search.html#summary).
public struct ResultShaping: Sendable {
    public let options: SearchResultOptions
    /// The summary elements (`isSummary` in the definitions) of each resource type, for `_summary=true`.
    let summaryElements: @Sendable (String) -> Set<String>?

    public init(options: SearchResultOptions, summaryElements: @escaping @Sendable (String) -> Set<String>? = { _ in nil }) {
        self.options = options
        self.summaryElements = summaryElements
    }

    var shapes: Bool {
        if let e = options.elements, !e.isEmpty { return true }
        return ["true", "text", "data"].contains(options.summary ?? "")
    }

    public func apply(_ json: [UInt8]) -> [UInt8] {
        guard shapes, case .object(let o) = (try? JSONParser.parse(json)) ?? .null else { return json }
        let type = o["resourceType"]?.stringValue ?? ""
        let keep: (String) -> Bool
        switch options.summary {
        case "true":
            guard let summary = summaryElements(type) else { return json }
            keep = { Self.matches($0, summary) }
        case "text":
            keep = { ["text", "id", "meta"].contains($0) || (summaryElements(type)?.contains($0) == true && Self.isMandatory($0)) }
        case "data":
            keep = { $0 != "text" }
        default:
            let elements = Set(options.elements ?? [])
            keep = { Self.matches($0, elements) }
        }
        var kept = JSONObject()
        for (k, v) in o where ["resourceType", "id", "meta"].contains(k) || keep(k) { kept[k] = v }
        var meta = kept["meta"]?.objectValue ?? JSONObject()
        var tags = meta["tag"]?.arrayValue ?? []
        tags.append(["system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"])
        meta["tag"] = .array(tags)
        kept["meta"] = .object(meta)
        return JSONWriter.bytes(.object(kept))
    }

    /// `value` keeps `valueQuantity` (choice elements are named without their type suffix); `_x` siblings
    /// of primitives go with their element.
    static func matches(_ key: String, _ names: Set<String>) -> Bool {
        let bare = key.hasPrefix("_") ? String(key.dropFirst()) : key
        if names.contains(bare) { return true }
        for n in names where bare.count > n.count && bare.hasPrefix(n) {
            if let c = bare.dropFirst(n.count).first, c.isUppercase { return true }
        }
        return false
    }

    /// `_summary=text` also keeps mandatory elements; without cardinality at hand, status is the one
    /// every workflow resource has.
    static func isMandatory(_ key: String) -> Bool { key == "status" }
}
