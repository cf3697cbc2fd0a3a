import FHIRCore
import Foundation

/// FHIR R4 interaction semantics (http.html) over a `StoreBackend`: create, read, vread, update,
/// delete, their conditional forms, optimistic locking and history. HTTP-free: the server maps
/// requests to these calls and `FHIRError`s to responses; the CLI imports through the same calls.
public struct FHIRRepository: Sendable {
    public let backend: any StoreBackend
    public let checker: (any ResourceChecking)?
    public let indexer: (any ResourceIndexing)?
    public let parameters: (any SearchParameterLookup)?
    public var hooks: [any InteractionHook]
    public var settings: Settings
    /// The master patient index's links, when one is wired: searches by a patient are widened to the same person's other records.
    public var linkedPatients: (any LinkedPatientResolver)?

    public struct Settings: Sendable {
        /// `_count` above this is capped (search.html: servers may limit page size).
        public var maxPageSize = 1000
        public var defaultPageSize = 20
        public init() {}
    }

    public init(
        backend: any StoreBackend, checker: (any ResourceChecking)? = nil, indexer: (any ResourceIndexing)? = nil,
        parameters: (any SearchParameterLookup)? = nil, hooks: [any InteractionHook] = [], settings: Settings = Settings()
    ) {
        self.backend = backend
        self.checker = checker
        self.indexer = indexer
        self.parameters = parameters
        self.hooks = hooks
        self.settings = settings
    }

    /// The result of a write: the version now current and whether the call created the resource.
    public struct WriteResult: Sendable {
        public var record: ResourceRecord
        public var created: Bool
        /// False when nothing was written (conditional create matched, or an update changed nothing).
        public var changed: Bool
    }

    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
    static func newId() -> String { TimeOrderedID.make() }

    /// Runs the `willPerform` hooks for an interaction served outside the repository (the audit
    /// trail's own search), so it is authorized like every other.
    public func authorize(_ i: FHIRInteraction, target: ResourceKey?, context: RequestContext) async throws {
        try await runHooks(i, target, context)
    }

    /// Runs the `didPerform` hooks (audit) for an interaction served outside the repository.
    public func performed(_ i: FHIRInteraction, records: [ResourceRecord], context: RequestContext) async throws {
        try await finishHooks(i, records, context)
    }

    /// The hooks' restrictions for `type`, each one filter (ANDed with the search's own).
    func restrictions(_ type: String, _ i: FHIRInteraction, _ context: RequestContext) async throws -> [[IndexPredicate]] {
        var filters: [[IndexPredicate]] = []
        for hook in hooks { if let r = try await hook.restriction(for: type, interaction: i, context: context) { filters.append(r) } }
        return filters
    }

    /// Refuses (403) a resource the caller's restrictions do not reach; checked by the same SQL as a search.
    func ensureVisible(_ type: String, _ id: String, _ i: FHIRInteraction, _ context: RequestContext) async throws {
        let filters = try await restrictions(type, i, context)
        guard !filters.isEmpty else { return }
        let page = try await backend.search(StoreQuery(type: type, filters: [[.id([id])]] + filters, count: 1))
        if page.records.isEmpty { throw FHIRError(status: 403, code: .forbidden, "\(type)/\(id) is outside what this caller may see") }
    }

    func runHooks(_ i: FHIRInteraction, _ target: ResourceKey?, _ context: RequestContext) async throws {
        for hook in hooks { try await hook.willPerform(i, target: target, context: context) }
    }
    func finishHooks(_ i: FHIRInteraction, _ records: [ResourceRecord], _ context: RequestContext) async throws {
        for hook in hooks { try await hook.didPerform(i, records: records, context: context) }
    }
    func commitHooks(_ i: FHIRInteraction, _ records: [ResourceRecord], _ context: RequestContext, _ tx: any StoreTransaction) async throws {
        for hook in hooks { try await hook.willCommit(i, records: records, context: context, in: tx) }
    }

    // MARK: Preparation

    /// Checks `resource` is a `type` resource and valid, and computes its hash and index rows.
    /// `alreadyChecked`: the resource was validated as part of its Bundle (`processBundle` checks the
    /// whole Bundle, entries included), so the checks are not run twice.
    func prepare(_ resource: JSON, type: String, expressionPrefix: String = "", alreadyChecked: Bool = false) throws -> PreparedResource {
        guard case .object(let body) = resource else {
            throw FHIRError(status: 400, code: .structure, "the body must be a JSON object (a FHIR resource)")
        }
        guard let rt = body["resourceType"]?.stringValue else {
            throw FHIRError(status: 400, code: .required, "resourceType is missing", expression: [expressionPrefix + "resourceType"])
        }
        guard rt == type else {
            throw FHIRError(status: 400, code: .invalid, "resourceType '\(rt)' does not match the endpoint type '\(type)'",
                            expression: [expressionPrefix + "resourceType"])
        }
        if let checker, !alreadyChecked {
            let issues = checker.check(resource)
            let errors = issues.filter(\.isError)
            if !errors.isEmpty {
                let prefixed = errors.map { issue -> OutcomeIssue in
                    var i = issue
                    if !expressionPrefix.isEmpty { i.expression = i.expression.map { expressionPrefix + $0 } }
                    return i
                }
                throw FHIRError(rejecting: prefixed)
            }
        }
        let rows = indexer?.indexRows(for: resource, type: type) ?? SearchIndexRows()
        return PreparedResource(
            type: type, body: body, contentHash: ContentHash.of(body), index: rows,
            compartment: indexer?.compartment(for: resource, type: type, rows: rows) ?? (type == "Patient" ? body["id"]?.stringValue : nil))
    }

    // MARK: Read

    public func read(type: String, id: String, context: RequestContext = RequestContext()) async throws -> ResourceRecord {
        try await runHooks(.read, ResourceKey(type: type, id: id), context)
        guard let record = try await backend.read(type: type, id: id) else {
            throw FHIRError.notFound("\(type)/\(id) is not known")
        }
        if record.isDeleted { throw FHIRError.gone("\(type)/\(id) was deleted (version \(record.versionId))") }
        try await ensureVisible(type, id, .read, context)
        try await finishHooks(.read, [record], context)
        return record
    }

    public func vread(type: String, id: String, versionId: Int, context: RequestContext = RequestContext()) async throws -> ResourceRecord {
        try await runHooks(.vread, ResourceKey(type: type, id: id), context)
        guard let record = try await backend.readVersion(type: type, id: id, versionId: versionId) else {
            throw FHIRError.notFound("\(type)/\(id) has no version \(versionId)")
        }
        if record.isDeleted { throw FHIRError.gone("\(type)/\(id) version \(versionId) is a deletion") }
        try await ensureVisible(type, id, .vread, context)
        try await finishHooks(.vread, [record], context)
        return record
    }

    // MARK: Create

    /// Creates a resource with a server-assigned id. With `ifNoneExist` (a search query string) nothing
    /// is created when exactly one resource matches; more than one match is a 412.
    public func create(type: String, resource: JSON, ifNoneExist: String? = nil, context: RequestContext = RequestContext()) async throws -> WriteResult {
        try await runHooks(.create, ResourceKey(type: type, id: ""), context)
        let prepared = try prepare(resource, type: type)
        let condition = try ifNoneExist.map { try searchQuery(type: type, queryString: $0) }
        let stamped = prepared.stamped(id: Self.newId(), versionId: 1)
        let result = try await backend.write { [self] tx in
            let r = try await Self.create(stamped, condition: condition, in: tx)
            if r.changed { try await commitHooks(.create, [r.record], context, tx) }
            return r
        }
        try await finishHooks(.create, [result.record], context)
        return result
    }

    static func create(_ prepared: PreparedResource, id: String? = nil, condition: StoreQuery?, in tx: any StoreTransaction) async throws -> WriteResult {
        try await create(prepared.stamped(id: id ?? newId(), versionId: 1), condition: condition, in: tx)
    }

    static func create(_ stamped: StampedResource, condition: StoreQuery?, in tx: any StoreTransaction) async throws -> WriteResult {
        if let condition {
            let matches = try await tx.matchingKeys(condition, limit: 2)
            if matches.count > 1 { throw FHIRError.preconditionFailed("If-None-Exist matched \(matches.count) or more resources") }
            if let match = matches.first, let existing = try await tx.read(type: match.type, id: match.id) {
                return WriteResult(record: existing, created: false, changed: false)
            }
        }
        let w = stamped.write(lastUpdated: now())
        try await tx.put(w)
        return WriteResult(record: w.record, created: true, changed: true)
    }

    // MARK: Update

    /// Updates (or creates, when unknown) `type/id`. `ifMatch` is the version the client last saw.
    public func update(type: String, id: String, resource: JSON, ifMatch: Int? = nil, context: RequestContext = RequestContext()) async throws -> WriteResult {
        try await runHooks(.update, ResourceKey(type: type, id: id), context)
        guard FHIRIdentifierRules.isValidId(id) else { throw FHIRError.badRequest("'\(id)' is not a valid resource id") }
        guard let bodyId = resource["id"]?.stringValue else {
            throw FHIRError(status: 400, code: .required, "an update must carry the resource id in the body", expression: ["\(type).id"])
        }
        guard bodyId == id else {
            throw FHIRError(status: 400, code: .invalid, "the body id '\(bodyId)' does not match the URL id '\(id)'", expression: ["\(type).id"])
        }
        let prepared = try prepare(resource, type: type)
        // Changing a resource needs the same reach as reading it (a new id is a create).
        if let current = try await backend.read(type: type, id: id), !current.isDeleted { try await ensureVisible(type, id, .update, context) }
        let result = try await backend.write { [self] tx in
            let r = try await Self.update(prepared, id: id, ifMatch: ifMatch, in: tx)
            if r.changed { try await commitHooks(.update, [r.record], context, tx) }
            return r
        }
        try await finishHooks(.update, [result.record], context)
        return result
    }

    static func update(_ prepared: PreparedResource, id: String, ifMatch: Int?, in tx: any StoreTransaction) async throws -> WriteResult {
        let current = try await tx.read(type: prepared.type, id: id)
        if let ifMatch {
            guard let current, !current.isDeleted else {
                throw FHIRError.preconditionFailed("If-Match W/\"\(ifMatch)\" but \(prepared.type)/\(id) has no current version")
            }
            guard current.versionId == ifMatch else {
                throw FHIRError.preconditionFailed("If-Match W/\"\(ifMatch)\" but the current version is \(current.versionId)")
            }
        }
        if let current, !current.isDeleted,
            try await tx.contentHash(type: prepared.type, id: id) == prepared.contentHash
        {
            return WriteResult(record: current, created: false, changed: false)
        }
        let version = (current?.versionId ?? 0) + 1
        let w = prepared.write(id: id, versionId: version, lastUpdated: max(now(), current?.lastUpdated ?? 0))
        try await tx.put(w)
        return WriteResult(record: w.record, created: current == nil || current?.isDeleted == true, changed: true)
    }

    /// Conditional update (PUT Type?query): no match creates, one match updates, several are a 412.
    public func conditionalUpdate(type: String, queryString: String, resource: JSON, context: RequestContext = RequestContext()) async throws -> WriteResult {
        try await runHooks(.update, ResourceKey(type: type, id: ""), context)
        let prepared = try prepare(resource, type: type)
        let query = try searchQuery(type: type, queryString: queryString)
        let bodyId = resource["id"]?.stringValue
        let result = try await backend.write { [self] tx in
            let matches = try await tx.matchingKeys(query, limit: 2)
            if matches.count > 1 { throw FHIRError.preconditionFailed("the conditional update matched more than one resource") }
            let r: WriteResult
            if let match = matches.first {
                if let bodyId, bodyId != match.id {
                    throw FHIRError(status: 400, code: .invalid, "the body id '\(bodyId)' differs from the matched resource \(match)")
                }
                r = try await Self.update(prepared, id: match.id, ifMatch: nil, in: tx)
            } else if let bodyId {
                r = try await Self.update(prepared, id: bodyId, ifMatch: nil, in: tx)
            } else {
                r = try await Self.create(prepared, condition: nil, in: tx)
            }
            if r.changed { try await commitHooks(.update, [r.record], context, tx) }
            return r
        }
        try await finishHooks(.update, [result.record], context)
        return result
    }

    // MARK: Delete

    /// Logical delete: a new version marks the resource deleted; history is kept. Answers the deletion
    /// record, or nil when the resource was already deleted.
    @discardableResult
    public func delete(type: String, id: String, context: RequestContext = RequestContext()) async throws -> ResourceRecord? {
        try await runHooks(.delete, ResourceKey(type: type, id: id), context)
        if let current = try await backend.read(type: type, id: id), !current.isDeleted { try await ensureVisible(type, id, .delete, context) }
        let result = try await backend.write { [self] tx in
            let r = try await Self.delete(type: type, id: id, in: tx)
            if let r { try await commitHooks(.delete, [r], context, tx) }
            return r
        }
        try await finishHooks(.delete, result.map { [$0] } ?? [], context)
        return result
    }

    static func delete(type: String, id: String, in tx: any StoreTransaction) async throws -> ResourceRecord? {
        guard let current = try await tx.read(type: type, id: id) else {
            throw FHIRError.notFound("\(type)/\(id) is not known")
        }
        if current.isDeleted { return nil }
        let record = ResourceRecord(
            type: type, id: id, versionId: current.versionId + 1, lastUpdated: max(now(), current.lastUpdated),
            isDeleted: true, json: [])
        try await tx.put(ResourceWrite(record: record, contentHash: ContentHash.deleted(), compartment: nil, index: SearchIndexRows()))
        return record
    }

    /// Conditional delete (DELETE Type?query): deletes the one match; several matches are a 412.
    public func conditionalDelete(type: String, queryString: String, context: RequestContext = RequestContext()) async throws -> ResourceRecord? {
        try await runHooks(.delete, ResourceKey(type: type, id: ""), context)
        let query = try searchQuery(type: type, queryString: queryString)
        let result = try await backend.write { [self] tx -> ResourceRecord? in
            let matches = try await tx.matchingKeys(query, limit: 2)
            if matches.count > 1 { throw FHIRError.preconditionFailed("the conditional delete matched more than one resource") }
            guard let match = matches.first else { return nil }
            let r = try await Self.delete(type: match.type, id: match.id, in: tx)
            if let r { try await commitHooks(.delete, [r], context, tx) }
            return r
        }
        try await finishHooks(.delete, result.map { [$0] } ?? [], context)
        return result
    }
}

/// FHIR's lexical rule for resource ids: 1–64 of `[A-Za-z0-9\-\.]`.
public enum FHIRIdentifierRules {
    public static func isValidId(_ id: String) -> Bool {
        let u = id.utf8
        guard !u.isEmpty, u.count <= 64 else { return false }
        return u.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x2E
        }
    }
}
