import FHIRCore

/// The FHIR interactions the repository performs; hooks see which one is running.
public enum FHIRInteraction: String, Sendable {
    case read, vread, search, create, update, delete, history, transaction, batch, operation
}

/// Who is asking and why: the request, where it came from, and the verified identity of the caller
/// (nil only for the public endpoints and for in-process callers such as `kangqiao import`).
public struct RequestContext: Sendable {
    public var requestId: String
    public var sourceAddress: String?
    public var principal: Principal?
    /// What was asked, as the audit trail records it: method, path and query (`GET /fhir/Observation?code=…`).
    public var requestLine: String?
    /// Why (a purpose of use, e.g. treatment or a break-glass reason), when the caller said.
    public var purpose: String?
    /// Why a signed (confirmed) record is being changed (R-SEC-3), from `X-Change-Reason`.
    public var changeReason: String?
    /// When the server began handling the request (the audit journal's group commit waits in proportion).
    public var started: ContinuousClock.Instant?
    public init(requestId: String = "", sourceAddress: String? = nil, principal: Principal? = nil, requestLine: String? = nil,
                purpose: String? = nil, changeReason: String? = nil, started: ContinuousClock.Instant? = nil) {
        self.requestId = requestId
        self.sourceAddress = sourceAddress
        self.principal = principal
        self.requestLine = requestLine
        self.purpose = purpose
        self.changeReason = changeReason
        self.started = started
    }
}

/// The verified caller of a request, as its access token says: plain data, so the store and the
/// hooks can use it without knowing how tokens work.
public struct Principal: Sendable, Equatable {
    /// The account (person) or client (system) id.
    public var subject: String
    public var clientID: String
    public var tokenID: String
    public var roles: [String]
    /// SMART scopes as granted, space-separated.
    public var scope: String
    /// The caller's own resource (`Practitioner/…`, `Patient/…`), the organization it acts for, and the
    /// patient in context for `patient/` scopes.
    public var fhirUser: String?
    public var organization: String?
    public var patient: String?

    public init(
        subject: String, clientID: String, tokenID: String, roles: [String], scope: String, fhirUser: String? = nil,
        organization: String? = nil, patient: String? = nil
    ) {
        self.subject = subject
        self.clientID = clientID
        self.tokenID = tokenID
        self.roles = roles
        self.scope = scope
        self.fhirUser = fhirUser
        self.organization = organization
        self.patient = patient
    }
}

/// A check run at named points of every interaction (authorization, consent, audit plug in here rather
/// than in each handler). Throwing a `FHIRError` stops the interaction.
public protocol InteractionHook: Sendable {
    /// Before the interaction touches the store; `target` is the type (and id) it addresses.
    func willPerform(_ interaction: FHIRInteraction, target: ResourceKey?, context: RequestContext) async throws
    /// Inside the write transaction, after its writes and before it commits: what is written here
    /// (an audit record) commits or rolls back with them.
    func willCommit(_ interaction: FHIRInteraction, records: [ResourceRecord], context: RequestContext, in tx: any StoreTransaction) async throws
    /// After a write committed or before a read's answer is sent; throwing withholds the answer
    /// (a read whose audit record could not be written is not answered).
    func didPerform(_ interaction: FHIRInteraction, records: [ResourceRecord], context: RequestContext) async throws
    /// Criteria that every resource of `type` this caller reads or finds must also meet: access rules
    /// compiled into the query, so pages, counts and includes stay right. Nil: no restriction.
    func restriction(for type: String, interaction: FHIRInteraction, context: RequestContext) async throws -> [IndexPredicate]?
}

extension InteractionHook {
    public func willPerform(_ interaction: FHIRInteraction, target: ResourceKey?, context: RequestContext) async throws {}
    public func willCommit(_ interaction: FHIRInteraction, records: [ResourceRecord], context: RequestContext, in tx: any StoreTransaction) async throws {}
    public func didPerform(_ interaction: FHIRInteraction, records: [ResourceRecord], context: RequestContext) async throws {}
    public func restriction(for type: String, interaction: FHIRInteraction, context: RequestContext) async throws -> [IndexPredicate]? { nil }
}

/// Checks a resource before it is written; the R4 structural validator and the invariants conform.
public protocol ResourceChecking: Sendable {
    /// Issues found in `resource`; errors stop the write.
    func check(_ resource: JSON) -> [OutcomeIssue]
}

/// Extracts what search needs from a resource: index rows and the patient compartment.
public protocol ResourceIndexing: Sendable {
    func indexRows(for resource: JSON, type: String) -> SearchIndexRows
    /// The id of the patient whose compartment holds the resource, if any.
    /// `rows` are the resource's index rows from `indexRows(for:type:)`, which hold its references.
    func compartment(for resource: JSON, type: String, rows: SearchIndexRows) -> String?
}

/// What the search request parser needs to know of a search parameter.
public struct SearchParameterInfo: Sendable {
    public enum Kind: String, Sendable { case number, date, string, token, reference, composite, quantity, uri, special }
    public var code: String
    public var kind: Kind
    public var targets: [String]
    /// A composite's components, in order (search.html#composite); empty for other kinds.
    public var components: [SearchParameterInfo] = []
    /// The composite's focus is the resource itself: its components are matched by the components' own
    /// parameters on the same resource, not by rows of the composite.
    public var componentsOnResource = false
    /// The composites this one is the union of (`combo-code-value-quantity` is `code-value-quantity` or
    /// `component-code-value-quantity`): a value matches when it matches either.
    public var unionOf: [SearchParameterInfo] = []
    public init(code: String, kind: Kind, targets: [String] = [], components: [SearchParameterInfo] = []) {
        self.code = code
        self.kind = kind
        self.targets = targets
        self.components = components
    }
}

/// Looks up search parameters by resource type and code.
public protocol SearchParameterLookup: Sendable {
    func parameter(type: String, code: String) -> SearchParameterInfo?
    func isResourceType(_ name: String) -> Bool
    /// The top-level elements of `type` marked as summary elements (for `_summary=true`).
    func summaryElements(of type: String) -> Set<String>?
    /// The code systems and codes of a value set the server can expand (token `:in`, `:not-in`); nil
    /// when it cannot.
    func valueSet(_ url: String) -> (systems: [String], codes: [String])?
}

extension SearchParameterLookup {
    public func summaryElements(of type: String) -> Set<String>? { nil }
    public func valueSet(_ url: String) -> (systems: [String], codes: [String])? { nil }
}
