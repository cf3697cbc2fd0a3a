import FHIRCore
import Testing

/// The CapabilityStatement claims the search features the engine answers: every composite, `_text`,
/// `_content`, `_list`, and per type the `_include` and `_revinclude` values.
@Suite("search capability statement")
struct SearchCapabilityStatementTests {
    func resource(_ type: String, in statement: JSON) -> JSON? {
        statement["rest"]?.arrayValue?.first?["resource"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    func searchParams(_ entry: JSON?) -> [String: String] {
        var result: [String: String] = [:]
        for p in entry?["searchParam"]?.arrayValue ?? [] {
            if let name = p["name"]?.stringValue { result[name] = p["type"]?.stringValue }
        }
        return result
    }

    @Test("every composite parameter, _text, _content and _list are listed per type")
    func composites() async throws {
        try await withFHIRServer(.sqlite) { fhir, _ in
            let statement = try await fhir.get("/fhir/metadata").json
            let observation = searchParams(resource("Observation", in: statement))
            for code in ["code-value-quantity", "code-value-concept", "code-value-date", "code-value-string", "combo-code-value-quantity",
                         "combo-code-value-concept", "component-code-value-quantity", "component-code-value-concept"] {
                #expect(observation[code] == "composite", "\(code)")
            }
            #expect(observation["_text"] == "string" && observation["_content"] == "string" && observation["_list"] == "token")
            #expect(searchParams(resource("Group", in: statement))["characteristic-value"] == "composite")
            #expect(searchParams(resource("DocumentReference", in: statement))["relationship"] == "composite")
            #expect(searchParams(resource("Questionnaire", in: statement))["context-type-value"] == "composite")
            #expect(searchParams(resource("MolecularSequence", in: statement))["chromosome-variant-coordinate"] == "composite")
        }
    }

    @Test("searchInclude and searchRevInclude name the reference parameters per type")
    func includes() async throws {
        try await withFHIRServer(.sqlite) { fhir, _ in
            let statement = try await fhir.get("/fhir/metadata").json
            let observation = resource("Observation", in: statement)
            let include = (observation?["searchInclude"]?.arrayValue ?? []).compactMap(\.stringValue)
            #expect(include.contains("*") && include.contains("Observation:subject") && include.contains("Observation:patient"))
            #expect(!include.contains("Observation:code"))
            let patientRev = (resource("Patient", in: statement)?["searchRevInclude"]?.arrayValue ?? []).compactMap(\.stringValue)
            #expect(patientRev.contains("Observation:subject") && patientRev.contains("Encounter:patient"))
            #expect(patientRev.contains("Observation:performer") && !patientRev.contains("Observation:code"))
        }
    }
}
