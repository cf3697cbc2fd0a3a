/// Checks a parsed resource against the R4 definitions on every write: the resource type, every element's
/// name, cardinality, JSON type and format, choice elements, required elements, required value-set bindings,
/// contained resources, extensions, and the invariants (FHIRPath constraints) of the specification.
///
/// The universal invariants that every write meets (`ele-1`, `ext-1`, `ref-1`, `dom-2`, `dom-4`, `dom-5`,
/// `txt-1`, `txt-2`, `bdl-3`, `bdl-4`, `bdl-7`) are checked by hand during the walk, which is much faster
/// than evaluating their FHIRPath; the remaining constraints of each type go through `invariantChecker`.
///
/// Findings are `OutcomeIssue`s located with FHIRPath-like expressions (`Patient.name[0].given[1]`);
/// `ValidationResult.httpStatus` separates structural errors (400) from rule errors (422).
public struct ResourceValidator: Sendable {
    /// The definitions validated against.
    public let definitions: R4Definitions
    /// Evaluates the FHIRPath invariants not checked by hand; nil checks only the hand-written ones.
    public let invariantChecker: (any InvariantChecking)?

    /// A validator over `definitions` (default: the bundled R4 definitions) that evaluates the FHIRPath
    /// invariants too, unless `checksInvariants` is false (then only the hand-checked ones run).
    public init(definitions: R4Definitions = .shared, checksInvariants: Bool = true) {
        let checker: (any InvariantChecking)?
        if !checksInvariants {
            checker = nil
        } else if definitions === R4Definitions.shared {
            checker = FHIRPathInvariantChecker.shared
        } else {
            checker = FHIRPathInvariantChecker(definitions: definitions)
        }
        self.init(definitions: definitions, invariantChecker: checker)
    }

    /// A validator over `definitions`, evaluating the other invariants with `invariantChecker`.
    public init(definitions: R4Definitions, invariantChecker: (any InvariantChecking)?) {
        self.definitions = definitions
        self.invariantChecker = invariantChecker
    }

    /// The invariant keys checked by hand in the walk (never handed to `invariantChecker`).
    public static let handCheckedInvariants: Set<String> = [
        "ele-1", "ext-1", "ref-1", "dom-2", "dom-4", "dom-5", "txt-1", "txt-2", "bdl-3", "bdl-4", "bdl-7",
    ]

    /// Validates one resource (any R4 type, Bundles with their entries included).
    ///
    /// - Parameter expectedType: when given, the resource must be of that type (the type in the URL of a
    ///   create or update).
    public func validate(_ resource: JSON, expectedType: String? = nil) -> ValidationResult {
        var walk = ValidationWalk(definitions: definitions, collectsInvariantSites: invariantChecker != nil)
        walk.validateRoot(resource, expectedType: expectedType)
        var issues = walk.issues
        if let checker = invariantChecker, !walk.hasStructuralErrors {
            for site in walk.invariantSites {
                issues.append(contentsOf: checker.check(site))
            }
        }
        return ValidationResult(issues: issues)
    }
}

/// Where a FHIRPath invariant has to be evaluated: the constraint, the node it applies to, the resource
/// holding that node (`%resource`), the outermost resource (`%rootResource`), and the node's location.
public struct InvariantSite: Sendable {
    /// The constraint to evaluate.
    public let invariant: Invariant
    /// The element or resource the invariant is evaluated on (the FHIRPath focus).
    public let node: JSON
    /// The FHIR type of `node` (`Patient`, `Patient.contact`, `Quantity`, `string`).
    public let nodeType: String
    /// The resource that contains `node` (for contained resources, the contained one).
    public let resource: JSON
    /// The outermost resource (for a Bundle entry, the entry's resource).
    public let rootResource: JSON
    /// The FHIRPath-like location of `node`, e.g. `Patient.contact[0]`.
    public let location: String
}

/// Evaluates the FHIRPath invariants of the definitions at the sites the validator found.
public protocol InvariantChecking: Sendable {
    /// The issues for one site: none when the invariant holds; an `invariant` issue (with the severity of the
    /// constraint) when it does not.
    func check(_ site: InvariantSite) -> [OutcomeIssue]
}
