import FHIRCore
import FHIRStore

/// The R4 definitions adapted to what the store and server need: the validator as a write check,
/// the index extractor, the search-parameter lookup and the capability statement.
public struct R4Support: Sendable {
    public let checker: (any ResourceChecking)?
    public let indexer: (any ResourceIndexing)?
    public let parameters: (any SearchParameterLookup)?
    public let capabilities: CapabilityStatementBuilder

    public static let shared = R4Support()

    init() {
        checker = nil
        indexer = nil
        parameters = nil
        capabilities = CapabilityStatementBuilder(resources: [])
    }
}
