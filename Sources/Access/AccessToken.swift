// swift-crypto 3 does not mark its key types Sendable on Linux. Ours are immutable (`let`) and only
// used to sign, verify, seal and open, which BoringSSL allows from several threads at once.
@preconcurrency import Crypto
import FHIRCore
import Foundation

/// What an access token says: who (`subject`, the account or client id), for which server
/// (`audience`, the FHIR base URL), until when, with which SMART scopes, and the context the
/// authorization rules need (roles, the user's FHIR resource, organization, patient in context).
public struct AccessTokenClaims: Sendable, Equatable {
    public var issuer: String
    public var subject: String
    public var audience: String
    /// Seconds since 1970 (JWT NumericDate).
    public var issuedAt: Int64
    public var expiresAt: Int64
    public var notBefore: Int64?
    /// Unique per token (`jti`), so a token can be revoked and named in the audit trail.
    public var tokenID: String
    public var clientID: String
    public var scope: String
    public var roles: [Role]
    /// The user's own resource, e.g. `Practitioner/123` or `Patient/456` (SMART `fhirUser`).
    public var fhirUser: String?
    /// The organization the user acts for (`Organization/…`), when the role is tied to one.
    public var organization: String?
    /// The patient in context for `patient/` scopes (SMART launch context).
    public var patient: String?

    public init(
        issuer: String, subject: String, audience: String, issuedAt: Int64, expiresAt: Int64, notBefore: Int64? = nil,
        tokenID: String, clientID: String, scope: String, roles: [Role] = [], fhirUser: String? = nil,
        organization: String? = nil, patient: String? = nil
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.tokenID = tokenID
        self.clientID = clientID
        self.scope = scope
        self.roles = roles
        self.fhirUser = fhirUser
        self.organization = organization
        self.patient = patient
    }

    var json: JSON {
        var o = JSONObject([
            ("iss", .string(issuer)), ("sub", .string(subject)), ("aud", .string(audience)),
            ("iat", .number(JSONNumber(Int(issuedAt)))), ("exp", .number(JSONNumber(Int(expiresAt)))),
            ("jti", .string(tokenID)), ("client_id", .string(clientID)), ("scope", .string(scope)),
        ])
        if let notBefore { o.set("nbf", .number(JSONNumber(Int(notBefore))), insertingAt: o.count) }
        if !roles.isEmpty { o.set("roles", .array(roles.map { .string($0.rawValue) }), insertingAt: o.count) }
        if let fhirUser { o.set("fhirUser", .string(fhirUser), insertingAt: o.count) }
        if let organization { o.set("organization", .string(organization), insertingAt: o.count) }
        if let patient { o.set("patient", .string(patient), insertingAt: o.count) }
        return .object(o)
    }

    init(json o: JSONObject, expectedAudience: String) throws(TokenError) {
        func string(_ key: String) throws(TokenError) -> String {
            guard let s = o[key]?.stringValue, !s.isEmpty else { throw .missingClaim(key) }
            return s
        }
        func seconds(_ key: String) throws(TokenError) -> Int64? {
            guard let v = o[key] else { return nil }
            guard let n = v.numberValue?.intValue else { throw .malformed("claim \(key) is not a whole number of seconds") }
            return Int64(n)
        }
        // `aud` may be one string or an array of them (RFC 7519 §4.1.3); ours must be among them.
        let audience: String
        switch o["aud"] {
        case .string(let s): audience = s
        case .array(let items):
            guard items.contains(.string(expectedAudience)) else { throw .wrongAudience }
            audience = expectedAudience
        default: throw .missingClaim("aud")
        }
        guard let iat = try seconds("iat") else { throw .missingClaim("iat") }
        guard let exp = try seconds("exp") else { throw .missingClaim("exp") }
        var roles: [Role] = []
        if let list = o["roles"] {
            guard let items = list.arrayValue else { throw .malformed("claim roles is not an array") }
            for item in items {
                guard let r = item.stringValue.flatMap(Role.init(rawValue:)) else { throw .malformed("unknown role \(item)") }
                roles.append(r)
            }
        }
        self.init(
            issuer: try string("iss"), subject: try string("sub"), audience: audience, issuedAt: iat, expiresAt: exp,
            notBefore: try seconds("nbf"), tokenID: try string("jti"), clientID: try string("client_id"),
            scope: o["scope"]?.stringValue ?? "", roles: roles, fhirUser: o["fhirUser"]?.stringValue,
            organization: o["organization"]?.stringValue, patient: o["patient"]?.stringValue)
    }
}

/// Why a presented token is refused. Every case answers 401; the message is for the log and the
/// audit record, not a hint to the caller.
public enum TokenError: Error, Sendable, Equatable {
    case malformed(String)
    /// Anything but ES256 — in particular `none` and the HMAC algorithms, which would let a caller
    /// "sign" with the public key (RFC 8725 §2.1, §3.1).
    case unsupportedAlgorithm(String)
    case unknownKey(String)
    case badSignature
    case missingClaim(String)
    case wrongIssuer
    case wrongAudience
    case expired
    case notYetValid
}

/// A P-256 key that signs access tokens (ES256), named by `keyID` (the JWS `kid`).
public struct TokenSigningKey: Sendable {
    public let keyID: String
    public let privateKey: P256.Signing.PrivateKey

    public init(keyID: String, privateKey: P256.Signing.PrivateKey) {
        self.keyID = keyID
        self.privateKey = privateKey
    }

    public static func generate() -> TokenSigningKey {
        let key = P256.Signing.PrivateKey()
        // The kid is derived from the public key (RFC 7638-like), so it never collides across restarts.
        let digest = SHA256.hash(data: key.publicKey.rawRepresentation)
        return TokenSigningKey(keyID: Base64URL.encode(digest.prefix(12)), privateKey: key)
    }

    /// The public half as a JWK (RFC 7517/7518), for `jwks_uri`.
    public var publicJWK: JSON {
        let raw = [UInt8](privateKey.publicKey.rawRepresentation)
        return .object(JSONObject([
            ("kty", "EC"), ("crv", "P-256"), ("alg", "ES256"), ("use", "sig"), ("kid", .string(keyID)),
            ("x", .string(Base64URL.encode(raw[0..<32]))), ("y", .string(Base64URL.encode(raw[32..<64]))),
        ]))
    }

    /// Signs `claims` as a compact JWS: `header.payload.signature`, each base64url.
    public func sign(_ claims: AccessTokenClaims) throws -> String {
        let header = JSON.object(JSONObject([("alg", "ES256"), ("typ", "JWT"), ("kid", .string(keyID))]))
        let signingInput = Base64URL.encode(JSONWriter.bytes(header)) + "." + Base64URL.encode(JSONWriter.bytes(claims.json))
        let signature = try privateKey.signature(for: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
    }
}

/// Checks presented tokens: ES256 only, a known key, an intact signature, our issuer and audience,
/// and the time window (with `leewaySeconds` for clock skew between instances).
public struct TokenVerifier: Sendable {
    public let issuer: String
    public let audience: String
    public let leewaySeconds: Int64
    private let keys: [String: P256.Signing.PublicKey]
    /// Longer tokens are refused before any parsing (a signed token of ours is well under 2 KB).
    public static let maxTokenBytes = 8_192

    public init(issuer: String, audience: String, keys: [String: P256.Signing.PublicKey], leewaySeconds: Int64 = 30) {
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.leewaySeconds = leewaySeconds
    }

    public func verify(_ token: String, now: Int64) throws(TokenError) -> AccessTokenClaims {
        guard token.utf8.count <= Self.maxTokenBytes else { throw .malformed("token longer than \(Self.maxTokenBytes) bytes") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("a JWS has three dot-separated parts, this has \(parts.count)") }
        guard let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
            let signatureBytes = Base64URL.decode(parts[2])
        else { throw .malformed("a part is not base64url") }
        let header = try object(headerBytes, "header")
        guard let alg = header["alg"]?.stringValue else { throw .malformed("header without alg") }
        guard alg == "ES256" else { throw .unsupportedAlgorithm(alg) }
        // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
        guard header["crit"] == nil else { throw .malformed("header names critical extensions") }
        guard let kid = header["kid"]?.stringValue else { throw .malformed("header without kid") }
        guard let key = keys[kid] else { throw .unknownKey(kid) }
        guard signatureBytes.count == 64,
            let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureBytes),
            key.isValidSignature(signature, for: Array((parts[0] + "." + parts[1]).utf8))
        else { throw .badSignature }
        let claims = try AccessTokenClaims(json: try object(payloadBytes, "payload"), expectedAudience: audience)
        guard claims.issuer == issuer else { throw .wrongIssuer }
        guard claims.audience == audience else { throw .wrongAudience }
        guard claims.expiresAt > now - leewaySeconds else { throw .expired }
        if let nbf = claims.notBefore, nbf > now + leewaySeconds { throw .notYetValid }
        guard claims.issuedAt <= now + leewaySeconds else { throw .notYetValid }
        return claims
    }

    private func object(_ bytes: [UInt8], _ part: String) throws(TokenError) -> JSONObject {
        guard let value = try? JSONParser.parse(bytes, maxDepth: 8), let o = value.objectValue else {
            throw .malformed("the \(part) is not a JSON object")
        }
        return o
    }
}
