import FHIRCore

/// Where the operations find code systems, value sets and concept maps by canonical url: the
/// shipped catalogues (`TerminologyCatalogue`), or the server's store in front of them.
public protocol TerminologySource: Sendable {
    func codeSystem(url: String, version: String?) async throws -> CodeSystemContent?
    func valueSet(url: String, version: String?) async throws -> ValueSetDefinition?
    func conceptMaps(url: String?, source: String?, target: String?) async throws -> [ConceptMapDefinition]
}

/// Limits of the terminology operations: policy data with defaults, so a region can change them.
public struct TerminologyPolicy: Sendable {
    /// Codes returned by one `$expand` when the request gives no `count`.
    public var defaultExpansionCount: Int
    /// The most codes one `$expand` answers; a larger unpaged expansion is refused as too costly.
    public var maxExpansionCount: Int
    /// How deep value sets may import other value sets before the definition is taken as circular.
    public var maxValueSetNesting: Int

    public init(defaultExpansionCount: Int = 1_000, maxExpansionCount: Int = 10_000, maxValueSetNesting: Int = 8) {
        self.defaultExpansionCount = defaultExpansionCount
        self.maxExpansionCount = maxExpansionCount
        self.maxValueSetNesting = maxValueSetNesting
    }

    public static let standard = TerminologyPolicy()
}
