import FHIRCore
import Foundation
import HTTPTypes
import Testing

/// Issue 5's negative security tests: hostile values in every search parameter type and in ids
/// never reach SQL as code, never read files, never crash; oversized bodies are refused.
@Suite("Negative security: injection, traversal, oversized input")
struct NegativeSecurityTests {
    static let hostile = [
        "' OR '1'='1", "1' OR 1=1 --", "x'; DROP TABLE resource; --", "\") OR 1=1 --", "%27%20OR%201%3D1", "1;SELECT pg_sleep(5)",
        "../../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%00", "\\", "%", "_", "*", "$$", "\u{202E}", String(repeating: "A", count: 4_000),
    ]

    /// One parameter of each search type (and composite), with a valid value they should accept.
    static let parameters: [(type: String, param: String)] = [
        ("Patient", "name"), ("Patient", "family:exact"), ("Patient", "name:contains"), ("Patient", "identifier"), ("Patient", "gender"),
        ("Patient", "birthdate"), ("Observation", "subject"), ("Observation", "value-quantity"), ("RiskAssessment", "probability"),
        ("ValueSet", "url"), ("Observation", "code-value-quantity"), ("Patient", "_id"), ("Patient", "_lastUpdated"),
        ("Observation", "subject:Patient.name"), ("Patient", "_has:Observation:subject:code"),
    ]

    func encode(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

    @Test("hostile values in every parameter type answer 200 or 400 with an OperationOutcome, never 5xx, and change nothing",
          arguments: ServerBackendKind.allCases)
    func injection(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let created = try await fhir.post("/fhir/Patient", #"{"resourceType":"Patient","name":[{"family":"O'Brien"}],"gender":"male"}"#)
            let id = try #require(created.json["id"]?.stringValue)
            var statuses: [Int: Int] = [:]
            for (type, param) in Self.parameters {
                for value in Self.hostile {
                    let r = try await fhir.get("/fhir/\(type)?\(param)=\(encode(value))")
                    statuses[r.status, default: 0] += 1
                    #expect(r.status == 200 || r.status == 400, "\(type)?\(param)=\(value.prefix(40)) → \(r.status)")
                    if r.status == 200 {
                        // Nothing but the one patient could ever match, and only on its own name.
                        let ids = r.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["id"]?.stringValue } ?? []
                        #expect(ids.allSatisfy { $0 == id }, "\(type)?\(param)=\(value.prefix(40)) matched \(ids)")
                    } else {
                        #expect(r.isOperationOutcome)
                    }
                }
            }
            // The quote in a stored value is data: an exact search finds it, a tautology does not.
            #expect(try await fhir.get("/fhir/Patient?family:exact=\(encode("O'Brien"))").json["entry"]?.arrayValue?.count == 1)
            #expect(try await fhir.get("/fhir/Patient?_summary=count").json["total"] == 1)
            #expect(try await fhir.get("/fhir/Patient/\(id)").status == 200)
            #expect(statuses.keys.allSatisfy { $0 < 500 })
        }
    }

    @Test("path traversal and hostile ids are 400 or 404, never a file and never a 5xx")
    func traversal() async throws {
        try await withFHIRServer { fhir, _ in
            for path in [
                "/fhir/Patient/..%2F..%2F..%2Fetc%2Fpasswd", "/fhir/Patient/../../etc/passwd", "/fhir/..%2F..%2Fetc%2Fpasswd",
                "/fhir/Patient/%00", "/fhir/Patient/x'%20OR%20'1'='1", "/fhir/Patient/x/_history/1%20OR%201=1",
                "/fhir/%2E%2E/%2E%2E/etc/passwd", "/fhir/Patient/\(String(repeating: "a", count: 65))",
            ] {
                let r = try await fhir.get(path)
                #expect([400, 404, 405].contains(r.status), "\(path) → \(r.status)")
                #expect(!r.text.contains("root:"), "\(path) leaked a file")
            }
            let put = try await fhir.put("/fhir/Patient/..%2Fetc", #"{"resourceType":"Patient","id":"../etc"}"#)
            #expect(put.status == 400)
        }
    }

    @Test("an oversized body is refused with 413 before it is read whole, also on the token endpoint")
    func oversized() async throws {
        try await withFHIRServer(configuration: .init(maxBodyBytes: 10_000)) { fhir, _ in
            let big = #"{"resourceType":"Patient","name":[{"family":""# + String(repeating: "王", count: 20_000) + #""}]}"#
            let r = try await fhir.post("/fhir/Patient", big)
            #expect(r.status == 413 && r.isOperationOutcome)
            #expect(try await fhir.get("/fhir/Patient?_summary=count").json["total"] == 0)
            let token = try await fhir.anonymous.request(.post, "/auth/token", body: "grant_type=client_credentials&x=" + String(repeating: "a", count: 100_000),
                                                         headers: ["Content-Type": "application/x-www-form-urlencoded"])
            #expect(token.status == 400 || token.status == 401 || token.status == 413)
        }
    }
}

/// A resident reaching for another resident's data by every route is refused, and every refusal is
/// in the trail with the resident as actor (issue 5's negative tests).
@Suite("A resident cannot read another resident's record")
struct ResidentIsolationTests {
    @Test("by id, search, _include, chaining, _has and $everything: refused (and audited) or filtered out by the query",
          arguments: ServerBackendKind.allCases)
    func otherResident(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, runtime in
            let access = try #require(fhir.access)
            let me = try #require(try await fhir.post("/fhir/Patient", #"{"resourceType":"Patient","name":[{"family":"钱"}]}"#).json["id"]?.stringValue)
            let other = try #require(try await fhir.post("/fhir/Patient", #"{"resourceType":"Patient","name":[{"family":"孙"}]}"#).json["id"]?.stringValue)
            let observation = #"{"resourceType":"Observation","status":"final","code":{"text":"HIV"},"subject":{"reference":"Patient/\#(other)"}}"#
            let obs = try #require(try await fhir.post("/fhir/Observation", observation).json["id"]?.stringValue)
            _ = try await access.createPerson(name: "qian", password: "qian-password-1", roles: [.resident], scopes: "patient/*.rs",
                                              fhirUser: "Patient/\(me)")
            let resident = fhir.with(token: try access.mint(for: try #require(try await access.account("qian"))).accessToken)
            // Addressed directly: refused.
            let attempts = [
                "/fhir/Patient/\(other)", "/fhir/Observation/\(obs)", "/fhir/Observation/\(obs)/_history/1",
                "/fhir/Patient/\(other)/$everything", "/fhir/Patient/\(other)/_history", "/fhir/_history", "/fhir?_type=Observation",
            ]
            for path in attempts {
                let r = try await resident.get(path)
                #expect(r.status == 403 || r.status == 400, "\(path) → \(r.status)")
                #expect(!r.text.contains("HIV") && !r.text.contains("孙"), "\(path) leaked data")
            }
            // Searched for: the rule is part of the query, so nothing of the other resident matches,
            // includes and counts included.
            for path in [
                "/fhir/Observation?subject=Patient/\(other)&_total=accurate", "/fhir/Observation?_include=Observation:subject&_total=accurate",
                "/fhir/Patient?_revinclude=Observation:subject", "/fhir/Observation?subject:Patient.name=孙",
                "/fhir/Patient?_has:Observation:subject:code:text=HIV", "/fhir/Observation?code:text=HIV&_total=accurate",
            ] {
                let r = try await resident.get(path)
                #expect(r.status == 200, "\(path) → \(r.status)")
                // The entries, not the self link (which repeats the query), must hold nothing of theirs.
                let entries = JSONWriter.string(r.json["entry"] ?? .array([]))
                #expect(!entries.contains("HIV") && !entries.contains("孙") && !entries.contains(other), "\(path) leaked data: \(entries.prefix(300))")
                if path.contains("_total") { #expect(r.json["total"] == 0, "\(path) counted another resident's data") }
            }
            let refusals = try await runtime.backend.searchAudit(.init(actor: "qian", outcome: 4, limit: 100))
            #expect(refusals.count == attempts.count)
            // Their own record stays reachable.
            #expect(try await resident.get("/fhir/Patient/\(me)").status == 200)
        }
    }
}
