// swift-crypto 3 does not mark its key types Sendable on Linux; keys here are immutable values
// used only to sign and verify, which BoringSSL allows from several threads at once.
@preconcurrency import Crypto
import FHIRCore
import Foundation

/// What a card's QR code says, signed by the platform (ECDSA P-256, SHA-256):
///
///     static:  KQHC1:S:<card number>:<signature>
///     dynamic: KQHC1:D:<card number>:<code id>:<expires, Unix seconds>:<signature>
///
/// The signature (64 bytes r‖s, base64url) covers every character before its colon. Identity only:
/// a card number, never health data (R-HC-2). The dynamic code's id is random and is recorded when
/// used, so the code is good once; its expiry is inside the signed part.
public struct HealthCardCode: Sendable, Equatable {
    public enum Kind: String, Sendable { case `static`, dynamic }

    public static let prefix = "KQHC1"

    public let kind: Kind
    public let cardNumber: HealthCardNumber
    /// Dynamic codes only: the single-use id and the end of validity (Unix seconds).
    public let codeID: String?
    public let expiresAt: Int64?

    /// The payload of a static code.
    public static func staticCode(for card: HealthCardNumber) -> HealthCardCode {
        HealthCardCode(kind: .static, cardNumber: card, codeID: nil, expiresAt: nil)
    }

    /// A fresh dynamic code valid until `expiresAt`, with a random 128-bit id.
    public static func dynamicCode(for card: HealthCardNumber, expiresAt: Int64) -> HealthCardCode {
        var generator = SystemRandomNumberGenerator()
        let id = Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return HealthCardCode(kind: .dynamic, cardNumber: card, codeID: id, expiresAt: expiresAt)
    }

    /// The signed part: everything the signature covers.
    var signedText: String {
        switch kind {
        case .static: "\(Self.prefix):S:\(cardNumber.value)"
        case .dynamic: "\(Self.prefix):D:\(cardNumber.value):\(codeID ?? ""):\(expiresAt ?? 0)"
        }
    }

    /// The text put in the QR code.
    public func payload(signedWith key: P256.Signing.PrivateKey) throws -> String {
        let signature = try key.signature(for: Data(signedText.utf8))
        return signedText + ":" + Base64URL.encode([UInt8](signature.rawRepresentation))
    }

    /// Reads a scanned payload and checks the platform's signature. Malformed text and a signature
    /// that does not verify (an altered or foreign code) are both refused: nothing of an unsigned
    /// code is trusted.
    public static func verified(_ payload: String, publicKey: P256.Signing.PublicKey) throws(HealthCardCodeProblem) -> HealthCardCode {
        guard let cut = payload.lastIndex(of: ":") else { throw .malformed("no signature") }
        let signed = String(payload[..<cut])
        let fields = signed.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard fields.first == prefix else { throw .malformed("not a Kangqiao e-health card code") }
        let code: HealthCardCode
        switch (fields.count, fields.count > 1 ? fields[1] : "") {
        case (3, "S"):
            guard let card = HealthCardNumber(fields[2]) else { throw .malformed("the card number is not well formed") }
            code = .staticCode(for: card)
        case (5, "D"):
            guard let card = HealthCardNumber(fields[2]) else { throw .malformed("the card number is not well formed") }
            guard fields[3].count == 22, Base64URL.decode(fields[3])?.count == 16 else { throw .malformed("the code id is not well formed") }
            guard let expires = Int64(fields[4]), expires > 0 else { throw .malformed("the expiry is not a time") }
            code = HealthCardCode(kind: .dynamic, cardNumber: card, codeID: fields[3], expiresAt: expires)
        default:
            throw .malformed("unknown code layout")
        }
        guard code.signedText == signed,
            let raw = Base64URL.decode(String(payload[payload.index(after: cut)...])), raw.count == 64,
            let signature = try? P256.Signing.ECDSASignature(rawRepresentation: raw),
            publicKey.isValidSignature(signature, for: Data(signed.utf8))
        else { throw .badSignature }
        return code
    }
}

public enum HealthCardCodeProblem: Error, Sendable, Equatable {
    case malformed(String)
    /// Altered after signing, or not signed by this platform.
    case badSignature
}

