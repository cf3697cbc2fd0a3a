/// One finding about a resource or a request, as an `OperationOutcome.issue` says it.
public struct OutcomeIssue: Sendable, Hashable {
    public enum Severity: String, Sendable, Hashable { case fatal, error, warning, information }

    /// FHIR `IssueType` codes used by Kangqiao (http://hl7.org/fhir/issue-type).
    public enum Code: String, Sendable, Hashable {
        case invalid, structure, required, value, invariant, security, login, unknown, expired, forbidden
        case suppressed, processing, notSupported = "not-supported", duplicate, multipleMatches = "multiple-matches"
        case notFound = "not-found", deleted, tooLong = "too-long", codeInvalid = "code-invalid", `extension`
        case tooCostly = "too-costly", businessRule = "business-rule", conflict, transient, lockError = "lock-error"
        case noStore = "no-store", exception, timeout, incomplete, throttled, informational
    }

    public var severity: Severity
    public var code: Code
    public var diagnostics: String
    /// FHIRPath locations of the offending element(s), e.g. `Patient.name[0].given[1]`.
    public var expression: [String]

    public init(severity: Severity = .error, code: Code, diagnostics: String, expression: [String] = []) {
        self.severity = severity
        self.code = code
        self.diagnostics = diagnostics
        self.expression = expression
    }

    public var isError: Bool { severity == .error || severity == .fatal }
}

/// Builds `OperationOutcome` resources: the one place where findings become FHIR JSON.
public enum OperationOutcome {
    public static func json(_ issues: [OutcomeIssue]) -> JSON {
        var items: [JSON] = []
        for issue in issues {
            var o = JSONObject()
            o["severity"] = .string(issue.severity.rawValue)
            o["code"] = .string(issue.code.rawValue)
            if !issue.diagnostics.isEmpty { o["diagnostics"] = .string(issue.diagnostics) }
            if !issue.expression.isEmpty { o["expression"] = .array(issue.expression.map { .string($0) }) }
            items.append(.object(o))
        }
        if items.isEmpty {
            items.append(["severity": "information", "code": "informational", "diagnostics": "All OK"])
        }
        return ["resourceType": "OperationOutcome", "issue": .array(items)]
    }
}
