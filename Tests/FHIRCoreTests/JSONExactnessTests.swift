import Testing
@testable import FHIRCore

/// What goes in comes out: numbers as written, strings as decoded, members in document order.
@Suite("JSON exactness")
struct JSONExactnessTests {
    func roundTrip(_ text: String) throws -> String {
        JSONWriter.string(try JSONParser.parse(text))
    }

    @Test("decimals keep their exact text", arguments: [
        "1.50", "0.000", "100", "-0", "-0.0", "0", "1.0e10", "1E+2", "1e-7", "2.5E-3", "-12.34500",
        "123456789012345678901234567890",
        "3.14159265358979323846264338327950288419716939937510",
        "0.1000000000000000055511151231257827021181583404541015625",
        "1e308", "-1.7976931348623157e308", "1e-400",
    ])
    func decimals(_ number: String) throws {
        #expect(try roundTrip("[\(number)]") == "[\(number)]")
        let value = try JSONParser.parse(#"{"v":\#(number)}"#)
        #expect(value["v"]?.numberValue?.text == number)
    }

    @Test("numbers are never forced through Double")
    func notThroughDouble() throws {
        let v = try JSONParser.parse(#"{"a":1.50,"b":[1e3,-0.0,"x\u00e9\n"],"big":18446744073709551617}"#)
        #expect(JSONWriter.string(v) == #"{"a":1.50,"b":[1e3,-0.0,"xé\n"],"big":18446744073709551617}"#)
        #expect(v["big"]?.numberValue?.intValue == nil)  // too big for Int, yet kept exactly
        #expect(v["a"]?.numberValue?.doubleValue == 1.5)
        #expect(v["a"]?.numberValue?.isInteger == false)
        #expect(JSONNumber(42).isInteger && JSONNumber(42).intValue == 42)
    }

    @Test("unicode text is kept, raw or escaped, including characters outside the basic plane")
    func unicode() throws {
        let v = try JSONParser.parse(#"["中文 Ünïcødé 😀", "\u4e2d\u6587", "\ud83d\ude00", "\u00e9", "e\u0301", "\uFFFF"]"#)
        let items = try #require(v.arrayValue).map { $0.stringValue }
        #expect(items == ["中文 Ünïcødé 😀", "中文", "😀", "é", "e\u{301}", "\u{FFFF}"])
        // Written back as raw UTF-8, never as \u escapes.
        #expect(JSONWriter.bytes(v) == Array(#"["中文 Ünïcødé 😀","中文","😀","\#u{E9}","e\#u{301}","\#u{FFFF}"]"#.utf8))
        #expect(JSONWriter.bytes(["😀"]) == [0x5B, 0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22, 0x5D])
    }

    @Test("every escape is decoded; the writer escapes only quote, backslash and control characters")
    func escapes() throws {
        let v = try JSONParser.parse(#"["\"", "\\", "\/", "\b", "\f", "\n", "\r", "\t", "a\u0000b", "\u001F", "\u007f"]"#)
        let items = try #require(v.arrayValue).compactMap { $0.stringValue }
        #expect(items == ["\"", "\\", "/", "\u{8}", "\u{C}", "\n", "\r", "\t", "a\u{0}b", "\u{1F}", "\u{7F}"])
        #expect(JSONWriter.string(v) == #"["\"","\\","/","\b","\f","\n","\r","\t","a\u0000b","\u001f","\#u{7F}"]"#)
    }

    @Test("control characters are written as escapes", arguments: Array(0..<0x20))
    func controlCharacters(_ code: Int) throws {
        let s = "x" + String(UnicodeScalar(UInt8(code))) + "y"
        let written = JSONWriter.string(.string(s))
        #expect(!written.utf8.contains(where: { $0 < 0x20 }))
        #expect(try JSONParser.parse(written) == .string(s))
    }

    @Test("strings long enough for the word-at-a-time paths keep every byte")
    func longStrings() throws {
        for length in [7, 8, 9, 15, 16, 17, 63, 64, 65, 1000] {
            for special in ["\"", "\\", "\n", "\u{1}", "é", "😀"] {
                for position in [0, length / 2, length] {
                    var s = String(repeating: "a", count: length)
                    s.insert(contentsOf: special, at: s.index(s.startIndex, offsetBy: position))
                    let written = JSONWriter.bytes(.string(s))
                    #expect(try JSONParser.parse(written) == .string(s), "length \(length), \(special.debugDescription) at \(position)")
                }
            }
        }
    }

    @Test("object members keep their document order")
    func keyOrder() throws {
        let text = #"{"zeta":1,"alpha":{"y":true,"b":null,"a":[]},"mid":"x","_mid":{}}"#
        let v = try JSONParser.parse(text)
        #expect(v.objectValue?.keys == ["zeta", "alpha", "mid", "_mid"])
        #expect(v["alpha"]?.objectValue?.keys == ["y", "b", "a"])
        #expect(JSONWriter.string(v) == text)
    }

    @Test("whitespace is dropped and a byte order mark is skipped")
    func whitespaceAndBOM() throws {
        let v = try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array(" \t\r\n{ \"a\" :\n[ 1 , 2 ] }\n".utf8))
        #expect(JSONWriter.string(v) == #"{"a":[1,2]}"#)
    }

    @Test("pretty output indents by two and parses back to the same value")
    func pretty() throws {
        let v = try JSONParser.parse(#"{"a":[1,{"b":"c"}],"d":{},"e":[]}"#)
        let pretty = JSONWriter.string(v, pretty: true)
        #expect(pretty == "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"c\"\n    }\n  ],\n  \"d\": {},\n  \"e\": []\n}")
        #expect(try JSONParser.parse(pretty) == v)
        var four: [UInt8] = []
        JSONWriter(indent: 4).write(["a": [1]], into: &four)
        #expect(String(decoding: four, as: UTF8.self) == "{\n    \"a\": [\n        1\n    ]\n}")
        var none: [UInt8] = []
        JSONWriter(indent: -3).write(["a": [1]], into: &none)  // nonsense indent: lines, no spaces, no crash
        #expect(try JSONParser.parse(none) == ["a": [1]])
    }

    @Test("the three parse entry points agree")
    func entryPoints() throws {
        let text = #"{"a":"é","b":[1.0,true,false,null]}"#
        let fromString = try JSONParser.parse(text)
        let fromBytes = try JSONParser.parse(Array(text.utf8))
        let fromBuffer = try Array(text.utf8).withUnsafeBufferPointer { (buf) throws(JSONParseError) -> JSON in
            try JSONParser.parse(buf)
        }
        #expect(fromString == fromBytes && fromBytes == fromBuffer)
        #expect(try JSONParser.parseObject(Array(text.utf8)).keys == ["a", "b"])
    }

    @Test("scalars are values of their own at the top level")
    func scalarsAtTopLevel() throws {
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse(" true ") == .bool(true))
        #expect(try JSONParser.parse("-0") == .number(JSONNumber(unchecked: "-0")))
        #expect(try JSONParser.parse(#""x""#) == .string("x"))
    }

    @Test("writeString and write(into:) append to an existing buffer")
    func appendingAPI() {
        var out: [UInt8] = Array("prefix:".utf8)
        JSONWriter.writeString("a\"b\u{1}", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"prefix:"a\"b\u0001""#)
        JSONWriter().write(["k": [1, "v"]], into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"prefix:"a\"b\u0001"{"k":[1,"v"]}"#)
        JSONWriter.writeString("", into: &out)
        #expect(out.suffix(2) == [0x22, 0x22])
    }

    @Test("nesting up to the limit is accepted")
    func depthLimit() throws {
        let deep = String(repeating: "[", count: JSONParser.defaultMaxDepth) + String(repeating: "]", count: JSONParser.defaultMaxDepth)
        #expect(throws: Never.self) { try JSONParser.parse(deep) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[" + deep + "]") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[[[1]]]", maxDepth: 2) }
        #expect(throws: Never.self) { try JSONParser.parse("[[[1]]]", maxDepth: 3) }
    }

    @Test("a larger maxDepth is capped, so no document can exhaust the stack")
    func depthCap() throws {
        let limit = JSONParser.maxDepthLimit
        let deepest = String(repeating: #"{"a":["#, count: limit / 2) + "1" + String(repeating: "]}", count: limit / 2)
        let value = try JSONParser.parse(deepest, maxDepth: 1_000_000)
        #expect(try JSONParser.parse(JSONWriter.bytes(value), maxDepth: limit) == value)
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(tooDeep, maxDepth: 1_000_000) }
    }
}
