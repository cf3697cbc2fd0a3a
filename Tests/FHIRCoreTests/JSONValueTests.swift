import Testing
@testable import FHIRCore

/// The `JSON` value and `JSONObject` API that the rest of Kangqiao codes against.
@Suite("JSON values")
struct JSONValueTests {
    @Test("members are looked up, replaced, inserted at a position and removed")
    func objectEditing() {
        var o = JSONObject([("resourceType", "Patient"), ("id", "p1")])
        #expect(o["id"] == "p1" && o["missing"] == nil && o.count == 2)
        o["id"] = "p2"
        #expect(o.keys == ["resourceType", "id"] && o["id"] == "p2")
        o.set("meta", ["versionId": "1"], insertingAt: 1)
        #expect(o.keys == ["resourceType", "meta", "id"])
        o.set("id", "p3", insertingAt: 0)  // existing members keep their place
        #expect(o.keys == ["resourceType", "meta", "id"] && o["id"] == "p3")
        o.set("last", true, insertingAt: 99)
        #expect(o.keys.last == "last")
        o["meta"] = nil
        #expect(o.keys == ["resourceType", "id", "last"])
        #expect(o.values == ["Patient", "p3", true])
        var pairs: [String] = []
        for (k, v) in o { pairs.append("\(k)=\(JSONWriter.string(v))") }
        #expect(pairs == [#"resourceType="Patient""#, #"id="p3""#, "last=true"])
    }

    @Test("sameValue ignores member order but == does not")
    func sameValue() throws {
        let a = try JSONParser.parse(#"{"a":1,"b":[{"x":1,"y":2}]}"#)
        let b = try JSONParser.parse(#"{"b":[{"y":2,"x":1}],"a":1}"#)
        #expect(a.sameValue(as: b) && a != b)
        #expect(!a.sameValue(as: try JSONParser.parse(#"{"a":1.0,"b":[{"x":1,"y":2}]}"#)))  // 1 and 1.0 differ in text
        #expect(!a.sameValue(as: try JSONParser.parse(#"{"a":1,"b":[{"x":1}]}"#)))
    }

    @Test("accessors answer for their own kind and nil otherwise")
    func accessors() throws {
        let v = try JSONParser.parse(#"{"s":"x","n":2,"b":false,"a":[null],"o":{"k":"v"}}"#)
        #expect(v["s"]?.stringValue == "x" && v["s"]?.numberValue == nil)
        #expect(v["n"]?.numberValue?.intValue == 2 && v["n"]?.boolValue == nil)
        #expect(v["b"]?.boolValue == false)
        #expect(v["a"]?.arrayValue?.first?.isNull == true)
        #expect(v["o"]?["k"] == "v" && v["o"]?.objectValue?.count == 1)
        #expect(v["s"]?["k"] == nil)
        #expect(v["a"]?.kindName == "array" && v["o"]?.kindName == "object" && v["n"]?.kindName == "number")
    }

    @Test("literals build the same values as parsing")
    func literals() throws {
        let built: JSON = ["resourceType": "Basic", "n": 3, "ok": true, "none": nil, "list": [1, "two"]]
        #expect(built == (try JSONParser.parse(#"{"resourceType":"Basic","n":3,"ok":true,"none":null,"list":[1,"two"]}"#)))
    }

    @Test("an object built with a repeated name holds it once, so its JSON can be parsed back")
    func builtWithRepeatedName() throws {
        let o = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        #expect(o.keys == ["a", "b"] && o["a"] == 3)
        #expect(try JSONParser.parse(JSONWriter.bytes(.object(o))) == .object(o))
    }

    @Test("a number made from text is checked against the JSON grammar")
    func numberFromText() {
        for good in ["0", "-0", "1.50", "-3e2", "2.5E-7", "123456789012345678901234567890"] {
            #expect(JSONNumber(validating: good)?.text == good)
        }
        for bad in ["", "+1", "01", ".5", "1.", "NaN", "Infinity", "1e999", " 1", "1 ", "0x1", "1,5", "\"1\""] {
            #expect(JSONNumber(validating: bad) == nil, "\(bad)")
        }
    }

    @Test("names that share their first and last eight bytes are still different members")
    func fingerprintCollisions() throws {
        let v = try JSONParser.parse(#"{"abcdefgh_X_12345678":1,"abcdefgh_Y_12345678":2,"abcdefgh12345678":3,"ab":4,"ba":5}"#)
        #expect(v.objectValue?.count == 5)
        #expect(v["abcdefgh_Y_12345678"] == 2)
    }

    @Test("a parse error tells the line, column and byte of the fault")
    func errorPosition() {
        do {
            _ = try JSONParser.parse("{\n  \"a\": 1,\n  \"a\": 2\n}")
            Issue.record("a duplicate member was accepted")
        } catch {
            #expect(error.message == "duplicate member name 'a'")
            #expect(error.line == 3 && error.column == 3 && error.offset == 14)
            #expect(error.description == "duplicate member name 'a' at line 3, column 3 (byte 14)")
        }
    }
}
