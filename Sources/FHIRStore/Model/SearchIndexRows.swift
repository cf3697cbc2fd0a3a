/// The search-index rows of one resource version, one array per index table. Parameter names are the
/// search parameter codes (`identifier`, `subject`, `birthdate`).
public struct SearchIndexRows: Sendable, Equatable {
    public struct Token: Sendable, Equatable {
        public var param: String
        public var system: String?
        public var code: String?
        /// Display or text, lowercased, for `:text` searches.
        public var text: String?
        /// The focus element of a composite parameter this row is a component of (nil for plain rows).
        public var grp: Int? = nil
        public init(param: String, system: String?, code: String?, text: String? = nil) {
            self.param = param
            self.system = system
            self.code = code
            self.text = text
        }
    }
    public struct StringValue: Sendable, Equatable {
        public var param: String
        /// Case- and accent-folded form for the default starts-with and `:contains` searches.
        public var normalized: String
        public var exact: String
        /// The focus element of a composite parameter this row is a component of (nil for plain rows).
        public var grp: Int? = nil
        public init(param: String, normalized: String, exact: String) {
            self.param = param
            self.normalized = normalized
            self.exact = exact
        }
    }
    public struct DateRange: Sendable, Equatable {
        public var param: String
        /// Inclusive bounds in milliseconds since the epoch (a partial date covers its whole range).
        public var low: Int64
        public var high: Int64
        /// The focus element of a composite parameter this row is a component of (nil for plain rows).
        public var grp: Int? = nil
        public init(param: String, low: Int64, high: Int64) {
            self.param = param
            self.low = low
            self.high = high
        }
    }
    public struct Reference: Sendable, Equatable {
        public var param: String
        public var targetType: String?
        public var targetId: String?
        /// The reference as written when it is not a local `Type/id` (absolute URL, canonical).
        public var url: String?
        /// The focus element of a composite parameter this row is a component of (nil for plain rows).
        public var grp: Int? = nil
        public init(param: String, targetType: String?, targetId: String?, url: String? = nil) {
            self.param = param
            self.targetType = targetType
            self.targetId = targetId
            self.url = url
        }
    }
    public struct Number: Sendable, Equatable {
        public var param: String
        public var value: Double
        /// The focus element of a composite parameter this row is a component of (nil for plain rows).
        public var grp: Int? = nil
        public init(param: String, value: Double) {
            self.param = param
            self.value = value
        }
    }
    public struct Quantity: Sendable, Equatable {
        public var param: String
        public var value: Double
        public var system: String?
        public var code: String?
        /// The value in UCUM base units and the base units' canonical code (`g.m-3`), when the unit is
        /// UCUM and converts (search.html#quantity: `5.4|http://unitsofmeasure.org|mg` finds 5400 ug).
        public var canonicalValue: Double? = nil
        public var canonicalCode: String? = nil
        /// The focus element of a composite parameter this row is a component of (nil for plain rows).
        public var grp: Int? = nil
        public init(param: String, value: Double, system: String?, code: String?) {
            self.param = param
            self.value = value
            self.system = system
            self.code = code
        }
    }
    public struct URI: Sendable, Equatable {
        public var param: String
        public var uri: String
        /// The focus element of a composite parameter this row is a component of (nil for plain rows).
        public var grp: Int? = nil
        public init(param: String, uri: String) {
            self.param = param
            self.uri = uri
        }
    }

    /// The text `_text` (the narrative's) and `_content` (all of it, the narrative's included) search,
    /// normalized: one row per resource.
    public struct Text: Sendable, Equatable {
        public var narrative: String?
        public var content: String
        public init(narrative: String?, content: String) {
            self.narrative = narrative
            self.content = content
        }
    }

    public var tokens: [Token] = []
    public var strings: [StringValue] = []
    public var dates: [DateRange] = []
    public var references: [Reference] = []
    public var numbers: [Number] = []
    public var quantities: [Quantity] = []
    public var uris: [URI] = []
    public var text: Text?

    public init() {}

    public var isEmpty: Bool {
        tokens.isEmpty && strings.isEmpty && dates.isEmpty && references.isEmpty && numbers.isEmpty
            && quantities.isEmpty && uris.isEmpty && text == nil
    }
}
