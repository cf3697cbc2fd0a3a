import FHIRCore
import Registry
import Testing

/// The facility and health-worker registries (issue 6): institutions in a hierarchy with their
/// level and division, sites with coordinates, services, and practitioners at several sites —
/// searched by division, level, specialty, service and distance from a point, on both backends.
@Suite("registry searches")
struct RegistrySearchTests {
    static let region = Facility(id: "region", name: "汕头市卫生健康局", kind: .region, address: RegionAddress(divisionCode: "440507", street: "金砂路1号"))
    static let central = Facility(
        id: "central", name: "汕头市中心医院", kind: .hospital, level: .tertiaryA,
        address: RegionAddress(divisionCode: "440511", street: "外马路114号"), partOf: "region", licence: "44051100001")
    static let chaoyang = Facility(
        id: "chaoyang", name: "潮阳区人民医院", kind: .hospital, level: .secondaryA,
        address: RegionAddress(divisionCode: "440513", street: "棉城东山大道"), partOf: "region")
    static let clinic = Facility(
        id: "clinic", name: "龙湖区金霞街道社区卫生服务中心", kind: .primaryCare, level: .primaryA,
        address: RegionAddress(divisionCode: "440507", street: "金霞路3号"), partOf: "region")
    static let guangzhou = Facility(
        id: "guangzhou", name: "广州某三甲医院", kind: .hospital, level: HospitalLevel.named("31"),
        address: RegionAddress(divisionCode: "440106", street: "天河路600号"))
    static let cardiology = Facility(id: "central-cardio", name: "心血管内科", kind: .department, partOf: "central",
                                     clinicalSubject: ClinicalSubject.named("03"))

    static let sites = [
        Site(id: "central-site", name: "中心医院本部", organization: "central", address: central.address!, latitude: 23.3541, longitude: 116.6790),
        Site(id: "chaoyang-site", name: "潮阳人民医院", organization: "chaoyang", address: chaoyang.address!, latitude: 23.2650, longitude: 116.6015),
        Site(id: "clinic-site", name: "金霞社区", organization: "clinic", address: clinic.address!, latitude: 23.3700, longitude: 116.7040),
        Site(id: "guangzhou-site", name: "天河院区", organization: "guangzhou", address: guangzhou.address!, latitude: 23.1358, longitude: 113.3270),
    ]

    static let services = [
        ServiceOffering(id: "cardio-clinic", name: "心内科专家门诊", organization: "central-cardio", location: "central-site",
                        specialty: ClinicalSubject.named("03")!, serviceType: "专家门诊"),
        ServiceOffering(id: "family-doctor", name: "家庭医生签约服务", organization: "clinic", location: "clinic-site",
                        specialty: ClinicalSubject.named("02")!, serviceType: "家庭医生签约"),
    ]

    static let doctor = HealthWorker(
        id: "dr-li", family: "李", given: "卫国", gender: "male", birthDate: "1975-04-02", residentID: "440511197504020014",
        licence: "110440500000123", category: .clinical, yearsOfPractice: 24,
        realName: RealNameVerification(verified: true, method: .face, at: "2026-01-05T09:00:00+08:00"), title: "主任医师")
    static let pharmacist = HealthWorker(
        id: "ph-wang", family: "王", given: "芳", gender: "female", birthDate: "1990-09-09", residentID: nil,
        licence: "YS4405001", category: .pharmacy, yearsOfPractice: 8, realName: RealNameVerification(verified: false))
    static let roles = [
        // 多点执业: Dr Li practises at the central hospital (first registration) and the community clinic.
        PracticeSite(id: "dr-li-central", practitioner: "dr-li", organization: "central-cardio", location: "central-site", category: .clinical,
                     specialty: ClinicalSubject.named("03")!, services: ["cardio-clinic"], primary: true),
        PracticeSite(id: "dr-li-clinic", practitioner: "dr-li", organization: "clinic", location: "clinic-site", category: .clinical,
                     specialty: ClinicalSubject.named("02")!, services: ["family-doctor"], primary: false),
        PracticeSite(id: "ph-wang-chaoyang", practitioner: "ph-wang", organization: "chaoyang", location: "chaoyang-site", category: .pharmacy,
                     specialty: ClinicalSubject.named("03")!, services: [], primary: true),
    ]

    static func load(_ fhir: FHIRTestClient) async throws {
        var all: [(String, String)] = []
        for f in [region, central, chaoyang, clinic, guangzhou, cardiology] { all.append(("Organization/\(f.id)", JSONWriter.string(f.json))) }
        for s in sites { all.append(("Location/\(s.id)", JSONWriter.string(s.json))) }
        for s in services { all.append(("HealthcareService/\(s.id)", JSONWriter.string(s.json))) }
        for w in [doctor, pharmacist] { all.append(("Practitioner/\(w.id)", JSONWriter.string(w.json))) }
        for r in roles { all.append(("PractitionerRole/\(r.id)", JSONWriter.string(r.json))) }
        try await fhir.putAll(all)
    }

    @Test("by division: a county code finds its own, a prefecture or province code everything under it", arguments: ServerBackendKind.allCases)
    func byDivision(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Organization?division=440513") == ["chaoyang"])
            #expect(try await fhir.matches("/fhir/Organization?division=440500") == ["central", "chaoyang", "clinic", "region"])
            #expect(try await fhir.matches("/fhir/Organization?division=440000") == ["central", "chaoyang", "clinic", "guangzhou", "region"])
            #expect(try await fhir.matches("/fhir/Location?division=440507") == ["clinic-site"])
            // The hierarchy: the departments of a hospital, and the hospital of a department.
            #expect(try await fhir.matches("/fhir/Organization?partof=central") == ["central-cardio"])
            #expect(try await fhir.matches("/fhir/Organization?partof:Organization.division=440511") == ["central-cardio"])
        }
    }

    @Test("by hospital level: 3 finds every tertiary hospital, 31 only 三级甲等; by kind of institution", arguments: ServerBackendKind.allCases)
    func byLevel(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Organization?hospital-level=3") == ["central", "guangzhou"])
            #expect(try await fhir.matches("/fhir/Organization?hospital-level=21") == ["chaoyang"])
            #expect(try await fhir.matches("/fhir/Organization?hospital-level=3&division=440500") == ["central"])
            #expect(try await fhir.matches("/fhir/Organization?type=https://kangqiao.org/fhir/CodeSystem/organization-kind|primary-care") == ["clinic"])
            #expect(try await fhir.matches("/fhir/Organization?hospital-level:missing=true&division=440500") == ["region"])
        }
    }

    @Test("by distance: near finds the sites within the radius, in km or m; chained from services and roles", arguments: ServerBackendKind.allCases)
    func byDistance(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            // From the central hospital: the clinic is ~3.1 km away, Chaoyang ~12.6 km, Guangzhou ~340 km.
            #expect(try await fhir.matches("/fhir/Location?near=23.3541|116.6790|5|km") == ["central-site", "clinic-site"])
            #expect(try await fhir.matches("/fhir/Location?near=23.3541|116.6790|15|km") == ["central-site", "chaoyang-site", "clinic-site"])
            #expect(try await fhir.matches("/fhir/Location?near=23.3541|116.6790|500|m") == ["central-site"])
            #expect(try await fhir.matches("/fhir/Location?near=23.3541|116.6790|400|km").count == 4)
            // 3.1 km is inside 3.2 km and outside 3.0 km: the distance itself is computed, not a box.
            #expect(try await fhir.matches("/fhir/Location?near=23.3541|116.6790|3.2|km") == ["central-site", "clinic-site"])
            #expect(try await fhir.matches("/fhir/Location?near=23.3541|116.6790|3.0|km") == ["central-site"])
            #expect(try await fhir.matches("/fhir/HealthcareService?location.near=23.3700|116.7040|1|km") == ["family-doctor"])
            #expect(try await fhir.matches("/fhir/PractitionerRole?location.near=23.3541|116.6790|5|km&specialty=02") == ["dr-li-clinic"])
            let bad = try await fhir.get("/fhir/Location?near=north|116")
            #expect(bad.status == 400)
            #expect(bad.isOperationOutcome)
            let badUnit = try await fhir.get("/fhir/Location?near=23.35|116.67|3|furlong")
            #expect(badUnit.status == 400)
        }
    }

    @Test("practitioners: by licence, practice category, specialty and service; several sites each (多点执业)", arguments: ServerBackendKind.allCases)
    func practitioners(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Practitioner?identifier=https://kangqiao.org/fhir/sid/practitioner-licence|110440500000123") == ["dr-li"])
            #expect(try await fhir.matches("/fhir/Practitioner?practice-category=pharmacy") == ["ph-wang"])
            #expect(try await fhir.matches("/fhir/PractitionerRole?practitioner=dr-li") == ["dr-li-central", "dr-li-clinic"])
            #expect(try await fhir.matches("/fhir/PractitionerRole?specialty=03&organization.partof=central") == ["dr-li-central"])
            #expect(try await fhir.matches("/fhir/PractitionerRole?service=family-doctor") == ["dr-li-clinic"])
            #expect(try await fhir.matches("/fhir/Practitioner?_has:PractitionerRole:practitioner:organization=clinic") == ["dr-li"])
            #expect(try await fhir.matches("/fhir/HealthcareService?specialty=03&organization.partof:Organization.hospital-level=3") == ["cardio-clinic"])
            let capability = try await fhir.get("/fhir/metadata")
            let organization = capability.json["rest"]?.arrayValue?.first?["resource"]?.arrayValue?.first { $0["type"]?.stringValue == "Organization" }
            let codes = organization?["searchParam"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(codes.contains("division") && codes.contains("hospital-level"))
        }
    }

    @Test("registry facts are checked on write: unknown division, hospital level, practice category, years → 422, nothing written", arguments: ServerBackendKind.allCases)
    func checks(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            var wrongDivision = Self.clinic
            wrongDivision.id = "bad-division"
            wrongDivision.address = RegionAddress(divisionCode: "449999", street: "无名路")
            var wrongLevel = JSONWriter.string(Self.central.json).replacingOccurrences(of: "\"code\":\"31\"", with: "\"code\":\"41\"")
            wrongLevel = wrongLevel.replacingOccurrences(of: "\"id\":\"central\"", with: "\"id\":\"bad-level\"")
            var wrongYears = Self.doctor
            wrongYears.id = "bad-years"
            wrongYears.yearsOfPractice = 240
            for (path, body) in [("Organization/bad-division", JSONWriter.string(wrongDivision.json)), ("Organization/bad-level", wrongLevel),
                                 ("Practitioner/bad-years", JSONWriter.string(wrongYears.json))] {
                let r = try await fhir.put("/fhir/" + path, body)
                #expect(r.status == 422, "\(path): \(r.status) \(r.text)")
                #expect(r.outcomeCode == "code-invalid")
                #expect(try await fhir.get("/fhir/" + path).status == 404)
            }
            // In a transaction the entry is found where it is, and nothing of the bundle is written.
            let bundle = """
                {"resourceType":"Bundle","type":"transaction","entry":[
                {"resource":\(JSONWriter.string(Self.doctor.json)),"request":{"method":"PUT","url":"Practitioner/\(Self.doctor.id)"}},
                {"resource":\(JSONWriter.string(wrongDivision.json)),"request":{"method":"PUT","url":"Organization/bad-division"}}]}
                """
            let r = try await fhir.post("/fhir", bundle)
            #expect(r.status == 422 && r.outcomeCode == "code-invalid", "\(r.status) \(r.text)")
            #expect(r.json["issue"]?.arrayValue?.first?["expression"]?.arrayValue?.first?.stringValue == "Bundle.entry[1].resource")
            #expect(try await fhir.get("/fhir/Organization/bad-division").status == 404)
        }
    }
}
