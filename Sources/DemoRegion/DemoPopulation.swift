import ChinaReference
import FHIRCore
import Registry

/// One synthetic resident.
struct DemoResident {
    var id: String
    var family: String
    var given: String
    var sex: String
    var birth: CivilDate
    var residentID: String
    var phone: String?
    var address: RegionAddress
    var household: Int
    /// The primary-care centre of their district that serves them.
    var centre: String
    var familyDoctor: String?
    var maritalStatus: String
    /// Chronic conditions, as ICD-10 (NHSA) code and name, with the year of diagnosis.
    var chronic: [(code: String, name: String, since: CivilDate)] = []
    /// Parents (resident ids) for a child under 18: their guardians.
    var guardians: [String] = []
    /// 城镇职工 (employee) or 城乡居民 (resident) basic medical insurance.
    var employeeInsurance: Bool
}

/// The residents: households of plausible shapes (young families, middle-aged couples with a grown
/// child, three generations, elderly couples, people living alone) sharing a surname line and an
/// address, each person with a valid resident ID, a phone for adults, chronic conditions by age at
/// roughly Chinese prevalence, and a family doctor for those the contract programme targets.
struct DemoPopulation {
    var residents: [DemoResident] = []

    /// ICD-10 (NHSA 2.0) codes and names of the chronic conditions primary care manages, with the
    /// share of people who have it in each age band (`minimum age`, probability).
    static let chronicConditions: [(code: String, name: String, bands: [(Int, Double)])] = [
        ("I10.x00x002", "高血压", [(35, 0.18), (50, 0.32), (65, 0.5)]),
        ("E11.900", "2型糖尿病", [(40, 0.08), (55, 0.13), (65, 0.18)]),
        ("E78.500", "高脂血症", [(40, 0.12), (60, 0.2)]),
        ("I25.103", "冠状动脉粥样硬化性心脏病", [(55, 0.05), (70, 0.1)]),
        ("J44.900", "慢性阻塞性肺病", [(50, 0.04), (65, 0.09)]),
        ("I69.300", "脑梗死后遗症", [(60, 0.02), (75, 0.05)]),
        ("M19.908", "老年性关节炎", [(55, 0.08), (70, 0.15)]),
        ("K29.500", "慢性胃炎", [(30, 0.04)]),
        ("J45.900", "哮喘", [(5, 0.015)]),
    ]

    init(plan: DemoRegionPlan, facilities: DemoFacilities, workforce: DemoWorkforce, random: inout DemoRandom) {
        let today = plan.today
        let districts = plan.districts
        let province = String(plan.cityCode.prefix(2))
        // Birth places of people who moved here: counties of the same province.
        let elsewhere = AdministrativeDivisions.shared.children(of: province + "0000")
            .flatMap { AdministrativeDivisions.shared.children(of: $0.code) }.filter { $0.level == .county }.map(\.code)
        var household = 0
        var serial = 0

        func person(family: String, sex: String, age: Int, district: String, address: RegionAddress, centre: String, married: Bool,
                    random: inout DemoRandom) -> DemoResident {
            serial += 1
            let birth = today.adding(days: -(age * 365 + random.int(0...364)))
            let birthPlace = age >= 18 && random.chance(0.2) && !elsewhere.isEmpty ? random.pick(elsewhere) : district
            let id = ResidentIdentityNumber.make(divisionCode: birthPlace, birthDate: birth.compact, sequence: random.int(0...999),
                                                 sex: sex == "male" ? .male : .female)
            let s = String(serial)
            return DemoResident(
                id: "p\(String(repeating: "0", count: max(0, 5 - s.count)))\(s)", family: family, given: DemoNames.shared.given(sex, &random),
                sex: sex, birth: birth, residentID: id, phone: age >= 16 ? "1\(random.pick(["3", "5", "7", "8", "9"]))\(random.digits(9))" : nil,
                address: address, household: household, centre: centre, familyDoctor: nil,
                maritalStatus: married ? "M" : (age >= 70 && random.chance(0.3) ? "W" : (age >= 25 && random.chance(0.2) ? "M" : "S")),
                employeeInsurance: age >= 22 && age < 60 ? random.chance(0.6) : random.chance(0.3))
        }

        while residents.count < plan.residents {
            household += 1
            let district = random.weighted(districts.map { ($0, 1.0) })
            let centres = facilities.primaryCare.filter { $0.district == district.code }
            let centre = centres.isEmpty ? facilities.primaryCare[0].id : random.pick(centres).id
            let address = RegionAddress(
                divisionCode: district.code,
                street: "\(random.pick(DemoStreets.neighbourhoods))\(random.pick(DemoStreets.names))\(random.int(1...200))号\(random.int(1...30))栋\(random.int(101...2804))室",
                postalCode: "515000")
            let family = DemoNames.shared.surname(&random)
            var members: [DemoResident] = []
            let shape = random.weighted([("young", 0.32), ("middle", 0.22), ("three", 0.16), ("elderly", 0.16), ("single", 0.14)])
            switch shape {
            case "young", "middle", "three":
                let parentAge = shape == "middle" ? random.int(42...60) : random.int(25...40)
                let father = person(family: family, sex: "male", age: parentAge + random.int(0...4), district: district.code, address: address,
                                    centre: centre, married: true, random: &random)
                let mother = person(family: DemoNames.shared.surname(&random), sex: "female", age: parentAge, district: district.code,
                                    address: address, centre: centre, married: true, random: &random)
                members += [father, mother]
                let children = shape == "middle" ? 1 : random.weighted([(0, 0.15), (1, 0.5), (2, 0.35)])
                for _ in 0..<children {
                    let childAge = shape == "middle" ? random.int(14...30) : random.int(0...max(0, min(15, parentAge - 24)))
                    var child = person(family: family, sex: random.chance(0.52) ? "male" : "female", age: childAge, district: district.code,
                                       address: address, centre: centre, married: false, random: &random)
                    if childAge < 18 { child.guardians = [father.id, mother.id] }
                    members.append(child)
                }
                if shape == "three" {
                    let grandAge = parentAge + random.int(24...32)
                    members.append(person(family: family, sex: random.chance(0.45) ? "male" : "female", age: grandAge, district: district.code,
                                          address: address, centre: centre, married: random.chance(0.6), random: &random))
                }
            case "elderly":
                let age = random.int(60...88)
                members.append(person(family: family, sex: "male", age: age + random.int(0...3), district: district.code, address: address,
                                      centre: centre, married: true, random: &random))
                members.append(person(family: DemoNames.shared.surname(&random), sex: "female", age: age, district: district.code,
                                      address: address, centre: centre, married: true, random: &random))
            default:
                members.append(person(family: family, sex: random.chance(0.5) ? "male" : "female",
                                      age: random.chance(0.5) ? random.int(20...35) : random.int(65...90), district: district.code,
                                      address: address, centre: centre, married: false, random: &random))
            }
            for var m in members where residents.count < plan.residents {
                let age = m.birth.years(until: today)
                for c in Self.chronicConditions {
                    let p = c.bands.last { age >= $0.0 }?.1 ?? 0
                    if random.chance(p) {
                        let onsetAge = max(c.bands[0].0 - 5, age - random.int(0...max(0, age - c.bands[0].0 + 5)))
                        m.chronic.append((c.code, c.name, m.birth.adding(months: onsetAge * 12 + random.int(0...11))))
                    }
                }
                // The family-doctor programme signs up the chronically ill, the elderly and young children first.
                let doctors = workforce.familyDoctors[m.centre] ?? []
                if !doctors.isEmpty, !m.chronic.isEmpty || age >= 65 || age < 7 || random.chance(0.25) {
                    m.familyDoctor = random.pick(doctors)
                }
                residents.append(m)
            }
        }
        // Guardians beyond the cut-off do not exist; a child keeps the parents that do.
        let ids = Set(residents.map(\.id))
        for i in residents.indices { residents[i].guardians = residents[i].guardians.filter(ids.contains) }
    }

    func patient(_ r: DemoResident, links: [String]) -> JSON {
        var o = JSONObject([
            ("resourceType", "Patient"), ("id", .string(r.id)),
            ("extension", [["url": .string(ChinaProfile.Extension.ethnicity),
                            "valueCoding": ["system": .string(ChinaProfile.CodeSystem.ethnicity), "code": "01", "display": "汉族"]]]),
            ("identifier", [["use": "official", "system": .string(ChinaProfile.IdentifierSystem.residentID), "value": .string(r.residentID)]]),
            ("active", true),
            ("name", [["use": "official", "text": .string(r.family + r.given), "family": .string(r.family), "given": [.string(r.given)]]]),
        ])
        if let phone = r.phone { o["telecom"] = [["system": "phone", "value": .string(phone), "use": "mobile"]] }
        o["gender"] = .string(r.sex)
        o["birthDate"] = .string(r.birth.text)
        o["address"] = [r.address.json]
        o["maritalStatus"] = ["coding": [["system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "code": .string(r.maritalStatus)]]]
        o["communication"] = [["language": ["coding": [["system": "urn:ietf:bcp:47", "code": "zh-CN"]]], "preferred": true]]
        if let doctor = r.familyDoctor { o["generalPractitioner"] = [["reference": .string("Practitioner/\(doctor)")]] }
        o["managingOrganization"] = ["reference": .string("Organization/\(r.centre)")]
        if !links.isEmpty { o["link"] = .array(links.map { ["other": ["reference": .string("RelatedPerson/\($0)")], "type": "seealso"] }) }
        return .object(o)
    }

    /// The parent of a child as a RelatedPerson of the child (mother or father): what makes the
    /// parent's own login reach the child's record (guardianship, ScopeEnforcement).
    func guardian(_ parent: DemoResident, of child: DemoResident) -> (id: String, json: JSON) {
        let id = "rp-\(child.id)-\(parent.id)"
        var o = JSONObject([
            ("resourceType", "RelatedPerson"), ("id", .string(id)), ("active", true),
            ("patient", ["reference": .string("Patient/\(child.id)")]),
            ("relationship", [["coding": [["system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                           "code": .string(parent.sex == "male" ? "FTH" : "MTH")]]]]),
            ("name", [["text": .string(parent.family + parent.given), "family": .string(parent.family), "given": [.string(parent.given)]]]),
        ])
        if let phone = parent.phone { o["telecom"] = [["system": "phone", "value": .string(phone)]] }
        o["gender"] = .string(parent.sex)
        return (id, .object(o))
    }

    /// Residents registered a second time by a hospital's own system, as happens before a region has
    /// a master index: about half with their resident ID (the index links them at once), the rest
    /// without it, the name in pinyin or with a sound-alike character (for review, or linked when the
    /// other fields agree). The master index sorts them out when the demo is loaded.
    func hospitalRegistrations(count: Int, hospitals: [String], random: inout DemoRandom) -> [JSON] {
        let adults = residents.filter { $0.phone != nil }
        guard !adults.isEmpty, !hospitals.isEmpty else { return [] }
        var out: [JSON] = []
        var used = Set<String>()
        while out.count < min(count, adults.count) {
            let r = random.pick(adults)
            guard used.insert(r.id).inserted else { continue }
            let withID = out.count % 2 == 0
            var name: JSON = ["use": "official", "text": .string(r.family + r.given), "family": .string(r.family), "given": [.string(r.given)]]
            if !withID, random.chance(0.5) {
                // Written in pinyin by a registration clerk.
                let family = Pinyin.shared.romanize(r.family).capitalized
                let given = Pinyin.shared.romanize(r.given).capitalized
                name = ["use": "official", "text": .string("\(family) \(given)"), "family": .string(family), "given": [.string(given)]]
            }
            var o = JSONObject([("resourceType", "Patient"), ("id", .string("reg-\(r.id)"))])
            var identifiers: [JSON] = [["system": .string("\(ChinaProfile.base)/sid/hospital-mrn/\(hospitals[out.count % hospitals.count])"),
                                        "value": .string("MRN\(random.digits(8))")]]
            if withID { identifiers.append(["system": .string(ChinaProfile.IdentifierSystem.residentID), "value": .string(r.residentID)]) }
            o["identifier"] = .array(identifiers)
            o["active"] = true
            o["name"] = [name]
            if let phone = r.phone { o["telecom"] = [["system": "phone", "value": .string(phone), "use": "mobile"]] }
            o["gender"] = .string(r.sex)
            o["birthDate"] = .string(r.birth.text)
            o["address"] = [r.address.json]
            o["managingOrganization"] = ["reference": .string("Organization/\(hospitals[out.count % hospitals.count])")]
            out.append(.object(o))
        }
        return out
    }

    /// Patients and their guardians' RelatedPerson records.
    var resources: [JSON] {
        let byID = Dictionary(uniqueKeysWithValues: residents.map { ($0.id, $0) })
        var links: [String: [String]] = [:]
        var related: [JSON] = []
        for child in residents {
            for parentID in child.guardians {
                guard let parent = byID[parentID] else { continue }
                let g = guardian(parent, of: child)
                related.append(g.json)
                links[parentID, default: []].append(g.id)
            }
        }
        return residents.map { patient($0, links: links[$0.id] ?? []) } + related
    }
}
