/// The search-index rows of one resource version, one array per index table. Parameter names are the
/// search parameter codes (`identifier`, `subject`, `birthdate`).
public struct SearchIndexRows: Sendable, Equatable {
    public struct Token: Sendable, Equatable {
        public var param: String
        public var system: String?
        public var code: String?
        /// Display or text, lowercased, for `:text` searches.
        public var text: String?
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
        public init(param: String, uri: String) {
            self.param = param
            self.uri = uri
        }
    }

    public var tokens: [Token] = []
    public var strings: [StringValue] = []
    public var dates: [DateRange] = []
    public var references: [Reference] = []
    public var numbers: [Number] = []
    public var quantities: [Quantity] = []
    public var uris: [URI] = []

    public init() {}

    public var isEmpty: Bool {
        tokens.isEmpty && strings.isEmpty && dates.isEmpty && references.isEmpty && numbers.isEmpty
            && quantities.isEmpty && uris.isEmpty
    }
}
