/// Evaluates the FHIRPath invariants of the R4 definitions (`pat-1`, `obs-6`, `dom-3`, `bdl-9`, ...) with
/// our FHIRPath engine. Every expression is compiled once, when the checker is made; the shared checker
/// is made on first use.
public struct FHIRPathInvariantChecker: InvariantChecking {
    /// The checker over the bundled definitions.
    public static let shared = FHIRPathInvariantChecker(definitions: .shared)

    /// The model the expressions are evaluated with.
    public let definitions: R4Definitions
    /// True to evaluate `warning` constraints too (e.g. `dom-6`, "a resource should have narrative").
    public let includesWarnings: Bool
    /// The compiled expressions, by `key@path`.
    let compiled: [String: FHIRPathExpression]
    /// Constraints whose expression our engine cannot compile (`key@path` → reason); they are skipped.
    public let uncompilable: [String: String]

    /// Compiles every invariant of `definitions` that the validator does not check by hand.
    public init(definitions: R4Definitions, includesWarnings: Bool = false) {
        self.definitions = definitions
        self.includesWarnings = includesWarnings
        var compiled: [String: FHIRPathExpression] = [:]
        var failures: [String: String] = [:]
        for type in definitions.types.values {
            for invariant in type.declaredInvariants
            where !ResourceValidator.handCheckedInvariants.contains(invariant.key) {
                let id = FHIRPathInvariantChecker.siteKey(invariant)
                do {
                    compiled[id] = try FHIRPathExpression(invariant.expression)
                } catch {
                    failures[id] = "\(error)"
                }
            }
        }
        self.compiled = compiled
        uncompilable = failures
    }

    static func siteKey(_ invariant: Invariant) -> String { invariant.key + "@" + invariant.path }

    public func check(_ site: InvariantSite) -> [OutcomeIssue] {
        let invariant = site.invariant
        if invariant.severity == .warning && !includesWarnings { return [] }
        guard let expression = compiled[FHIRPathInvariantChecker.siteKey(invariant)] else { return [] }
        let holds: Bool?
        do {
            holds = try expression.evaluateBoolean(on: site.resource, model: definitions, context: site.node,
                                                   contextType: site.nodeType)
        } catch {
            // An expression our engine cannot evaluate must not reject a resource; say so as a warning.
            return [OutcomeIssue(severity: .warning, code: .invariant,
                                 diagnostics: "\(invariant.key) could not be evaluated: \(error)",
                                 expression: [site.location])]
        }
        // An empty result means the rule does not apply (FHIRPath invariants are true unless false).
        guard holds == false else { return [] }
        return [OutcomeIssue(severity: invariant.severity == .error ? .error : .warning, code: .invariant,
                             diagnostics: "\(invariant.key): \(invariant.human)", expression: [site.location])]
    }
}
