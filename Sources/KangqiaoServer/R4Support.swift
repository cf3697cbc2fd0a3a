import FHIRCore
import FHIRStore
import Registry

/// The R4 definitions adapted to what the store and server need: the validator as a write check,
/// the index extractor and search-parameter lookup, and the capability statement. Built once: the
/// definitions load and every search expression compiles at start.
public struct R4Support: Sendable {
    public let checker: (any ResourceChecking)?
    public let indexer: (any ResourceIndexing)?
    public let parameters: (any SearchParameterLookup)?
    public let capabilities: CapabilityStatementBuilder

    public static let shared = R4Support(definitions: .shared)

    init(definitions: R4Definitions, profileParameters: [SearchParameterDefinition] = RegistrySearchParameters.all) {
        let extractor = SearchIndexExtractor(definitions: definitions, additionalParameters: profileParameters)
        let registry = extractor.searchParameters
        checker = R4ResourceCheck(validator: ResourceValidator(definitions: definitions))
        indexer = extractor
        parameters = extractor
        var builder = CapabilityStatementBuilder(resources: definitions.resourceTypeNames.sorted().map { type in
            (type, SupportedSearch.parameters(for: type, registry: registry))
        })
        (builder.searchIncludes, builder.searchRevIncludes) = SupportedSearch.includes(types: definitions.resourceTypeNames, registry: registry)
        capabilities = builder
    }
}

/// The structural validator, the FHIRPath invariants and the registries' coded facts, run on every
/// write before its transaction.
struct R4ResourceCheck: ResourceChecking {
    let validator: ResourceValidator
    let registry = RegistryChecks()
    func check(_ resource: JSON) -> [OutcomeIssue] {
        var issues = validator.validate(resource).issues + registry.issues(in: resource)
        // A bundle's entries are checked here, with the bundle, and not again one by one.
        if resource["resourceType"]?.stringValue == "Bundle" {
            for (i, entry) in (resource["entry"]?.arrayValue ?? []).enumerated() {
                guard let inner = entry["resource"] else { continue }
                issues += registry.issues(in: inner).map { issue in
                    var located = issue
                    located.expression = ["Bundle.entry[\(i)].resource"]
                    return located
                }
            }
        }
        return issues
    }
}

/// The search parameters the capability statement may claim: only the types the engine answers.
enum SupportedSearch {
    static let kinds: Set<SearchParameterDefinition.ParameterType> = [.token, .reference, .string, .date, .number, .quantity, .uri]

    static func parameters(for type: String, registry: SearchParameterRegistry) -> [(code: String, type: String)] {
        var result: [(String, String)] = [("_id", "token"), ("_lastUpdated", "date")]
        for p in registry.parameters(for: type) where (kinds.contains(p.type) || p.code == GeoDistance.parameter) && !p.code.hasPrefix("_") {
            result.append((p.code, p.type.rawValue))
        }
        // Composites match components of one focus element (SearchIndexExtractor's composite rows).
        for p in registry.parameters(for: type) where p.type == .composite {
            result.append((p.code, p.type.rawValue))
        }
        // `_text` (DomainResource), `_content` (every type) and `_list` (answered through List.entry.item).
        for p in registry.parameters(for: type) where ["_text", "_content"].contains(p.code) {
            result.append((p.code, p.type.rawValue))
        }
        result.append(("_list", "token"))
        for p in registry.parameters(for: type) where ["_tag", "_security", "_profile"].contains(p.code) {
            result.append((p.code, p.type.rawValue))
        }
        return result
    }

    /// `_include` values per type (`*` and `Type:param` for each reference parameter) and `_revinclude`
    /// values per type (`Source:param` for each reference parameter of any type that may point at it).
    static func includes(types resourceTypes: [String], registry: SearchParameterRegistry) -> (include: [String: [String]], revInclude: [String: [String]]) {
        var include: [String: [String]] = [:]
        var revInclude: [String: [String]] = [:]
        let types = resourceTypes.sorted()
        for type in types {
            var list = ["*"]
            for p in registry.parameters(for: type) where p.type == .reference {
                list.append("\(type):\(p.code)")
                for target in p.targets {
                    revInclude[target, default: []].append("\(type):\(p.code)")
                }
            }
            include[type] = list
        }
        for (k, v) in revInclude { revInclude[k] = Array(Set(v)).sorted() }
        return (include, revInclude)
    }
}
