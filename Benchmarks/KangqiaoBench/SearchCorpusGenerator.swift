import FHIRCore
import Foundation

/// The search benchmark's corpus: 100 resources per synthetic patient — 1 Patient, 10 Encounters,
/// 70 Observations, 5 Conditions, 14 MedicationRequests — as small realistic JSON with LOINC, ICD-10,
/// ATC and SNOMED codes, dates spread over 2015–2025, and references to the patient and encounter.
/// Deterministic: patient `n` always has the same resources and ids (`sp<n>`, `sp<n>-e<k>`, ...), so a
/// corpus can be rebuilt or extended and the benchmark can pick existing ids without asking the server.
enum SearchCorpusGenerator {
    static let resourcesPerPatient = 100
    static let encountersPerPatient = 10
    static let observationsPerPatient = 70
    static let conditionsPerPatient = 5
    static let medicationsPerPatient = 14

    /// Resources per type for `patients` patients.
    static func expectedCounts(patients: Int) -> [(type: String, count: Int)] {
        [("Patient", patients), ("Encounter", patients * encountersPerPatient),
         ("Observation", patients * observationsPerPatient), ("Condition", patients * conditionsPerPatient),
         ("MedicationRequest", patients * medicationsPerPatient)]
    }

    static func patientId(_ n: Int) -> String { "sp\(n)" }

    /// LOINC codes of the observations: (code, display, category, unit, typical value, spread).
    static let observationCodes: [(code: String, display: String, category: String, unit: String, value: Double, spread: Double)] = [
        ("8480-6", "Systolic blood pressure", "vital-signs", "mm[Hg]", 125, 25),
        ("8462-4", "Diastolic blood pressure", "vital-signs", "mm[Hg]", 80, 15),
        ("8867-4", "Heart rate", "vital-signs", "/min", 75, 20),
        ("8310-5", "Body temperature", "vital-signs", "Cel", 36.8, 0.8),
        ("9279-1", "Respiratory rate", "vital-signs", "/min", 16, 4),
        ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "vital-signs", "%", 97, 3),
        ("29463-7", "Body weight", "vital-signs", "kg", 65, 15),
        ("8302-2", "Body height", "vital-signs", "cm", 165, 12),
        ("39156-5", "Body mass index (BMI) [Ratio]", "vital-signs", "kg/m2", 23.5, 4),
        ("2339-0", "Glucose [Mass/volume] in Blood", "laboratory", "mmol/L", 5.6, 1.5),
        ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "laboratory", "%", 5.9, 1.0),
        ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "laboratory", "mmol/L", 4.9, 1.0),
        ("718-7", "Hemoglobin [Mass/volume] in Blood", "laboratory", "g/L", 135, 20),
        ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "laboratory", "umol/L", 80, 20),
    ]

    /// ICD-10 codes of the conditions, with Chinese display text.
    static let conditionCodes: [(code: String, display: String)] = [
        ("I10", "原发性高血压"), ("E11.9", "2型糖尿病"), ("J45.9", "哮喘"), ("K21.9", "胃食管反流病"), ("M54.5", "腰痛"),
        ("J06.9", "急性上呼吸道感染"), ("E78.5", "高脂血症"), ("I25.1", "动脉粥样硬化性心脏病"), ("N18.3", "慢性肾脏病3期"),
        ("F32.9", "抑郁发作"), ("K29.7", "胃炎"), ("J44.9", "慢性阻塞性肺病"),
    ]

    /// ATC-coded medicines with Chinese names and dosage text.
    static let medications: [(code: String, display: String, dosage: String)] = [
        ("C09AA02", "依那普利", "每日一次，每次10mg，口服"), ("C08CA01", "氨氯地平", "每日一次，每次5mg，口服"),
        ("A10BA02", "二甲双胍", "每日两次，每次500mg，饭后口服"), ("C10AA05", "阿托伐他汀", "每晚一次，每次20mg，口服"),
        ("B01AC06", "阿司匹林", "每日一次，每次100mg，口服"), ("A02BC01", "奥美拉唑", "每日一次，每次20mg，早餐前口服"),
        ("R03AC02", "沙丁胺醇", "需要时吸入，每次100μg"), ("J01CA04", "阿莫西林", "每日三次，每次500mg，口服，共7天"),
        ("N02BE01", "对乙酰氨基酚", "需要时口服，每次500mg，每日不超过4次"), ("C07AB02", "美托洛尔", "每日两次，每次25mg，口服"),
    ]

    static let encounterTypes: [(code: String, display: String)] = [
        ("185349003", "Encounter for check up"), ("185345009", "Encounter for symptom"), ("390906007", "Follow-up encounter"),
    ]

    /// All resources of patient `n`, as parsed JSON.
    static func resources(patient n: Int) throws -> [JSON] {
        var texts: [String] = []
        texts.reserveCapacity(resourcesPerPatient)
        let pid = patientId(n)
        // The product-benchmark Patient with an id spliced in after `{"resourceType":"Patient",`.
        var patient = SyntheticPatient.json(n)
        let prefix = Array(#"{"resourceType":"Patient","#.utf8)
        precondition(patient.starts(with: prefix))
        patient.insert(contentsOf: Array(#""id":"\#(pid)","#.utf8), at: prefix.count)

        // Encounter dates: spread over 2015-01-01 ... 2025-12-31 (4,018 days), each patient's in order.
        var encounterDays: [Int] = []
        for k in 0..<encountersPerPatient {
            encounterDays.append(Int(mix(UInt64(n), UInt64(k)) % 4_018))
        }
        encounterDays.sort()
        for k in 0..<encountersPerPatient {
            let (type, display) = encounterTypes[(n + k) % encounterTypes.count]
            let start = dateTime(day: encounterDays[k], minutes: 8 * 60 + Int(mix(UInt64(n), UInt64(k + 100)) % 540))
            let end = dateTime(day: encounterDays[k], minutes: 8 * 60 + Int(mix(UInt64(n), UInt64(k + 100)) % 540) + 30)
            texts.append("""
                {"resourceType":"Encounter","id":"\(pid)-e\(k)","status":"finished",\
                "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB","display":"ambulatory"},\
                "type":[{"coding":[{"system":"http://snomed.info/sct","code":"\(type)","display":"\(display)"}],"text":"门诊"}],\
                "subject":{"reference":"Patient/\(pid)"},\
                "period":{"start":"\(start)","end":"\(end)"},\
                "serviceProvider":{"display":"浙江省人民医院"}}
                """)
        }
        for k in 0..<observationsPerPatient {
            let e = k % encountersPerPatient
            let c = observationCodes[Int(mix(UInt64(n), UInt64(k + 1_000)) % UInt64(observationCodes.count))]
            let r = Double(mix(UInt64(n), UInt64(k + 2_000)) % 2_001) / 1_000 - 1  // -1 ... 1
            let digits = c.value < 10 ? 1 : 0
            let value = String(format: "%.\(digits)f", c.value + r * c.spread)
            let effective = dateTime(day: encounterDays[e], minutes: 9 * 60 + k)
            texts.append("""
                {"resourceType":"Observation","id":"\(pid)-o\(k)","status":"final",\
                "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"\(c.category)"}]}],\
                "code":{"coding":[{"system":"http://loinc.org","code":"\(c.code)","display":"\(c.display)"}],"text":"\(c.display)"},\
                "subject":{"reference":"Patient/\(pid)"},"encounter":{"reference":"Encounter/\(pid)-e\(e)"},\
                "effectiveDateTime":"\(effective)",\
                "valueQuantity":{"value":\(value),"unit":"\(c.unit)","system":"http://unitsofmeasure.org","code":"\(c.unit)"}}
                """)
        }
        for k in 0..<conditionsPerPatient {
            let e = (k * 2) % encountersPerPatient
            let c = conditionCodes[Int(mix(UInt64(n), UInt64(k + 3_000)) % UInt64(conditionCodes.count))]
            let day = date(day: encounterDays[e])
            let active = k % 3 != 2
            texts.append("""
                {"resourceType":"Condition","id":"\(pid)-c\(k)",\
                "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"\(active ? "active" : "resolved")"}]},\
                "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},\
                "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"encounter-diagnosis"}]}],\
                "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"\(c.code)","display":"\(c.display)"}],"text":"\(c.display)"},\
                "subject":{"reference":"Patient/\(pid)"},"encounter":{"reference":"Encounter/\(pid)-e\(e)"},\
                "onsetDateTime":"\(day)","recordedDate":"\(day)"}
                """)
        }
        for k in 0..<medicationsPerPatient {
            let e = k % encountersPerPatient
            let m = medications[Int(mix(UInt64(n), UInt64(k + 4_000)) % UInt64(medications.count))]
            let authored = dateTime(day: encounterDays[e], minutes: 10 * 60 + k)
            texts.append("""
                {"resourceType":"MedicationRequest","id":"\(pid)-m\(k)","status":"\(k < 10 ? "completed" : "active")","intent":"order",\
                "medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"\(m.code)","display":"\(m.display)"}],"text":"\(m.display)"},\
                "subject":{"reference":"Patient/\(pid)"},"encounter":{"reference":"Encounter/\(pid)-e\(e)"},\
                "authoredOn":"\(authored)",\
                "dosageInstruction":[{"text":"\(m.dosage)"}]}
                """)
        }
        var out: [JSON] = [try JSONParser.parse(patient)]
        out.reserveCapacity(resourcesPerPatient)
        for t in texts { out.append(try JSONParser.parse(t)) }
        return out
    }

    /// A well-mixed 64-bit hash of two numbers (splitmix64 finaliser).
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a &* 0x9E37_79B9_7F4A_7C15 &+ b &* 0xBF58_476D_1CE4_E5B9 &+ 0x94D0_49BB_1331_11EB
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The date `day` days after 2015-01-01, as yyyy-mm-dd.
    static func date(day: Int) -> String {
        let (y, m, d) = civil(day: day + daysFromEpochTo2015)
        return "\(y)-\(two(m))-\(two(d))"
    }

    /// A dateTime in China Standard Time, `minutes` after midnight of that day.
    static func dateTime(day: Int, minutes: Int) -> String {
        "\(date(day: day))T\(two(minutes / 60 % 24)):\(two(minutes % 60)):00+08:00"
    }

    /// Days from 1970-01-01 to 2015-01-01.
    static let daysFromEpochTo2015 = 16_436

    /// The civil date of a day count since 1970-01-01 (the product's own calendar arithmetic).
    static func civil(day: Int) -> (Int, Int, Int) {
        let (y, m, d) = InstantFormat.civil(fromDays: Int64(day))
        return (Int(y), Int(m), Int(d))
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
