import FHIRCore
import Testing

/// `_text` (the narrative), `_content` (every text value) as simple case-insensitive contains, also for
/// Chinese, and `_list` (search.html#text, #content, #list), on both backends.
@Suite("search _text, _content and _list")
struct SearchTextContentTests {
    static let corpus: [(String, String)] = [
        ("Patient/t1", #"""
        {"resourceType":"Patient","id":"t1","name":[{"family":"Wang","given":["Wei"]}],
         "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>张三, <b>Diabetes</b> follow-up &amp; review</p></div>"}}
        """#),
        ("Patient/t2", #"""
        {"resourceType":"Patient","id":"t2","name":[{"family":"Zhao"}],"address":[{"city":"Beijing"}],
         "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Hypertension clinic</div>"}}
        """#),
        ("Condition/t3", #"""
        {"resourceType":"Condition","id":"t3","subject":{"reference":"Patient/t2"},"code":{"text":"Chronic DIABETES mellitus"},
         "note":[{"text":"复诊 in three months"}]}
        """#),
        ("DocumentReference/doc", #"""
        {"resourceType":"DocumentReference","id":"doc","status":"current",
         "content":[{"attachment":{"contentType":"text/plain","data":"aGVsbG8=","title":"note.txt"}}]}
        """#),
        ("List/l1", #"""
        {"resourceType":"List","id":"l1","status":"current","mode":"working","title":"Clinic list",
         "entry":[{"item":{"reference":"Patient/t1"}},{"item":{"reference":"Condition/t3"}}]}
        """#),
    ]

    static func load(_ fhir: FHIRTestClient) async throws { try await fhir.putAll(corpus) }

    @Test("_text: contains in the narrative's text without its markup, case-insensitive, Chinese (search.html#text)", arguments: ServerBackendKind.allCases)
    func text(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Patient?_text=diabetes") == ["t1"])
            #expect(try await fhir.matches("/fhir/Patient?_text=张三") == ["t1"])
            #expect(try await fhir.matches("/fhir/Patient?_text=CLINIC") == ["t2"])
            #expect(try await fhir.matches("/fhir/Patient?_text=follow-up%20%26%20review") == ["t1"])  // &amp; is text
            #expect(try await fhir.matches("/fhir/Patient?_text=xhtml") == [])  // markup is not text
            #expect(try await fhir.matches("/fhir/Patient?_text=wang") == [])  // the name is not in the narrative
            #expect(try await fhir.matches("/fhir/Patient?_text=diabetes,clinic") == ["t1", "t2"])
            #expect(try await fhir.matches("/fhir/Condition?_text=diabetes") == [])
            #expect(try await fhir.search("/fhir/Patient?_text:exact=diabetes").status == 400)
        }
    }

    @Test("_content: contains in every text value, type and system level (search.html#content)", arguments: ServerBackendKind.allCases)
    func content(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Patient?_content=wang") == ["t1"])
            #expect(try await fhir.matches("/fhir/Patient?_content=beij") == ["t2"])
            #expect(try await fhir.matches("/fhir/Patient?_content=diabetes") == ["t1"])  // the narrative is content too
            #expect(try await fhir.matches("/fhir/Condition?_content=diabetes") == ["t3"])
            #expect(try await fhir.matches("/fhir/Condition?_content=复诊") == ["t3"])
            #expect(try await fhir.matches("/fhir?_content=diabetes") == ["t1", "t3"])
            #expect(try await fhir.matches("/fhir/Patient?_content=diabetes&_content=wei") == ["t1"])
            #expect(try await fhir.matches("/fhir/Patient?_content=nothing-like-this") == [])
            // Base64 data is not text: "aGVsbG8=" is the attachment's bytes, "note.txt" its title.
            #expect(try await fhir.matches("/fhir/DocumentReference?_content=agvsbg8") == [])
            #expect(try await fhir.matches("/fhir/DocumentReference?_content=note.txt") == ["doc"])
        }
    }

    @Test("_list: the resources a List's entries refer to (search.html#list)", arguments: ServerBackendKind.allCases)
    func list(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            #expect(try await fhir.matches("/fhir/Patient?_list=l1") == ["t1"])
            #expect(try await fhir.matches("/fhir/Condition?_list=l1") == ["t3"])
            #expect(try await fhir.matches("/fhir/Patient?_list=l2") == [])
            #expect(try await fhir.matches("/fhir?_list=l1") == ["t1", "t3"])
        }
    }
}
