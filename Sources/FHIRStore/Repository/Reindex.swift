import FHIRCore

extension FHIRRepository {
    /// Writes the search-index rows of every current resource again from its stored JSON, `batchSize`
    /// resources per transaction, creating no versions. Needed after an upgrade changes what is indexed:
    /// schema 5 added composite components, UCUM canonical quantities and `_text`/`_content`, which a
    /// database written by an older version lacks until its resources are reindexed. Resources written
    /// meanwhile are indexed by their own write. Answers the number of resources reindexed; `progress`
    /// hears the running total after each batch.
    public func reindex(batchSize: Int = 500, progress: (@Sendable (Int) -> Void)? = nil) async throws -> Int {
        guard let indexer else { return 0 }
        var cursor: PageCursor?
        var total = 0
        repeat {
            let page = try await backend.search(StoreQuery(type: nil, count: max(1, batchSize), after: cursor))
            var replacements: [IndexReplacement] = []
            replacements.reserveCapacity(page.records.count)
            for record in page.records {
                let resource = try JSONParser.parse(record.json)
                replacements.append(IndexReplacement(key: record.key, index: indexer.indexRows(for: resource, type: record.type)))
            }
            if !replacements.isEmpty {
                let batch = replacements
                try await backend.write { tx in try await tx.replaceIndexes(batch) }
            }
            total += replacements.count
            progress?(total)
            cursor = page.next
        } while cursor != nil
        return total
    }
}
