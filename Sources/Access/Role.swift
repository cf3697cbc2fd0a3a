/// The roles of the platform's users (MISSION.md, "who uses it"). A person's account has one or more;
/// a system client (a hospital HIS, a pharmacy or insurance system) has `systemClient`.
public enum Role: String, Sendable, CaseIterable, Codable {
    case resident
    case doctor
    case nurse
    case pharmacist
    case insuranceAuditor = "insurance-auditor"
    case cdcOfficer = "cdc-officer"
    case regulator
    case administrator
    case systemClient = "system-client"

    /// Roles that act on patients' clinical records and so must be real-name verified, licensed and
    /// registered at the organization they act for (R-IH-5).
    public var isClinical: Bool { self == .doctor || self == .nurse || self == .pharmacist }
}
