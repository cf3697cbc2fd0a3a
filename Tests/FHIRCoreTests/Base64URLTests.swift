import FHIRCore
import Foundation
import Testing

/// base64url without padding (RFC 4648 §5), the one implementation every module uses.
@Suite("base64url")
struct Base64URLTests {
    @Test("RFC 4648 §10 vectors, unpadded and in the URL alphabet")
    func vectors() {
        let cases = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in cases {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
    }

    @Test("every length and byte value round-trips and agrees with Foundation's base64")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            let foundation = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(encoded == foundation)
            #expect(Base64URL.decode(encoded) == bytes)
        }
    }

    @Test("padding, the standard alphabet, whitespace, 4n+1 lengths and stray bits are refused")
    func strict() {
        for bad in ["Zg==", "Zm9v+A", "Zm9v/A", "Zm 9v", "Zm9vY", "Zh", "Zm9", "Zm+"] {
            #expect(Base64URL.decode(bad) == nil, "\(bad)")
        }
        #expect(Base64URL.decode("Zm8") == Array("fo".utf8))
    }
}
