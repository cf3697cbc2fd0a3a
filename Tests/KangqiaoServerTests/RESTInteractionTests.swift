import FHIRCore
import Foundation
import Testing

@testable import KangqiaoServer

/// The FHIR REST interactions of http.html, through the real router, on both backends.
@Suite("FHIR REST interactions")
struct RESTInteractionTests {
    static let patient = #"{"resourceType":"Patient","name":[{"family":"张","given":["三"]}],"birthDate":"1980-03-01","gender":"male"}"#

    @Test("create answers 201 with Location, ETag, Last-Modified and the stored resource", arguments: ServerBackendKind.allCases)
    func create(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let r = try await fhir.post("/fhir/Patient", Self.patient)
            #expect(r.status == 201)
            let id = try #require(r.json["id"]?.stringValue)
            #expect(r.header("Location")?.hasSuffix("/fhir/Patient/\(id)/_history/1") == true)
            #expect(r.header("ETag") == "W/\"1\"")
            #expect(r.header("Last-Modified")?.hasSuffix("GMT") == true)
            #expect(r.json["meta"]?["versionId"]?.stringValue == "1")
            #expect(r.json["name"]?.arrayValue?.first?["family"]?.stringValue == "张")
            let read = try await fhir.get("/fhir/Patient/\(id)")
            #expect(read.status == 200)
            #expect(read.body == r.body)
        }
    }

    @Test("create ignores a client id and assigns its own")
    func createAssignsId() async throws {
        try await withFHIRServer { fhir, _ in
            let r = try await fhir.post("/fhir/Patient", #"{"resourceType":"Patient","id":"mine"}"#)
            #expect(r.status == 201)
            #expect(r.json["id"]?.stringValue != "mine")
        }
    }

    @Test("update makes a new version; vread returns each version; an identical update makes none", arguments: ServerBackendKind.allCases)
    func updateAndVread(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let id = try #require(try await fhir.post("/fhir/Patient", Self.patient).json["id"]?.stringValue)
            let changed = #"{"resourceType":"Patient","id":"\#(id)","birthDate":"1981-01-01"}"#
            let u = try await fhir.put("/fhir/Patient/\(id)", changed)
            #expect(u.status == 200)
            #expect(u.header("ETag") == "W/\"2\"")
            let same = try await fhir.put("/fhir/Patient/\(id)", changed)
            #expect(same.status == 200)
            #expect(same.header("ETag") == "W/\"2\"")
            #expect(try await fhir.get("/fhir/Patient/\(id)/_history/1").json["birthDate"]?.stringValue == "1980-03-01")
            #expect(try await fhir.get("/fhir/Patient/\(id)/_history/2").json["birthDate"]?.stringValue == "1981-01-01")
            #expect(try await fhir.get("/fhir/Patient/\(id)/_history/3").status == 404)
        }
    }

    @Test("update of an unknown id creates it (update-as-create) with 201")
    func updateAsCreate() async throws {
        try await withFHIRServer { fhir, _ in
            let r = try await fhir.put("/fhir/Patient/chosen-1", #"{"resourceType":"Patient","id":"chosen-1"}"#)
            #expect(r.status == 201)
            #expect(r.header("Location")?.hasSuffix("/Patient/chosen-1/_history/1") == true)
        }
    }

    @Test("update without an id in the body, or with another id, is a 400 naming Patient.id")
    func updateIdMismatch() async throws {
        try await withFHIRServer { fhir, _ in
            let missing = try await fhir.put("/fhir/Patient/a", #"{"resourceType":"Patient"}"#)
            #expect(missing.status == 400)
            #expect(missing.json["issue"]?.arrayValue?.first?["expression"]?.arrayValue?.first?.stringValue == "Patient.id")
            let other = try await fhir.put("/fhir/Patient/a", #"{"resourceType":"Patient","id":"b"}"#)
            #expect(other.status == 400)
            #expect(try await fhir.get("/fhir/Patient/a").status == 404)
            #expect(try await fhir.get("/fhir/Patient/b").status == 404)
        }
    }

    @Test("delete is logical: read answers 410, history keeps every version, and a new version can follow", arguments: ServerBackendKind.allCases)
    func logicalDelete(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let id = try #require(try await fhir.post("/fhir/Patient", Self.patient).json["id"]?.stringValue)
            let d = try await fhir.delete("/fhir/Patient/\(id)")
            #expect(d.status == 204)
            let gone = try await fhir.get("/fhir/Patient/\(id)")
            #expect(gone.status == 410)
            #expect(gone.isOperationOutcome)
            #expect(try await fhir.get("/fhir/Patient/\(id)/_history/2").status == 410)
            #expect(try await fhir.get("/fhir/Patient/\(id)/_history/1").status == 200)
            let history = try await fhir.get("/fhir/Patient/\(id)/_history")
            #expect(history.json["entry"]?.arrayValue?.map { $0["request"]?["method"]?.stringValue ?? "" } == ["DELETE", "POST"])
            #expect(try await fhir.get("/fhir/Patient?_id=\(id)").json["total"] == 0)
            #expect(try await fhir.delete("/fhir/Patient/unknown").status == 404)
            let revived = try await fhir.put("/fhir/Patient/\(id)", #"{"resourceType":"Patient","id":"\#(id)"}"#)
            #expect(revived.status == 201)
            #expect(revived.header("ETag") == "W/\"3\"")
        }
    }

    @Test("If-Match with the current version updates; a stale one is 412 and changes nothing", arguments: ServerBackendKind.allCases)
    func optimisticLocking(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let id = try #require(try await fhir.post("/fhir/Patient", Self.patient).json["id"]?.stringValue)
            let body = #"{"resourceType":"Patient","id":"\#(id)","gender":"female"}"#
            #expect(try await fhir.put("/fhir/Patient/\(id)", body, headers: ["If-Match": "W/\"1\""]).status == 200)
            let stale = try await fhir.put("/fhir/Patient/\(id)", #"{"resourceType":"Patient","id":"\#(id)","gender":"other"}"#,
                                           headers: ["If-Match": "W/\"1\""])
            #expect(stale.status == 412)
            #expect(stale.isOperationOutcome)
            #expect(try await fhir.get("/fhir/Patient/\(id)").json["gender"]?.stringValue == "female")
        }
    }

    @Test("of concurrent updates with the same If-Match exactly one wins", arguments: ServerBackendKind.allCases)
    func concurrentIfMatch(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let id = try #require(try await fhir.post("/fhir/Patient", Self.patient).json["id"]?.stringValue)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<16 {
                    group.addTask {
                        try await fhir.put("/fhir/Patient/\(id)", #"{"resourceType":"Patient","id":"\#(id)","birthDate":"19\#(10 + i)-01-01"}"#,
                                           headers: ["If-Match": "W/\"1\""]).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1)
            #expect(statuses.filter { $0 == 412 }.count == 15)
            #expect(try await fhir.get("/fhir/Patient/\(id)").header("ETag") == "W/\"2\"")
        }
    }

    @Test("Prefer return=minimal answers no body; return=OperationOutcome answers an outcome")
    func preferReturn() async throws {
        try await withFHIRServer { fhir, _ in
            let minimal = try await fhir.post("/fhir/Patient", Self.patient, headers: ["Prefer": "return=minimal"])
            #expect(minimal.status == 201)
            #expect(minimal.body.isEmpty)
            #expect(minimal.header("Location") != nil)
            let oo = try await fhir.post("/fhir/Patient", Self.patient, headers: ["Prefer": "return=OperationOutcome"])
            #expect(oo.status == 201)
            #expect(oo.isOperationOutcome)
        }
    }

    @Test("conditional create: no match creates, one match answers 200 with it, two matches are 412", arguments: ServerBackendKind.allCases)
    func conditionalCreate(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            #expect(try await fhir.put("/fhir/Patient/c1", #"{"resourceType":"Patient","id":"c1"}"#).status == 201)
            #expect(try await fhir.put("/fhir/Patient/c2", #"{"resourceType":"Patient","id":"c2"}"#).status == 201)
            let none = try await fhir.post("/fhir/Patient", Self.patient, headers: ["If-None-Exist": "_id=zz"])
            #expect(none.status == 201)
            let one = try await fhir.post("/fhir/Patient", Self.patient, headers: ["If-None-Exist": "_id=c1"])
            #expect(one.status == 200)
            #expect(one.json["id"]?.stringValue == "c1")
            let two = try await fhir.post("/fhir/Patient", Self.patient, headers: ["If-None-Exist": "_id=c1,c2"])
            #expect(two.status == 412)
            #expect(try await fhir.get("/fhir/Patient?_total=accurate").json["total"] == 3)
        }
    }

    @Test("conditional update and delete act on their single match and refuse several")
    func conditionalUpdateDelete() async throws {
        try await withFHIRServer { fhir, _ in
            _ = try await fhir.put("/fhir/Patient/u1", #"{"resourceType":"Patient","id":"u1"}"#)
            _ = try await fhir.put("/fhir/Patient/u2", #"{"resourceType":"Patient","id":"u2"}"#)
            let updated = try await fhir.put("/fhir/Patient?_id=u1", #"{"resourceType":"Patient","gender":"male"}"#)
            #expect(updated.status == 200)
            #expect(updated.json["id"]?.stringValue == "u1")
            let created = try await fhir.put("/fhir/Patient?_id=nobody", #"{"resourceType":"Patient","gender":"male"}"#)
            #expect(created.status == 201)
            #expect(try await fhir.put("/fhir/Patient?_id=u1,u2", #"{"resourceType":"Patient"}"#).status == 412)
            #expect(try await fhir.request(.delete, "/fhir/Patient?_id=u1,u2", bytes: nil).status == 412)
            #expect(try await fhir.request(.delete, "/fhir/Patient?_id=u2", bytes: nil).status == 204)
            #expect(try await fhir.get("/fhir/Patient/u2").status == 410)
        }
    }

    @Test("history at instance, type and system level pages newest first and honours _since", arguments: ServerBackendKind.allCases)
    func history(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            for i in 0..<3 { _ = try await fhir.put("/fhir/Patient/h\(i)", #"{"resourceType":"Patient","id":"h\#(i)"}"#) }
            _ = try await fhir.put("/fhir/Patient/h0", #"{"resourceType":"Patient","id":"h0","active":true}"#)
            _ = try await fhir.post("/fhir/Observation", #"{"resourceType":"Observation","status":"final","code":{"text":"x"}}"#)
            let type = try await fhir.get("/fhir/Patient/_history?_count=2")
            #expect(type.json["type"]?.stringValue == "history")
            let entries = type.json["entry"]?.arrayValue ?? []
            #expect(entries.map { $0["resource"]?["id"]?.stringValue ?? "" } == ["h0", "h2"])
            let next = try #require(type.json["link"]?.arrayValue?.first { $0["relation"] == "next" }?["url"]?.stringValue)
            let page2 = try await fhir.get(String(next[next.range(of: "/fhir")!.lowerBound...]))
            #expect(page2.json["entry"]?.arrayValue?.map { $0["resource"]?["id"]?.stringValue ?? "" } == ["h1", "h0"])
            #expect(try await fhir.get("/fhir/_history").json["entry"]?.arrayValue?.count == 5)
            #expect(try await fhir.get("/fhir/Patient/h0/_history").json["entry"]?.arrayValue?.count == 2)
            #expect(try await fhir.get("/fhir/_history?_since=2999-01-01T00:00:00Z").json["entry"] == nil)
            #expect(try await fhir.get("/fhir/Patient/nobody/_history").status == 404)
        }
    }

    @Test("search by _id and _lastUpdated pages with next links and counts only when asked")
    func basicSearch() async throws {
        try await withFHIRServer { fhir, _ in
            for i in 0..<5 { _ = try await fhir.put("/fhir/Patient/s\(i)", #"{"resourceType":"Patient","id":"s\#(i)"}"#) }
            let page = try await fhir.get("/fhir/Patient?_count=2")
            #expect(page.json["total"] == nil)
            #expect(page.json["entry"]?.arrayValue?.count == 2)
            let counted = try await fhir.get("/fhir/Patient?_count=2&_total=accurate")
            #expect(counted.json["total"] == 5)
            var ids: [String] = []
            var url: String? = "/fhir/Patient?_count=2"
            while let u = url {
                let r = try await fhir.get(u)
                ids += r.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["id"]?.stringValue } ?? []
                url = r.json["link"]?.arrayValue?.first { $0["relation"] == "next" }?["url"]?.stringValue.map { String($0[$0.range(of: "/fhir")!.lowerBound...]) }
            }
            #expect(ids == ["s0", "s1", "s2", "s3", "s4"])
            #expect(try await fhir.get("/fhir/Patient?_id=s1,s3").json["total"] == 2)
            #expect(try await fhir.get("/fhir/Patient?_lastUpdated=gt2000-01-01").json["total"] == 5)
            #expect(try await fhir.get("/fhir/Patient?_lastUpdated=lt2000-01-01").json["total"] == 0)
            #expect(try await fhir.get("/fhir/Patient?_summary=count").json["total"] == 5)
            let unknown = try await fhir.get("/fhir/Patient?nonsense=1")
            #expect(unknown.status == 400)
            #expect(unknown.json["issue"]?.arrayValue?.first?["expression"]?.arrayValue?.first?.stringValue == "nonsense")
            let lenient = try await fhir.get("/fhir/Patient?nonsense=1&_id=s1", headers: ["Prefer": "handling=lenient"])
            #expect(lenient.status == 200)
            #expect(lenient.json["total"] == 1)
        }
    }

    @Test("Patient/$everything returns the patient and exactly the resources of their compartment", arguments: ServerBackendKind.allCases)
    func everything(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            _ = try await fhir.put("/fhir/Patient/e1", #"{"resourceType":"Patient","id":"e1"}"#)
            _ = try await fhir.put("/fhir/Patient/e2", #"{"resourceType":"Patient","id":"e2"}"#)
            _ = try await fhir.put("/fhir/Observation/o1", #"{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/e1"}}"#)
            _ = try await fhir.put("/fhir/Condition/c1", #"{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/e1"}}"#)
            _ = try await fhir.put("/fhir/Observation/o2", #"{"resourceType":"Observation","id":"o2","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/e2"}}"#)
            let r = try await fhir.get("/fhir/Patient/e1/$everything")
            #expect(r.status == 200)
            let ids = r.json["entry"]?.arrayValue?.compactMap { e -> String? in
                guard let t = e["resource"]?["resourceType"]?.stringValue, let id = e["resource"]?["id"]?.stringValue else { return nil }
                return "\(t)/\(id)"
            }.sorted()
            #expect(ids == ["Condition/c1", "Observation/o1", "Patient/e1"])
            #expect(try await fhir.get("/fhir/Patient/nobody/$everything").status == 404)
        }
    }

    @Test("$validate answers an OperationOutcome with the validator's findings and stores nothing")
    func validateOperation() async throws {
        try await withFHIRServer { fhir, _ in
            let bad = try await fhir.post("/fhir/Patient/$validate", #"{"resourceType":"Patient","gender":"x","birthDate":"2020-13-01"}"#)
            #expect(bad.status == 200)
            let issues = bad.json["issue"]?.arrayValue ?? []
            #expect(issues.contains { $0["expression"]?.arrayValue?.first?.stringValue == "Patient.gender" })
            #expect(issues.contains { $0["expression"]?.arrayValue?.first?.stringValue == "Patient.birthDate" })
            let good = try await fhir.post("/fhir/Patient/$validate", Self.patient)
            #expect(good.json["issue"]?.arrayValue?.allSatisfy { $0["severity"]?.stringValue == "information" } == true)
            let wrapped = try await fhir.post("/fhir/Patient/$validate",
                #"{"resourceType":"Parameters","parameter":[{"name":"resource","resource":{"resourceType":"Patient","active":"yes"}}]}"#)
            #expect(wrapped.json["issue"]?.arrayValue?.first?["expression"]?.arrayValue?.first?.stringValue == "Patient.active")
            #expect(try await fhir.get("/fhir/Patient?_total=accurate").json["total"] == 0)
        }
    }
}
