/// A search compiled down to what the index tables can answer, independent of SQL dialect.
/// `filters` are ANDed; each filter is an OR of predicates (FHIR's `a=x,y&b=z`).
public struct StoreQuery: Sendable {
    /// The resource type searched, nil for a system-level search.
    public var type: String?
    public var filters: [[IndexPredicate]]
    public var sort: [SortKey]
    /// Page size; the repository caps it at the server maximum.
    public var count: Int
    /// Keyset position: only rows after this one in sort order.
    public var after: PageCursor?

    public init(type: String?, filters: [[IndexPredicate]] = [], sort: [SortKey] = [], count: Int = 20, after: PageCursor? = nil) {
        self.type = type
        self.filters = filters
        self.sort = sort
        self.count = count
        self.after = after
    }
}

/// Comparison prefixes of FHIR search (http://hl7.org/fhir/R4/search.html#prefix).
public enum ComparisonPrefix: String, Sendable, CaseIterable {
    case eq, ne, gt, lt, ge, le, sa, eb, ap
}

/// One condition on one index table.
public indirect enum IndexPredicate: Sendable {
    case id([String])
    /// `_lastUpdated` against the inclusive range [low, high] of the search value (milliseconds).
    case lastUpdated(ComparisonPrefix, low: Int64, high: Int64)
    /// A token: nil system means any system; `systemMustBeAbsent` is FHIR's `|code`.
    case token(param: String, system: String?, code: String?, systemMustBeAbsent: Bool)
    /// A reference to `targetId` (of `targetType` when given) or to an absolute `url`.
    case reference(param: String, targetType: String?, targetId: String?, url: String?)
    /// Resources that have (`missing == false`) or lack (`true`) any value for `param` in `table`.
    case missing(param: String, table: IndexTable, missing: Bool)
    case not(IndexPredicate)
    case or([IndexPredicate])
    /// Resources in the compartment of one of these patients.
    case compartment([String])
}

/// The search index tables; every backend has them with the same columns.
public enum IndexTable: String, Sendable, CaseIterable {
    case token = "idx_token"
    case string = "idx_string"
    case date = "idx_date"
    case reference = "idx_reference"
    case number = "idx_number"
    case quantity = "idx_quantity"
    case uri = "idx_uri"
}

public enum SortKey: Sendable, Equatable {
    case lastUpdated(descending: Bool)
    case id(descending: Bool)
}

/// Where the previous page ended: the internal row id (ascending order) — stable while data change.
public struct PageCursor: Sendable, Equatable {
    public var rowId: Int64
    public var lastUpdated: Int64?
    public init(rowId: Int64, lastUpdated: Int64? = nil) {
        self.rowId = rowId
        self.lastUpdated = lastUpdated
    }
}

/// A page of search results.
public struct StorePage: Sendable {
    public var records: [ResourceRecord]
    /// The cursor for the next page, nil when this is the last page.
    public var next: PageCursor?
    public init(records: [ResourceRecord], next: PageCursor?) {
        self.records = records
        self.next = next
    }
}

/// A history query: instance (type and id), type (type only) or system level (neither).
public struct HistoryQuery: Sendable {
    public var type: String?
    public var id: String?
    /// Only versions written at or after this time (milliseconds).
    public var since: Int64?
    public var count: Int
    /// Only versions older than this history sequence number (keyset paging, newest first).
    public var before: Int64?
    public init(type: String?, id: String?, since: Int64? = nil, count: Int = 50, before: Int64? = nil) {
        self.type = type
        self.id = id
        self.since = since
        self.count = count
        self.before = before
    }
}

/// A page of history, newest first.
public struct HistoryPage: Sendable {
    public var records: [ResourceRecord]
    /// Sequence number to continue from, nil at the end.
    public var next: Int64?
    public init(records: [ResourceRecord], next: Int64?) {
        self.records = records
        self.next = next
    }
}
