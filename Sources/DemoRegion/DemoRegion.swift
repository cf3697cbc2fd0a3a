import Access
import FHIRCore
import FHIRStore
import Foundation

/// A fictitious region generated from a plan and seed (issue 6): its registries, staff, residents
/// with families and histories, and the logins to try it with. `kangqiao demo` and
/// `kangqiao serve --demo` load it.
public struct DemoRegion: Sendable {
    public let plan: DemoRegionPlan
    /// Every resource, in the order they are loaded (registries, staff, residents, histories).
    public let resources: [JSON]
    /// The demo logins: who they are and what to try with them.
    public let accounts: [DemoAccount]
    public let counts: [String: Int]

    public init(plan: DemoRegionPlan = DemoRegionPlan()) {
        self.plan = plan
        var random = DemoRandom(seed: plan.seed)
        let facilities = DemoFacilities(plan: plan, random: &random)
        let workforce = DemoWorkforce(plan: plan, facilities: facilities, random: &random)
        let population = DemoPopulation(plan: plan, facilities: facilities, workforce: workforce, random: &random)
        let histories = DemoHistories(plan: plan, facilities: facilities, workforce: workforce, population: population, random: &random)
        let duplicates = population.hospitalRegistrations(
            count: plan.duplicateRegistrations, hospitals: facilities.hospitals.map(\.id), random: &random)
        // The duplicates come last, so the master index meets the original records first.
        resources = facilities.resources + workforce.resources + population.resources + histories.resources + duplicates
        var counts: [String: Int] = [:]
        for r in resources { counts[r["resourceType"]?.stringValue ?? "?", default: 0] += 1 }
        self.counts = counts
        accounts = DemoAccount.choose(facilities: facilities, workforce: workforce, population: population, today: plan.today)
    }

    /// What was created and how to log in, one line per login; passwords and second-factor secrets
    /// are shown here once (the database keeps only their hashes and sealed secrets).
    public struct Login: Sendable {
        public let account: DemoAccount
        public let password: String
        public let codeSecret: [UInt8]
    }

    /// Writes the region through `repository` (checked, indexed and audited like any import), in
    /// transactions of `batchSize`, and creates the logins with `access`. `progress` hears the
    /// number of resources written so far.
    public func load(into repository: FHIRRepository, access: AccessService?, batchSize: Int = 500,
                     progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> [Login] {
        var written = 0
        var start = 0
        while start < resources.count {
            let batch = Array(resources[start..<min(start + batchSize, resources.count)])
            _ = try await repository.bulkUpsert(batch)
            start += batch.count
            written += batch.count
            progress(written, resources.count)
        }
        guard let access else { return [] }
        var logins: [Login] = []
        for account in accounts {
            if account.roles == [.systemClient] {
                let secret = try await access.createClient(name: account.name, scopes: account.scopes, organization: account.organization)
                logins.append(Login(account: account, password: secret, codeSecret: []))
                continue
            }
            let password = Self.newPassword()
            let secret = try await access.createPerson(
                name: account.name, password: password, roles: account.roles, scopes: account.scopes, fhirUser: account.fhirUser,
                organization: account.organization,
                realName: RealNameStatus(verified: true, method: "identity-card+face", at: Int64(Date().timeIntervalSince1970)))
            logins.append(Login(account: account, password: password, codeSecret: secret))
        }
        return logins
    }

    /// 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
    static func newPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }
}

/// One demo login: a person in a role (linked to their Practitioner or Patient and organization),
/// or a system client.
public struct DemoAccount: Sendable {
    public let name: String
    public let roles: [Role]
    public let scopes: String
    public let fhirUser: String?
    public let organization: String?
    /// Who this is and what to try, for the printed list.
    public let description: String

    static func choose(facilities: DemoFacilities, workforce: DemoWorkforce, population: DemoPopulation, today: CivilDate) -> [DemoAccount] {
        let policy = AccessPolicy()
        func scopes(_ role: Role) -> String { policy.defaultScopes[role] ?? "openid fhirUser" }
        var out: [DemoAccount] = [
            DemoAccount(name: "admin", roles: [.administrator], scopes: scopes(.administrator), fhirUser: nil, organization: "Organization/region",
                        description: "the platform administrator of the region's health commission"),
        ]
        let hospital = facilities.hospitals[0]
        if let internist = workforce.members.first(where: { $0.institution == hospital.id && $0.sites.first?.specialty.code == "03" && $0.worker.category == .clinical }) {
            out.append(DemoAccount(name: "doctor", roles: [.doctor], scopes: scopes(.doctor), fhirUser: "Practitioner/\(internist.worker.id)",
                                   organization: "Organization/\(hospital.id)",
                                   description: "\(internist.worker.family)\(internist.worker.given), 内科 at \(hospital.facility.name): sees the patients the hospital has treated"))
        }
        let centre = facilities.primaryCare[0]
        if let gp = workforce.familyDoctors[centre.id]?.first, let member = workforce.members.first(where: { $0.worker.id == gp }) {
            out.append(DemoAccount(name: "familydoctor", roles: [.doctor], scopes: scopes(.doctor), fhirUser: "Practitioner/\(gp)",
                                   organization: "Organization/\(centre.id)",
                                   description: "\(member.worker.family)\(member.worker.given), family doctor at \(centre.facility.name): the centre's contracted residents"))
        }
        if let nurse = workforce.nurses[hospital.id]?.first {
            out.append(DemoAccount(name: "nurse", roles: [.nurse], scopes: scopes(.nurse), fhirUser: "Practitioner/\(nurse)",
                                   organization: "Organization/\(hospital.id)", description: "a nurse at \(hospital.facility.name)"))
        }
        let pharmacy = facilities.pharmacies[0]
        if let pharmacist = workforce.members.first(where: { $0.institution == pharmacy.id }) {
            out.append(DemoAccount(name: "pharmacist", roles: [.pharmacist], scopes: scopes(.pharmacist), fhirUser: "Practitioner/\(pharmacist.worker.id)",
                                   organization: "Organization/\(pharmacy.id)", description: "the pharmacist of \(pharmacy.facility.name)"))
        }
        out.append(DemoAccount(name: "insurance", roles: [.insuranceAuditor], scopes: scopes(.insuranceAuditor), fhirUser: nil,
                               organization: "Organization/insurance", description: "an auditor of the insurance bureau: claims to the bureau"))
        out.append(DemoAccount(name: "cdc", roles: [.cdcOfficer], scopes: scopes(.cdcOfficer), fhirUser: nil,
                               organization: "Organization/cdc", description: "a CDC officer: immunizations and notifiable reports of the region"))
        out.append(DemoAccount(name: "regulator", roles: [.regulator], scopes: scopes(.regulator), fhirUser: nil,
                               organization: "Organization/supervision", description: "the health supervision institute: audit trail and registries"))
        // A parent with a young child: their own record and, as guardian, the child's.
        if let child = population.residents.first(where: { !$0.guardians.isEmpty && $0.birth.years(until: today) < 6 }),
            let parent = population.residents.first(where: { $0.id == child.guardians[0] }) {
            out.append(DemoAccount(name: "resident", roles: [.resident], scopes: scopes(.resident), fhirUser: "Patient/\(parent.id)",
                                   organization: nil,
                                   description: "\(parent.family)\(parent.given), a resident: their own record and their child \(child.family)\(child.given)'s (Patient/\(child.id))"))
        }
        out.append(DemoAccount(name: "hospital-his", roles: [.systemClient], scopes: scopes(.systemClient), fhirUser: nil,
                               organization: "Organization/\(hospital.id)", description: "\(hospital.facility.name)'s HIS (client credentials)"))
        return out
    }
}
