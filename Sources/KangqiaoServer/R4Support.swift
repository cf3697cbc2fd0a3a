import FHIRCore
import FHIRStore

/// The R4 definitions adapted to what the store and server need: the validator as a write check,
/// the index extractor and search-parameter lookup, and the capability statement. Built once: the
/// definitions load and every search expression compiles at start.
public struct R4Support: Sendable {
    public let checker: (any ResourceChecking)?
    public let indexer: (any ResourceIndexing)?
    public let parameters: (any SearchParameterLookup)?
    public let capabilities: CapabilityStatementBuilder

    public static let shared = R4Support(definitions: .shared)

    init(definitions: R4Definitions) {
        let extractor = SearchIndexExtractor(definitions: definitions)
        checker = R4ResourceCheck(validator: ResourceValidator(definitions: definitions))
        indexer = extractor
        parameters = extractor
        capabilities = CapabilityStatementBuilder(resources: definitions.resourceTypeNames.sorted().map { type in
            (type, SupportedSearch.parameters(for: type, definitions: definitions))
        })
    }
}

/// The structural validator and the FHIRPath invariants, run on every write.
struct R4ResourceCheck: ResourceChecking {
    let validator: ResourceValidator
    func check(_ resource: JSON) -> [OutcomeIssue] { validator.validate(resource).issues }
}

/// The search parameters the capability statement may claim: only the types the engine answers.
enum SupportedSearch {
    static let kinds: Set<SearchParameterDefinition.ParameterType> = [.token, .reference, .string, .date, .number, .quantity, .uri]

    static func parameters(for type: String, definitions: R4Definitions) -> [(code: String, type: String)] {
        var result: [(String, String)] = [("_id", "token"), ("_lastUpdated", "date")]
        for p in definitions.searchParameters.parameters(for: type) where kinds.contains(p.type) && !p.code.hasPrefix("_") {
            result.append((p.code, p.type.rawValue))
        }
        // Composites are answered when their focus is the resource itself (SearchIndexExtractor.resourceLevelComposite).
        for p in definitions.searchParameters.parameters(for: type) where p.type == .composite && p.expression(for: type) == type {
            result.append((p.code, p.type.rawValue))
        }
        for p in definitions.searchParameters.parameters(for: type) where ["_tag", "_security", "_profile"].contains(p.code) {
            result.append((p.code, p.type.rawValue))
        }
        return result
    }
}
