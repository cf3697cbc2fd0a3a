import ChinaReference
import FHIRCore
import Registry

/// What happened to the residents: their insurance, chronic conditions, family-doctor contracts,
/// follow-up visits with blood pressure and glucose, ordinary outpatient visits, and every child's
/// vaccinations by the national immunization programme.
struct DemoHistories {
    var resources: [JSON] = []

    static let acuteConditions = [
        ("J06.900", "急性上呼吸道感染"), ("J20.900", "急性支气管炎"), ("K29.700", "胃炎"), ("A09.900x006", "肠炎"), ("J18.900", "肺炎"),
    ]
    static let insuranceTypeSystem = "\(ChinaProfile.base)/CodeSystem/insurance-type"

    init(plan: DemoRegionPlan, facilities: DemoFacilities, workforce: DemoWorkforce, population: DemoPopulation, random: inout DemoRandom) {
        let today = plan.today
        var visit = 0
        let sites = Dictionary(uniqueKeysWithValues: facilities.institutions.map { ($0.id, $0.site.id) })
        func ref(_ s: String) -> JSON { ["reference": .string(s)] }
        func coding(_ system: String, _ code: String, _ display: String? = nil) -> JSON {
            var o = JSONObject([("system", .string(system)), ("code", .string(code))])
            if let display { o["display"] = .string(display) }
            return .object(o)
        }
        func encounter(_ r: DemoResident, at institution: String, doctor: String, on day: CivilDate, type: String, reason: (String, String)?) -> String {
            visit += 1
            let id = "enc\(visit)"
            let hour = random.int(8...16)
            let start = "\(day.text)T\(hour < 10 ? "0" : "")\(hour):\(["00", "15", "30", "45"][random.int(0...3)]):00+08:00"
            var o = JSONObject([
                ("resourceType", "Encounter"), ("id", .string(id)), ("status", "finished"),
                ("class", coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory")),
                ("type", [["text": .string(type)]]),
                ("subject", ref("Patient/\(r.id)")),
                ("participant", [["individual": ref("Practitioner/\(doctor)")]]),
                ("period", ["start": .string(start), "end": .string(start)]),
            ])
            if let reason { o["reasonCode"] = [["coding": [coding(ChinaProfile.CodeSystem.icd10, reason.0, reason.1)], "text": .string(reason.1)]] }
            if let site = sites[institution] { o["location"] = [["location": ref("Location/\(site)")]] }
            o["serviceProvider"] = ref("Organization/\(institution)")
            resources.append(.object(o))
            return id
        }
        func observation(_ r: DemoResident, encounter: String, day: CivilDate, code: (String, String), value: JSON?, components: [JSON] = [],
                         category: String) {
            var o = JSONObject([
                ("resourceType", "Observation"), ("id", .string("obs-\(encounter)-\(code.0)")), ("status", "final"),
                ("category", [["coding": [coding("http://terminology.hl7.org/CodeSystem/observation-category", category)]]]),
                ("code", ["coding": [coding("http://loinc.org", code.0, code.1)], "text": .string(code.1)]),
                ("subject", ref("Patient/\(r.id)")), ("encounter", ref("Encounter/\(encounter)")),
                ("effectiveDateTime", .string(day.text)),
            ])
            if let value { o["valueQuantity"] = value }
            if !components.isEmpty { o["component"] = .array(components) }
            resources.append(.object(o))
        }
        func quantity(_ value: String, _ unit: String) -> JSON {
            ["value": .number(JSONNumber(unchecked: value)), "unit": .string(unit), "system": "http://unitsofmeasure.org", "code": .string(unit)]
        }

        for r in population.residents {
            let age = r.birth.years(until: today)
            // Basic medical insurance: everyone is covered (城镇职工 or 城乡居民).
            resources.append(.object(JSONObject([
                ("resourceType", "Coverage"), ("id", .string("cov-\(r.id)")),
                ("identifier", [["system": .string(ChinaProfile.IdentifierSystem.insuranceCard), "value": .string("YB\(r.residentID.prefix(6))\(r.id)")]]),
                ("status", "active"),
                ("type", ["coding": [r.employeeInsurance ? coding(Self.insuranceTypeSystem, "employee", "城镇职工基本医疗保险")
                                                        : coding(Self.insuranceTypeSystem, "resident", "城乡居民基本医疗保险")]]),
                ("beneficiary", ref("Patient/\(r.id)")),
                ("period", ["start": .string("\(today.year)-01-01"), "end": .string("\(today.year)-12-31")]),
                ("payor", [ref("Organization/insurance")]),
            ])))
            for (n, c) in r.chronic.enumerated() {
                resources.append(.object(JSONObject([
                    ("resourceType", "Condition"), ("id", .string("cond-\(r.id)-\(n + 1)")),
                    ("clinicalStatus", ["coding": [coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active")]]),
                    ("verificationStatus", ["coding": [coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed")]]),
                    ("category", [["coding": [coding("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")]]]),
                    ("code", ["coding": [coding(ChinaProfile.CodeSystem.icd10, c.code, c.name)], "text": .string(c.name)]),
                    ("subject", ref("Patient/\(r.id)")),
                    ("onsetDateTime", .string(min(c.since, today).text)),
                    ("recordedDate", .string(min(c.since.adding(days: 10), today).text)),
                ])))
            }
            if let doctor = r.familyDoctor {
                let start = today.adding(days: -random.int(30...1000))
                resources.append(.object(JSONObject([
                    ("resourceType", "EpisodeOfCare"), ("id", .string("fd-\(r.id)")), ("status", "active"),
                    ("type", [["coding": [coding("\(ChinaProfile.base)/CodeSystem/care-programme", "family-doctor", "家庭医生签约服务")]]]),
                    ("patient", ref("Patient/\(r.id)")), ("managingOrganization", ref("Organization/\(r.centre)")),
                    ("period", ["start": .string(start.text)]), ("careManager", ref("Practitioner/\(doctor)")),
                ])))
                // Chronic follow-up (慢病随访) at the centre, quarterly-ish over the last year.
                let hypertension = r.chronic.contains { $0.code.hasPrefix("I10") }
                let diabetes = r.chronic.contains { $0.code.hasPrefix("E11") }
                if hypertension || diabetes {
                    for q in 0..<random.int(2...4) {
                        let day = today.adding(days: -(q * 90 + random.int(1...80)))
                        let e = encounter(r, at: r.centre, doctor: doctor, on: day, type: "慢病随访",
                                          reason: hypertension ? ("I10.x00x002", "高血压") : ("E11.900", "2型糖尿病"))
                        if hypertension {
                            let sys = random.int(118...168), dia = random.int(70...102)
                            observation(r, encounter: e, day: day, code: ("85354-9", "血压"), value: nil, components: [
                                ["code": ["coding": [coding("http://loinc.org", "8480-6", "收缩压")]], "valueQuantity": quantity(String(sys), "mm[Hg]")],
                                ["code": ["coding": [coding("http://loinc.org", "8462-4", "舒张压")]], "valueQuantity": quantity(String(dia), "mm[Hg]")],
                            ], category: "vital-signs")
                        }
                        if diabetes {
                            let glucose = Double(random.int(52...125)) / 10
                            observation(r, encounter: e, day: day, code: ("14771-0", "空腹血糖"), value: quantity(String(glucose), "mmol/L"),
                                        category: "laboratory")
                        }
                    }
                }
            }
            // An ordinary outpatient visit in the last year for about a third of people.
            if random.chance(0.3) {
                let hospital = random.chance(0.5) ? random.pick(facilities.hospitals) : facilities.primaryCare.first { $0.id == r.centre }!
                let doctors = workforce.doctors[hospital.id] ?? []
                let pool = doctors.filter { $0.subject == (age < 14 ? "07" : "03") || $0.subject == "02" }
                let doctor = (pool.isEmpty ? doctors : pool).isEmpty ? nil : random.pick(pool.isEmpty ? doctors : pool)
                if let doctor {
                    let day = today.adding(days: -random.int(1...360))
                    let acute = age < 6 && random.chance(0.3) ? Self.acuteConditions[4] : random.pick(Array(Self.acuteConditions.prefix(4)))
                    let e = encounter(r, at: hospital.id, doctor: doctor.id, on: day, type: "门诊", reason: acute)
                    resources.append(.object(JSONObject([
                        ("resourceType", "Condition"), ("id", .string("cond-\(e)")),
                        ("clinicalStatus", ["coding": [coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved")]]),
                        ("verificationStatus", ["coding": [coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed")]]),
                        ("category", [["coding": [coding("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis")]]]),
                        ("code", ["coding": [coding(ChinaProfile.CodeSystem.icd10, acute.0, acute.1)], "text": .string(acute.1)]),
                        ("subject", ref("Patient/\(r.id)")), ("encounter", ref("Encounter/\(e)")),
                        ("onsetDateTime", .string(day.adding(days: -random.int(1...4)).text)), ("recordedDate", .string(day.text)),
                        ("abatementDateTime", .string(day.adding(days: random.int(5...14)).text)),
                    ])))
                }
            }
            // Children's vaccinations by the national programme, at their centre.
            if age < 14 {
                let months = r.birth.months(until: today)
                let choices = ["JE": random.chance(0.5) ? "JE-L" : "JE-I", "HepA": random.chance(0.5) ? "HepA-L" : "HepA-I"]
                let vaccinator = workforce.nurses[r.centre]?.first
                for dose in ImmunizationSchedule.nip2021.due(byAgeMonths: months, choosing: choices) {
                    let day = min(r.birth.adding(months: dose.ageMonths).adding(days: random.int(0...20)), today)
                    var o = JSONObject([
                        ("resourceType", "Immunization"), ("id", .string("imm-\(r.id)-\(dose.vaccine)-\(dose.doseNumber)")), ("status", "completed"),
                        ("vaccineCode", ["coding": [coding(ChinaProfile.CodeSystem.nipVaccine, dose.vaccine, dose.vaccineName)], "text": .string(dose.vaccineName)]),
                        ("patient", ref("Patient/\(r.id)")),
                        ("occurrenceDateTime", .string(day.text)),
                        ("primarySource", true),
                    ])
                    if let site = sites[r.centre] { o["location"] = ref("Location/\(site)") }
                    o["lotNumber"] = .string("\(dose.vaccine.uppercased().filter(\.isLetter))\(day.year)\(random.digits(5))")
                    o["route"] = ["text": .string(dose.route)]
                    var performers: [JSON] = [["function": ["coding": [coding("http://terminology.hl7.org/CodeSystem/v2-0443", "AP")]],
                                               "actor": ref("Organization/\(r.centre)")]]
                    if let vaccinator { performers.append(["actor": ref("Practitioner/\(vaccinator)")]) }
                    o["performer"] = .array(performers)
                    o["protocolApplied"] = [["series": .string(dose.vaccineName), "doseNumberPositiveInt": .number(JSONNumber(dose.doseNumber))]]
                    resources.append(.object(o))
                }
            }
        }
    }
}
