import Access
import ChinaReference
import DemoRegion
import FHIRCore
import Foundation
import KangqiaoServer
import Terminology
import Testing

/// The demo region (issue 6): deterministic from its seed, realistic, valid, and usable with the
/// logins it prints.
@Suite("demo region")
struct DemoRegionTests {
    static let full = DemoRegion()

    static func small(seed: UInt64 = 7, residents: Int = 400) -> DemoRegion {
        var plan = DemoRegionPlan()
        plan.seed = seed
        plan.residents = residents
        return DemoRegion(plan: plan)
    }

    @Test("the same seed gives the same region byte for byte; another seed another one")
    func deterministic() {
        let a = Self.small(), b = Self.small(), c = Self.small(seed: 8)
        #expect(a.resources.count == b.resources.count)
        #expect(a.resources.map { JSONWriter.bytes($0) } == b.resources.map { JSONWriter.bytes($0) })
        #expect(a.resources.map { JSONWriter.bytes($0) } != c.resources.map { JSONWriter.bytes($0) })
    }

    @Test("the plan's shape: one city, 3 districts, 2 tertiary + 3 secondary hospitals, 10 centres, 6 pharmacies, ~200 staff, 5,000 residents")
    func shape() {
        let region = Self.full
        let organizations = region.resources.filter { $0["resourceType"] == "Organization" }
        func kind(_ o: JSON) -> String? { o["type"]?.arrayValue?.first?["coding"]?.arrayValue?.first?["code"]?.stringValue }
        func level(_ o: JSON) -> String? { o["extension"]?.arrayValue?.first?["valueCoding"]?["code"]?.stringValue }
        let hospitals = organizations.filter { kind($0) == "hospital" }
        #expect(hospitals.filter { level($0)?.hasPrefix("3") == true }.count == 2)
        #expect(hospitals.filter { level($0)?.hasPrefix("2") == true }.count == 3)
        #expect(organizations.filter { kind($0) == "primary-care" }.count == 10)
        #expect(organizations.filter { kind($0) == "pharmacy" }.count == 6)
        let districts = Set(organizations.compactMap { $0["address"]?.arrayValue?.first?["extension"]?.arrayValue?.first?["valueCode"]?.stringValue })
        #expect(districts.count == 3)
        #expect(districts.allSatisfy { AdministrativeDivisions.shared.division($0)?.parentCode == "440500" })
        #expect((180...240).contains(region.counts["Practitioner"] ?? 0))
        #expect(region.counts["Patient"] == 5_000 + region.plan.duplicateRegistrations)
        // Specialties across the staff, and multi-site practice.
        let roles = region.resources.filter { $0["resourceType"] == "PractitionerRole" }
        let specialties = Set(roles.compactMap { $0["specialty"]?.arrayValue?.first?["coding"]?.arrayValue?.first?["code"]?.stringValue })
        #expect(specialties.count >= 10)
        #expect(roles.count > region.counts["Practitioner"] ?? 0)
        // Every role has a login.
        let accountRoles = Set(region.accounts.flatMap(\.roles))
        #expect(accountRoles == Set(Role.allCases))
    }

    @Test("R-ID18: every resident and practitioner has a valid resident ID agreeing with their sex and birth date; names are Chinese; phones plausible")
    func realistic() throws {
        // Residents and staff (a hospital's second registrations are checked by the master index test below).
        let people = Self.full.resources.filter {
            ($0["resourceType"] == "Patient" || $0["resourceType"] == "Practitioner") && $0["id"]?.stringValue?.hasPrefix("reg-") != true
        }
        var ids: Set<String> = []
        for p in people {
            let value = try #require(p["identifier"]?.arrayValue?.first { $0["system"]?.stringValue == ChinaProfile.IdentifierSystem.residentID }?["value"]?.stringValue)
            let id = try ResidentIdentityNumber(value, gender: p["gender"]?.stringValue, today: 20261101)
            #expect(id.birthDate == p["birthDate"]?.stringValue)
            ids.insert(value)
            let family = p["name"]?.arrayValue?.first?["family"]?.stringValue ?? ""
            #expect(Pinyin.shared.containsHan(family))
            if let phone = p["telecom"]?.arrayValue?.first?["value"]?.stringValue, p["resourceType"] == "Patient" {
                #expect(phone.count == 11 && phone.hasPrefix("1") && phone.allSatisfy(\.isNumber))
            }
        }
        #expect(ids.count == people.count, "resident IDs are unique")
        // Ages span the population; children have parents of plausible age as guardians.
        let patients = Dictionary(uniqueKeysWithValues: Self.full.resources.filter { $0["resourceType"] == "Patient" && $0["id"]!.stringValue!.hasPrefix("reg-") == false }.map { ($0["id"]!.stringValue!, $0) })
        let years = patients.values.compactMap { $0["birthDate"]?.stringValue.flatMap { Int($0.prefix(4)) } }
        #expect(years.min()! < 1950 && years.max()! >= 2024)
        let guardians = Self.full.resources.filter { $0["resourceType"] == "RelatedPerson" }
        #expect(guardians.count > 500)
        for g in guardians.prefix(200) {
            let child = try #require(patients[String(g["patient"]!["reference"]!.stringValue!.dropFirst(8))])
            let childBirth = Int(child["birthDate"]!.stringValue!.prefix(4))!
            #expect(childBirth >= 2008, "a guardian's ward is a minor")
        }
        // Chronic conditions follow age: hypertension is far more common among the old.
        let hypertensive = Set(Self.full.resources.filter { $0["resourceType"] == "Condition" && $0["code"]?["text"] == "高血压" }
            .compactMap { $0["subject"]?["reference"]?.stringValue })
        let old = patients.values.filter { Int($0["birthDate"]!.stringValue!.prefix(4))! <= 1961 }
        let young = patients.values.filter { Int($0["birthDate"]!.stringValue!.prefix(4))! >= 1991 }
        let oldShare = Double(old.filter { hypertensive.contains("Patient/\($0["id"]!.stringValue!)") }.count) / Double(old.count)
        let youngShare = Double(young.filter { hypertensive.contains("Patient/\($0["id"]!.stringValue!)") }.count) / Double(max(1, young.count))
        #expect(oldShare > 0.3 && youngShare < 0.05)
        // Children are vaccinated by the national programme.
        #expect((Self.full.counts["Immunization"] ?? 0) > 5_000)
    }

    @Test("every coded fact of the region is in the shipped catalogues: diagnoses (ICD-10 NHSA), vaccines (NIP), hospital levels, specialties")
    func codesInCatalogues() throws {
        let catalogue = TerminologyCatalogue.shipped
        var checked = 0
        var unknown: Set<String> = []
        func check(_ coding: JSON?) {
            guard let system = coding?["system"]?.stringValue, let code = coding?["code"]?.stringValue,
                let codeSystem = catalogue.codeSystem(url: system)
            else { return }
            checked += 1
            if codeSystem.concept(code) == nil { unknown.insert("\(system)|\(code)") }
        }
        for r in Self.full.resources {
            for c in r["code"]?["coding"]?.arrayValue ?? [] { check(c) }
            for c in r["vaccineCode"]?["coding"]?.arrayValue ?? [] { check(c) }
            for e in r["extension"]?.arrayValue ?? [] { check(e["valueCoding"]) }
            for s in r["specialty"]?.arrayValue ?? [] { for c in s["coding"]?.arrayValue ?? [] { check(c) } }
        }
        #expect(checked > 20_000, "\(checked) codings checked")
        #expect(unknown.isEmpty, "not in the catalogues: \(unknown.sorted().prefix(10))")
    }

    @Test("every resource of the full region passes the platform's R4 validator")
    func validByOwnValidator() throws {
        let checker = try #require(R4Support.shared.checker)
        var failures: [String] = []
        for r in Self.full.resources {
            let errors = checker.check(r).filter { $0.severity == .error || $0.severity == .fatal }
            if !errors.isEmpty, failures.count < 5 {
                failures.append("\(r["resourceType"]?.stringValue ?? "")/\(r["id"]?.stringValue ?? ""): \(errors.map(\.diagnostics))")
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("a sample of every resource type passes fhir-validate, an R4 validator nobody here wrote")
    func validByExternalValidator() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kq-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var perType: [String: Int] = [:]
        for r in Self.small().resources {
            let type = r["resourceType"]?.stringValue ?? "?"
            guard perType[type, default: 0] < 25 else { continue }
            perType[type, default: 0] += 1
            try Data(JSONWriter.bytes(r)).write(to: directory.appendingPathComponent("\(type)-\(r["id"]?.stringValue ?? "").json"))
        }
        #expect(perType.count >= 12)
        try ExternalValidator.expectValid(directory: directory)
    }

    @Test("loaded into a server, its logins work: a doctor sees treated patients only, a parent sees their child, registries search", arguments: ServerBackendKind.allCases)
    func loadedAndUsable(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            let access = try #require(fhir.access)
            let region = Self.small(residents: 300)
            let logins = try await region.load(into: runtime.repository, access: access)
            #expect(try await fhir.search("/fhir/Patient?_summary=count").json["total"]?.numberValue?.text == String(300 + region.plan.duplicateRegistrations))
            // The hospital's second registrations met the master index: those with the resident ID are
            // linked to the resident at once (one person in searches), the others linked or queued for review.
            let persons = try await fhir.search("/fhir/Person?_count=200")
            let tasks = try await fhir.search("/fhir/Task?_count=200")
            let withID = region.plan.duplicateRegistrations / 2
            #expect(persons.ids().count >= withID, "\(persons.ids().count) master Persons")
            #expect(persons.ids().count + tasks.ids().count >= region.plan.duplicateRegistrations * 3 / 4,
                    "\(persons.ids().count) linked, \(tasks.ids().count) queued")
            let duplicate = try #require(region.resources.first { $0["id"]?.stringValue?.hasPrefix("reg-") == true && $0["identifier"]?.arrayValue?.count == 2 })
            let original = String(duplicate["id"]!.stringValue!.dropFirst(4))
            let byOriginal = try await fhir.search("/fhir/Patient?_id=\(original)")
            #expect(Set(byOriginal.ids()).isSuperset(of: [original, "reg-\(original)"]), "either id finds one person")
            func login(_ name: String) async throws -> FHIRTestClient {
                let l = try #require(logins.first { $0.account.name == name })
                let code = TimeBasedCode(secret: l.codeSecret).code(at: access.now)
                let r = try await fhir.anonymous.post(
                    "/auth/login", #"{"username":"\#(name)","password":"\#(l.password)","code":"\#(code)"}"#, headers: ["Content-Type": "application/json"])
                #expect(r.status == 200, "\(name): \(r.text)")
                // R-IH-5: demo clinicians are verified, licensed and registered, so nothing is withheld.
                #expect(r.json["restrictions"] == nil, "\(name): \(r.text)")
                return fhir.with(token: try #require(r.json["access_token"]?.stringValue))
            }
            let doctor = try await login("doctor")
            let seen = try await doctor.search("/fhir/Patient?_count=500")
            #expect(seen.status == 200)
            let everyone = try await fhir.search("/fhir/Patient?_count=500")
            #expect(seen.ids().count < everyone.ids().count, "a doctor sees only patients with a care relationship")
            #expect(!seen.ids().isEmpty)

            let resident = try await login("resident")
            let description = try #require(region.accounts.first { $0.name == "resident" }).description
            let child = try #require(description.split(separator: "(").last.map { String($0.dropFirst(8).dropLast(1)) })
            #expect(try await resident.get("/fhir/Patient/\(child)").status == 200)
            let stranger = try #require(everyone.ids().first { $0 != child && "Patient/\($0)" != region.accounts.first { $0.name == "resident" }?.fhirUser })
            let refused = try await resident.get("/fhir/Patient/\(stranger)").status
            #expect(refused == 404 || refused == 403)

            let regulator = try await login("regulator")
            #expect(try await regulator.search("/fhir/Organization?hospital-level=3&division=440500").ids().count == 2)
            let his = try #require(logins.first { $0.account.name == "hospital-his" })
            let token = try await fhir.anonymous.post(
                "/auth/token", "grant_type=client_credentials&client_id=hospital-his&client_secret=\(his.password)",
                headers: ["Content-Type": "application/x-www-form-urlencoded"])
            #expect(token.status == 200)
        }
    }

    @Test("kangqiao serve --demo on an empty database creates the region, prints a login per role, serves it; a second start keeps the data")
    func serveDemo() async throws {
        let binary = try #require(DurabilityTests.binary, "build the kangqiao executable first (swift build)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kq-serve-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = "sqlite:" + dir.appendingPathComponent("kq.sqlite").path
        func serve() throws -> (Process, Pipe, Int) {
            let port = DurabilityTests.freePort()
            let p = Process()
            p.executableURL = binary
            p.arguments = ["serve", "--demo", "--demo-residents", "40", "--database", database, "--port", String(port)]
            p.environment = DurabilityTests.environment
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            return (p, out, port)
        }
        let (first, output, port) = try serve()
        try await DurabilityTests.waitForHealth(port: port)
        first.terminate()
        first.waitUntilExit()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(printed.contains("Demo region created"))
        for login in ["admin", "doctor", "familydoctor", "nurse", "pharmacist", "insurance", "cdc", "regulator", "resident", "hospital-his"] {
            #expect(printed.contains("  \(login)  "), "a login for \(login)")
        }
        #expect(printed.contains("otpauth://totp/Kangqiao:doctor"))
        #expect(!printed.contains("First start: administrator account created"), "the demo brings its own administrator")
        // Started again on the same database: nothing is created twice.
        let (second, output2, port2) = try serve()
        try await DurabilityTests.waitForHealth(port: port2)
        second.terminate()
        second.waitUntilExit()
        let again = String(decoding: output2.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!again.contains("Demo region created"))
    }
}
