import Testing
@testable import FHIRCore

@Suite("JSON parser and writer")
struct JSONRoundTripTests {
    @Test("decimals keep their exact text")
    func decimalsKeepPrecision() throws {
        let v = try JSONParser.parse(#"{"a":1.50,"b":[1e3,-0.0,"x\u00e9\n"]}"#)
        #expect(JSONWriter.string(v) == #"{"a":1.50,"b":[1e3,-0.0,"xé\n"]}"#)
    }
}
