// See HealthCardCode.swift: swift-crypto 3's key types are not marked Sendable on Linux.
@preconcurrency import Crypto
import FHIRCore
import FHIRStore

/// A scanned code checked for a scene: who the cardholder is, or why the code is refused. Either
/// way the caller records it in the audit trail (with the patient when the code named one).
public enum HealthCardVerification: Sendable {
    case accepted(Acceptance)
    case refused(FHIRError, patient: ResourceRecord?)

    public struct Acceptance: Sendable {
        public let identity: CardholderIdentity
        public let code: HealthCardCode
        public let scene: HealthCardScene
        public let organization: String?
        public let master: ResourceRecord
    }
}

extension HealthCardService {
    /// Verifies `payload` for `scene` at `organization` (R-HC-2): the platform's signature, the card,
    /// the scene's need for a dynamic code, the expiry, and — recorded in the database so it holds
    /// across instances — that a dynamic code is used once. Throws only when the caller may not
    /// verify codes at all or the store fails; a bad code is a `.refused` outcome.
    public func verify(payload: String, scene sceneCode: String, organization: String?, context: RequestContext) async throws -> HealthCardVerification {
        if let principal = context.principal, policy.verifierRoles.isDisjoint(with: principal.roles) {
            throw FHIRError(status: 403, code: .forbidden,
                            "cards are verified by hospital, clinic and pharmacy systems and their clinical staff (roles: \(policy.verifierRoles.sorted().joined(separator: ", ")))")
        }
        try await repository.authorize(.operation, target: ResourceKey(type: "Patient", id: ""), context: context)
        guard let scene = HealthCardScene(rawValue: sceneCode) else {
            return .refused(FHIRError.badRequest(
                "scene '\(sceneCode)' is not one of \(HealthCardScene.allCases.map(\.rawValue).joined(separator: ", "))", expression: ["scene"]), patient: nil)
        }
        let code: HealthCardCode
        let publicKey = try await signingKey().publicKey
        do {
            code = try HealthCardCode.verified(payload, publicKey: publicKey)
        } catch .malformed(let why) {
            return .refused(FHIRError.badRequest("not an e-health card code: \(why)", expression: ["code"]), patient: nil)
        } catch .badSignature {
            return .refused(FHIRError(status: 400, code: .security,
                                      "R-HC-2: the code's platform signature does not verify: it was altered or not issued here", expression: ["code"]),
                            patient: nil)
        }
        guard let person = try await registry.person(holding: code.cardNumber), person.hasPrefix("Patient/") else {
            return .refused(FHIRError.notFound("card \(code.cardNumber) is not issued on this platform"), patient: nil)
        }
        let master: ResourceRecord
        do {
            master = try await masterRecord(of: String(person.dropFirst("Patient/".count)))
        } catch let error as FHIRError {
            return .refused(error, patient: nil)
        }
        let now = clock()
        if code.kind == .static, policy.requiresDynamicCode(scene) {
            return .refused(FHIRError(status: 422, code: .businessRule,
                                      "R-HC-2: \(scene.rawValue) (\(scene.chineseName)) needs a dynamic code; this static code identifies the cardholder only",
                                      expression: ["code"]), patient: master)
        }
        if code.kind == .dynamic {
            let expires = code.expiresAt ?? 0
            guard now < expires else {
                return .refused(FHIRError(status: 422, code: .businessRule,
                                          "R-HC-2: the dynamic code expired \(now - expires) s ago; show a new one", expression: ["code"]), patient: master)
            }
            guard try await registry.recordUse(of: code, scene: scene, organization: organization, now: now) else {
                return .refused(FHIRError(status: 422, code: .businessRule,
                                          "R-HC-2: the dynamic code was used already; a code is good once", expression: ["code"]), patient: master)
            }
        }
        return .accepted(.init(identity: CardholderIdentity(master: master, card: code.cardNumber), code: code, scene: scene,
                               organization: organization, master: master))
    }
}
