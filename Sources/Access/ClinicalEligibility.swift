import FHIRCore
import FHIRStore

/// R-IH-5: a doctor (or nurse, pharmacist) acts clinically at an organization only when their real
/// name is verified, they hold a licence (a Practitioner.qualification with an identifier, in force),
/// and they are registered there (an active PractitionerRole linking them to that organization;
/// multi-site practice is one role per site). Checked when a person logs in or refreshes: a person
/// who fails keeps a login but gets no clinical scopes.
public enum ClinicalEligibility {
    /// The reasons `account` may not act clinically now (empty: eligible), each naming R-IH-5.
    public static func problems(_ account: Account, backend: any StoreBackend, policy: AccessPolicy, nowMillis: Int64) async throws -> [String] {
        guard account.roles.contains(where: \.isClinical), policy.enforceClinicalEligibility else { return [] }
        var problems: [String] = []
        if account.realName?.verified != true { problems.append("R-IH-5: the real name is not verified") }
        guard let user = account.fhirUser, user.hasPrefix("Practitioner/") else {
            return problems + ["R-IH-5: the account is not linked to a Practitioner"]
        }
        let practitionerId = String(user.dropFirst("Practitioner/".count))
        let practitioner = try await backend.read(type: "Practitioner", id: practitionerId)
        let licensed = practitioner.flatMap { r -> Bool? in
            guard !r.isDeleted, let o = try? JSONParser.parse(r.json) else { return nil }
            return (o["qualification"]?.arrayValue ?? []).contains { q in
                let numbered = (q["identifier"]?.arrayValue ?? []).contains { $0["value"]?.stringValue?.isEmpty == false }
                return numbered && inForce(q["period"], nowMillis)
            }
        } ?? false
        if !licensed { problems.append("R-IH-5: no licence in force on Practitioner/\(practitionerId)") }
        guard let organization = account.organization, organization.hasPrefix("Organization/") else {
            return problems + ["R-IH-5: the account names no organization to act for"]
        }
        let roles = try await backend.search(StoreQuery(type: "PractitionerRole", filters: [
            [.reference(param: "practitioner", targetType: "Practitioner", targetId: practitionerId, url: nil)],
            [.reference(param: "organization", targetType: "Organization", targetId: String(organization.dropFirst(13)), url: nil)],
        ], count: 20))
        let registered = roles.records.contains { r in
            guard let o = try? JSONParser.parse(r.json) else { return false }
            return o["active"]?.boolValue != false && inForce(o["period"], nowMillis)
        }
        if !registered { problems.append("R-IH-5: not registered at \(organization) (no active PractitionerRole)") }
        return problems
    }

    /// True when a Period (absent: always) covers `nowMillis`.
    static func inForce(_ period: JSON?, _ nowMillis: Int64) -> Bool {
        guard let period else { return true }
        if let start = period["start"]?.stringValue.flatMap(FHIRDateTime.init), start.instantRange().lowerBound > nowMillis { return false }
        if let end = period["end"]?.stringValue.flatMap(FHIRDateTime.init), end.instantRange().upperBound < nowMillis { return false }
        return true
    }
}
