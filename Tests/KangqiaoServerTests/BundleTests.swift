import FHIRCore
import Foundation
import Testing

@testable import KangqiaoServer

/// batch and transaction Bundles (http.html#transaction).
@Suite("Batch and transaction bundles")
struct BundleTests {
    static func entry(_ fullUrl: String?, _ method: String, _ url: String, _ resource: String? = nil, extra: String = "") -> String {
        var parts: [String] = []
        if let fullUrl { parts.append(#""fullUrl":"\#(fullUrl)""#) }
        if let resource { parts.append(#""resource":\#(resource)"#) }
        parts.append(#""request":{"method":"\#(method)","url":"\#(url)"\#(extra)}"#)
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func bundle(_ type: String, _ entries: [String]) -> String {
        #"{"resourceType":"Bundle","type":"\#(type)","entry":[\#(entries.joined(separator: ","))]}"#
    }

    @Test("a transaction rewrites urn:uuid references to the assigned ids and answers in request order", arguments: ServerBackendKind.allCases)
    func urnRewriting(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let pid = "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"
            let body = Self.bundle("transaction", [
                Self.entry(nil, "POST", "Observation", #"{"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"\#(pid)"}}"#),
                Self.entry(pid, "POST", "Patient", #"{"resourceType":"Patient","name":[{"family":"李"}]}"#),
                Self.entry(nil, "PUT", "Patient/fixed-1", #"{"resourceType":"Patient","id":"fixed-1","link":[{"other":{"reference":"\#(pid)"},"type":"seealso"}]}"#),
            ])
            let r = try await fhir.post("/fhir", body)
            #expect(r.status == 200)
            #expect(r.json["type"]?.stringValue == "transaction-response")
            let entries = try #require(r.json["entry"]?.arrayValue)
            #expect(entries.map { $0["response"]?["status"]?.stringValue ?? "" } == ["201 Created", "201 Created", "201 Created"])
            let patientLocation = try #require(entries[1]["response"]?["location"]?.stringValue)
            let patientRef = patientLocation.components(separatedBy: "/_history").first ?? ""
            #expect(patientRef.hasPrefix("Patient/"))
            let obsLocation = try #require(entries[0]["response"]?["location"]?.stringValue)
            let obs = try await fhir.get("/fhir/" + (obsLocation.components(separatedBy: "/_history").first ?? ""))
            #expect(obs.json["subject"]?["reference"]?.stringValue == patientRef)
            let linked = try await fhir.get("/fhir/Patient/fixed-1")
            #expect(linked.json["link"]?.arrayValue?.first?["other"]?["reference"]?.stringValue == patientRef)
        }
    }

    @Test("a transaction that fails halfway leaves nothing behind", arguments: ServerBackendKind.allCases)
    func atomicity(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            _ = try await fhir.put("/fhir/Patient/keep", #"{"resourceType":"Patient","id":"keep","active":true}"#)
            let body = Self.bundle("transaction", [
                Self.entry(nil, "POST", "Patient", #"{"resourceType":"Patient","active":true}"#),
                Self.entry(nil, "PUT", "Patient/keep", #"{"resourceType":"Patient","id":"keep","active":false}"#),
                Self.entry(nil, "DELETE", "Patient/keep"),
                // Fails: If-Match on a version that does not exist.
                Self.entry(nil, "PUT", "Patient/other", #"{"resourceType":"Patient","id":"other"}"#, extra: #","ifMatch":"W/\"7\"""#),
            ])
            let r = try await fhir.post("/fhir", body)
            #expect(r.status == 412)
            #expect(r.isOperationOutcome)
            let keep = try await fhir.get("/fhir/Patient/keep")
            #expect(keep.status == 200)
            #expect(keep.json["active"] == true)
            #expect(keep.header("ETag") == "W/\"1\"")
            #expect(try await fhir.get("/fhir/Patient?_total=accurate").json["total"] == 1)
            #expect(try await fhir.get("/fhir/_history").json["entry"]?.arrayValue?.count == 1)
        }
    }

    @Test("conditional references and ifNoneExist resolve against existing data inside the transaction", arguments: ServerBackendKind.allCases)
    func conditionalReferences(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            _ = try await fhir.put("/fhir/Patient/known", #"{"resourceType":"Patient","id":"known"}"#)
            let body = Self.bundle("transaction", [
                Self.entry("urn:uuid:0b6a0f5a-0000-4000-8000-000000000001", "POST", "Patient", #"{"resourceType":"Patient"}"#, extra: #","ifNoneExist":"_id=known""#),
                Self.entry(nil, "POST", "Observation",
                           #"{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient?_id=known"},"performer":[{"reference":"urn:uuid:0b6a0f5a-0000-4000-8000-000000000001"}]}"#),
            ])
            let r = try await fhir.post("/fhir", body)
            #expect(r.status == 200)
            let entries = try #require(r.json["entry"]?.arrayValue)
            #expect(entries[0]["response"]?["status"]?.stringValue == "200 OK")
            let obsRef = try #require(entries[1]["response"]?["location"]?.stringValue?.components(separatedBy: "/_history").first)
            let obs = try await fhir.get("/fhir/" + obsRef)
            #expect(obs.json["subject"]?["reference"]?.stringValue == "Patient/known")
            #expect(obs.json["performer"]?.arrayValue?.first?["reference"]?.stringValue == "Patient/known")
            let ambiguous = Self.bundle("transaction", [
                Self.entry(nil, "POST", "Observation", #"{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient?_id=nobody"}}"#),
            ])
            #expect(try await fhir.post("/fhir", ambiguous).status == 412)
        }
    }

    @Test("a transaction processes DELETE, then POST, then PUT, then GET", arguments: ServerBackendKind.allCases)
    func processingOrder(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            _ = try await fhir.put("/fhir/Patient/gone", #"{"resourceType":"Patient","id":"gone"}"#)
            let body = Self.bundle("transaction", [
                Self.entry(nil, "GET", "Patient/gone"),
                Self.entry(nil, "PUT", "Patient/gone", #"{"resourceType":"Patient","id":"gone","active":true}"#),
                Self.entry(nil, "DELETE", "Patient/gone"),
            ])
            let r = try await fhir.post("/fhir", body)
            #expect(r.status == 200)
            let entries = try #require(r.json["entry"]?.arrayValue)
            // The DELETE ran first, the PUT re-created the resource (version 3), the GET saw it.
            #expect(entries[2]["response"]?["status"]?.stringValue == "204 No Content")
            #expect(entries[1]["response"]?["etag"]?.stringValue == "W/\"3\"")
            #expect(entries[0]["resource"]?["active"] == true)
        }
    }

    @Test("a batch answers each entry on its own; a failing entry does not stop the others")
    func batchIndependence() async throws {
        try await withFHIRServer { fhir, _ in
            let body = Self.bundle("batch", [
                Self.entry(nil, "POST", "Patient", #"{"resourceType":"Patient"}"#),
                Self.entry(nil, "GET", "Patient/missing"),
                Self.entry(nil, "PUT", "Patient/b1", #"{"resourceType":"Patient","id":"wrong"}"#),
                Self.entry(nil, "PUT", "Patient/b2", #"{"resourceType":"Patient","id":"b2"}"#),
            ])
            let r = try await fhir.post("/fhir", body)
            #expect(r.status == 200)
            #expect(r.json["type"]?.stringValue == "batch-response")
            let statuses = r.json["entry"]?.arrayValue?.map { $0["response"]?["status"]?.stringValue ?? "" }
            #expect(statuses == ["201 Created", "404", "400", "201 Created"])
            #expect(r.json["entry"]?.arrayValue?[1]["response"]?["outcome"]?["resourceType"]?.stringValue == "OperationOutcome")
            #expect(try await fhir.get("/fhir/Patient/b2").status == 200)
        }
    }

    @Test("malformed bundles are refused with 400 and an expression naming the entry")
    func malformedBundles() async throws {
        try await withFHIRServer { fhir, _ in
            let noRequest = #"{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"}}]}"#
            // bdl-3 (an invariant: 422) or the bundle processor's own check (400); either names the entry.
            let r1 = try await fhir.post("/fhir", noRequest)
            #expect([400, 422].contains(r1.status))
            #expect(r1.json["issue"]?.arrayValue?.first?["expression"]?.arrayValue?.first?.stringValue?.hasPrefix("Bundle.entry") == true)
            let dup = Self.bundle("transaction", [
                Self.entry("urn:uuid:1", "POST", "Patient", #"{"resourceType":"Patient"}"#),
                Self.entry("urn:uuid:1", "POST", "Patient", #"{"resourceType":"Patient"}"#),
            ])
            #expect([400, 422].contains(try await fhir.post("/fhir", dup).status))
            #expect(try await fhir.post("/fhir", #"{"resourceType":"Bundle","type":"collection"}"#).status == 400)
            #expect(try await fhir.post("/fhir", #"{"resourceType":"Patient"}"#).status == 400)
            #expect(try await fhir.get("/fhir/Patient?_total=accurate").json["total"] == 0)
        }
    }
}
