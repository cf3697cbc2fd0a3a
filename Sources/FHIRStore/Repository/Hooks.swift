import FHIRCore

/// The FHIR interactions the repository performs; hooks see which one is running.
public enum FHIRInteraction: String, Sendable {
    case read, vread, search, create, update, delete, history, transaction, batch, operation
}

/// Who is asking and why. Access control (issue: access control and audit) fills the identity; until
/// then requests are anonymous but still carry their origin for the trail.
public struct RequestContext: Sendable {
    public var requestId: String
    public var sourceAddress: String?
    public init(requestId: String = "", sourceAddress: String? = nil) {
        self.requestId = requestId
        self.sourceAddress = sourceAddress
    }
}

/// A check run at named points of every interaction (authorization, consent, audit plug in here rather
/// than in each handler). Throwing a `FHIRError` stops the interaction.
public protocol InteractionHook: Sendable {
    /// Before the interaction touches the store; `target` is the type (and id) it addresses.
    func willPerform(_ interaction: FHIRInteraction, target: ResourceKey?, context: RequestContext) async throws
    /// After a write committed or a read was answered.
    func didPerform(_ interaction: FHIRInteraction, records: [ResourceRecord], context: RequestContext) async
}

extension InteractionHook {
    public func willPerform(_ interaction: FHIRInteraction, target: ResourceKey?, context: RequestContext) async throws {}
    public func didPerform(_ interaction: FHIRInteraction, records: [ResourceRecord], context: RequestContext) async {}
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
