import Foundation
import Testing
@testable import FHIRCore

/// Whatever is not strict JSON is refused with a message that says what is wrong, and nothing crashes.
@Suite("JSON rejection")
struct JSONRejectionTests {
    struct Fault: Sendable, CustomTestStringConvertible {
        let bytes: [UInt8]
        let message: String
        var testDescription: String { String(decoding: bytes.prefix(40), as: UTF8.self).debugDescription }

        init(_ text: String, _ message: String) {
            bytes = Array(text.utf8)
            self.message = message
        }

        init(bytes: [UInt8], _ message: String) {
            self.bytes = bytes
            self.message = message
        }
    }

    static func quoted(_ raw: [UInt8]) -> [UInt8] { Array(#"{"s":""#.utf8) + raw + Array(#""}"#.utf8) }

    static let faults: [Fault] = [
        Fault("", "empty document"),
        Fault(" \n\t ", "empty document"),
        Fault(#"{"a":1"#, "unterminated object"),
        Fault(#"{"a":"#, "unexpected end of document"),
        Fault(#"{"a"#, "unterminated string"),
        Fault("[1,2", "unterminated array"),
        Fault(#"{"a":1,}"#, "trailing comma before '}'"),
        Fault("[1,]", "trailing comma before ']'"),
        Fault("{'a':1}", "not single quotes"),
        Fault(#"{"a":'x'}"#, "not single quotes"),
        Fault(#"{"a":1,"a":2}"#, "duplicate member name 'a'"),
        Fault(#"{"a":1,"\u0061":2}"#, "duplicate member name 'a'"),
        Fault(#"{"resourceType":"Patient","x":{"resourceType":1,"resourceType":2}}"#, "duplicate member name 'resourceType'"),
        Fault("[1e999]", "out of range"),
        Fault("[-1E+400]", "out of range"),
        Fault("[" + String(repeating: "9", count: 400) + "]", "out of range"),
        Fault("[0185]", "leading zeros"),
        Fault("[-01]", "leading zeros"),
        Fault("[+185]", "must not start with '+'"),
        Fault("[-Infinity]", "Infinity is not a JSON number"),
        Fault("[Infinity]", "expected a JSON value, found 'I'"),
        Fault("[NaN]", "expected a JSON value, found 'N'"),
        Fault("[-]", "'-' must be followed by digits"),
        Fault("[.5]", "expected a JSON value, found '.'"),
        Fault("[1.]", "decimal point must be followed by digits"),
        Fault("[1.e3]", "decimal point must be followed by digits"),
        Fault("[1e]", "exponent must have digits"),
        Fault("[1e+]", "exponent must have digits"),
        Fault("[0x10]", "expected ',' or ']'"),
        Fault("[tru]", "invalid literal, expected 'true'"),
        Fault("[nul", "invalid literal, expected 'null'"),
        Fault("[True]", "expected a JSON value, found 'T'"),
        Fault("[1 2]", "expected ',' or ']'"),
        Fault(#"{"a" 1}"#, "expected ':' after member name 'a'"),
        Fault(#"{"a":1 "b":2}"#, "expected ',' or '}'"),
        Fault("{1:2}", "expected a member name in double quotes"),
        Fault(#"["\x41"]"#, #"invalid escape '\x'"#),
        Fault(#"["\U0041"]"#, #"invalid escape '\U'"#),
        Fault(#"["\u12x4"]"#, "invalid hex digit 'x'"),
        Fault(#"["\u12"]"#, "truncated \\u escape"),
        Fault(#"["\u12"#, "unterminated string"),
        Fault("[\"\\\u{1}\"]", "invalid escape"),
        Fault(#"["\ud800"]"#, "lone high surrogate"),
        Fault(#"["\ud800\u0041"]"#, "not followed by a low surrogate"),
        Fault(#"["\udc00"]"#, "lone low surrogate"),
        Fault(#"["\ude00\ud83d"]"#, "lone low surrogate"),
        Fault("[\"a\tb\"]", "unescaped control character"),
        Fault("[\"a\nb\"]", "unescaped control character"),
        Fault("[\"0123456789\u{1}abcdef\"]", "unescaped control character"),
        Fault("[\"a\\n\u{0}\"]", "unescaped control character"),
        Fault("{} {}", "unexpected '{' after the JSON value"),
        Fault("{}x", "unexpected 'x' after the JSON value"),
        Fault("[1]]", "unexpected ']' after the JSON value"),
        Fault(#"<Patient xmlns="http://hl7.org/fhir"/>"#, "XML or HTML is not JSON"),
        Fault(bytes: quoted([0xFF, 0xFE]), "invalid UTF-8"),
        Fault(bytes: quoted([0xC0, 0xAF]), "invalid UTF-8"),  // overlong '/'
        Fault(bytes: quoted([0xE0, 0x80, 0xAF]), "invalid UTF-8"),  // overlong, three bytes
        Fault(bytes: quoted([0xF0, 0x80, 0x80, 0xAF]), "invalid UTF-8"),  // overlong, four bytes
        Fault(bytes: quoted([0xED, 0xA0, 0x80]), "invalid UTF-8"),  // encoded lone surrogate U+D800
        Fault(bytes: quoted([0xED, 0xB0, 0x80]), "invalid UTF-8"),  // encoded lone surrogate U+DC00
        Fault(bytes: quoted([0xF4, 0x90, 0x80, 0x80]), "invalid UTF-8"),  // above U+10FFFF
        Fault(bytes: quoted([0xE4, 0xB8]), "invalid UTF-8"),  // truncated sequence
        Fault(bytes: quoted([0x80]), "invalid UTF-8"),  // stray continuation byte
        Fault(bytes: quoted(Array("0123456789abcdef".utf8) + [0xC3]), "invalid UTF-8"),
        Fault(bytes: quoted(Array(#"\n"#.utf8) + [0xC0, 0xAF]), "invalid UTF-8"),  // in a string with escapes
        Fault(bytes: Array(#"{""#.utf8) + [0xFF] + Array(#"":1}"#.utf8), "invalid UTF-8"),  // in a member name
        Fault(bytes: [0xEF, 0xBB], "expected a JSON value"),
        Fault(String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000), "nesting deeper than 128 levels"),
        Fault(String(repeating: #"{"a":"#, count: 10_000), "nesting deeper than 128 levels"),
    ]

    @Test("malformed JSON is refused with a clear message", arguments: faults)
    func refused(_ fault: Fault) {
        #expect {
            _ = try JSONParser.parse(fault.bytes)
        } throws: { error in
            guard let e = error as? JSONParseError else { return false }
            return e.message.contains(fault.message) && e.offset <= fault.bytes.count && e.line >= 1 && e.column >= 1
        }
    }

    @Test("an invalid byte is reported where it is")
    func invalidBytePosition() throws {
        let bytes = Self.quoted(Array("abc".utf8) + [0xC0, 0xAF])
        let error = try #require(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
        #expect(error.offset == 9)
    }

    @Test("objects with very many members are checked for duplicates in linear time, even with crafted names")
    func manyMembers() throws {
        // Same length and same first and last eight bytes: equal cheap fingerprints for every name.
        let names = (0..<40_000).map { "abcdefgh" + String(1_000_000 + $0) + "12345678" }
        let body = names.map { #""\#($0)":1"# }.joined(separator: ",")
        let clock = ContinuousClock()
        let start = clock.now
        let parsed = try JSONParser.parse("{" + body + "}")
        #expect(parsed.objectValue?.count == names.count)
        let error = try #require(throws: JSONParseError.self) {
            try JSONParser.parse("{" + body + #","\#(names[12_345])":2}"#)
        }
        #expect(error.message == "duplicate member name '\(names[12_345])'")
        #expect(start.duration(to: clock.now) < .seconds(10))
    }

    @Test("a message quotes at most 64 characters of a member name, control characters escaped")
    func longNameInMessage() throws {
        let name = String(repeating: "n", count: 10_000)
        let error = try #require(throws: JSONParseError.self) { try JSONParser.parse(#"{"\#(name)":1,"\#(name)":2}"#) }
        #expect(error.message.count < 100 && error.message.hasPrefix("duplicate member name 'nnnn"))
        let control = try #require(throws: JSONParseError.self) { try JSONParser.parse(#"{"a\u0001":1,"a\u0001":2}"#) }
        #expect(control.message == #"duplicate member name 'a\u{1}'"#)
    }

    @Test("every prefix of a document is refused, never crashes")
    func truncations() throws {
        let doc = Array(#"{"a":[1.5e-3,true,false,null,"x\u00e9\ud83d\ude00\n",{"b":{}}],"c":"中文"}"#.utf8)
        _ = try JSONParser.parse(doc)
        for n in 0..<doc.count {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(doc[..<n])) }
        }
    }

    // MARK: the shared negative corpus

    static let negative = DefinitionsFixtures.testData.appendingPathComponent("negative")

    /// The JSON-level cases: files named json-*.json and manifest entries of kind "json".
    static let corpusFiles: [String] = {
        var names = Set((try? FileManager.default.contentsOfDirectory(atPath: negative.path)) ?? [])
            .filter { $0.hasPrefix("json-") && $0.hasSuffix(".json") }
        if let manifest = try? JSONParser.parse(DefinitionsFixtures.bytes(negative.appendingPathComponent("manifest.json"))) {
            for item in manifest.arrayValue ?? [] where item["kind"]?.stringValue == "json" {
                if let file = item["file"]?.stringValue { names.insert(file) }
            }
        }
        return names.sorted()
    }()

    /// What each corpus file's message must say.
    static let expectedMessages: [String: String] = [
        "json-bad-escape.json": "invalid escape",
        "json-deep-arrays-10000.json": "nesting deeper than",
        "json-deep-extensions-10000.json": "nesting deeper than",
        "json-duplicate-key.json": "duplicate member name 'gender'",
        "json-duplicate-resourcetype.json": "duplicate member name 'resourceType'",
        "json-empty-body.json": "empty document",
        "json-garbage-after.json": "after the JSON value",
        "json-invalid-utf8.json": "invalid UTF-8",
        "json-number-1e999.json": "out of range",
        "json-number-infinity.json": "Infinity is not a JSON number",
        "json-number-leading-zeros.json": "leading zeros",
        "json-number-plus-sign.json": "must not start with '+'",
        "json-overlong-utf8.json": "invalid UTF-8",
        "json-raw-control-char.json": "unescaped control character",
        "json-single-quotes.json": "single quotes",
        "json-top-level-array.json": "top level is not an object",
        "json-top-level-null.json": "top level is not an object",
        "json-top-level-string.json": "top level is not an object",
        "json-trailing-comma.json": "trailing comma",
        "json-truncated.json": "unterminated",
        "json-whitespace-only.json": "empty document",
        "json-xml-body.json": "XML or HTML is not JSON",
    ]

    @Test("the corpus has all the JSON-level cases this suite knows")
    func corpusIsKnown() {
        #expect(Self.corpusFiles.count >= 20)
        #expect(Set(Self.corpusFiles) == Set(Self.expectedMessages.keys))
    }

    @Test("every JSON-level fault of the negative corpus is refused as a resource body", arguments: corpusFiles)
    func corpusRefused(_ file: String) throws {
        let bytes = try DefinitionsFixtures.bytes(Self.negative.appendingPathComponent(file))
        let error = try #require(throws: JSONParseError.self) { try JSONParser.parseObject(bytes) }
        let expected = try #require(Self.expectedMessages[file], "no expected message for \(file)")
        #expect(error.message.contains(expected), "\(file): \(error)")
        #expect(error.line >= 1 && error.offset <= bytes.count)
    }

    @Test("a top-level array, null or string is valid JSON but not a resource")
    func topLevelScalars() throws {
        for file in ["json-top-level-array.json", "json-top-level-null.json", "json-top-level-string.json"] {
            let bytes = try DefinitionsFixtures.bytes(Self.negative.appendingPathComponent(file))
            #expect(throws: Never.self) { try JSONParser.parse(bytes) }
        }
    }
}
