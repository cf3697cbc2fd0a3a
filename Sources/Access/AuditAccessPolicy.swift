import FHIRStore

/// Who may read which audit records (R-SEC-2, issue 5): a regulator or administrator every record; a
/// resident the records about themselves ("who accessed my record and why"); any other person the
/// records of their own actions; a system client every record when its scopes reach AuditEvent.
public enum AuditAccessPolicy {
    public enum Decision: Equatable, Sendable {
        case allowed(AuditQuery)
        case refused(String)
    }

    /// Narrows `query` to what `principal` may see; nil principal is an in-process caller.
    public static func restrict(_ query: AuditQuery, for principal: Principal?) -> Decision {
        guard let principal else { return .allowed(query) }
        let roles = Set(principal.roles.compactMap(Role.init(rawValue:)))
        if roles.contains(.regulator) || roles.contains(.administrator) || roles.contains(.systemClient) { return .allowed(query) }
        var q = query
        if roles.contains(.resident) {
            guard let patient = principal.patient.map({ "Patient/" + $0 })
                ?? principal.fhirUser.flatMap({ $0.hasPrefix("Patient/") ? $0 : nil })
            else { return .refused("the account is not linked to a patient") }
            if let asked = query.patient, asked != patient { return .refused("a resident sees the access log of their own record only") }
            q.patient = patient
            return .allowed(q)
        }
        if let asked = query.actor, asked != principal.subject { return .refused("only your own actions are visible to you") }
        q.actor = principal.subject
        return .allowed(q)
    }
}
