import Crypto
import FHIRCore
import FHIRStore
import Foundation
import _CryptoExtras

/// A system client's public key from its registered JWK Set, for SMART Backend Services
/// authentication (`private_key_jwt`, RFC 7523): the client signs a short-lived assertion with its
/// private key, so no shared secret is ever stored or sent. ES256, ES384 and RS384 (the algorithms
/// SMART names) are accepted.
struct ClientPublicKey {
    enum Key {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey)
    }

    let kid: String?
    let key: Key

    init(jwk: JSON) throws(AccessDenied) {
        kid = jwk["kid"]?.stringValue
        func bytes(_ name: String) throws(AccessDenied) -> [UInt8] {
            guard let text = jwk[name]?.stringValue, let b = Base64URL.decode(text) else { throw .invalidRequest("the JWK has no valid '\(name)'") }
            return b
        }
        switch (jwk["kty"]?.stringValue, jwk["crv"]?.stringValue) {
        case ("EC", "P-256"):
            guard let k = try? P256.Signing.PublicKey(rawRepresentation: try bytes("x") + bytes("y")) else { throw .invalidRequest("not a P-256 point") }
            key = .p256(k)
        case ("EC", "P-384"):
            guard let k = try? P384.Signing.PublicKey(rawRepresentation: try bytes("x") + bytes("y")) else { throw .invalidRequest("not a P-384 point") }
            key = .p384(k)
        case ("RSA", _):
            guard let k = try? _RSA.Signing.PublicKey(n: try bytes("n"), e: try bytes("e")), k.keySizeInBits >= 2048 else {
                throw .invalidRequest("not an RSA public key of at least 2048 bits")
            }
            key = .rsa(k)
        case (let kty, let crv):
            throw .invalidRequest("unsupported JWK key type \(kty ?? "(none)") \(crv ?? "")")
        }
    }

    /// Whether `signature` (JOSE form) over `data` is this key's, under `alg`.
    func verifies(_ signature: [UInt8], over data: [UInt8], alg: String) -> Bool {
        switch (key, alg) {
        case (.p256(let k), "ES256"):
            guard let s = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: SHA256.hash(data: data))
        case (.p384(let k), "ES384"):
            guard let s = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: SHA384.hash(data: data))
        case (.rsa(let k), "RS384"):
            return k.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA384.hash(data: data),
                                      padding: .insecurePKCS1v1_5)
        default:
            return false
        }
    }

    /// The keys of a JWK Set (`{"keys":[…]}`) or of a single JWK.
    static func keys(_ set: JSON) throws(AccessDenied) -> [ClientPublicKey] {
        let items = set["keys"]?.arrayValue ?? [set]
        var keys: [ClientPublicKey] = []
        for item in items { keys.append(try ClientPublicKey(jwk: item)) }
        guard !keys.isEmpty else { throw .invalidRequest("the JWK Set holds no key") }
        return keys
    }
}

extension AccessService {
    static let assertionKind = "client-assertion"
    /// SMART Backend Services: an assertion lives at most five minutes.
    static let assertionMaximumSeconds: Int64 = 300
    public static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    /// Registers a system client that authenticates with signed assertions against `publicKeys`
    /// (a JWK Set or one JWK; only public members are kept).
    public func createClient(name: String, scopes: String, organization: String? = nil, publicKeys: JSON) async throws {
        let allowed = try ScopeSet(parsing: scopes)
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw AccessDenied.invalidRequest("a client name is letters, digits, '-', '_' and '.'")
        }
        let items = publicKeys["keys"]?.arrayValue ?? [publicKeys]
        // A private member ("d", RSA primes) never belongs in the registry.
        let publicMembers: Set<String> = ["kty", "crv", "x", "y", "n", "e", "kid", "alg", "use"]
        let cleaned = JSON.array(items.map { item in .object(JSONObject((item.objectValue ?? JSONObject()).filter { publicMembers.contains($0.0) })) })
        _ = try ClientPublicKey.keys(["keys": cleaned])
        let client = Account(name: name, kind: .system, roles: [.systemClient], scopes: allowed.description, organization: organization,
                             publicKeys: ["keys": cleaned], created: now)
        guard try await insert(client) else { throw AccessDenied.invalidRequest("the name \(name) is taken") }
    }

    /// The client-credentials grant authenticated by `assertion` (RFC 7523 §3): signed by one of the
    /// client's registered keys, issuer and subject the client, audience `tokenEndpoint`, expiring
    /// within five minutes, with a `jti` never seen before (recorded in the database, so a replay
    /// is refused on every instance).
    public func clientAssertion(_ assertion: String, scope: String?, tokenEndpoint: String) async throws -> TokenGrant {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(String(parts[0])), let claimBytes = Base64URL.decode(String(parts[1])),
            let signature = Base64URL.decode(String(parts[2])), let header = try? JSONParser.parse(headerBytes),
            let claims = try? JSONParser.parse(claimBytes)
        else { throw AccessDenied.invalidClient }
        guard let alg = header["alg"]?.stringValue, ["ES256", "ES384", "RS384"].contains(alg) else { throw AccessDenied.invalidClient }
        guard let clientID = claims["iss"]?.stringValue, claims["sub"]?.stringValue == clientID,
            let client = try await account(clientID), client.kind == .system, !client.disabled, let registered = client.publicKeys
        else { throw AccessDenied.invalidClient }
        let audiences = claims["aud"]?.arrayValue?.compactMap(\.stringValue) ?? claims["aud"]?.stringValue.map { [$0] } ?? []
        guard audiences.contains(tokenEndpoint) else { throw AccessDenied.invalidClient }
        let issued = now
        guard let exp = claims["exp"]?.numberValue?.intValue.map(Int64.init), exp > issued, exp - issued <= Self.assertionMaximumSeconds,
            let jti = claims["jti"]?.stringValue, !jti.isEmpty, jti.count <= 256
        else { throw AccessDenied.invalidClient }
        let signed = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        let kid = header["kid"]?.stringValue
        let candidates = try ClientPublicKey.keys(registered).filter { kid == nil || $0.kid == nil || $0.kid == kid }
        guard candidates.contains(where: { $0.verifies(signature, over: signed, alg: alg) }) else { throw AccessDenied.invalidClient }
        let key = clientID.lowercased() + " " + jti
        let fresh = try await backend.write { tx -> Bool in
            if try await tx.privateRecord(kind: Self.assertionKind, key: key) != nil { return false }
            try await tx.putPrivateRecord(kind: Self.assertionKind, key: key, value: Array(String(exp).utf8))
            return true
        }
        guard fresh else { throw AccessDenied.invalidGrant("the assertion's jti was already used") }
        return try mint(for: client, scope: scope)
    }
}
