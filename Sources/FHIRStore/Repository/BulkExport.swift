import FHIRCore

extension FHIRRepository {
    /// Bulk export (FHIR Bulk Data Access): every current resource of `type` the caller may see —
    /// scopes checked, their restrictions (relationships, consent) compiled into the query — changed
    /// at or after `since` (ms), in the compartments of `patients` when given. Pages of up to
    /// `pageSize` go to `deliver`; each page passes the hooks as a search, so the audit trail names
    /// the patients every page disclosed. Answers the number of resources exported.
    public func export(
        type: String, since: Int64?, patients: [String]?, context: RequestContext, pageSize: Int = 1000,
        deliver: ([ResourceRecord]) async throws -> Void
    ) async throws -> Int {
        try await runHooks(.search, ResourceKey(type: type, id: ""), context)
        var filters = try await restrictions(type, .search, context)
        if let since { filters.append([.lastUpdated(.ge, low: since, high: since)]) }
        if let patients { filters.append([type == "Patient" ? .id(patients) : .compartment(patients)]) }
        var cursor: PageCursor?
        var count = 0
        repeat {
            try Task.checkCancellation()
            let page = try await backend.search(StoreQuery(type: type, filters: filters, count: pageSize, after: cursor))
            if !page.records.isEmpty {
                try await deliver(page.records)
                try await finishHooks(.search, page.records, context)
            }
            count += page.records.count
            cursor = page.next
        } while cursor != nil
        return count
    }
}
