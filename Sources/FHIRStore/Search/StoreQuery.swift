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
    /// Keyset position for a previous page: only rows before this one, returned nearest first
    /// (reverse sort order); `StorePage.next` then means "more rows before".
    public var before: PageCursor?

    public init(
        type: String?, filters: [[IndexPredicate]] = [], sort: [SortKey] = [], count: Int = 20, after: PageCursor? = nil,
        before: PageCursor? = nil
    ) {
        self.type = type
        self.filters = filters
        self.sort = sort
        self.count = count
        self.after = after
        self.before = before
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
    /// A string: `value` is already normalized for `.startsWith` and `.contains`, as written for `.exact`.
    case string(param: String, match: TextMatch, value: String)
    /// The normalized display/text of a token (`:text`).
    case tokenText(param: String, value: String)
    /// A date, dateTime or period against the inclusive search range [low, high] (milliseconds).
    case date(param: String, prefix: ComparisonPrefix, low: Int64, high: Int64)
    /// A number against `value`; [low, high) is the range its significant digits imply (search.html#number).
    case number(param: String, prefix: ComparisonPrefix, value: Double, low: Double, high: Double)
    /// A quantity: the number rules on its value, and the unit's system and code when given.
    case quantity(param: String, prefix: ComparisonPrefix, value: Double, low: Double, high: Double, system: String?, code: String?)
    /// A uri: equal, or (`.startsWith`, FHIR's `:below`) under the value, or (`.above`) a prefix of it.
    case uri(param: String, match: TextMatch, value: String)
    /// Chaining: resources whose reference `param` points at a `targetType` resource matching `filters`.
    case chain(param: String, targetType: String, filters: [[IndexPredicate]])
    /// Reverse chaining (`_has`): resources referenced through `param` by a `sourceType` resource
    /// matching `filters`.
    case referencedBy(sourceType: String, param: String, filters: [[IndexPredicate]])
    case not(IndexPredicate)
    case or([IndexPredicate])
    /// All of these.
    case and([IndexPredicate])
    /// A composite value (search.html#composite): one predicate per component, on the component rows
    /// (`param$i`), all met by rows of the same focus element.
    case composite(param: String, components: [IndexPredicate])
    /// A quantity compared in UCUM base units: `value`, `low` and `high` are converted to the units of
    /// `code`, a canonical code (`g.m-3`), and compared with the canonical values indexed beside each quantity.
    case canonicalQuantity(param: String, prefix: ComparisonPrefix, value: Double, low: Double, high: Double, code: String)
    /// `_text` or `_content` (`param`): the normalized text contains `value`.
    case text(param: String, value: String)
    /// A token whose code is one of `codes`, from one of `systems` or without a system (`:in` a value set).
    case tokenIn(param: String, systems: [String], codes: [String])
    /// Resources in the compartment of one of these patients.
    case compartment([String])
    /// Resources of the patients the caller has a relationship with (access rules): a patient is
    /// related when a current resource named by one of `links` is in their compartment (or is the
    /// Patient itself). For Patient resources the rule applies to the patient's own id.
    case relatedPatients([PatientLink])
    /// Resources of the patients in whose compartment a current `sourceType` resource meets `filters`
    /// (e.g. the patients who gave an active sharing Consent to an organization). For Patient
    /// resources the patient's own id is compared.
    case compartmentOf(sourceType: String, filters: [[IndexPredicate]])
    /// Within `kilometres` of a point (Location `near`, GeoDistance).
    case near(param: String, latitude: Double, longitude: Double, kilometres: Double)
}

/// A kind of resource that ties a patient to someone: a current `type` resource whose reference
/// parameter `param` points at `targetType/targetId` (an Encounter's service provider, a CareTeam's
/// participant, a family-doctor EpisodeOfCare's managing organization …).
public struct PatientLink: Sendable, Hashable {
    public var type: String
    public var param: String
    public var targetType: String
    public var targetId: String

    public init(type: String, param: String, targetType: String, targetId: String) {
        self.type = type
        self.param = param
        self.targetType = targetType
        self.targetId = targetId
    }
}

/// How a text value is compared with the indexed one.
public enum TextMatch: Sendable {
    case exact, startsWith, contains
    /// The indexed value is a prefix of the search value (uri `:above`).
    case above
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

/// One `_sort` key. Every sort ends with the row id ascending, so equal keys keep a stable order.
public enum SortKey: Sendable, Equatable {
    case lastUpdated(descending: Bool)
    case id(descending: Bool)
    /// A search parameter's indexed value: the lowest for ascending, the highest for descending order
    /// (dates: the low and the high bound); resources without a value come last either way.
    case parameter(code: String, table: IndexTable, descending: Bool)

    public var descending: Bool {
        switch self {
        case .lastUpdated(let d), .id(let d), .parameter(_, _, let d): return d
        }
    }
}

/// A keyset position: the sort-key values of one row and its internal row id, which together order
/// every row uniquely, so pages stay correct while data change (no OFFSET).
public struct PageCursor: Sendable, Equatable {
    public var rowId: Int64
    public var lastUpdated: Int64?
    /// The row's values of the query's sort keys, in order (`.null` when it has none).
    public var keys: [SQLValue]
    /// The row itself is part of the page (used for the first row of a page seen from the other side).
    public var inclusive: Bool
    public init(rowId: Int64, lastUpdated: Int64? = nil, keys: [SQLValue] = [], inclusive: Bool = false) {
        self.rowId = rowId
        self.lastUpdated = lastUpdated
        self.keys = keys
        self.inclusive = inclusive
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
