@testable import Access
import FHIRCore
@testable import FHIRStore
import Foundation
import HealthCard
import Hummingbird
import HummingbirdTesting
@testable import KangqiaoServer
import QRTestSupport
import Synchronization
import Testing

/// The e-health card end to end over HTTP (issue 6, R-HC-1, R-HC-2), on both backends: issue,
/// draw, scan, verify — with a clock the tests move, and several server instances on one PostgreSQL.
@Suite("E-health card")
struct HealthCardTests {
    static let patient = #"{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://kangqiao.org/fhir/sid/resident-id","value":"11010519491231002X"}],"name":[{"use":"official","family":"王","given":["小梅"]}],"gender":"female","birthDate":"1949-12-31"}"#
    /// A duplicate record merged into p1 (the master index points it onwards).
    static let merged = #"{"resourceType":"Patient","id":"p1-old","active":false,"name":[{"family":"王","given":["晓梅"]}],"link":[{"other":{"reference":"Patient/p1"},"type":"replaced-by"}]}"#
    static let other = #"{"resourceType":"Patient","id":"p2","name":[{"family":"李","given":["娜"]}]}"#

    // MARK: R-HC-1

    @Test("R-HC-1: one card per person, on the master Patient; a merged record's card is its survivor's", arguments: ServerBackendKind.allCases)
    func oneCardPerPerson(kind: ServerBackendKind) async throws {
        try await withCardServers(kind) { env in
            let fhir = env.fhir
            let first = try await fhir.post("/fhir/Patient/p1/$health-card", "")
            #expect(first.status == 201, "\(first.text)")
            let number = try #require(Self.parameter(first, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue)
            #expect(HealthCardNumber(number) != nil)
            let again = try await fhir.post("/fhir/Patient/p1/$health-card", "")
            #expect(again.status == 200)
            #expect(Self.parameter(again, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue == number)
            let viaMerged = try await fhir.post("/fhir/Patient/p1-old/$health-card", "")
            #expect(viaMerged.status == 200)
            #expect(Self.parameter(viaMerged, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue == number)
            #expect(Self.parameter(viaMerged, "patient")?["valueReference"]?["reference"]?.stringValue == "Patient/p1")
            let read = try await fhir.get("/fhir/Patient/p1/$health-card")
            #expect(read.status == 200 && Self.parameter(read, "created")?["valueBoolean"] == false)
            // The number is on the Patient, once, and findable by identifier search.
            let cards = try await fhir.get("/fhir/Patient/p1").json["identifier"]?.arrayValue?
                .filter { $0["system"]?.stringValue == "https://kangqiao.org/fhir/sid/health-card" } ?? []
            #expect(cards.map { $0["value"]?.stringValue } == [number])
            let found = try await fhir.get("/fhir/Patient?identifier=https://kangqiao.org/fhir/sid/health-card%7C\(number)")
            #expect(found.json["entry"]?.arrayValue?.count == 1)
            // Another person gets another number; an unknown patient none.
            let second = try await fhir.post("/fhir/Patient/p2/$health-card", "")
            #expect(Self.parameter(second, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue != number)
            #expect(try await fhir.get("/fhir/Patient/nobody/$health-card").status == 404)
            #expect(try await fhir.post("/fhir/Patient/nobody/$health-card", "").status == 404)
        }
    }

    @Test("R-HC-1: records the master index links as one person (a second registration with the same resident ID) share one card", arguments: ServerBackendKind.allCases)
    func linkedRecordsShareOneCard(kind: ServerBackendKind) async throws {
        try await withCardServers(kind) { env in
            let fhir = env.fhir
            // p1 got its card first; a hospital registers the same resident again (same resident ID).
            let first = try await fhir.post("/fhir/Patient/p1/$health-card", "")
            let number = try #require(Self.parameter(first, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue)
            let again = Self.patient.replacingOccurrences(of: #""id":"p1""#, with: #""id":"p1-hospital""#)
            #expect(try await fhir.put("/fhir/Patient/p1-hospital", again).status == 201)
            let viaLinked = try await fhir.post("/fhir/Patient/p1-hospital/$health-card", "")
            #expect(viaLinked.status == 200, "\(viaLinked.text)")
            #expect(Self.parameter(viaLinked, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue == number)
            let read = try await fhir.get("/fhir/Patient/p1-hospital/$health-card")
            #expect(Self.parameter(read, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue == number)
        }
    }

    @Test("R-HC-1: concurrent issues for one person, through either of their records, yield one card", arguments: ServerBackendKind.allCases)
    func concurrentIssue(kind: ServerBackendKind) async throws {
        try await withCardServers(kind, instances: kind == .postgres ? 2 : 1) { env in
            let fhir = env.fhir, instances = env.instances
            let results = try await withThrowingTaskGroup(of: FHIRTestResponse.self) { group in
                for i in 0..<12 {
                    let client = instances[i % instances.count]
                    group.addTask { try await client.post("/fhir/Patient/\(i % 3 == 0 ? "p1-old" : "p1")/$health-card", "") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.status == 200 || $0.status == 201 }, "\(results.map(\.status))")
            let numbers = Set(results.compactMap { Self.parameter($0, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue })
            #expect(numbers.count == 1)
            #expect(results.filter { $0.status == 201 }.count == 1)
            let cards = try await fhir.get("/fhir/Patient/p1").json["identifier"]?.arrayValue?
                .filter { $0["system"]?.stringValue == "https://kangqiao.org/fhir/sid/health-card" } ?? []
            #expect(cards.count == 1)
        }
    }

    // MARK: Codes and images

    @Test("the resident's own QR code as PNG, SVG and text decodes with zbar to a code the platform verifies", arguments: ServerBackendKind.allCases)
    func residentCodes(kind: ServerBackendKind) async throws {
        try await withCardServers(kind) { env in
            let fhir = env.fhir
            #expect(try await fhir.post("/fhir/Patient/p1/$health-card", "").status == 201)
            let resident = try await Self.resident(fhir, patient: "p1")
            let text = try await resident.get("/fhir/Patient/p1/$health-card-qr?kind=static&format=text")
            #expect(text.status == 200 && text.text.hasPrefix("KQHC1:S:"))
            #expect(text.header("Cache-Control") == "no-store")
            let png = try await resident.get("/fhir/Patient/p1/$health-card-qr?kind=dynamic&format=png&scale=4")
            #expect(png.status == 200 && png.header("Content-Type") == "image/png")
            #expect(png.header("Expires") != nil)
            let svg = try await resident.get("/fhir/Patient/p1/$health-card-qr?kind=dynamic&format=svg")
            #expect(svg.status == 200 && svg.header("Content-Type") == "image/svg+xml")
            guard let zbar = Self.reader() else { return }
            let dynamic = try #require(try zbar.decode(png: png.body).first)
            #expect(String(decoding: dynamic, as: UTF8.self).hasPrefix("KQHC1:D:"))
            let fromSVG = try #require(try zbar.decode(svg: svg.text).first)
            #expect(fromSVG != dynamic, "each dynamic code is new")
            for payload in [dynamic, fromSVG] {
                let r = try await fhir.post("/fhir/$verify-health-card", Self.verify(String(decoding: payload, as: UTF8.self), scene: "payment"))
                #expect(r.status == 200, "\(r.text)")
            }
        }
    }

    @Test("R-HC-2: a resident draws only their own card; staff get the static code, not a dynamic one", arguments: ServerBackendKind.allCases)
    func whoGetsWhichCode(kind: ServerBackendKind) async throws {
        try await withCardServers(kind) { env in
            let fhir = env.fhir
            #expect(try await fhir.post("/fhir/Patient/p1/$health-card", "").status == 201)
            #expect(try await fhir.post("/fhir/Patient/p2/$health-card", "").status == 201)
            let resident = try await Self.resident(fhir, patient: "p1")
            #expect(try await resident.get("/fhir/Patient/p2/$health-card-qr?kind=dynamic").status == 403)
            #expect(try await resident.post("/fhir/Patient/p2/$health-card", "").status == 403)
            #expect(try await resident.post("/fhir/Patient/p1/$health-card", "").status == 200)
            let staffDynamic = try await fhir.get("/fhir/Patient/p1/$health-card-qr?kind=dynamic")
            #expect(staffDynamic.status == 403 && staffDynamic.text.contains("R-HC-2"))
            #expect(try await fhir.get("/fhir/Patient/p1/$health-card-qr?kind=static&format=svg").status == 200)
            // Bad parameters are a 400 naming the parameter, never a 500.
            for (query, parameter) in [("kind=bogus", "kind"), ("format=gif", "format"), ("scale=0", "scale"), ("scale=1000", "scale"), ("scale=x", "scale")] {
                let r = try await resident.get("/fhir/Patient/p1/$health-card-qr?\(query)")
                #expect(r.status == 400 && r.firstExpression == parameter, "\(query): \(r.status)")
            }
            #expect(try await fhir.get("/fhir/Patient/nobody/$health-card-qr").status == 404)
            let p3 = try await fhir.put("/fhir/Patient/p3", #"{"resourceType":"Patient","id":"p3"}"#)
            #expect(p3.status == 201)
            #expect(try await fhir.get("/fhir/Patient/p3/$health-card-qr").status == 404, "no card issued yet")
        }
    }

    // MARK: Verification

    @Test("R-HC-2: a dynamic code verifies once, returns the identity and records the scene; a replay is refused and audited", arguments: ServerBackendKind.allCases)
    func verifyOnce(kind: ServerBackendKind) async throws {
        try await withCardServers(kind) { env in
            let fhir = env.fhir
            let resident = try await Self.issueAndLogin(fhir)
            let code = try await resident.get("/fhir/Patient/p1/$health-card-qr?kind=dynamic&format=text").text
            let ok = try await fhir.post("/fhir/$verify-health-card", Self.verify(code, scene: "payment", organization: "Organization/h1"))
            #expect(ok.status == 200, "\(ok.text)")
            #expect(Self.parameter(ok, "kind")?["valueCode"] == "dynamic")
            #expect(Self.parameter(ok, "patient")?["valueReference"]?["reference"] == "Patient/p1")
            #expect(Self.parameter(ok, "name")?["valueString"] == "王小梅")
            #expect(Self.parameter(ok, "residentId")?["valueString"] == "110105********002X")
            #expect(Self.parameter(ok, "scene")?["valueCoding"]?["display"] == "支付")
            // Not "1949" alone: the card number is random digits and held it once.
            #expect(!ok.text.contains("1949-12-31") && !ok.text.contains("19491231"), "no birth date, no health data")
            let replay = try await fhir.post("/fhir/$verify-health-card", Self.verify(code, scene: "payment", organization: "Organization/h1"))
            #expect(replay.status == 422 && replay.text.contains("R-HC-2") && replay.text.contains("used already"))
            // The patient's access log shows the scan with its scene, and the refused replay.
            let log = try await env.backend.searchAudit(AuditQuery(patient: "Patient/p1", limit: 100)).filter { $0.row.action == "verify-health-card" }
            #expect(log.map(\.row.outcome) == [4, 0])
            let accepted = try #require(try JSONParser.parse(AuditFacts.eventJSON(record: log[1].row.record)).objectValue)
            let purpose = accepted["agent"]?.arrayValue?.first?["purposeOfUse"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(purpose.contains("payment (支付)") && purpose.contains("Organization/h1"))
            #expect(accepted["outcomeDesc"]?.stringValue?.contains("accepted") == true)
        }
    }

    @Test("R-HC-2: a dynamic code is good for 60 s by default, then refused as expired (and audited)", arguments: ServerBackendKind.allCases)
    func expiry(kind: ServerBackendKind) async throws {
        try await withCardServers(kind) { env in
            let fhir = env.fhir, clock = env.clock
            let resident = try await Self.issueAndLogin(fhir)
            let early = try await resident.get("/fhir/Patient/p1/$health-card-qr?kind=dynamic&format=text").text
            let late = try await resident.get("/fhir/Patient/p1/$health-card-qr?kind=dynamic&format=text").text
            clock.advance(59)
            #expect(try await fhir.post("/fhir/$verify-health-card", Self.verify(early, scene: "registration")).status == 200)
            clock.advance(2)
            let expired = try await fhir.post("/fhir/$verify-health-card", Self.verify(late, scene: "registration"))
            #expect(expired.status == 422 && expired.text.contains("R-HC-2") && expired.text.contains("expired"))
            let refusals = try await env.backend.searchAudit(AuditQuery(patient: "Patient/p1", outcome: 4, limit: 10))
            #expect(refusals.contains { $0.row.action == "verify-health-card" })
        }
    }

    @Test("R-HC-2: the dynamic code's lifetime is policy data", arguments: [ServerBackendKind.sqlite])
    func lifetimeIsPolicy(kind: ServerBackendKind) async throws {
        var policy = HealthCardPolicy()
        policy.dynamicCodeLifetimeSeconds = 10
        try await withCardServers(kind, policy: policy) { env in
            let fhir = env.fhir, clock = env.clock
            let resident = try await Self.issueAndLogin(fhir)
            let code = try await resident.get("/fhir/Patient/p1/$health-card-qr?kind=dynamic&format=text").text
            clock.advance(11)
            #expect(try await fhir.post("/fhir/$verify-health-card", Self.verify(code, scene: "consultation")).status == 422)
        }
    }

    @Test("R-HC-2: a static code identifies for registration but not for payment or record access; tampered codes are refused", arguments: ServerBackendKind.allCases)
    func staticCodeAndTampering(kind: ServerBackendKind) async throws {
        try await withCardServers(kind) { env in
            let fhir = env.fhir
            let resident = try await Self.issueAndLogin(fhir)
            let code = try await resident.get("/fhir/Patient/p1/$health-card-qr?kind=static&format=text").text
            let registration = try await fhir.post("/fhir/$verify-health-card", Self.verify(code, scene: "registration"))
            #expect(registration.status == 200 && Self.parameter(registration, "kind")?["valueCode"] == "static")
            // A static code is not single-use: the same card is shown at every visit.
            #expect(try await fhir.post("/fhir/$verify-health-card", Self.verify(code, scene: "dispensing")).status == 200)
            for scene in ["payment", "record-access"] {
                let r = try await fhir.post("/fhir/$verify-health-card", Self.verify(code, scene: scene))
                #expect(r.status == 422 && r.text.contains("R-HC-2") && r.text.contains("needs a dynamic code"), "\(scene): \(r.text)")
            }
            let dynamic = try await resident.get("/fhir/Patient/p1/$health-card-qr?kind=dynamic&format=text").text
            let other = try await fhir.post("/fhir/Patient/p2/$health-card", "")
            let otherNumber = try #require(Self.parameter(other, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue)
            let number = try #require(code.split(separator: ":").dropFirst(2).first.map(String.init))
            var flipped = Array(dynamic)
            flipped[flipped.count - 5] = flipped[flipped.count - 5] == "A" ? "B" : "A"
            for tampered in [dynamic.replacingOccurrences(of: number, with: otherNumber), String(flipped)] {
                let r = try await fhir.post("/fhir/$verify-health-card", Self.verify(tampered, scene: "registration"))
                #expect(r.status == 400 && r.outcomeCode == "security", "\(r.text)")
            }
            // The untouched code still works: the tampered copies did not use it up.
            #expect(try await fhir.post("/fhir/$verify-health-card", Self.verify(dynamic, scene: "payment")).status == 200)
            // Bad input: not a code, an unknown scene, missing parameters, not Parameters.
            #expect(try await fhir.post("/fhir/$verify-health-card", Self.verify("hello", scene: "registration")).status == 400)
            let scene = try await fhir.post("/fhir/$verify-health-card", Self.verify(code, scene: "shopping"))
            #expect(scene.status == 400 && scene.firstExpression == "scene")
            #expect(try await fhir.post("/fhir/$verify-health-card", #"{"resourceType":"Parameters"}"#).status == 400)
            #expect(try await fhir.post("/fhir/$verify-health-card", #"{"resourceType":"Patient"}"#).status == 400)
            #expect(try await fhir.post("/fhir/$verify-health-card", "{").status == 400)
            // Only hospital, clinic and pharmacy systems and clinical staff verify.
            #expect(try await resident.post("/fhir/$verify-health-card", Self.verify(code, scene: "registration")).status == 403)
        }
    }

    @Test("R-HC-2: concurrent verifies of one dynamic code — on several instances of one PostgreSQL — accept it exactly once", arguments: ServerBackendKind.allCases)
    func concurrentVerify(kind: ServerBackendKind) async throws {
        try await withCardServers(kind, instances: kind == .postgres ? 3 : 1) { env in
            let fhir = env.fhir
            let resident = try await Self.issueAndLogin(fhir)
            let instances = env.instances
            for round in 0..<3 {
                let code = try await resident.get("/fhir/Patient/p1/$health-card-qr?kind=dynamic&format=text").text
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for i in 0..<12 {
                        let client = instances[i % instances.count]
                        group.addTask { try await client.post("/fhir/$verify-health-card", Self.verify(code, scene: "dispensing")).status }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == 200 }.count == 1, "round \(round): \(statuses)")
                #expect(statuses.filter { $0 == 422 }.count == 11, "round \(round): \(statuses)")
            }
        }
    }

    @Test("R-HC-1: when a carded record is merged into one without a card, the survivor takes that card over", arguments: ServerBackendKind.allCases)
    func mergeKeepsTheCard(kind: ServerBackendKind) async throws {
        try await withCardServers(kind) { env in
            let fhir = env.fhir
            try await fhir.putAll([("Patient/p3", #"{"resourceType":"Patient","id":"p3","name":[{"text":"张伟"}]}"#),
                                   ("Patient/p4", #"{"resourceType":"Patient","id":"p4","name":[{"text":"张伟"}]}"#)])
            let issued = try await fhir.post("/fhir/Patient/p3/$health-card", "")
            let number = try #require(Self.parameter(issued, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue)
            let staticCode = try await fhir.get("/fhir/Patient/p3/$health-card-qr?format=text").text
            // The master index merges p3 into p4.
            let merge = try await fhir.put("/fhir/Patient/p3", #"{"resourceType":"Patient","id":"p3","active":false,"link":[{"other":{"reference":"Patient/p4"},"type":"replaced-by"}]}"#)
            #expect(merge.status == 200)
            let seen = try await fhir.get("/fhir/Patient/p4/$health-card")
            #expect(Self.parameter(seen, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue == number)
            let taken = try await fhir.post("/fhir/Patient/p4/$health-card", "")
            #expect(taken.status == 200 && Self.parameter(taken, "cardNumber")?["valueIdentifier"]?["value"]?.stringValue == number)
            let scanned = try await fhir.post("/fhir/$verify-health-card", Self.verify(staticCode, scene: "registration"))
            #expect(Self.parameter(scanned, "patient")?["valueReference"]?["reference"] == "Patient/p4")
            let cards = try await fhir.get("/fhir/Patient/p4").json["identifier"]?.arrayValue?.compactMap { $0["value"]?.stringValue } ?? []
            #expect(cards == [number])
        }
    }
}

extension HealthCardTests {
    static func reader() -> ZbarReader? {
        let reader = ZbarReader.locate()
        if reader == nil, ZbarReader.mustBePresent { Issue.record("CI=true but zbarimg is not installed (scripts/test-setup.sh installs zbar-tools)") }
        return reader
    }

    /// A resident account for `patient`, with the resident's default scopes.
    static func resident(_ fhir: FHIRTestClient, patient: String) async throws -> FHIRTestClient {
        let access = try #require(fhir.access)
        let name = "resident-\(patient)"
        if try await access.account(name) == nil {
            _ = try await access.createPerson(
                name: name, password: name + "-password", roles: [.resident], scopes: try #require(access.policy.defaultScopes[.resident]),
                fhirUser: "Patient/\(patient)")
        }
        return fhir.with(token: try access.mint(for: try #require(try await access.account(name))).accessToken)
    }

    /// Issues p1's and p2's cards, and logs p1's resident in.
    static func issueAndLogin(_ fhir: FHIRTestClient) async throws -> FHIRTestClient {
        #expect(try await fhir.post("/fhir/Patient/p1/$health-card", "").status == 201)
        return try await resident(fhir, patient: "p1")
    }

    static func verify(_ code: String, scene: String, organization: String? = nil) -> String {
        var parameters: [JSON] = [
            .object(JSONObject([("name", "code"), ("valueString", .string(code))])),
            .object(JSONObject([("name", "scene"), ("valueCode", .string(scene))])),
        ]
        if let organization {
            parameters.append(.object(JSONObject([("name", "organization"), ("valueReference", .object(JSONObject([("reference", .string(organization))])))])))
        }
        return JSONWriter.string(.object(JSONObject([("resourceType", "Parameters"), ("parameter", .array(parameters))])))
    }

    static func parameter(_ r: FHIRTestResponse, _ name: String) -> JSON? {
        r.json["parameter"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }
}
