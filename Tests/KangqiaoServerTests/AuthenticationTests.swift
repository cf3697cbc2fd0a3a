@testable import Access
import FHIRCore
import Foundation
import HTTPTypes
import Testing

/// Issue 5: no endpoint answers anyone it does not know; the token's SMART scopes bound what it may do.
@Suite("Authentication and SMART scopes over HTTP")
struct AuthenticationTests {
    static let patient = #"{"resourceType":"Patient","name":[{"family":"王","given":["伟"]}]}"#

    @Test("without a token every FHIR route answers 401 with a Bearer challenge and an OperationOutcome, and writes nothing",
          arguments: ServerBackendKind.allCases)
    func anonymousRefused(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let anonymous = fhir.anonymous
            for (method, path, body) in [
                (HTTPRequest.Method.get, "/fhir/Patient", nil), (.get, "/fhir/Patient/x", nil), (.post, "/fhir/Patient", Self.patient),
                (.get, "/fhir/_history", nil), (.post, "/fhir", #"{"resourceType":"Bundle","type":"batch"}"#),
                (.get, "/fhir/Patient/$everything", nil), (.post, "/fhir/Patient/$validate", Self.patient),
            ] as [(HTTPRequest.Method, String, String?)] {
                let r = try await anonymous.request(method, path, body: body)
                #expect(r.status == 401, "\(method) \(path)")
                #expect(r.isOperationOutcome && r.outcomeCode == "login")
                #expect(r.header("WWW-Authenticate")?.hasPrefix("Bearer realm=") == true)
            }
            #expect(try await fhir.get("/fhir/Patient?_summary=count").json["total"] == 0)
        }
    }

    @Test("metadata, the SMART configuration, the JWKS and health stay public")
    func publicEndpoints() async throws {
        try await withFHIRServer { fhir, _ in
            let anonymous = fhir.anonymous
            #expect(try await anonymous.get("/fhir/metadata").status == 200)
            let smart = try await anonymous.get("/.well-known/smart-configuration")
            #expect(smart.status == 200 && smart.json["token_endpoint"]?.stringValue?.hasSuffix("/auth/token") == true)
            #expect(try await anonymous.get("/fhir/.well-known/smart-configuration").status == 200)
            #expect(try await anonymous.get("/auth/jwks").json["keys"]?.arrayValue?.first?["alg"] == "ES256")
            #expect(try await anonymous.get("/health").status == 200)
        }
    }

    @Test("expired, tampered, alg:none and wrong-audience tokens are refused with invalid_token")
    func badTokens() async throws {
        try await withFHIRServer { fhir, _ in
            let access = try #require(fhir.access)
            let client = try #require(try await access.account(TestDatabases.suiteClient))
            let good = try access.mint(for: client).accessToken
            let parts = good.split(separator: ".").map(String.init)
            var claims = try access.mint(for: client).claims
            claims.expiresAt = access.now - 3_600
            claims.issuedAt = access.now - 4_000
            let expired = try access.sign(claims)
            var foreign = try access.mint(for: client).claims
            foreign.audience = "https://elsewhere.example/fhir"
            let wrongAudience = try access.sign(foreign)
            let payload = String(decoding: Base64URL.decode(parts[1]) ?? [], as: UTF8.self)
                .replacingOccurrences(of: "system/*.cruds", with: "system/*.cruds system/Extra.c")
            let tampered = parts[0] + "." + Base64URL.encode(Array(payload.utf8)) + "." + parts[2]
            let none = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + parts[1] + "."
            for token in [expired, wrongAudience, tampered, none, "not-a-token", good + "x"] {
                let r = try await fhir.with(token: token).get("/fhir/Patient")
                #expect(r.status == 401)
                #expect(r.header("WWW-Authenticate")?.contains(#"error="invalid_token""#) == true)
            }
            #expect(try await fhir.with(token: good).get("/fhir/Patient").status == 200)
            // Spaces and tabs around the token are not part of it; inside it they are.
            #expect(try await fhir.get("/fhir/Patient", headers: ["Authorization": "bearer  \t\(good) \t"]).status == 200)
            #expect(try await fhir.get("/fhir/Patient", headers: ["Authorization": "Bearer \(parts[0]). \(parts[1]).\(parts[2])"]).status == 401)
            #expect(try await fhir.get("/fhir/Patient", headers: ["Authorization": "Bearer    "]).status == 401)
        }
    }

    @Test("scopes bound the interactions per type: create, read, search, system-wide and bundle entries",
          arguments: ServerBackendKind.allCases)
    func scopes(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let access = try #require(fhir.access)
            let created = try await fhir.post("/fhir/Patient", Self.patient)
            let id = try #require(created.json["id"]?.stringValue)
            let secret = try await access.createClient(name: "lab-system", scopes: "system/Observation.crs system/Patient.r")
            let lab = fhir.with(token: try await access.clientCredentials(clientID: "lab-system", secret: secret, scope: nil).accessToken)
            #expect(try await lab.get("/fhir/Patient/\(id)").status == 200)
            let search = try await lab.get("/fhir/Patient?name=王")
            #expect(search.status == 403 && search.outcomeCode == "forbidden")
            #expect(try await lab.post("/fhir/Patient", Self.patient).status == 403)
            #expect(try await lab.delete("/fhir/Patient/\(id)").status == 403)
            let observation = #"{"resourceType":"Observation","status":"final","code":{"text":"血糖"},"subject":{"reference":"Patient/\#(id)"}}"#
            #expect(try await lab.post("/fhir/Observation", observation).status == 201)
            #expect(try await lab.get("/fhir/Observation?subject=Patient/\(id)").json["entry"]?.arrayValue?.count == 1)
            #expect(try await lab.get("/fhir/_history").status == 403, "system-wide history needs a * scope")
            // A transaction with one entry beyond the scopes is refused whole; nothing is written.
            let bundle = """
                {"resourceType":"Bundle","type":"transaction","entry":[
                {"resource":\(observation),"request":{"method":"POST","url":"Observation"}},
                {"resource":\(Self.patient),"request":{"method":"POST","url":"Patient"}}]}
                """
            #expect(try await lab.post("/fhir", bundle).status == 403)
            #expect(try await fhir.get("/fhir/Observation?_summary=count").json["total"] == 1)
            #expect(try await fhir.get("/fhir/Patient?_summary=count").json["total"] == 1)
        }
    }

    @Test("the token endpoint: client credentials (basic and post), wrong secret 401, scope escalation 400")
    func tokenEndpoint() async throws {
        try await withFHIRServer { fhir, _ in
            let access = try #require(fhir.access)
            let secret = try await access.createClient(name: "pharmacy-7", scopes: "system/MedicationRequest.rs")
            let anonymous = fhir.anonymous
            let form = ["Content-Type": "application/x-www-form-urlencoded"]
            let basic = "Basic " + Data("pharmacy-7:\(secret)".utf8).base64EncodedString()
            let r1 = try await anonymous.request(.post, "/auth/token", body: "grant_type=client_credentials",
                                                 headers: form.merging(["Authorization": basic]) { a, _ in a })
            #expect(r1.status == 200 && r1.json["token_type"] == "Bearer" && r1.header("Cache-Control") == "no-store")
            let token = try #require(r1.json["access_token"]?.stringValue)
            #expect(try await fhir.with(token: token).get("/fhir/MedicationRequest").status == 200)
            let r2 = try await anonymous.request(.post, "/auth/token",
                body: "grant_type=client_credentials&client_id=pharmacy-7&client_secret=\(secret)&scope=system%2FMedicationRequest.s",
                headers: form)
            #expect(r2.status == 200 && r2.json["scope"] == "system/MedicationRequest.s")
            let wrong = try await anonymous.request(.post, "/auth/token",
                body: "grant_type=client_credentials&client_id=pharmacy-7&client_secret=nope", headers: form)
            #expect(wrong.status == 401 && wrong.json["error"] == "invalid_client")
            let escalate = try await anonymous.request(.post, "/auth/token",
                body: "grant_type=client_credentials&client_id=pharmacy-7&client_secret=\(secret)&scope=system%2F*.cruds", headers: form)
            #expect(escalate.status == 400 && escalate.json["error"] == "invalid_scope")
        }
    }

    @Test("a person logs in with password and code, refreshes once, and a reused refresh token is refused; failures throttle (429)")
    func personLogin() async throws {
        try await withFHIRServer { fhir, _ in
            let access = try #require(fhir.access)
            let secret = try await access.createPerson(
                name: "nurse.chen", password: "chen-password-9", roles: [.nurse], scopes: "user/Observation.rs openid",
                fhirUser: "Practitioner/chen")
            let anonymous = fhir.anonymous
            let code = TimeBasedCode(secret: secret).code(at: access.now)
            let login = try await anonymous.post(
                "/auth/login", #"{"username":"nurse.chen","password":"chen-password-9","code":"\#(code)"}"#,
                headers: ["Content-Type": "application/json"])
            #expect(login.status == 200)
            let refresh = try #require(login.json["refresh_token"]?.stringValue)
            let form = ["Content-Type": "application/x-www-form-urlencoded"]
            let next = try await anonymous.request(.post, "/auth/token", body: "grant_type=refresh_token&refresh_token=\(refresh)", headers: form)
            #expect(next.status == 200 && next.json["refresh_token"]?.stringValue != refresh)
            let reused = try await anonymous.request(.post, "/auth/token", body: "grant_type=refresh_token&refresh_token=\(refresh)", headers: form)
            #expect(reused.status == 400 && reused.json["error"] == "invalid_grant")
            var last = 0
            var retryAfter: String?
            for _ in 0..<(access.policy.maxFailedLogins + 1) {
                let r = try await anonymous.post("/auth/login", #"{"username":"nurse.chen","password":"guess","code":"000000"}"#,
                                                 headers: ["Content-Type": "application/json"])
                last = r.status
                retryAfter = r.header("Retry-After")
            }
            #expect(last == 429 && retryAfter != nil)
        }
    }

    @Test("a patient/ scope reaches only the patient's own compartment: reads refused, searches, pages and counts filtered")
    func patientScope() async throws {
        try await withFHIRServer { fhir, _ in
            let access = try #require(fhir.access)
            let mine = try #require(try await fhir.post("/fhir/Patient", Self.patient).json["id"]?.stringValue)
            let other = try #require(try await fhir.post("/fhir/Patient", Self.patient).json["id"]?.stringValue)
            _ = try await access.createPerson(name: "wang.wei", password: "wang-password-1", roles: [.resident],
                                              scopes: "patient/*.rs openid", fhirUser: "Patient/\(mine)")
            let resident = fhir.with(token: try access.mint(for: try #require(try await access.account("wang.wei"))).accessToken)
            for (i, p) in [mine, mine, mine, other, other].enumerated() {
                let o = #"{"resourceType":"Observation","status":"final","code":{"text":"血压 \#(i)"},"subject":{"reference":"Patient/\#(p)"}}"#
                #expect(try await fhir.post("/fhir/Observation", o).status == 201)
            }
            #expect(try await resident.get("/fhir/Patient/\(mine)").status == 200)
            #expect(try await resident.get("/fhir/Patient/\(other)").status == 403)
            let patients = try await resident.get("/fhir/Patient?name=王&_total=accurate")
            #expect(patients.json["total"] == 1 && patients.json["entry"]?.arrayValue?.first?["resource"]?["id"] == .string(mine))
            // Paged two at a time: only the resident's three, the count says three.
            var page = try await resident.get("/fhir/Observation?_count=2&_total=accurate")
            #expect(page.json["total"] == 3)
            var seen: [String] = []
            while true {
                seen += page.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["subject"]?["reference"]?.stringValue } ?? []
                guard let next = page.json["link"]?.arrayValue?.first(where: { $0["relation"] == "next" })?["url"]?.stringValue,
                    let range = next.range(of: "/fhir") else { break }
                page = try await resident.get(String(next[range.lowerBound...]))
            }
            #expect(seen == Array(repeating: "Patient/\(mine)", count: 3))
            #expect(try await resident.post("/fhir/Observation", #"{"resourceType":"Observation","status":"final","code":{"text":"x"}}"#).status == 403)
            let everything = try await resident.get("/fhir/Patient/\(mine)/$everything")
            #expect(everything.status == 200 && everything.json["total"] == 4)
        }
    }
}
