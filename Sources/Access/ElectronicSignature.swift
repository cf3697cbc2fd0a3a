// See AccessToken.swift: swift-crypto 3's key types are not marked Sendable on Linux.
@preconcurrency import Crypto
import FHIRCore
import FHIRStore
import Foundation

/// Electronic signatures of clinical documents (issue 5; R-SEC-3): prescriptions, pharmacist
/// approvals, confirmed visit records. The signer's own P-256 key signs the canonical form of one
/// version of the resource (CanonicalJSON); the signature is a detached JWS (`header..signature`,
/// ES256) kept in a Provenance whose target is that version. Keys are made per person on first use
/// and kept sealed under the master key; verification uses the stored public key, never one carried
/// in the Provenance. An HSM or the national SM2 algorithm replaces `PersonalSigningKeys` (seal,
/// public key, sign) and the `alg` — the Provenance format stays.
public struct PersonalSigningKeys: Sendable {
    let backend: any StoreBackend
    let sealer: KeySealer
    static let kind = "person-signing-key"

    public init(backend: any StoreBackend, sealer: KeySealer) {
        self.backend = backend
        self.sealer = sealer
    }

    /// The signer's key, made and stored (sealed) on first use.
    func key(for account: String) async throws -> P256.Signing.PrivateKey {
        try await key(kind: Self.kind, key: Account.key(account), label: "sign:" + Account.key(account))
    }

    /// The platform's own key for one purpose (the e-health card's QR codes), kept like a person's:
    /// made on first use, sealed under the master key, shared by every instance through the database.
    public func platformKey(purpose: String) async throws -> P256.Signing.PrivateKey {
        try await key(kind: "platform-signing-key", key: purpose, label: "platform:" + purpose)
    }

    private func key(kind: String, key name: String, label: String) async throws -> P256.Signing.PrivateKey {
        if let sealed = try await backend.privateRecord(kind: kind, key: name) {
            return try sealer.open(sealed, keyID: label)
        }
        let key = P256.Signing.PrivateKey()
        let sealed = try sealer.seal(key, keyID: label)
        return try await backend.write { tx in
            // Two first uses at once: the first stored key wins, the other caller uses it.
            if let existing = try await tx.privateRecord(kind: kind, key: name) {
                return try sealer.open(existing, keyID: label)
            }
            try await tx.putPrivateRecord(kind: kind, key: name, value: sealed)
            return key
        }
    }

    func publicKey(for account: String) async throws -> P256.Signing.PublicKey? {
        guard let sealed = try await backend.privateRecord(kind: Self.kind, key: Account.key(account)) else { return nil }
        return try sealer.open(sealed, keyID: "sign:" + Account.key(account)).publicKey
    }
}

public enum ElectronicSignature {
    /// ASTM E1762 signature types (the FHIR signature-type value set).
    public static let typeSystem = "urn:iso-astm:E1762-95:2013"
    public static let authorSignature = "1.2.840.10065.1.12.1.1"
    public static let verificationSignature = "1.2.840.10065.1.12.1.5"

    /// A Provenance that signs `record` (its current version) by `principal`: who signs, for which
    /// organization, why, and the detached JWS over the canonical form.
    public static func provenance(
        signing record: ResourceRecord, by principal: Principal, keys: PersonalSigningKeys, signatureType: String = authorSignature,
        reason: String? = nil, now: Int64
    ) async throws -> JSON {
        guard let user = principal.fhirUser else { throw FHIRError(status: 403, code: .forbidden, "only a person linked to their FHIR resource signs") }
        let resource = try JSONParser.parse(record.json)
        let key = try await keys.key(for: principal.subject)
        let header = JSON.object(JSONObject([("alg", "ES256"), ("kid", .string("sign:" + principal.subject)), ("typ", "JOSE")]))
        let encodedHeader = Base64URL.encode(JSONWriter.bytes(header))
        let input = encodedHeader + "." + Base64URL.encode(CanonicalJSON.bytes(resource))
        let signature = try key.signature(for: Array(input.utf8)).rawRepresentation
        let jws = encodedHeader + ".." + Base64URL.encode(signature)
        let when = InstantFormat.string(millis: now)
        var signer = JSONObject([("reference", .string(user))])
        signer.set("display", .string(principal.subject), insertingAt: 1)
        var agent = JSONObject([("who", .object(signer))])
        if let org = principal.organization { agent.set("onBehalfOf", .object(JSONObject([("reference", .string(org))])), insertingAt: agent.count) }
        var provenance = JSONObject([
            ("resourceType", "Provenance"),
            ("target", .array([.object(JSONObject([("reference", .string("\(record.type)/\(record.id)/_history/\(record.versionId)"))]))])),
            ("recorded", .string(when)),
            ("agent", .array([.object(agent)])),
            ("signature", .array([.object(JSONObject([
                ("type", .array([.object(JSONObject([("system", .string(typeSystem)), ("code", .string(signatureType))]))])),
                ("when", .string(when)),
                ("who", .object(signer)),
                ("targetFormat", .string(CanonicalJSON.name)),
                ("sigFormat", "application/jose"),
                ("data", .string(Data(jws.utf8).base64EncodedString())),
            ]))])),
        ])
        if let reason {
            provenance.set("reason", .array([.object(JSONObject([("text", .string(reason))]))]), insertingAt: 3)
        }
        return .object(provenance)
    }

    /// The outcome of checking one signature against a version of the resource.
    public struct Check: Sendable, Equatable {
        public var provenance: String
        public var signer: String
        public var signedVersion: Int
        public var valid: Bool
        public var reason: String
    }

    /// Checks every signature of `provenances` (those targeting the resource) against `current`:
    /// a signature is valid when it verifies with the signer's stored key over the canonical form of
    /// the version it names, and that version's content is still the current content.
    public static func verify(_ current: ResourceRecord, provenances: [ResourceRecord], history: (Int) async throws -> ResourceRecord?,
                              keys: PersonalSigningKeys) async throws -> [Check] {
        var checks: [Check] = []
        let currentCanonical = CanonicalJSON.bytes(try JSONParser.parse(current.json))
        for p in provenances {
            guard let o = (try? JSONParser.parse(p.json))?.objectValue else { continue }
            let targets = (o["target"]?.arrayValue ?? []).compactMap { $0["reference"]?.stringValue }
            guard let target = targets.first(where: { $0.hasPrefix("\(current.type)/\(current.id)/_history/") }),
                let version = Int(target.split(separator: "/").last ?? "")
            else { continue }
            for sig in o["signature"]?.arrayValue ?? [] {
                let signer = sig["who"]?["display"]?.stringValue ?? ""
                func check(_ valid: Bool, _ reason: String) {
                    checks.append(Check(provenance: "Provenance/\(p.id)", signer: signer, signedVersion: version, valid: valid, reason: reason))
                }
                guard let data = sig["data"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
                    let jws = String(data: data, encoding: .utf8)
                else { check(false, "the signature data is not a JWS"); continue }
                let parts = jws.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 3, parts[1].isEmpty, let raw = Base64URL.decode(parts[2]),
                    let header = Base64URL.decode(parts[0]).flatMap({ try? JSONParser.parse($0) }), header["alg"] == "ES256",
                    let signature = try? P256.Signing.ECDSASignature(rawRepresentation: raw)
                else { check(false, "the signature is not a detached ES256 JWS"); continue }
                guard let key = try await keys.publicKey(for: signer) else { check(false, "no signing key is known for \(signer)"); continue }
                guard let signed = try await history(version) else { check(false, "version \(version) is not in the history"); continue }
                let signedCanonical = CanonicalJSON.bytes(try JSONParser.parse(signed.json))
                let input = String(parts[0]) + "." + Base64URL.encode(signedCanonical)
                guard key.isValidSignature(signature, for: Array(input.utf8)) else {
                    check(false, "the signature does not match version \(version)")
                    continue
                }
                if signedCanonical == currentCanonical {
                    check(true, version == current.versionId ? "valid" : "valid (later versions changed nothing signed)")
                } else {
                    check(false, "changed after signing: version \(current.versionId) differs from the signed version \(version)")
                }
            }
        }
        return checks
    }
}
