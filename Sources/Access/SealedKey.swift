import FHIRCore
// swift-crypto 3 does not mark its key types Sendable on Linux. Ours are immutable (`let`) and only
// used to sign, verify, seal and open, which BoringSSL allows from several threads at once.
@preconcurrency import Crypto
import Foundation

/// Private keys at rest (token signing keys, each person's signature key) are sealed with AES-256-GCM
/// under the instance's master key, with the key's id as associated data so a sealed key cannot be
/// moved to another id unnoticed. The master key comes from outside the database (a file or an
/// environment variable); an HSM or a national SM2/SM4 module would replace this type and the
/// `P256` keys behind one interface: seal, open, sign.
public struct KeySealer: Sendable {
    private let masterKey: SymmetricKey

    public init(masterKey: SymmetricKey) { self.masterKey = masterKey }

    /// Reads a 32-byte master key given as base64url (as `kangqiao` stores and prints it).
    public init?(encodedMasterKey: String) {
        guard let bytes = Base64URL.decode(encodedMasterKey.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
            return nil
        }
        self.init(masterKey: SymmetricKey(data: bytes))
    }

    public static func newEncodedMasterKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Base64URL.encode($0) }
    }

    public func seal(_ key: P256.Signing.PrivateKey, keyID: String) throws -> [UInt8] {
        try seal(bytes: [UInt8](key.rawRepresentation), label: keyID)
    }

    public func open(_ sealed: [UInt8], keyID: String) throws -> P256.Signing.PrivateKey {
        let raw = try open(bytes: sealed, label: keyID)
        guard let key = try? P256.Signing.PrivateKey(rawRepresentation: raw) else { throw SealedKeyError.cannotOpen(keyID) }
        return key
    }

    /// Seals any secret (a second-factor secret, a key), bound to `label`.
    public func seal(bytes: [UInt8], label: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(bytes, using: masterKey, authenticating: Array(label.utf8))
        guard let combined = box.combined else { throw SealedKeyError.cannotSeal }
        return [UInt8](combined)
    }

    public func open(bytes sealed: [UInt8], label: String) throws -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return [UInt8](try AES.GCM.open(box, using: masterKey, authenticating: Array(label.utf8)))
        } catch {
            throw SealedKeyError.cannotOpen(label)
        }
    }
}

public enum SealedKeyError: Error, Sendable, Equatable {
    case cannotSeal
    /// Wrong master key, a key moved to another id, or altered bytes.
    case cannotOpen(String)
}
