import ChinaReference
import FHIRCore
import FHIRStore

/// Who may see which patients' clinical data, compiled into the query (issue 5): a doctor or nurse
/// the patients their organization (or they themselves) have a care relationship with — an
/// encounter it provided, a care episode or family-doctor contract it manages, the patient's
/// managing organization or general practitioner, a care team they are in, a referral or an
/// appointment to them; a pharmacist the patients with prescriptions routed to their pharmacy; a
/// regulator no clinical content unless investigating (a stated purpose); a CDC officer the residents,
/// immunizations and notifiable reports of their jurisdiction. Break-glass (a stated
/// emergency reason) lifts the rule for a clinician; the audit record carries the reason.
public enum CareRelationshipRule {
    /// The restriction for `principal` on resources of `type`; nil when none applies.
    /// `jurisdiction`: the division codes a CDC officer's organization is responsible for.
    public static func restriction(type: String, principal: Principal, context: RequestContext, jurisdiction: [String] = [],
                                   policy: AccessPolicy = AccessPolicy()) -> [IndexPredicate]? {
        // Only patient data is restricted: directories (Organization, Practitioner, Location …) are not.
        guard type == "Patient" || R4Definitions.shared.patientCompartmentParameters(for: type) != nil else { return nil }
        let roles = Set(principal.roles.compactMap(Role.init(rawValue:)))
        if roles.contains(.administrator) || roles.contains(.systemClient) { return nil }
        if roles.contains(.regulator) {
            return context.purpose?.lowercased().hasPrefix("investigation") == true ? nil : nothing
        }
        let clinician = roles.contains(.doctor) || roles.contains(.nurse)
        if clinician || roles.contains(.pharmacist), isBreakGlass(context) { return nil }
        var links: [PatientLink] = []
        let org = principal.organization.flatMap { $0.hasPrefix("Organization/") ? String($0.dropFirst(13)) : nil }
        let me = principal.fhirUser.flatMap { $0.hasPrefix("Practitioner/") ? String($0.dropFirst(13)) : nil }
        if clinician {
            if let org {
                for (t, p) in [("Encounter", "service-provider"), ("EpisodeOfCare", "organization"), ("Patient", "organization"),
                               ("Patient", "general-practitioner"), ("CareTeam", "participant"), ("ServiceRequest", "performer")] {
                    links.append(PatientLink(type: t, param: p, targetType: "Organization", targetId: org))
                }
            }
            if let me {
                for (t, p) in [("Patient", "general-practitioner"), ("CareTeam", "participant"), ("Appointment", "practitioner"),
                               ("ServiceRequest", "performer"), ("Encounter", "practitioner")] {
                    links.append(PatientLink(type: t, param: p, targetType: "Practitioner", targetId: me))
                }
            }
        }
        if roles.contains(.pharmacist), let org {
            links.append(PatientLink(type: "MedicationRequest", param: "intended-dispenser", targetType: "Organization", targetId: org))
        }
        if roles.contains(.cdcOfficer), !clinician {
            return cdcOfficerRestriction(type: type, jurisdiction: jurisdiction)
        }
        if roles.contains(.insuranceAuditor) {
            guard let org else { return nothing }
            return insuranceAuditorRestriction(type: type, insurer: org)
        }
        guard clinician || roles.contains(.pharmacist) else {
            return roles.contains(.resident) ? nil : nothing
        }
        guard !links.isEmpty else { return nothing }
        if clinician, policy.sharingRequiresConsent, let org, let shared = sharingRestriction(type: type, organization: org) {
            return [.and([.relatedPatients(links), shared])]
        }
        return [.relatedPatients(links)]
    }

    /// R-SEC-1 (region policy `sharingRequiresConsent`): of a related patient's records, those an
    /// encounter of the clinician's own organization produced (the Encounter itself, or a record
    /// naming such an encounter), and the rest only when the patient gave a sharing consent for
    /// treatment to that organization (or to any). Nil for Patient: who the patient is stays visible.
    static func sharingRestriction(type: String, organization: String) -> IndexPredicate? {
        guard type != "Patient" else { return nil }
        let consented = IndexPredicate.compartmentOf(sourceType: "Consent", filters: [
            [.token(param: "status", system: nil, code: "active", systemMustBeAbsent: false)],
            [.token(param: "purpose", system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "TREAT", systemMustBeAbsent: false)],
            [.reference(param: "actor", targetType: "Organization", targetId: organization, url: nil),
             .missing(param: "actor", table: .reference, missing: true)],
        ])
        let atOurEncounter = IndexPredicate.reference(param: "service-provider", targetType: "Organization", targetId: organization, url: nil)
        if type == "Encounter" { return .or([atOurEncounter, consented]) }
        if R4Definitions.shared.searchParameters.parameter("encounter", for: type)?.type == .reference {
            return .or([.chain(param: "encounter", targetType: "Encounter", filters: [[atOurEncounter]]), consented])
        }
        return consented
    }

    /// An insurance auditor sees the claims made to their insurer, the responses and coverages it
    /// issued, and what those claims name by search parameter: the patient and the encounters.
    static func insuranceAuditorRestriction(type: String, insurer: String) -> [IndexPredicate] {
        let toInsurer: [[IndexPredicate]] = [[.reference(param: "insurer", targetType: "Organization", targetId: insurer, url: nil)]]
        switch type {
        case "Claim", "ClaimResponse":
            return toInsurer[0]
        case "Coverage":
            return [.reference(param: "payor", targetType: "Organization", targetId: insurer, url: nil)]
        case "Patient":
            return [.referencedBy(sourceType: "Claim", param: "patient", filters: toInsurer)]
        case "Encounter":
            return [.referencedBy(sourceType: "Claim", param: "encounter", filters: toInsurer)]
        default:
            return nothing
        }
    }

    /// A CDC officer sees the residents of their jurisdiction (by the GB/T 2260 code on the address,
    /// indexed with its prefecture and province by the profile's `division` parameter), those
    /// residents' immunizations and immunization plans, and their notifiable-disease reports
    /// (Conditions in the `notifiable` category) — no other clinical content.
    static func cdcOfficerRestriction(type: String, jurisdiction: [String]) -> [IndexPredicate] {
        guard !jurisdiction.isEmpty else { return nothing }
        let residents: [[IndexPredicate]] = [jurisdiction.map { .token(param: "division", system: nil, code: $0, systemMustBeAbsent: false) }]
        switch type {
        case "Patient":
            return residents[0]
        case "Immunization", "ImmunizationRecommendation":
            return [.chain(param: "patient", targetType: "Patient", filters: residents)]
        case "Condition":
            return [.and([
                .token(param: "category", system: ChinaProfile.CodeSystem.conditionCategory, code: notifiableCategory, systemMustBeAbsent: false),
                .chain(param: "patient", targetType: "Patient", filters: residents),
            ])]
        default:
            return nothing
        }
    }

    /// The Condition category of a notifiable-disease report.
    public static let notifiableCategory = "notifiable"

    /// Matches no resource.
    static let nothing: [IndexPredicate] = [.id([""])]

    /// A clinician's emergency access (`X-Break-Glass: <reason>`), recorded as the purpose of use.
    public static func isBreakGlass(_ context: RequestContext) -> Bool {
        context.purpose?.hasPrefix(breakGlassPrefix) == true
    }

    public static let breakGlassPrefix = "break-glass: "
}
