/// What validating one resource found, and what HTTP status a server answers for it.
///
/// Two kinds of error: STRUCTURAL ones (the JSON is not a valid R4 resource: unknown elements, wrong JSON
/// types, bad formats, cardinality, missing required elements; issue codes `structure`, `value`, `required`,
/// `invalid`, `too-long`) make the request a 400 Bad Request; RULE errors (the structure is sound but an
/// invariant, a required value set or the definition of a core extension is broken; codes `invariant`,
/// `code-invalid`, `processing`, `business-rule`) make it a 422 Unprocessable Entity.
public struct ValidationResult: Sendable {
    /// Every finding, errors and warnings, in document order.
    public var issues: [OutcomeIssue]

    public init(issues: [OutcomeIssue] = []) { self.issues = issues }

    /// The findings that reject the resource.
    public var errors: [OutcomeIssue] { issues.filter(\.isError) }

    /// True when nothing rejects the resource (warnings may remain).
    public var isValid: Bool { !issues.contains(where: \.isError) }

    /// True when some error is structural (see the type's description).
    public var hasStructuralErrors: Bool {
        issues.contains { $0.isError && ValidationResult.isStructural($0.code) }
    }

    /// The status a server answers: nil when valid, 400 when any error is structural, else 422.
    public var httpStatus: Int? {
        if isValid { return nil }
        return hasStructuralErrors ? 400 : 422
    }

    /// True for issue codes that mean the content is not a well-formed R4 resource.
    public static func isStructural(_ code: OutcomeIssue.Code) -> Bool {
        switch code {
        case .structure, .value, .required, .invalid, .tooLong: return true
        default: return false
        }
    }

    /// The errors as a `FHIRError` with the right status, or nil when valid.
    public var error: FHIRError? {
        guard let status = httpStatus else { return nil }
        return FHIRError(status: status, issues: issues)
    }
}
