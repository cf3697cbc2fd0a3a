import FHIRCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KangqiaoServer
import Terminology
import Testing

/// Issue 6, Terminology: `$lookup`, `$validate-code`, `$expand` and `$translate` over HTTP, on the
/// shipped catalogues and on code systems, value sets and concept maps that users store.
@Suite("Terminology operations")
struct TerminologyOperationTests {
    static let base = "https://kangqiao.org/fhir"
    static let icd10 = "\(base)/CodeSystem/icd10-cn"

    static func q(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    static func value(_ r: FHIRTestResponse, _ name: String) -> JSON? {
        r.json["parameter"]?.arrayValue?.first { $0["name"]?.stringValue == name }.flatMap { p in
            p.objectValue?.first { $0.0.hasPrefix("value") }?.1
        }
    }

    static func codes(_ r: FHIRTestResponse) -> [String] {
        (r.json["expansion"]?["contains"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }
    }

    @Test("$lookup by GET and POST gives the Chinese display with pinyin designations", arguments: ServerBackendKind.allCases)
    func lookup(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let get = try await fhir.get("/fhir/CodeSystem/$lookup?system=\(Self.q(Self.icd10))&code=E11.900")
            #expect(get.status == 200, "\(get.text)")
            #expect(Self.value(get, "display") == "2型糖尿病")
            #expect(get.text.contains("2 xing tang niao bing") && get.text.contains("2xtnb"))
            let post = try await fhir.post("/fhir/CodeSystem/$lookup", """
                {"resourceType":"Parameters","parameter":[{"name":"coding","valueCoding":{"system":"\(Self.base)/CodeSystem/drug","code":"KQD0087"}},
                {"name":"property","valueCode":"control-class"}]}
                """)
            #expect(post.status == 200, "\(post.text)")
            #expect(Self.value(post, "display") == "吗啡注射液")
            let properties = post.json["parameter"]?.arrayValue?.filter { $0["name"] == "property" } ?? []
            #expect(properties.count == 1, "only the property asked for")
            #expect(properties.first?["part"]?.arrayValue?.contains { $0["valueCode"] == "narcotic" } == true)
        }
    }

    @Test("bad terminology requests answer an OperationOutcome with the right status")
    func errors() async throws {
        try await withFHIRServer { fhir, _ in
            let cases: [(String, Int, String?)] = [
                ("/fhir/CodeSystem/$lookup?system=http%3A%2F%2Fnowhere.example%2Fcs&code=x", 404, "not-found"),
                ("/fhir/CodeSystem/$lookup?system=\(Self.q(Self.icd10))&code=NOPE", 404, "code-invalid"),
                ("/fhir/CodeSystem/$lookup?system=\(Self.q(Self.icd10))", 400, nil),
                ("/fhir/ValueSet/$expand?url=http%3A%2F%2Fnowhere.example%2Fvs", 404, "not-found"),
                ("/fhir/ValueSet/$expand?url=\(Self.q("\(Self.base)/ValueSet/icd10-cn"))", 422, "too-costly"),
                ("/fhir/ValueSet/$expand?url=\(Self.q("\(Self.base)/ValueSet/icd10-cn"))&count=ten", 400, nil),
                ("/fhir/ValueSet/no-such-value-set/$expand?filter=x", 404, nil),
                ("/fhir/ConceptMap/$translate?url=http%3A%2F%2Fnowhere.example%2Fcm&system=a&code=b", 404, "not-found"),
                ("/fhir/ConceptMap/$translate?code=b", 400, nil),
                ("/fhir/CodeSystem/$validate-code?code=x", 400, nil),
            ]
            for (path, status, code) in cases {
                let r = try await fhir.get(path)
                #expect(r.status == status && r.isOperationOutcome, "\(path): \(r.status) \(r.text.prefix(300))")
                if let code { #expect(r.outcomeCode == code, "\(path)") }
            }
            let notParameters = try await fhir.post("/fhir/ValueSet/$expand", #"{"resourceType":"Patient"}"#)
            #expect(notParameters.status == 400 && notParameters.isOperationOutcome)
            let lookupOnInstance = try await fhir.get("/fhir/CodeSystem/icd10-cn/$lookup?code=E11.900")
            #expect(lookupOnInstance.status >= 400 && lookupOnInstance.status < 500 && lookupOnInstance.isOperationOutcome, "R4 defines $lookup at type level only")
        }
    }

    @Test("type-ahead over HTTP: characters, pinyin and initials, type and instance level, paged", arguments: ServerBackendKind.allCases)
    func typeAhead(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let vs = Self.q("\(Self.base)/ValueSet/icd10-cn")
            for filter in ["gxy", "gaoxueya", "高血压"] {
                let r = try await fhir.get("/fhir/ValueSet/$expand?url=\(vs)&filter=\(Self.q(filter))&count=10")
                #expect(r.status == 200, "\(r.text.prefix(300))")
                #expect(Self.codes(r).first == "I10.x00x002", "\(filter): \(Self.codes(r))")
                #expect(Self.codes(r).count == 10)
            }
            let instance = try await fhir.get("/fhir/ValueSet/icd10-cn/$expand?filter=tnb&count=5&offset=5")
            #expect(instance.status == 200 && Self.codes(instance).count == 5)
            #expect(instance.json["expansion"]?["offset"] == 5)
            let post = try await fhir.post("/fhir/ValueSet/$expand", """
                {"resourceType":"Parameters","parameter":[{"name":"url","valueUri":"\(Self.base)/ValueSet/drug"},
                {"name":"filter","valueString":"amxl"},{"name":"count","valueInteger":5}]}
                """)
            #expect(post.status == 200)
            #expect(post.json["expansion"]?["contains"]?.arrayValue?.first?["display"] == "阿莫西林胶囊", "\(post.text.prefix(400))")
        }
    }

    @Test("$validate-code at code system and value set level, and $translate of the demo region's lab codes", arguments: ServerBackendKind.allCases)
    func validateAndTranslate(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let ok = try await fhir.get("/fhir/CodeSystem/$validate-code?url=\(Self.q(Self.icd10))&code=I10.x00x002&display=\(Self.q("高血压"))")
            #expect(Self.value(ok, "result") == true)
            let wrong = try await fhir.get("/fhir/CodeSystem/icd10-cn/$validate-code?code=I10.x00x002&display=\(Self.q("糖尿病"))")
            #expect(Self.value(wrong, "result") == false)
            let inValueSet = try await fhir.get("/fhir/ValueSet/nip-vaccine/$validate-code?system=\(Self.q("\(Self.base)/CodeSystem/nip-vaccine"))&code=MMR")
            #expect(Self.value(inValueSet, "result") == true && Self.value(inValueSet, "display") == "麻腮风疫苗")
            let notIn = try await fhir.get("/fhir/ValueSet/nip-vaccine/$validate-code?system=\(Self.q(Self.icd10))&code=E11.900")
            #expect(Self.value(notIn, "result") == false)
            let translated = try await fhir.get(
                "/fhir/ConceptMap/demo-region-lab-local/$translate?system=\(Self.q("https://demo-region.kangqiao.org/CodeSystem/lis-local"))&code=XZ001")
            #expect(Self.value(translated, "result") == true)
            #expect(translated.text.contains(#""code":"TC""#), "\(translated.text)")
            let loinc = try await fhir.post("/fhir/ConceptMap/$translate", """
                {"resourceType":"Parameters","parameter":[{"name":"coding","valueCoding":{"system":"\(Self.base)/CodeSystem/lab-test","code":"TC"}},
                {"name":"targetsystem","valueUri":"http://loinc.org"}]}
                """)
            #expect(loinc.text.contains(#""code":"14647-2""#), "\(loinc.text)")
        }
    }

    static let regionCodeSystem = """
        {"resourceType":"CodeSystem","id":"chronic-followup","url":"https://region.example/CodeSystem/chronic-followup","version":"1",
        "name":"ChronicFollowUp","status":"active","content":"complete","property":[{"code":"grade","type":"code"}],
        "concept":[{"code":"ctl","display":"控制满意","property":[{"code":"grade","valueCode":"a"}]},
        {"code":"unctl","display":"控制不满意","property":[{"code":"grade","valueCode":"b"}]},
        {"code":"adr","display":"药物不良反应","property":[{"code":"grade","valueCode":"b"}]},
        {"code":"cmp","display":"并发症","property":[{"code":"grade","valueCode":"c"}]}]}
        """

    @Test("a user's stored CodeSystem, ValueSet and ConceptMap work with every operation, and stay the source of truth",
          arguments: ServerBackendKind.allCases)
    func storedResources(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            #expect(try await fhir.put("/fhir/CodeSystem/chronic-followup", Self.regionCodeSystem).status == 201)
            let system = Self.q("https://region.example/CodeSystem/chronic-followup")
            let lookup = try await fhir.get("/fhir/CodeSystem/$lookup?system=\(system)&code=unctl")
            #expect(Self.value(lookup, "display") == "控制不满意", "\(lookup.text)")
            let valueSet = try await fhir.post("/fhir/ValueSet", """
                {"resourceType":"ValueSet","url":"https://region.example/ValueSet/followup-b","status":"active",
                "compose":{"include":[{"system":"https://region.example/CodeSystem/chronic-followup","filter":[{"property":"grade","op":"=","value":"b"}]}]}}
                """)
            #expect(valueSet.status == 201, "\(valueSet.text)")
            let vsId = try #require(valueSet.json["id"]?.stringValue)
            let expanded = try await fhir.get("/fhir/ValueSet/\(vsId)/$expand?filter=\(Self.q("bu"))")
            #expect(Set(Self.codes(expanded)) == ["unctl", "adr"], "\(expanded.text.prefix(500))")
            let byUrl = try await fhir.get("/fhir/ValueSet/$expand?url=\(Self.q("https://region.example/ValueSet/followup-b"))&filter=kzbmy")
            #expect(Self.codes(byUrl) == ["unctl"])
            let member = try await fhir.get("/fhir/ValueSet/\(vsId)/$validate-code?system=\(system)&code=ctl")
            #expect(Self.value(member, "result") == false, "grade a is not in the grade-b value set")
            let map = try await fhir.post("/fhir/ConceptMap", """
                {"resourceType":"ConceptMap","url":"https://region.example/ConceptMap/followup-to-snomed","status":"active",
                "group":[{"source":"https://region.example/CodeSystem/chronic-followup","target":"http://snomed.info/sct",
                "element":[{"code":"cmp","target":[{"code":"116223007","display":"Complication","equivalence":"wider"}]}]}]}
                """)
            #expect(map.status == 201, "\(map.text)")
            let mapId = try #require(map.json["id"]?.stringValue)
            let translated = try await fhir.get("/fhir/ConceptMap/\(mapId)/$translate?system=\(system)&code=cmp")
            #expect(Self.value(translated, "result") == true && translated.text.contains("116223007"))
            let byType = try await fhir.get("/fhir/ConceptMap/$translate?system=\(system)&code=cmp&targetsystem=\(Self.q("http://snomed.info/sct"))")
            #expect(byType.text.contains(#""valueCode":"wider""#), "\(byType.text)")

            // The stored resource is the source of truth: a new version answers at once.
            let changed = Self.regionCodeSystem.replacingOccurrences(of: "控制不满意", with: "控制不佳")
            #expect(try await fhir.put("/fhir/CodeSystem/chronic-followup", changed).status == 200)
            #expect(Self.value(try await fhir.get("/fhir/CodeSystem/$lookup?system=\(system)&code=unctl"), "display") == "控制不佳")
            // A stored code system with a shipped url replaces the shipped one for this server.
            let sex = #"{"resourceType":"CodeSystem","url":"\#(Self.base)/CodeSystem/gbt2261-1-sex","status":"active","content":"complete","concept":[{"code":"1","display":"男"}]}"#
            #expect(try await fhir.post("/fhir/CodeSystem", sex).status == 201)
            let overridden = try await fhir.get("/fhir/CodeSystem/$lookup?system=\(Self.q("\(Self.base)/CodeSystem/gbt2261-1-sex"))&code=1")
            #expect(Self.value(overridden, "display") == "男")
            #expect(try await fhir.get("/fhir/CodeSystem/$lookup?system=\(Self.q("\(Self.base)/CodeSystem/gbt2261-1-sex"))&code=2").status == 404)
        }
    }

    @Test("a client without terminology scopes still uses the shipped catalogues, but never sees stored code systems")
    func scopesKeepStoredResourcesPrivate() async throws {
        try await withFHIRServer { fhir, _ in
            #expect(try await fhir.put("/fhir/CodeSystem/chronic-followup", Self.regionCodeSystem).status == 201)
            let access = try #require(fhir.access)
            _ = try await access.createClient(name: "lab-only", scopes: "system/Observation.crs")
            let lab = fhir.with(token: try access.mint(for: try #require(try await access.account("lab-only"))).accessToken)
            let shipped = try await lab.get("/fhir/ValueSet/lab-test/$expand?filter=\(Self.q("糖化"))")
            #expect(shipped.status == 200 && Self.codes(shipped) == ["HBA1C"], "\(shipped.text.prefix(300))")
            let stored = try await lab.get("/fhir/CodeSystem/$lookup?system=\(Self.q("https://region.example/CodeSystem/chronic-followup"))&code=ctl")
            #expect(stored.status == 404, "a stored code system is read only with a scope that reads CodeSystem")
            let instance = try await lab.get("/fhir/CodeSystem/chronic-followup/$validate-code?code=ctl")
            #expect(instance.status == 403, "\(instance.text.prefix(300))")
        }
    }

    @Test("every shipped CodeSystem, ValueSet and ConceptMap passes the server's FHIR validator; the small ones pass fhir-validate too")
    func shippedResourcesAreValid() async throws {
        try await withFHIRServer { _, runtime in
            let validator = try #require(runtime.dispatcher.validator)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kq-terminology-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            var checked = 0
            for entry in TerminologyCatalogue.shipped.entries {
                let json = entry.fhir
                let concepts = json["concept"]?.arrayValue ?? []
                // Each whole resource, 33k-code ICD-10 included (the code-uniqueness invariant is linear).
                let errors = validator.check(json).filter { $0.severity == .error || $0.severity == .fatal }
                #expect(errors.isEmpty, "\(entry.url ?? "?"): \(errors.prefix(3).map(\.diagnostics))")
                for c in concepts {
                    let code = c["code"]?.stringValue ?? ""
                    // R4 `code`: no leading or trailing whitespace, no whitespace but single spaces.
                    let codeOK = !code.isEmpty && code.range(of: #"^[^\s]+( [^\s]+)*$"#, options: .regularExpression) != nil
                    #expect(codeOK && c["display"]?.stringValue?.isEmpty == false, "\(entry.url ?? "?"): concept '\(code)'")
                }
                checked += 1
                let count = concepts.count
                if count < 1_000 {
                    let name = (json["resourceType"]?.stringValue ?? "x") + "-" + (json["id"]?.stringValue ?? "\(checked)")
                    try Data(JSONWriter.bytes(json)).write(to: dir.appendingPathComponent(name + ".json"))
                }
            }
            #expect(checked >= 28, "13 code systems, their 13 value sets and 2 concept maps")
            try ExternalValidator.expectValid(directory: dir)
        }
    }

    @Test("kangqiao import stores a catalogue file as its CodeSystem; serve layers KANGQIAO_CATALOGUE_DIR over the shipped catalogues")
    func importAndCatalogueDirectory() async throws {
        let binary = try #require(DurabilityTests.binary, "build the kangqiao executable first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kq-catalogue-cli-\(UUID().uuidString)")
        let catalogues = dir.appendingPathComponent("catalogues")
        try FileManager.default.createDirectory(at: catalogues, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = "sqlite:" + dir.appendingPathComponent("db.sqlite").path
        let labFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Terminology/Resources/lab-test.tsv").path
        let imported = try runProgram(binary, ["import", "--database", database, labFile])
        #expect(imported.0 == 0, "\(imported.1.suffix(500))")
        let again = try runProgram(binary, ["import", "--database", database, labFile])
        #expect(again.0 == 0)
        let out = dir.appendingPathComponent("export")
        #expect(try runProgram(binary, ["export", "--database", database, "--type", "CodeSystem", "--output", out.path]).0 == 0)
        let exported = try JSONParser.parse(String(contentsOf: out.appendingPathComponent("CodeSystem.ndjson"), encoding: .utf8)
            .split(separator: "\n").first.map(String.init) ?? "")
        #expect(exported["id"] == "lab-test" && exported["concept"]?.arrayValue?.count == 83)
        #expect(exported["meta"]?["versionId"] == "1", "an unchanged second import makes no new version")

        // A region's file replaces the shipped sex code system at start.
        try "#! url\t\(Self.base)/CodeSystem/gbt2261-1-sex\ncode\tdisplay\n1\t男（区域）\n".write(
            to: catalogues.appendingPathComponent("sex.tsv"), atomically: true, encoding: .utf8)
        let bearer = "Bearer " + (try DurabilityTests.token(binary, database: database))
        let port = DurabilityTests.freePort()
        let server = Process()
        server.executableURL = binary
        server.arguments = ["serve", "--database", database, "--port", String(port)]
        server.environment = DurabilityTests.environment.merging(["KANGQIAO_CATALOGUE_DIR": catalogues.path]) { _, new in new }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        try await DurabilityTests.waitForHealth(port: port)
        func get(_ path: String) async throws -> JSON {
            var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
            request.setValue(bearer, forHTTPHeaderField: "Authorization")
            let (data, _) = try await URLSession.shared.data(for: request)
            return try JSONParser.parse([UInt8](data))
        }
        let region = try await get("/fhir/CodeSystem/$lookup?system=\(Self.q("\(Self.base)/CodeSystem/gbt2261-1-sex"))&code=1")
        let display = region["parameter"]?.arrayValue?.first { $0["name"] == "display" }?["valueString"]
        #expect(display == "男（区域）", "\(String(decoding: JSONWriter.bytes(region), as: UTF8.self))")
        let shipped = try await get("/fhir/ValueSet/$expand?url=\(Self.q("\(Self.base)/ValueSet/icd10-cn"))&filter=gxy&count=3")
        #expect(shipped["expansion"]?["contains"]?.arrayValue?.first?["code"] == "I10.x00x002")
    }
}
