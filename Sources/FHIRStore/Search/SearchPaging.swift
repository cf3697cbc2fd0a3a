import FHIRCore

extension FHIRRepository {
    /// The page's records in sort order and the cursors of its `next` and `previous` links.
    ///
    /// A page read forward after row C has `previous` = "at or before C" (C ended the previous page);
    /// a page read backward before C came nearest-first and has `next` = "at or after C". The other
    /// link continues from the page's own end row, with that row's sort-key values (the statement's own
    /// keys when it returned them, as a date walk does).
    func pageLinks(_ page: StorePage, query: StoreQuery, incoming: SearchCursor?) -> (records: [ResourceRecord], next: SearchCursor?, previous: SearchCursor?) {
        let flipped = incoming.map { c in
            SearchCursor(PageCursor(rowId: c.cursor.rowId, keys: c.cursor.keys, inclusive: !c.cursor.inclusive), backward: !c.backward)
        }
        if incoming?.backward == true {
            let records = Array(page.records.reversed())
            var previous: SearchCursor?
            if let more = page.next, let first = records.first {
                previous = SearchCursor(PageCursor(rowId: more.rowId, keys: more.keys.isEmpty ? sortValues(first, query.sort) : more.keys), backward: true)
            }
            return (records, flipped, previous)
        }
        var next: SearchCursor?
        if let more = page.next, let last = page.records.last {
            next = SearchCursor(PageCursor(rowId: more.rowId, keys: more.keys.isEmpty ? sortValues(last, query.sort) : more.keys), backward: false)
        }
        return (page.records, next, flipped)
    }

    /// The values of the sort keys for `record`, from its own index rows.
    func sortValues(_ record: ResourceRecord, _ sort: [SortKey]) -> [SQLValue] {
        guard !sort.isEmpty else { return [] }
        var codes: Set<String> = []
        for key in sort { if case .parameter(let code, _, _) = key { codes.insert(code) } }
        var rows = SearchIndexRows()
        if !codes.isEmpty, let json = try? JSONParser.parse(record.json) {
            rows = indexRows(for: json, type: record.type, only: codes)
        }
        return sort.map { $0.value(of: record, rows: rows) }
    }

    /// Index rows of some parameters only, when the indexer can limit itself to them.
    func indexRows(for json: JSON, type: String, only: Set<String>) -> SearchIndexRows {
        if let extractor = indexer as? SearchIndexExtractor { return extractor.indexRows(for: json, type: type, only: only) }
        return indexer?.indexRows(for: json, type: type) ?? SearchIndexRows()
    }
}
