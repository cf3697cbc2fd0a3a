/// A failed FHIR interaction, with its HTTP status and the issues that explain it. Every layer throws
/// these; the server turns them into an `OperationOutcome` response in one place.
public struct FHIRError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var issues: [OutcomeIssue]

    public init(status: Int, issues: [OutcomeIssue]) {
        self.status = status
        self.issues = issues
    }

    public init(status: Int, code: OutcomeIssue.Code, _ diagnostics: String, expression: [String] = []) {
        self.status = status
        self.issues = [OutcomeIssue(code: code, diagnostics: diagnostics, expression: expression)]
    }

    /// A resource refused by validation: 400 when an error is structural, 422 when only invariants,
    /// business rules or code bindings are broken (the negative corpus distinguishes the two).
    public init(rejecting errors: [OutcomeIssue]) {
        let structural = errors.contains { ![.invariant, .businessRule, .codeInvalid].contains($0.code) }
        self.init(status: structural ? 400 : 422, issues: errors)
    }

    public var description: String {
        "\(status): " + issues.map(\.diagnostics).joined(separator: "; ")
    }

    public var outcome: JSON { OperationOutcome.json(issues) }

    public static func badRequest(_ message: String, expression: [String] = []) -> FHIRError {
        FHIRError(status: 400, code: .invalid, message, expression: expression)
    }
    public static func notFound(_ message: String) -> FHIRError {
        FHIRError(status: 404, code: .notFound, message)
    }
    public static func gone(_ message: String) -> FHIRError {
        FHIRError(status: 410, code: .deleted, message)
    }
    public static func conflict(_ message: String) -> FHIRError {
        FHIRError(status: 409, code: .conflict, message)
    }
    public static func preconditionFailed(_ message: String) -> FHIRError {
        FHIRError(status: 412, code: .conflict, message)
    }
    public static func unprocessable(_ message: String, expression: [String] = []) -> FHIRError {
        FHIRError(status: 422, code: .processing, message, expression: expression)
    }
    public static func notSupported(_ message: String) -> FHIRError {
        FHIRError(status: 400, code: .notSupported, message)
    }
    public static func methodNotAllowed(_ message: String) -> FHIRError {
        FHIRError(status: 405, code: .notSupported, message)
    }
    public static func `internal`(_ message: String) -> FHIRError {
        FHIRError(status: 500, code: .exception, message)
    }
}
