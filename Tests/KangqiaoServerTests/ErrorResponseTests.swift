import FHIRCore
import Foundation
import Testing

@testable import KangqiaoServer

/// Bad requests get a clear OperationOutcome with the right status, never a 500 or a partial write.
@Suite("Error responses")
struct ErrorResponseTests {
    @Test("malformed JSON, wrong resourceType and unknown types are 4xx OperationOutcomes")
    func badBodies() async throws {
        try await withFHIRServer { fhir, _ in
            let cases: [(String, String, Int)] = [
                ("/fhir/Patient", #"{"resourceType":"Patient""#, 400),
                ("/fhir/Patient", "", 400),
                ("/fhir/Patient", #"{"resourceType":"Observation","status":"final","code":{"text":"x"}}"#, 400),
                ("/fhir/Patient", #"[1,2]"#, 400),
                ("/fhir/NotAType", #"{"resourceType":"NotAType"}"#, 404),
            ]
            for (path, body, status) in cases {
                let r = try await fhir.post(path, body)
                #expect(r.status == status, "\(path) \(body)")
                #expect(r.isOperationOutcome)
            }
            let unknownRead = try await fhir.get("/fhir/NotAType/1")
            #expect(unknownRead.status == 404)
            #expect(unknownRead.isOperationOutcome)
            #expect(try await fhir.get("/fhir/Patient?_total=accurate").json["total"] == 0)
        }
    }

    @Test("XML is refused: 415 for an XML body, 406 for _format=xml")
    func formats() async throws {
        try await withFHIRServer { fhir, _ in
            let xml = try await fhir.request(.post, "/fhir/Patient", body: "<Patient xmlns=\"http://hl7.org/fhir\"/>",
                                             headers: ["Content-Type": "application/fhir+xml"])
            #expect(xml.status == 415)
            #expect(xml.isOperationOutcome)
            #expect(try await fhir.get("/fhir/metadata?_format=xml").status == 406)
            #expect(try await fhir.get("/fhir/metadata?_format=json").status == 200)
            let plain = try await fhir.request(.post, "/fhir/Patient", body: #"{"resourceType":"Patient"}"#, headers: ["Content-Type": "application/json"])
            #expect(plain.status == 201)
        }
    }

    @Test("_pretty=true indents the response")
    func pretty() async throws {
        try await withFHIRServer { fhir, _ in
            let r = try await fhir.get("/fhir/metadata?_pretty=true")
            #expect(r.text.contains("\n  \"resourceType\": \"CapabilityStatement\""))
        }
    }

    @Test("an unsupported method on a resource path is 405 with an OperationOutcome")
    func methodNotAllowed() async throws {
        try await withFHIRServer { fhir, _ in
            let r = try await fhir.request(.post, "/fhir/Patient/123", body: #"{"resourceType":"Patient"}"#)
            #expect(r.status == 405)
            #expect(r.isOperationOutcome)
        }
    }

    @Test("the capability statement says FHIR 4.0.1, JSON and the interactions offered")
    func capabilityStatement() async throws {
        try await withFHIRServer { fhir, _ in
            let r = try await fhir.get("/fhir/metadata")
            #expect(r.status == 200)
            #expect(r.json["fhirVersion"]?.stringValue == "4.0.1")
            #expect(r.json["rest"]?.arrayValue?.first?["mode"]?.stringValue == "server")
            let system = r.json["rest"]?.arrayValue?.first?["interaction"]?.arrayValue?.compactMap { $0["code"]?.stringValue }
            #expect(system?.contains("transaction") == true)
        }
    }

    @Test("a body over the configured limit is refused with 413 and nothing is stored")
    func bodyTooLarge() async throws {
        try await withFHIRServer(configuration: .init(maxBodyBytes: 1_000)) { fhir, _ in
            let big = #"{"resourceType":"Patient","name":[{"text":"\#(String(repeating: "x", count: 2_000))"}]}"#
            let r = try await fhir.post("/fhir/Patient", big)
            #expect(r.status == 413)
            #expect(r.outcomeCode == "too-long")
            #expect(try await fhir.get("/fhir/Patient?_total=accurate").json["total"] == 0)
        }
    }

    @Test("an invalid element is a 400 whose expression names it; a broken invariant is a 422")
    func expressionsPointAtTheElement() async throws {
        try await withFHIRServer { fhir, _ in
            let bad = try await fhir.post("/fhir/Patient", #"{"resourceType":"Patient","birthDate":"1980-02-30"}"#)
            #expect(bad.status == 400)
            #expect(bad.json["issue"]?.arrayValue?.first?["expression"]?.arrayValue?.first?.stringValue == "Patient.birthDate")
            let unknown = try await fhir.post("/fhir/Patient", #"{"resourceType":"Patient","nickname":"x"}"#)
            #expect(unknown.status == 400)
            #expect(unknown.json["issue"]?.arrayValue?.first?["expression"]?.arrayValue?.first?.stringValue == "Patient.nickname")
            // ext-1: an extension must have a value or nested extensions, not both.
            let invariant = try await fhir.post("/fhir/Patient",
                #"{"resourceType":"Patient","extension":[{"url":"http://example.org/x","valueString":"a","extension":[{"url":"y","valueString":"b"}]}]}"#)
            #expect(invariant.status == 422)
            #expect(invariant.outcomeCode == "invariant")
        }
    }
}
