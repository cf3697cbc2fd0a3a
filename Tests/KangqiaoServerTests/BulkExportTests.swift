import Access
import FHIRCore
import Foundation
import Testing

/// FHIR Bulk Data export (issue 5: export is audited and consent applies to it; R-SEC-4): kick-off,
/// status, manifest and NDJSON files; the requester's restrictions shape what is exported.
@Suite("bulk $export")
struct BulkExportTests {
    static let corpus: [(String, String)] = [
        ("Organization/h1", #"{"resourceType":"Organization","id":"h1","name":"一院"}"#),
        ("Patient/a", #"{"resourceType":"Patient","id":"a","name":[{"family":"甲"}]}"#),
        ("Patient/b", #"{"resourceType":"Patient","id":"b","name":[{"family":"乙"}]}"#),
        ("Patient/c", #"{"resourceType":"Patient","id":"c","name":[{"family":"丙"}]}"#),
        ("Encounter/ea", #"{"resourceType":"Encounter","id":"ea","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/a"},"serviceProvider":{"reference":"Organization/h1"}}"#),
        ("Observation/oa", #"{"resourceType":"Observation","id":"oa","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"}}"#),
        ("Observation/ob", #"{"resourceType":"Observation","id":"ob","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/b"}}"#),
        ("Group/g", #"{"resourceType":"Group","id":"g","type":"person","actual":true,"member":[{"entity":{"reference":"Patient/b"}},{"entity":{"reference":"Patient/c"}}]}"#),
    ]

    /// Kicks off, polls to the end, and answers the exported ids by type.
    func export(_ client: FHIRTestClient, _ path: String) async throws -> [String: Set<String>] {
        let kick = try await client.get(path, headers: ["Prefer": "respond-async"])
        #expect(kick.status == 202, "\(path): \(kick.text)")
        let status = try #require(kick.header("Content-Location")).replacingOccurrences(of: "http://localhost", with: "")
        let local = status.hasPrefix("/") ? status : "/" + status.split(separator: "/", maxSplits: 3).dropFirst(2).joined(separator: "/")
        var manifest = try await client.get(local)
        for _ in 0..<200 where manifest.status == 202 {
            try await Task.sleep(for: .milliseconds(20))
            manifest = try await client.get(local)
        }
        #expect(manifest.status == 200, "\(local): \(manifest.status) \(manifest.text)")
        var out: [String: Set<String>] = [:]
        for file in manifest.json["output"]?.arrayValue ?? [] {
            let url = try #require(file["url"]?.stringValue)
            let path = "/" + url.split(separator: "/", maxSplits: 3).dropFirst(2).joined(separator: "/")
            let ndjson = try await client.get(path)
            #expect(ndjson.status == 200)
            let lines = ndjson.text.split(separator: "\n")
            #expect(lines.count == file["count"]?.numberValue?.intValue)
            for line in lines {
                let r = try JSONParser.parse(Array(line.utf8))
                out[r["resourceType"]!.stringValue!, default: []].insert(r["id"]!.stringValue!)
            }
        }
        return out
    }

    @Test("system, Patient and Group export; _type and _since; NDJSON files; audited", arguments: ServerBackendKind.allCases)
    func exports(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await fhir.putAll(Self.corpus)
            let all = try await export(fhir, "/fhir/$export")
            #expect(all["Patient"] == ["a", "b", "c"] && all["Observation"] == ["oa", "ob"] && all["Organization"] == ["h1"])
            let typed = try await export(fhir, "/fhir/Patient/$export?_type=Observation")
            #expect(typed == ["Observation": ["oa", "ob"]])
            let group = try await export(fhir, "/fhir/Group/g/$export")
            #expect(group["Patient"] == ["b", "c"] && group["Observation"] == ["ob"] && group["Organization"] == nil)
            let later = try await export(fhir, "/fhir/$export?_since=2999-01-01T00:00:00Z")
            #expect(later.isEmpty)
            // Asynchronous only; NDJSON only.
            #expect(try await fhir.get("/fhir/$export").status == 400)
            #expect(try await fhir.get("/fhir/$export?_outputFormat=text/csv", headers: ["Prefer": "respond-async"]).status == 400)
            // Audited: the kick-off, and the pages read (a search naming their patients).
            let audit = try await fhir.get("/fhir/AuditEvent?_count=500")
            let texts = audit.text
            #expect(texts.contains("bulk export"))
        }
    }

    @Test("a doctor's export holds only their related patients; another caller cannot see the job", arguments: ServerBackendKind.allCases)
    func restricted(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await fhir.putAll(Self.corpus)
            let access = try #require(fhir.access)
            _ = try await access.createPerson(name: "dr.h1", password: "dr.h1-password-1", roles: [.doctor], scopes: "user/*.rs",
                                              fhirUser: "Practitioner/dr-h1", organization: "Organization/h1")
            let doctor = fhir.with(token: try access.mint(for: try #require(try await access.account("dr.h1"))).accessToken)
            let mine = try await export(doctor, "/fhir/Patient/$export")
            #expect(mine["Patient"] == ["a"] && mine["Observation"] == ["oa"] && mine["Encounter"] == ["ea"])
            // The system client cannot poll the doctor's job.
            let kick = try await doctor.get("/fhir/Patient/$export", headers: ["Prefer": "respond-async"])
            let location = try #require(kick.header("Content-Location"))
            let local = "/" + location.split(separator: "/", maxSplits: 3).dropFirst(2).joined(separator: "/")
            #expect(try await fhir.get(local).status == 404)
            #expect(try await fhir.request(.delete, local).status == 404)
            #expect(try await doctor.request(.delete, local).status == 202)
            #expect(try await doctor.get(local).status == 404)
        }
    }
}
