import ChinaReference
import FHIRCore
import FHIRStore

/// The SMART scope check of every interaction, run at the repository's hooks: the caller's token
/// must grant the interaction's permission (c, r, u, d, s) on the resource type, and a grant in the
/// `patient/` context reaches only the patient in the token's context — compiled into the query as
/// that patient's compartment (`restriction`), so searches, pages, counts and includes never show
/// another patient's data. Relationship rules for clinicians (care relationships, consent) come next.
public struct ScopeEnforcement: InteractionHook {
    /// Where guardianships are looked up; nil: a patient/ scope reaches the patient alone.
    let backend: (any StoreBackend)?
    let policy: AccessPolicy

    public init(backend: (any StoreBackend)? = nil, policy: AccessPolicy = AccessPolicy()) {
        self.backend = backend
        self.policy = policy
    }

    /// The SMART permission an interaction needs; nil for bundles (their entries are checked one by one).
    static func permission(for interaction: FHIRInteraction, target: ResourceKey?) -> SMARTScope.Permission? {
        switch interaction {
        case .create: .create
        case .read, .vread: .read
        case .update: .update
        case .delete: .delete
        case .search: .search
        // Instance history reads one resource's versions; type and system history list like a search.
        case .history: (target?.id.isEmpty ?? true) ? .search : .read
        case .operation: .read
        case .transaction, .batch: nil
        }
    }

    public func willPerform(_ interaction: FHIRInteraction, target: ResourceKey?, context: RequestContext) async throws {
        // In-process callers (`kangqiao import`, the server's own jobs) have no principal; every HTTP
        // request to a protected route has one (KangqiaoApplication refuses it otherwise).
        guard let principal = context.principal else { return }
        guard let needed = Self.permission(for: interaction, target: target) else { return }
        let scopes = ScopeSet.granted(principal.scope)
        let type = target?.type
        let granted = scopes.clinical.filter { scope in
            guard scope.permissions.contains(needed) else { return false }
            // System-level search and history span every type and every patient: only a `*` scope
            // outside the patient context reaches them.
            guard let type else { return scope.resourceType == nil && scope.context != .patient }
            guard scope.resourceType == nil || scope.resourceType == type else { return false }
            if scope.context == .patient {
                // Reading and searching within the patient's compartment (`restriction`); a resident's
                // changes go through the workflows, not raw writes.
                return principal.patient != nil && (needed == .read || needed == .search)
            }
            return true
        }
        if granted.isEmpty {
            let what = type.map { t in target.map { $0.id.isEmpty ? t : "\(t)/\($0.id)" } ?? t } ?? "the whole server"
            throw FHIRError(status: 403, code: .forbidden, "the access token does not allow \(needed) on \(what) (scopes: \(principal.scope))")
        }
    }

    /// Only `patient/` scopes grant this caller `interaction` on `type`: the patient's compartment
    /// (for Patient itself, the patient's own resource). Nil when a user or system scope grants it.
    public func restriction(for type: String, interaction: FHIRInteraction, context: RequestContext) async throws -> [IndexPredicate]? {
        guard let principal = context.principal, type != "AuditEvent" else { return nil }
        let needed: SMARTScope.Permission = interaction == .search ? .search : .read
        let scopes = ScopeSet.granted(principal.scope)
        let granting = scopes.granting(needed, on: type)
        guard !granting.isEmpty else { return nil }
        // A user/ scope: what the caller's role and relationships reach.
        if granting.contains(where: { $0.context == .user }) {
            let jurisdiction = principal.roles.contains(Role.cdcOfficer.rawValue) ? try await jurisdiction(of: principal.organization) : []
            return CareRelationshipRule.restriction(type: type, principal: principal, context: context, jurisdiction: jurisdiction, policy: policy)
        }
        guard granting.allSatisfy({ $0.context == .patient }) else { return nil }
        // Directories (Organization, Practitioner, Location …) hold no patient's data: open to residents too.
        guard type == "Patient" || R4Definitions.shared.patientCompartmentParameters(for: type) != nil else { return nil }
        // No patient in context: nothing is visible (an id no resource has).
        guard let patient = principal.patient else { return [.id([""])] }
        let patients = [patient] + (try await wards(of: patient))
        return type == "Patient" ? [.id(patients)] : [.compartment(patients)]
    }

    /// The division codes an authority is responsible for: its `jurisdiction` extension, or else the
    /// division on its address.
    func jurisdiction(of organization: String?) async throws -> [String] {
        guard let backend, let organization, organization.hasPrefix("Organization/"),
            let record = try await backend.read(type: "Organization", id: String(organization.dropFirst(13))), !record.isDeleted,
            let o = try? JSONParser.parse(record.json)
        else { return [] }
        let declared = (o["extension"]?.arrayValue ?? []).filter { $0["url"]?.stringValue == ChinaProfile.Extension.jurisdiction }
            .compactMap { $0["valueCode"]?.stringValue }
        if !declared.isEmpty { return declared }
        return (o["address"]?.arrayValue ?? []).flatMap { $0["extension"]?.arrayValue ?? [] }
            .filter { $0["url"]?.stringValue == ChinaProfile.Extension.divisionCode }.compactMap { $0["valueCode"]?.stringValue }
    }

    /// The patients `patient` is guardian of: RelatedPerson resources their own Patient links to
    /// (`Patient.link.other`, FHIR's way of saying "this person is also that related person"),
    /// active, with a guardian relationship (AccessPolicy.guardianRelationshipCodes), name the wards.
    func wards(of patient: String) async throws -> [String] {
        guard let backend, let me = try await backend.read(type: "Patient", id: patient), !me.isDeleted,
            let o = try? JSONParser.parse(me.json)
        else { return [] }
        var wards: [String] = []
        for link in o["link"]?.arrayValue ?? [] {
            guard let ref = link["other"]?["reference"]?.stringValue, ref.hasPrefix("RelatedPerson/"),
                let rp = try await backend.read(type: "RelatedPerson", id: String(ref.dropFirst(14))), !rp.isDeleted,
                let r = try? JSONParser.parse(rp.json), r["active"]?.boolValue != false,
                let ward = r["patient"]?["reference"]?.stringValue, ward.hasPrefix("Patient/")
            else { continue }
            let codes = (r["relationship"]?.arrayValue ?? []).flatMap { $0["coding"]?.arrayValue ?? [] }.compactMap { $0["code"]?.stringValue }
            if codes.contains(where: policy.guardianRelationshipCodes.contains) { wards.append(String(ward.dropFirst(8))) }
        }
        return wards
    }
}
