import FHIRCore

extension FHIRRepository {
    /// How many rounds `:iterate` follows before it stops (a guard against reference cycles and
    /// runaway bundles; every round only adds resources not yet in the bundle).
    static let includeRounds = 4

    /// The resources `_include` and `_revinclude` add to a page (search.html#include), each once and
    /// never one that is already a match. `_include` follows the references the page's resources
    /// hold (read from their own index rows); `_revinclude` finds the resources that reference them.
    /// Each `_revinclude` adds at most the server's maximum page size per round.
    /// `restrictions(type)`: the caller's access filters for included resources of `type` (see
    /// `InteractionHook.restriction`), so an include never returns what a search could not.
    func included(
        for matches: [ResourceRecord], options: SearchResultOptions,
        restrictions: (String) async throws -> [[IndexPredicate]] = { _ in [] }
    ) async throws -> [ResourceRecord] {
        guard !options.includes.isEmpty || !options.revincludes.isEmpty, !matches.isEmpty else { return [] }
        var seen = Set(matches.map { $0.type + "/" + $0.id })
        var result: [ResourceRecord] = []
        var frontier = matches
        for round in 0..<Self.includeRounds where !frontier.isEmpty {
            let includes = options.includes.filter { round == 0 || $0.iterate }
            let revincludes = options.revincludes.filter { round == 0 || $0.iterate }
            if includes.isEmpty && revincludes.isEmpty { break }
            var found: [ResourceRecord] = []
            // _include: the targets of the frontier's references, read by id per type.
            var targets: [String: [String]] = [:]
            for r in frontier {
                let applicable = includes.filter { $0.sourceType == "*" || $0.sourceType == r.type }
                guard !applicable.isEmpty, let json = try? JSONParser.parse(r.json) else { continue }
                let params = applicable.contains { $0.param == nil } ? nil : Set(applicable.compactMap(\.param))
                let rows = params.map { indexRows(for: json, type: r.type, only: $0) } ?? (indexer?.indexRows(for: json, type: r.type) ?? SearchIndexRows())
                for ref in rows.references {
                    guard let t = ref.targetType, let id = ref.targetId else { continue }
                    let wanted = applicable.contains { ($0.param == nil || $0.param == ref.param) && ($0.targetType == nil || $0.targetType == t) }
                    if wanted && seen.insert(t + "/" + id).inserted { targets[t, default: []].append(id) }
                }
            }
            for (t, ids) in targets.sorted(by: { $0.key < $1.key }) {
                for chunk in ids.chunked(500) {
                    found += try await backend.search(StoreQuery(type: t, filters: [[.id(chunk)]] + (try await restrictions(t)), count: chunk.count)).records
                }
            }
            // _revinclude: resources of the source type whose parameter references the frontier.
            for spec in revincludes {
                guard let param = spec.param else { continue }
                let referenced = frontier.filter { spec.targetType == nil || spec.targetType == $0.type }
                for chunk in referenced.chunked(200) {
                    let ors = chunk.map { IndexPredicate.reference(param: param, targetType: $0.type, targetId: $0.id, url: nil) }
                    let page = try await backend.search(StoreQuery(
                        type: spec.sourceType, filters: [ors] + (try await restrictions(spec.sourceType)), count: settings.maxPageSize))
                    for r in page.records where seen.insert(r.type + "/" + r.id).inserted { found.append(r) }
                }
            }
            result += found
            frontier = found
        }
        return result
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
