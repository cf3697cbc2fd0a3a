import FHIRCore
import Testing

/// The CapabilityStatement names every operation the server answers (OperationTable), each with a
/// canonical definition, so a client can discover them.
@Suite("operations in the CapabilityStatement")
struct CapabilityOperationsTests {
    @Test("type and instance operations under their resource, the rest at server level, each with a definition")
    func listed() async throws {
        try await withFHIRServer { fhir, _ in
            let rest = try #require(try await fhir.anonymous.get("/fhir/metadata").json["rest"]?.arrayValue?.first)
            func operations(of type: String) -> [String: String] {
                let resource = rest["resource"]?.arrayValue?.first { $0["type"]?.stringValue == type }
                var out: [String: String] = [:]
                for op in resource?["operation"]?.arrayValue ?? [] { out[op["name"]!.stringValue!] = op["definition"]?.stringValue }
                return out
            }
            let patient = operations(of: "Patient")
            #expect(Set(patient.keys).isSuperset(of: ["everything", "match", "merge", "unmerge", "health-card", "health-card-qr"]))
            #expect(patient["match"] == "http://hl7.org/fhir/OperationDefinition/Patient-match")
            #expect(operations(of: "ValueSet")["expand"] == "http://hl7.org/fhir/OperationDefinition/ValueSet-expand")
            #expect(operations(of: "CodeSystem")["lookup"] == "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup")
            #expect(operations(of: "CodeSystem")["validate-code"] == "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code")
            #expect(operations(of: "ConceptMap")["translate"] == "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate")
            #expect(operations(of: "Task")["resolve-match"] != nil)
            let server = Set((rest["operation"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
            #expect(server.isSuperset(of: ["validate", "export", "verify-health-card", "sign", "verify-signature"]))
            #expect((rest["operation"]?.arrayValue ?? []).allSatisfy { $0["definition"]?.stringValue?.hasPrefix("http") == true })
        }
    }
}
