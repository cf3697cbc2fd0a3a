import FHIRCore

/// Knows which Patient records are the same person (a master patient index): a search by one
/// patient's id is widened to all of them, so every search and `$everything` by either id sees
/// one person. The caller's restrictions are still ANDed with the widened query, so a linked record
/// outside what the caller may see stays hidden.
public protocol LinkedPatientResolver: Sendable {
    /// For each id given, every patient id of the same person (the id itself included); ids with no
    /// link may be left out of the answer.
    func samePerson(as patientIds: Set<String>) async throws -> [String: Set<String>]
}

extension FHIRRepository {
    /// `query` with every criterion naming a patient (a reference to `Patient/x`, a patient
    /// compartment, a Patient `_id`) widened to the patients linked to it.
    func widenedToLinkedPatients(_ query: StoreQuery) async throws -> StoreQuery {
        guard let linkedPatients else { return query }
        var named = Set<String>()
        for filter in query.filters { for p in filter { Self.patientIds(in: p, type: query.type, into: &named) } }
        named = named.filter(FHIRIdentifierRules.isValidId)  // anything else names no stored Patient
        guard !named.isEmpty else { return query }
        let links = try await linkedPatients.samePerson(as: named).filter { $0.value.count > 1 }
        guard !links.isEmpty else { return query }
        var widened = query
        widened.filters = query.filters.map { $0.map { Self.widen($0, type: query.type, links) } }
        return widened
    }

    static func patientIds(in p: IndexPredicate, type: String?, into ids: inout Set<String>) {
        switch p {
        case .reference(_, let targetType, let targetId, _) where targetType == "Patient" || targetType == nil:
            if let targetId { ids.insert(targetId) }
        case .compartment(let list): ids.formUnion(list)
        case .id(let list) where type == "Patient": ids.formUnion(list)
        case .not(let inner): patientIds(in: inner, type: type, into: &ids)
        case .or(let list), .and(let list): for q in list { patientIds(in: q, type: type, into: &ids) }
        default: break
        }
    }

    static func widen(_ p: IndexPredicate, type: String?, _ links: [String: Set<String>]) -> IndexPredicate {
        switch p {
        case .reference(let param, let targetType, let targetId?, let url) where targetType == "Patient" || targetType == nil:
            guard let same = links[targetId] else { return p }
            let others = same.subtracting([targetId]).sorted()
            return .or([p] + others.map { .reference(param: param, targetType: "Patient", targetId: $0, url: url) })
        case .compartment(let list):
            return .compartment(widenedIds(list, links))
        case .id(let list) where type == "Patient":
            return .id(widenedIds(list, links))
        case .not(let inner): return .not(widen(inner, type: type, links))
        case .or(let list): return .or(list.map { widen($0, type: type, links) })
        case .and(let list): return .and(list.map { widen($0, type: type, links) })
        default: return p
        }
    }

    static func widenedIds(_ ids: [String], _ links: [String: Set<String>]) -> [String] {
        var out = ids
        var seen = Set(ids)
        for id in ids { for other in (links[id] ?? []).sorted() where seen.insert(other).inserted { out.append(other) } }
        return out
    }

    /// Writes a resource that follows from another write, inside that write's transaction (a master
    /// index link, a review task): validated and indexed like any write, without running the hooks
    /// again (the caller's hook records it in the audit trail itself). `id` nil creates.
    public func writeDerived(type: String, id: String?, resource: JSON, in tx: any StoreTransaction) async throws -> WriteResult {
        let prepared = try prepare(resource, type: type)
        if let id { return try await Self.update(prepared, id: id, ifMatch: nil, in: tx) }
        return try await Self.create(prepared, condition: nil, in: tx)
    }

    /// One search interaction over several criteria sets at once (any of them may match): the
    /// current `type` resources the caller may see, authorized and audited as a search. Used by
    /// operations that gather candidates (`Patient/$match`).
    public func find(type: String, anyOf queryStrings: [String], limit: Int, context: RequestContext) async throws -> [ResourceRecord] {
        try await runHooks(.search, ResourceKey(type: type, id: ""), context)
        let restrictions = try await restrictions(type, .search, context)
        var found: [ResourceRecord] = []
        var seen = Set<String>()
        for q in queryStrings {
            var query = try searchQuery(type: type, queryString: q)
            query.filters += restrictions
            query.count = limit
            for r in try await backend.search(query).records where seen.insert(r.id).inserted { found.append(r) }
        }
        try await finishHooks(.search, found, context)
        return found
    }
}
