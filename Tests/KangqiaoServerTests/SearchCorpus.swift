import FHIRCore
import Testing

/// The fixed corpus the search tests query, with the ids every expectation names.
enum SearchCorpus {
    static let resources: [(String, String)] = [
        ("Organization/org1", #"{"resourceType":"Organization","id":"org1","name":"Kangqiao Hospital"}"#),
        ("Organization/org2", #"{"resourceType":"Organization","id":"org2","name":"Riverside Clinic"}"#),
        ("Patient/p1", #"""
        {"resourceType":"Patient","id":"p1","gender":"male","birthDate":"1970-01-01",
         "name":[{"family":"张","given":["三"],"text":"张三"}],"managingOrganization":{"reference":"Organization/org1"},
         "identifier":[{"system":"urn:kq:mrn","value":"A1","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]}}]}
        """#),
        ("Patient/p2", #"""
        {"resourceType":"Patient","id":"p2","gender":"female","birthDate":"1985-06-15","name":[{"family":"Müller","given":["Anna"]}],
         "managingOrganization":{"reference":"Organization/org2"},
         "identifier":[{"system":"urn:kq:mrn","value":"B2","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"DL"}]}}]}
        """#),
        ("Patient/p3", #"{"resourceType":"Patient","id":"p3","gender":"male","birthDate":"2000-12-31","name":[{"family":"李","given":["四"]}]}"#),
        ("Patient/p4", #"{"resourceType":"Patient","id":"p4","birthDate":"1985-06","name":[{"family":"Mullins","given":["Ray"]}]}"#),
        ("Patient/p5", #"{"resourceType":"Patient","id":"p5","gender":"female","name":[{"family":"Abbott"}]}"#),
        ("Observation/o1", #"""
        {"resourceType":"Observation","id":"o1","status":"final","subject":{"reference":"Patient/p1"},
         "code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},
         "effectiveDateTime":"2024-01-10T10:00:00+08:00",
         "valueQuantity":{"value":60,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}
        """#),
        ("Observation/o2", #"""
        {"resourceType":"Observation","id":"o2","status":"final","subject":{"reference":"Patient/p2"},
         "code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},
         "effectivePeriod":{"start":"2024-02-01","end":"2024-02-03"},
         "valueQuantity":{"value":72.5,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}
        """#),
        ("Observation/o3", #"""
        {"resourceType":"Observation","id":"o3","status":"final","subject":{"reference":"Patient/p3"},
         "code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},
         "effectiveDateTime":"2024-03-05",
         "valueQuantity":{"value":80,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}
        """#),
        ("RiskAssessment/ra1", #"""
        {"resourceType":"RiskAssessment","id":"ra1","status":"final","subject":{"reference":"Patient/p1"},"prediction":[{"probabilityDecimal":0.25}]}
        """#),
        ("RiskAssessment/ra2", #"""
        {"resourceType":"RiskAssessment","id":"ra2","status":"final","subject":{"reference":"Patient/p2"},"prediction":[{"probabilityDecimal":0.8}]}
        """#),
        ("ValueSet/vs1", #"{"resourceType":"ValueSet","id":"vs1","status":"active","url":"http://example.org/fhir/ValueSet/colors"}"#),
        ("ValueSet/vs2", #"{"resourceType":"ValueSet","id":"vs2","status":"active","url":"http://other.org/ValueSet/sizes"}"#),
    ]

    /// Writes the corpus through the API (PUT, so the ids are the ones above).
    static func load(_ fhir: FHIRTestClient) async throws {
        for (path, json) in resources {
            let r = try await fhir.put("/fhir/" + path, json)
            #expect(r.status == 201, "PUT \(path): \(r.status) \(r.text)")
        }
    }
}

extension FHIRTestResponse {
    /// The ids of the entries with `search.mode` (default "match"), in bundle order.
    func ids(_ mode: String = "match") -> [String] {
        (json["entry"]?.arrayValue ?? []).compactMap { e in
            guard e["search"]?["mode"]?.stringValue == mode else { return nil }
            return e["resource"]?["id"]?.stringValue
        }
    }

    func link(_ relation: String) -> String? {
        guard let url = json["link"]?.arrayValue?.first(where: { $0["relation"]?.stringValue == relation })?["url"]?.stringValue,
            let r = url.range(of: "/fhir")
        else { return nil }
        return String(url[r.lowerBound...])
    }
}

extension FHIRTestClient {
    /// A search GET with the query percent-encoded (`张`, `|`, `+`, spaces), so tests read as written.
    func search(_ path: String) async throws -> FHIRTestResponse {
        var out = ""
        for b in path.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case _ where "-._~/?&=:,%*".utf8.contains(b):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return try await get(out)
    }

    /// The matched ids of a search, sorted (for searches whose order is not the point).
    func matches(_ path: String) async throws -> [String] {
        let r = try await search(path)
        #expect(r.status == 200, "GET \(path): \(r.status) \(r.text)")
        return r.ids().sorted()
    }
}
