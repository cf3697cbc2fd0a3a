import Crypto
import FHIRCore
import Foundation
import Testing

@testable import Access

/// Access tokens are ES256 JWTs; a token that is expired, tampered with, for another audience or
/// issuer, unsigned (`alg: none`) or "signed" with another algorithm is refused (issue 5, negative
/// security tests).
@Suite("Access tokens (ES256 JWT)")
struct AccessTokenTests {
    let key = TokenSigningKey.generate()
    let now: Int64 = 1_800_000_000

    func claims(expiresIn: Int64 = 300) -> AccessTokenClaims {
        AccessTokenClaims(
            issuer: "https://kq.example.cn", subject: "acct-1", audience: "https://kq.example.cn/fhir", issuedAt: now,
            expiresAt: now + expiresIn, tokenID: "t-1", clientID: "portal", scope: "user/*.cruds openid fhirUser",
            roles: [.doctor], fhirUser: "Practitioner/p1", organization: "Organization/h1")
    }

    var verifier: TokenVerifier {
        TokenVerifier(issuer: "https://kq.example.cn", audience: "https://kq.example.cn/fhir",
                      keys: [key.keyID: key.privateKey.publicKey])
    }

    /// Re-assembles a token from edited JSON parts, keeping or dropping the signature.
    func forge(header: String, payload: String, signature: String) -> String {
        Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8)) + "." + signature
    }

    func parts(_ token: String) -> [String] { token.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    func decoded(_ part: String) -> String { String(decoding: Base64URL.decode(part) ?? [], as: UTF8.self) }

    @Test("a signed token verifies and gives back every claim")
    func roundTrip() throws {
        let token = try key.sign(claims())
        #expect(try verifier.verify(token, now: now + 10) == claims())
        #expect(decoded(parts(token)[0]).contains(#""alg":"ES256""#))
    }

    @Test("an expired token is refused (after the clock leeway)")
    func expired() throws {
        let token = try key.sign(claims(expiresIn: 300))
        #expect(throws: TokenError.expired) { try verifier.verify(token, now: now + 300 + 31) }
        #expect(try verifier.verify(token, now: now + 300 + 29).subject == "acct-1")
    }

    @Test("a token from the future (nbf, iat) is refused")
    func notYetValid() throws {
        var c = claims()
        c.notBefore = now + 600
        let token = try key.sign(c)
        #expect(throws: TokenError.notYetValid) { try verifier.verify(token, now: now) }
    }

    @Test("a tampered payload (scope escalated) fails the signature")
    func tamperedPayload() throws {
        let p = parts(try key.sign(claims()))
        let escalated = decoded(p[1]).replacingOccurrences(of: "user/*.cruds", with: "system/*.cruds")
        #expect(escalated != decoded(p[1]))
        let forged = p[0] + "." + Base64URL.encode(Array(escalated.utf8)) + "." + p[2]
        #expect(throws: TokenError.badSignature) { try verifier.verify(forged, now: now) }
    }

    @Test("a token signed by another key with our kid fails the signature")
    func otherKey() throws {
        let impostor = TokenSigningKey(keyID: key.keyID, privateKey: P256.Signing.PrivateKey())
        #expect(throws: TokenError.badSignature) { try verifier.verify(try impostor.sign(claims()), now: now) }
    }

    @Test("alg none, HS256 keyed with the public key, and a missing alg are refused before any signature check")
    func algorithmConfusion() throws {
        let p = parts(try key.sign(claims()))
        let payload = decoded(p[1])
        let none = forge(header: #"{"alg":"none","typ":"JWT","kid":"\#(key.keyID)"}"#, payload: payload, signature: "")
        #expect(throws: TokenError.unsupportedAlgorithm("none")) { try verifier.verify(none, now: now) }
        // HS256 "signed" with the public key bytes: the classic key-confusion attack (RFC 8725 §2.1).
        let header = #"{"alg":"HS256","typ":"JWT","kid":"\#(key.keyID)"}"#
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(input.utf8), using: SymmetricKey(data: key.privateKey.publicKey.x963Representation))
        #expect(throws: TokenError.unsupportedAlgorithm("HS256")) { try verifier.verify(input + "." + Base64URL.encode(mac), now: now) }
        let noAlg = forge(header: #"{"typ":"JWT"}"#, payload: payload, signature: p[2])
        #expect(throws: TokenError.malformed("header without alg")) { try verifier.verify(noAlg, now: now) }
    }

    @Test("wrong audience, wrong issuer and an unknown key id are refused")
    func wrongAudienceIssuerKey() throws {
        var c = claims()
        c.audience = "https://other.example.cn/fhir"
        #expect(throws: TokenError.wrongAudience) { try verifier.verify(try key.sign(c), now: now) }
        c = claims()
        c.issuer = "https://evil.example"
        #expect(throws: TokenError.wrongIssuer) { try verifier.verify(try key.sign(c), now: now) }
        let stranger = TokenSigningKey.generate()
        #expect(throws: TokenError.unknownKey(stranger.keyID)) { try verifier.verify(try stranger.sign(claims()), now: now) }
    }

    @Test("malformed tokens are refused with a reason, never a crash", arguments: [
        "", "a.b", "a.b.c.d", "!!!.???.***", "eyJhbGciOiJFUzI1NiJ9..", "e30.e30.AAAA", String(repeating: "A", count: 9_000),
    ])
    func malformed(token: String) {
        #expect(throws: TokenError.self) { try verifier.verify(token, now: now) }
    }

    @Test("the public JWK has the P-256 coordinates that verify our signatures")
    func publicJWK() throws {
        let jwk = try #require(key.publicJWK.objectValue)
        #expect(jwk["kty"] == "EC" && jwk["crv"] == "P-256" && jwk["alg"] == "ES256")
        let x = try #require(jwk["x"]?.stringValue.flatMap { Base64URL.decode($0) })
        let y = try #require(jwk["y"]?.stringValue.flatMap { Base64URL.decode($0) })
        let rebuilt = try P256.Signing.PublicKey(rawRepresentation: x + y)
        let token = try key.sign(claims())
        let other = TokenVerifier(issuer: "https://kq.example.cn", audience: "https://kq.example.cn/fhir", keys: [key.keyID: rebuilt])
        #expect(try other.verify(token, now: now).tokenID == "t-1")
    }
}
