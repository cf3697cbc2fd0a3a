import FHIRCore
import FHIRStore

/// The SMART scope check of every interaction, run at the repository's `willPerform` hook: the
/// caller's token must grant the interaction's permission (c, r, u, d, s) on the resource type.
///
/// This is the type-level half of authorization. What a role may see within a type (a doctor's
/// patients with a care relationship, a resident's own compartment, consent) is compiled into the
/// search SQL by the next part of issue 5; until then scopes in the `patient/` context reach only
/// the patient's own Patient resource, so no token can read more than its holder's record through them.
public struct ScopeEnforcement: InteractionHook {
    public init() {}

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
        let scopes = (try? ScopeSet(parsing: principal.scope)) ?? ScopeSet(clinical: [])
        let type = target?.type
        let granted = scopes.clinical.filter { scope in
            guard scope.permissions.contains(needed) else { return false }
            // System-level search and history span every type and every patient: only a `*` scope
            // outside the patient context reaches them.
            guard let type else { return scope.resourceType == nil && scope.context != .patient }
            guard scope.resourceType == nil || scope.resourceType == type else { return false }
            if scope.context == .patient {
                // The patient's own record only (see above), and the trail's records about them, which
                // AuditAccessPolicy narrows to that patient.
                if type == "AuditEvent" { return needed == .read || needed == .search }
                return type == "Patient" && target?.id == principal.patient && principal.patient != nil && needed == .read
            }
            return true
        }
        if granted.isEmpty {
            let what = type.map { t in target.map { $0.id.isEmpty ? t : "\(t)/\($0.id)" } ?? t } ?? "the whole server"
            throw FHIRError(status: 403, code: .forbidden, "the access token does not allow \(needed) on \(what) (scopes: \(principal.scope))")
        }
    }
}
