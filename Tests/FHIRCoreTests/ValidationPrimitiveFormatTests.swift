import Testing
@testable import FHIRCore

/// The hand-written R4 primitive format checks, table-driven: (type, value, valid?).
@Suite("Validation: primitive formats")
struct ValidationPrimitiveFormatTests {
    static let strings: [(String, String, Bool)] = [
        ("id", "example-1.a", true), ("id", String(repeating: "a", count: 64), true),
        ("id", String(repeating: "a", count: 65), false), ("id", "a b", false), ("id", "a_b", false),
        ("code", "final", true), ("code", "two words", true), (("code", " male", false)),
        ("code", "male ", false), ("code", "a  b", false), ("code", "a\tb", false),
        ("uri", "http://example.org/a", true), ("uri", "http://example.org/a b", false),
        ("oid", "urn:oid:1.2.3.4", true), ("oid", "1.2.3.4", false), ("oid", "urn:oid:3.1", false),
        ("oid", "urn:oid:1.02", false),
        ("uuid", "urn:uuid:c757873d-ec9a-4326-a141-556f43239520", true),
        ("uuid", "urn:uuid:C757873D-EC9A-4326-A141-556F43239520", false),
        ("date", "1974", true), ("date", "1974-12", true), ("date", "1974-12-25", true),
        ("date", "2024-02-29", true), ("date", "1974-02-30", false), ("date", "2023-02-29", false),
        ("date", "1974-13-01", false), ("date", "25/12/1974", false), ("date", "0000", false),
        ("date", "1974-12-25T10:00:00Z", false),
        ("dateTime", "2015-02-07T13:28:17-05:00", true), ("dateTime", "2015-02-07T13:28:17.239+14:00", true),
        ("dateTime", "2015-02", true), ("dateTime", "2015-02-07T13:28:17", false),
        ("dateTime", "2015-02-07T13:28Z", false), ("dateTime", "2015-02-07T24:00:00Z", false),
        ("dateTime", "2015-02-07T13:28:17+15:00", false),
        ("instant", "2015-02-07T13:28:17.239+02:00", true), ("instant", "2015-02-07", false),
        ("instant", "2015-02-07T13:28:17", false),
        ("time", "13:28:17", true), ("time", "13:28:17.5", true), ("time", "25:61:00", false), ("time", "13:28", false),
        ("base64Binary", "SGVsbG8=", true), ("base64Binary", "SGVs bG8=", true), ("base64Binary", "SGVsbG8", false),
        ("base64Binary", "SGV$bG8=", false),
        ("string", "", false), ("markdown", "**x**", true),
    ]

    @Test("string-valued primitives follow the R4 formats", arguments: strings)
    func stringFormats(_ type: String, _ value: String, _ valid: Bool) {
        #expect((PrimitiveFormat.stringProblem(value, as: type) == nil) == valid, "\(type) \"\(value)\"")
    }

    @Test("numbers and booleans need the right JSON kind and range")
    func numbersAndBooleans() {
        #expect(PrimitiveFormat.problem(with: true, as: "boolean") == nil)
        #expect(PrimitiveFormat.problem(with: 1, as: "boolean") != nil)
        #expect(PrimitiveFormat.problem(with: .number(JSONNumber(unchecked: "1.5")), as: "integer") != nil)
        #expect(PrimitiveFormat.problem(with: .number(JSONNumber(unchecked: "2147483648")), as: "integer") != nil)
        #expect(PrimitiveFormat.problem(with: .number(JSONNumber(unchecked: "-2147483648")), as: "integer") == nil)
        #expect(PrimitiveFormat.problem(with: 0, as: "positiveInt") != nil)
        #expect(PrimitiveFormat.problem(with: 0, as: "unsignedInt") == nil)
        #expect(PrimitiveFormat.problem(with: -1, as: "unsignedInt") != nil)
        #expect(PrimitiveFormat.problem(with: "185", as: "decimal") != nil)
        #expect(PrimitiveFormat.problem(with: .number(JSONNumber(unchecked: "1.50e3")), as: "decimal") == nil)
        #expect(PrimitiveFormat.problem(with: 1, as: "string") != nil)
    }

    @Test("narratives are XHTML divs with basic formatting only and some content")
    func narratives() {
        let ns = "xmlns=\"http://www.w3.org/1999/xhtml\""
        #expect(NarrativeCheck.problem("<div \(ns)><p>Hi <b>there</b></p><!-- c --></div>") == nil)
        #expect(NarrativeCheck.problem("<div \(ns)><img src=\"x.png\"/></div>") == nil)
        #expect(NarrativeCheck.problem("<div \(ns)><script>alert(1)</script></div>") != nil)
        #expect(NarrativeCheck.problem("<div \(ns)><p onclick=\"x()\">a</p></div>") != nil)
        #expect(NarrativeCheck.problem("<div \(ns)>  </div>") != nil)
        #expect(NarrativeCheck.problem("<div>text</div>") != nil)
        #expect(NarrativeCheck.problem("<p \(ns)>text</p>") != nil)
    }
}
