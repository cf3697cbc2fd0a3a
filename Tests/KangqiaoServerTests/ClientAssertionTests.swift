import Access
import Crypto
import FHIRCore
import Foundation
import Testing
import _CryptoExtras

/// SMART Backend Services authentication (issue 5, "client credentials for systems (private_key_jwt
/// or client secret)"): a system client registered with a public key proves itself with a signed,
/// short-lived, single-use assertion (RFC 7523) — ES256, ES384 and RS384.
@Suite("private_key_jwt client assertions")
struct ClientAssertionTests {
    enum Signer {
        case p384(P384.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)

        var alg: String {
            switch self {
            case .p384: "ES384"
            case .p256: "ES256"
            case .rsa: "RS384"
            }
        }

        var jwk: JSON {
            switch self {
            case .p384(let k):
                let raw = [UInt8](k.publicKey.rawRepresentation)
                return ["kty": "EC", "crv": "P-384", "kid": "k384", "x": .string(Base64URL.encode(Array(raw[0..<48]))),
                        "y": .string(Base64URL.encode(Array(raw[48...])))]
            case .p256(let k):
                let raw = [UInt8](k.publicKey.rawRepresentation)
                return ["kty": "EC", "crv": "P-256", "x": .string(Base64URL.encode(Array(raw[0..<32]))), "y": .string(Base64URL.encode(Array(raw[32...])))]
            case .rsa(let k):
                let p = try! k.publicKey.getKeyPrimitives()
                return ["kty": "RSA", "kid": "rsa1", "n": .string(Base64URL.encode([UInt8](p.modulus))), "e": .string(Base64URL.encode([UInt8](p.publicExponent)))]
            }
        }

        func sign(_ data: [UInt8]) -> [UInt8] {
            switch self {
            case .p384(let k): [UInt8](try! k.signature(for: SHA384.hash(data: data)).rawRepresentation)
            case .p256(let k): [UInt8](try! k.signature(for: SHA256.hash(data: data)).rawRepresentation)
            case .rsa(let k): [UInt8](try! k.signature(for: SHA384.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation)
            }
        }

        func assertion(client: String, audience: String, expiresIn: Int64 = 120, jti: String = UUID().uuidString, alg: String? = nil) -> String {
            let header = JSONWriter.bytes(["alg": .string(alg ?? self.alg), "typ": "JWT"])
            let now = Int64(Date().timeIntervalSince1970)
            let claims = JSONWriter.bytes(["iss": .string(client), "sub": .string(client), "aud": .string(audience),
                                           "exp": .number(JSONNumber(Int(now + expiresIn))), "jti": .string(jti)])
            let input = Base64URL.encode(header) + "." + Base64URL.encode(claims)
            return input + "." + Base64URL.encode(sign(Array(input.utf8)))
        }
    }

    func token(_ fhir: FHIRTestClient, _ assertion: String) async throws -> FHIRTestResponse {
        let body = "grant_type=client_credentials&scope=system%2FPatient.rs&client_assertion_type="
            + "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=\(assertion)"
        return try await fhir.anonymous.post("/auth/token", body, headers: ["Content-Type": "application/x-www-form-urlencoded"])
    }

    @Test("ES384, ES256 and RS384 assertions get a token; replay, expiry, wrong audience, wrong key, alg none are refused", arguments: ServerBackendKind.allCases)
    func assertions(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let access = try #require(fhir.access)
            let configuration = try await fhir.anonymous.get("/.well-known/smart-configuration")
            #expect(configuration.json["token_endpoint_auth_methods_supported"]?.arrayValue?.contains("private_key_jwt") == true)
            let audience = try #require(configuration.json["token_endpoint"]?.stringValue)
            let signers: [(String, Signer)] = [
                ("lab-384", .p384(P384.Signing.PrivateKey())), ("lab-256", .p256(P256.Signing.PrivateKey())),
                ("lab-rsa", .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))),
            ]
            for (name, signer) in signers {
                try await access.createClient(name: name, scopes: "system/Patient.rs", publicKeys: ["keys": [signer.jwk]])
                let assertion = signer.assertion(client: name, audience: audience)
                let ok = try await token(fhir, assertion)
                #expect(ok.status == 200, "\(name): \(ok.text)")
                let accessToken = try #require(ok.json["access_token"]?.stringValue)
                #expect(try await fhir.with(token: accessToken).get("/fhir/Patient").status == 200)
                // The same assertion again: its jti was used.
                let replay = try await token(fhir, assertion)
                #expect(replay.status == 400 && replay.json["error"] == "invalid_grant", "\(name) replay: \(replay.text)")
            }
            let (name, signer) = signers[0]
            #expect(try await token(fhir, signer.assertion(client: name, audience: "https://elsewhere.example/auth/token")).status == 401)
            #expect(try await token(fhir, signer.assertion(client: name, audience: audience, expiresIn: -5)).status == 401)
            #expect(try await token(fhir, signer.assertion(client: name, audience: audience, expiresIn: 3600)).status == 401, "longer than five minutes")
            // Signed by another key than the registered one.
            #expect(try await token(fhir, Signer.p384(P384.Signing.PrivateKey()).assertion(client: name, audience: audience)).status == 401)
            // Another client's name in an assertion signed with this key.
            #expect(try await token(fhir, signer.assertion(client: "lab-256", audience: audience)).status == 401)
            // alg none, with the signature stripped.
            let unsigned = signer.assertion(client: name, audience: audience, alg: "none").split(separator: ".").prefix(2).joined(separator: ".") + "."
            #expect(try await token(fhir, unsigned).status == 401)
            // A client registered with a key has no secret to fall back to.
            let secretTry = try await fhir.anonymous.post("/auth/token", "grant_type=client_credentials&client_id=\(name)&client_secret=x",
                                                          headers: ["Content-Type": "application/x-www-form-urlencoded"])
            #expect(secretTry.status == 401)
            // Scopes beyond the registration are refused.
            let wide = signer.assertion(client: name, audience: audience)
            let tooMuch = try await fhir.anonymous.post(
                "/auth/token",
                "grant_type=client_credentials&scope=system%2F*.cruds&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=\(wide)",
                headers: ["Content-Type": "application/x-www-form-urlencoded"])
            #expect(tooMuch.status == 400 && tooMuch.json["error"] == "invalid_scope")
            // A private key member is never stored.
            let stored = try #require(try await access.account("lab-rsa"))
            #expect(JSONWriter.string(stored.publicKeys ?? .null).contains("\"d\"") == false)
        }
    }
}
