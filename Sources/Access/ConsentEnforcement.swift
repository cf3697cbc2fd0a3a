import FHIRCore
import FHIRStore

/// Patient consent (FHIR Consent; R-SEC-1), compiled into the query: an active Consent whose
/// provision denies sharing — with named organizations (`provision.actor`), or with every
/// organization but the record's custodians (`Consent.organization`) when it names none — hides
/// the patient's record, or only its resources labelled with one of `provision.securityLabel`
/// (`meta.security`, e.g. HIV, mental health), from whoever acts for such an organization. Enforced in
/// read, search, includes and $everything, as every restriction is. Break-glass overrides it and is
/// flagged in the audit record.
public struct ConsentEnforcement: InteractionHook {
    let backend: any StoreBackend

    public init(backend: any StoreBackend) { self.backend = backend }

    struct Denial {
        var patient: String
        /// (system, code) of the labels denied; empty: the whole record.
        var labels: [(String?, String)]
    }

    public func restriction(for type: String, interaction: FHIRInteraction, context: RequestContext) async throws -> [IndexPredicate]? {
        guard let principal = context.principal, let organization = principal.organization,
            type == "Patient" || R4Definitions.shared.patientCompartmentParameters(for: type) != nil,
            !CareRelationshipRule.isBreakGlass(context)
        else { return nil }
        let denials = try await self.denials(for: organization)
        guard !denials.isEmpty else { return nil }
        func subject(_ ids: [String]) -> IndexPredicate { type == "Patient" ? .id(ids) : .compartment(ids) }
        var rules: [IndexPredicate] = []
        let whole = denials.filter(\.labels.isEmpty).map(\.patient)
        if !whole.isEmpty { rules.append(.not(subject(whole))) }
        for d in denials where !d.labels.isEmpty {
            let labels = d.labels.map { IndexPredicate.token(param: "_security", system: $0.0, code: $0.1, systemMustBeAbsent: false) }
            rules.append(.not(.and([subject([d.patient]), labels.count == 1 ? labels[0] : .or(labels)])))
        }
        return [rules.count == 1 ? rules[0] : .and(rules)]
    }

    /// The active denials that reach `organization` (`Organization/<id>`).
    func denials(for organization: String) async throws -> [Denial] {
        let active = IndexPredicate.token(param: "status", system: nil, code: "active", systemMustBeAbsent: false)
        let orgId = organization.hasPrefix("Organization/") ? String(organization.dropFirst(13)) : organization
        var consents: [ResourceRecord] = []
        for actor in [IndexPredicate.reference(param: "actor", targetType: "Organization", targetId: orgId, url: nil),
                      .missing(param: "actor", table: .reference, missing: true)] {
            var cursor: PageCursor?
            repeat {
                let page = try await backend.search(StoreQuery(type: "Consent", filters: [[active], [actor]], count: 500, after: cursor))
                consents += page.records
                cursor = page.next
            } while cursor != nil && consents.count < 100_000
        }
        var denials: [Denial] = []
        for r in consents {
            guard let o = (try? JSONParser.parse(r.json))?.objectValue, o["provision"]?["type"]?.stringValue == "deny",
                let patient = o["patient"]?["reference"]?.stringValue, patient.hasPrefix("Patient/")
            else { continue }
            let actors = (o["provision"]?["actor"]?.arrayValue ?? []).compactMap { $0["reference"]?["reference"]?.stringValue }
            let custodians = (o["organization"]?.arrayValue ?? []).compactMap { $0["reference"]?.stringValue }
            // Named organizations are denied; with none named, everyone but the custodians is.
            if actors.isEmpty ? custodians.contains(organization) : !actors.contains(organization) { continue }
            let labels = (o["provision"]?["securityLabel"]?.arrayValue ?? []).compactMap { c -> (String?, String)? in
                c["code"]?.stringValue.map { (c["system"]?.stringValue, $0) }
            }
            denials.append(Denial(patient: String(patient.dropFirst(8)), labels: labels))
        }
        return denials
    }
}
