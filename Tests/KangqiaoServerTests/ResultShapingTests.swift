import FHIRCore
import Foundation
import Testing

/// `_summary` and `_elements` on reads and searches (search.html#summary, #elements).
@Suite("Summary and elements")
struct ResultShapingTests {
    static let observation = #"""
        {"resourceType":"Observation","id":"o1","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">bp</div>"},
         "status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":120,"unit":"mmHg"},
         "note":[{"text":"taken at rest"}]}
        """#

    static func tags(_ r: JSON) -> [String] { r["meta"]?["tag"]?.arrayValue?.compactMap { $0["code"]?.stringValue } ?? [] }

    @Test("_summary=true keeps only the summary elements and marks the result SUBSETTED", arguments: ServerBackendKind.allCases)
    func summaryTrue(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            _ = try await fhir.put("/fhir/Observation/o1", Self.observation)
            let read = try await fhir.get("/fhir/Observation/o1?_summary=true").json
            // Observation.note and .text are not summary elements; status, code, subject and value[x] are.
            #expect(read["note"] == nil)
            #expect(read["text"] == nil)
            #expect(read["status"]?.stringValue == "final")
            #expect(read["valueQuantity"]?["value"] != nil)
            #expect(Self.tags(read).contains("SUBSETTED"))
            let search = try await fhir.get("/fhir/Observation?_summary=true").json
            let entry = try #require(search["entry"]?.arrayValue?.first?["resource"])
            #expect(entry["note"] == nil && entry["code"] != nil)
        }
    }

    @Test("_summary=data drops the narrative; _summary=text keeps it with id and meta")
    func summaryDataAndText() async throws {
        try await withFHIRServer { fhir, _ in
            _ = try await fhir.put("/fhir/Observation/o1", Self.observation)
            let data = try await fhir.get("/fhir/Observation/o1?_summary=data").json
            #expect(data["text"] == nil && data["note"] != nil)
            let text = try await fhir.get("/fhir/Observation/o1?_summary=text").json
            #expect(text["text"] != nil && text["note"] == nil && text["code"] == nil)
            #expect(text["status"]?.stringValue == "final")
        }
    }

    @Test("_elements keeps the named elements, choice elements by their bare name")
    func elements() async throws {
        try await withFHIRServer { fhir, _ in
            _ = try await fhir.put("/fhir/Observation/o1", Self.observation)
            let r = try await fhir.get("/fhir/Observation?_elements=value,status").json
            let o = try #require(r["entry"]?.arrayValue?.first?["resource"])
            #expect(o["valueQuantity"] != nil && o["status"] != nil)
            #expect(o["code"] == nil && o["note"] == nil)
            #expect(Self.tags(o).contains("SUBSETTED"))
            let plain = try await fhir.get("/fhir/Observation/o1").json
            #expect(!Self.tags(plain).contains("SUBSETTED"))
        }
    }
}
