/// The region's security settings, with defaults. Policy data, not constants in code: a region
/// loads its own values at start (ARCHITECTURE.md, "PolicyData").
public struct AccessPolicy: Sendable, Equatable {
    /// Access tokens are short-lived (issue 5); a refresh token gets a new one.
    public var accessTokenSeconds: Int64 = 300
    public var refreshTokenSeconds: Int64 = 30 * 24 * 3600
    /// Allowed clock difference between instances when checking a token's times.
    public var clockLeewaySeconds: Int64 = 30
    /// Failed logins tolerated per account and source address within the window before refusing.
    public var maxFailedLogins: Int = 5
    public var failedLoginWindowSeconds: Int64 = 15 * 60
    /// scrypt cost: N = 2^passwordHashLogN, r, p. 2^15 × 8 × 128 bytes = 32 MiB per check.
    public var passwordHashLogN: Int = 15
    public var passwordHashBlockSize: Int = 8
    public var passwordHashParallelism: Int = 1
    public var minimumPasswordLength: Int = 10
    /// A time-based code is accepted this many 30 s steps before and after now (RFC 6238 §5.2).
    public var totpWindowSteps: Int = 1
    /// R-IH-5: clinical roles act only when real-name verified, licensed and registered at the organization.
    public var enforceClinicalEligibility = true
    /// Audit records are kept at least this long (R-SEC-2: ≥ 6 months); clinical records longer (R-SEC-3).
    public var auditRetentionDays: Int = 183

    /// RelatedPerson.relationship codes (v3-RoleCode) that make a person a patient's guardian: who may
    /// see the patient's record with their own login (a parent for a child, R-SEC-1).
    public var guardianRelationshipCodes: Set<String> = ["GUARD", "PRN", "MTH", "FTH", "PRNINLAW", "NPRN", "STPPRN", "POWATT"]
    /// R-SEC-1, where the region's policy asks for it: a clinician sees a patient's records from other
    /// organizations (sharing) only with the patient's separate consent — an active Consent with
    /// purpose TREAT naming their organization, or naming none. Records their own organization's
    /// encounters produced stay visible without it.
    public var sharingRequiresConsent = false
    /// R-SEC-1: below this age a patient's consent is given by a guardian.
    public var guardianConsentBelowAge = 14
    /// The SMART scopes an account of each role gets by default (what its tokens may carry at most).
    public var defaultScopes: [Role: String] = [
        .resident: "patient/*.rs openid fhirUser",
        .doctor: "user/*.cruds openid fhirUser",
        .nurse: "user/*.crus openid fhirUser",
        .pharmacist: "user/MedicationRequest.rs user/MedicationDispense.crus user/Medication.rs user/Patient.rs "
            + "user/AllergyIntolerance.rs user/Condition.rs user/Observation.rs user/Organization.rs user/Practitioner.rs openid fhirUser",
        .insuranceAuditor: "user/Claim.rs user/ClaimResponse.crus user/Coverage.rs user/Patient.rs user/Organization.rs openid fhirUser",
        .cdcOfficer: "user/Immunization.rs user/ImmunizationRecommendation.rs user/Condition.rs user/Observation.rs "
            + "user/DiagnosticReport.rs user/Patient.rs user/Organization.rs openid fhirUser",
        .regulator: "user/AuditEvent.rs user/Organization.rs user/Practitioner.rs user/PractitionerRole.rs user/Location.rs "
            + "user/HealthcareService.rs user/Provenance.rs openid fhirUser",
        .administrator: "user/*.cruds openid fhirUser",
        .systemClient: "system/*.cruds",
    ]

    public init() {}
}
