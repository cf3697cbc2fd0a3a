import ChinaReference
import FHIRCore
import Registry

/// The region's health workers: doctors across the departments, nurses and pharmacists in every
/// institution, family doctors (GPs) in the primary-care centres, a pharmacist in every pharmacy,
/// and some hospital specialists who also practise at a primary-care centre (多点执业).
struct DemoWorkforce {
    struct Member {
        var worker: HealthWorker
        var sites: [PracticeSite]
        /// The institution the worker is registered at first (their account acts for it).
        var institution: String
    }

    var members: [Member] = []

    /// The GPs of each primary-care centre (family doctors), by centre id.
    var familyDoctors: [String: [String]] = [:]
    /// Doctors by institution id, with their department's clinical subject.
    var doctors: [String: [(id: String, subject: String)]] = [:]
    var nurses: [String: [String]] = [:]

    static let titles = ["住院医师", "主治医师", "副主任医师", "主任医师"]

    init(plan: DemoRegionPlan, facilities: DemoFacilities, random: inout DemoRandom) {
        var sequence = 0
        let today = plan.today
        func worker(category: PracticeCategory, district: String, random: inout DemoRandom) -> HealthWorker {
            sequence += 1
            let sex = random.chance(category == .nursing ? 0.1 : 0.55) ? "male" : "female"
            let age = random.int(25...60)
            let birth = today.adding(days: -(age * 365 + random.int(0...364)))
            let id = ResidentIdentityNumber.make(divisionCode: district, birthDate: birth.compact, sequence: random.int(0...999),
                                                 sex: sex == "male" ? .male : .female)
            let years = max(0, age - random.int(23...27))
            let since = today.adding(days: -(years * 365 + random.int(0...300)))
            let serial = String(sequence)
            return HealthWorker(
                id: "pr\(serial)", family: DemoNames.shared.surname(&random), given: DemoNames.shared.given(sex, &random), gender: sex,
                birthDate: birth.text, residentID: id,
                licence: "\(category == .nursing ? "2" : category == .pharmacy ? "3" : "1")10\(district)\(String(repeating: "0", count: 6 - serial.count))\(serial)",
                category: category, yearsOfPractice: years,
                realName: RealNameVerification(verified: true, method: .face, at: "\(since.text)T09:00:00+08:00"),
                phone: "13\(random.digits(9))",
                title: category == .clinical || category == .tcm ? Self.titles[min(3, years / 7)] : nil, licensedSince: since.text)
        }
        func site(_ w: HealthWorker, _ institution: DemoInstitution, subject: String, primary: Bool) -> PracticeSite {
            let services = institution.services.filter { $0.specialty.code == subject }.map(\.id)
            return PracticeSite(id: "\(w.id)-\(institution.id)", practitioner: w.id, organization: institution.id, location: institution.site.id,
                                category: w.category, specialty: ClinicalSubject.named(subject) ?? ClinicalSubject.named("03")!,
                                services: services, primary: primary)
        }
        for h in facilities.hospitals {
            let tertiary = h.facility.level?.code.hasPrefix("3") == true
            let subjects = h.departments.compactMap { $0.clinicalSubject?.code }
            let doctorCount = tertiary ? 30 : 12
            for n in 0..<doctorCount {
                let subject = subjects[n % subjects.count]
                let w = worker(category: subject == "50" ? .tcm : .clinical, district: h.district, random: &random)
                members.append(Member(worker: w, sites: [site(w, h, subject: subject, primary: true)], institution: h.id))
                doctors[h.id, default: []].append((w.id, subject))
            }
            for _ in 0..<(tertiary ? 12 : 6) {
                let w = worker(category: .nursing, district: h.district, random: &random)
                members.append(Member(worker: w, sites: [site(w, h, subject: random.pick(subjects), primary: true)], institution: h.id))
                nurses[h.id, default: []].append(w.id)
            }
            for _ in 0..<(tertiary ? 3 : 2) {
                let w = worker(category: .pharmacy, district: h.district, random: &random)
                members.append(Member(worker: w, sites: [site(w, h, subject: "03", primary: true)], institution: h.id))
            }
        }
        for c in facilities.primaryCare {
            for n in 0..<4 {
                let w = worker(category: n == 3 ? .tcm : .clinical, district: c.district, random: &random)
                members.append(Member(worker: w, sites: [site(w, c, subject: n == 3 ? "50" : "02", primary: true)], institution: c.id))
                if n < 3 { familyDoctors[c.id, default: []].append(w.id) }
                doctors[c.id, default: []].append((w.id, n == 3 ? "50" : "02"))
            }
            let nurse = worker(category: .nursing, district: c.district, random: &random)
            members.append(Member(worker: nurse, sites: [site(nurse, c, subject: "01", primary: true)], institution: c.id))
            nurses[c.id, default: []].append(nurse.id)
        }
        for p in facilities.pharmacies {
            let w = worker(category: .pharmacy, district: p.district, random: &random)
            members.append(Member(worker: w, sites: [PracticeSite(id: "\(w.id)-\(p.id)", practitioner: w.id, organization: p.id, location: p.site.id,
                                                                   category: .pharmacy, specialty: ClinicalSubject.named("03")!, services: [],
                                                                   primary: true)], institution: p.id))
        }
        // 多点执业: about one hospital internist in five also holds sessions at a centre of their district.
        for i in members.indices where members[i].worker.category == .clinical && members[i].institution.hasPrefix("h")
            && members[i].sites.first?.specialty.code == "03" && random.chance(0.2) {
            let home = facilities.hospitals.first { $0.id == members[i].institution }!
            guard let centre = facilities.primaryCare.filter({ $0.district == home.district }).randomElement(using: &random) else { continue }
            members[i].sites.append(site(members[i].worker, centre, subject: "02", primary: false))
        }
    }

    var resources: [JSON] {
        members.map(\.worker.json) + members.flatMap { $0.sites.map(\.json) }
    }
}
