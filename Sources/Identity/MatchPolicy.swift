import Foundation

/// The master index's region policy: the Fellegi–Sunter weights of each field comparison (log2 of
/// m/u: how much likelier the outcome is for two records of one person than for two people), the two
/// thresholds on their sum, what a certain match must also have, and the blocking limits. Defaults
/// below; a region loads its own from JSON (`MatchPolicy(json:)`), checked at load.
public struct MatchPolicy: Sendable, Codable, Equatable {
    /// Weights of one field by comparison outcome; a field missing on either side weighs 0.
    public struct FieldWeights: Sendable, Codable, Equatable {
        public var exact: Double
        /// A weaker agreement: same pinyin (names), day and month swapped (birth dates), same district (addresses).
        public var close: Double
        /// Weaker still: a Latin spelling one letter off, the same year and month of birth.
        public var near: Double
        public var disagree: Double

        public init(exact: Double, close: Double = 0, near: Double = 0, disagree: Double) {
            self.exact = exact
            self.close = close
            self.near = near
            self.disagree = disagree
        }

        /// Fellegi–Sunter weights from m (P(agree | same person)) and u (P(agree | different people)).
        public static func from(m: Double, u: Double, close: Double = 0, near: Double = 0) -> FieldWeights {
            FieldWeights(exact: log2(m / u), close: close, near: near, disagree: log2((1 - m) / (1 - u)))
        }
    }

    public var name: FieldWeights
    public var birthDate: FieldWeights
    public var sex: FieldWeights
    public var phone: FieldWeights
    public var address: FieldWeights
    /// Another identity document (passport, permit) of the same system: equal or different numbers.
    public var document: FieldWeights
    /// Two valid resident IDs that differ: different people, whatever else agrees.
    public var residentIDDisagree: Double

    /// At or above: a certain match, linked at once (when `certainRequires` also holds).
    public var certainThreshold: Double
    /// At or above (and not certain): a probable match, queued for review.
    public var probableThreshold: Double
    /// At or above (and not probable): a possible match, reported by `$match` only.
    public var possibleThreshold: Double
    /// Fields that must agree (exact or close) for a certain match: each inner list is one requirement
    /// met by any of its fields (`name`, `birthDate`, `sex`, `phone`, `address`, `document`).
    public var certainRequires: [[String]]
    /// Records read per blocking key at most, so a common key cannot make a match slow.
    public var maxCandidatesPerBlock: Int
    /// Results of `$match` when the request gives no `count`.
    public var defaultMatchCount: Int

    public init(
        name: FieldWeights, birthDate: FieldWeights, sex: FieldWeights, phone: FieldWeights, address: FieldWeights,
        document: FieldWeights, residentIDDisagree: Double, certainThreshold: Double, probableThreshold: Double,
        possibleThreshold: Double, certainRequires: [[String]], maxCandidatesPerBlock: Int, defaultMatchCount: Int
    ) {
        self.name = name
        self.birthDate = birthDate
        self.sex = sex
        self.phone = phone
        self.address = address
        self.document = document
        self.residentIDDisagree = residentIDDisagree
        self.certainThreshold = certainThreshold
        self.probableThreshold = probableThreshold
        self.possibleThreshold = possibleThreshold
        self.certainRequires = certainRequires
        self.maxCandidatesPerBlock = maxCandidatesPerBlock
        self.defaultMatchCount = defaultMatchCount
    }

    /// The defaults. m and u are estimates for a city register (u of a name: ~1 in 1,000 people
    /// share a full name; of a birth date: ~1 in 20,000; phones and addresses are shared within a
    /// household). A certain match needs the name, the birth date and one contact or document to agree,
    /// so two namesakes born the same day are reviewed, not linked.
    public static let standard = MatchPolicy(
        name: .from(m: 0.90, u: 0.001, close: 7, near: 3),
        birthDate: .from(m: 0.92, u: 0.00005, close: 8, near: 2),
        sex: .from(m: 0.98, u: 0.5),
        phone: .from(m: 0.60, u: 0.001),
        address: .from(m: 0.60, u: 0.002, close: 3),
        document: .from(m: 0.95, u: 0.00001),
        residentIDDisagree: -40,
        certainThreshold: 24, probableThreshold: 12, possibleThreshold: 6,
        certainRequires: [["name"], ["birthDate"], ["phone", "address", "document"]],
        maxCandidatesPerBlock: 50, defaultMatchCount: 10)

    public enum Problem: Error, CustomStringConvertible {
        case thresholds, limits, unknownField(String)
        public var description: String {
            switch self {
            case .thresholds: return "thresholds must rise: possible ≤ probable ≤ certain"
            case .limits: return "maxCandidatesPerBlock and defaultMatchCount must be positive"
            case .unknownField(let f): return "certainRequires names an unknown field '\(f)'"
            }
        }
    }

    static let fields: Set<String> = ["name", "birthDate", "sex", "phone", "address", "document"]

    /// Checks the policy is usable; a region's file is checked at load.
    public func validated() throws -> MatchPolicy {
        guard possibleThreshold <= probableThreshold, probableThreshold <= certainThreshold else { throw Problem.thresholds }
        guard maxCandidatesPerBlock > 0, defaultMatchCount > 0 else { throw Problem.limits }
        for f in certainRequires.joined() where !Self.fields.contains(f) { throw Problem.unknownField(f) }
        return self
    }

    /// The region's policy: the JSON file named by `KANGQIAO_MATCH_POLICY`, else the defaults.
    public static func regional(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MatchPolicy {
        guard let path = environment["KANGQIAO_MATCH_POLICY"], !path.isEmpty else { return .standard }
        return try MatchPolicy(json: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A region's policy from JSON (every member given), validated.
    public init(json: Data) throws {
        self = try JSONDecoder().decode(MatchPolicy.self, from: json).validated()
    }
}
