import QRCode

/// Where a card is shown (用卡场景), as the verify operation records it. R-HC-2: payment and
/// record access are sensitive and, by default, need a dynamic code.
public enum HealthCardScene: String, Sendable, CaseIterable {
    case registration
    case consultation
    case dispensing
    case payment
    case recordAccess = "record-access"

    /// The name the hospital's and the resident's screens show.
    public var chineseName: String {
        switch self {
        case .registration: "挂号"
        case .consultation: "就诊"
        case .dispensing: "取药"
        case .payment: "支付"
        case .recordAccess: "调阅健康档案"
        }
    }
}

/// The region's e-health card rules as data, with the defaults of domain-rules.md; a deployment
/// changes them, never the code.
public struct HealthCardPolicy: Sendable {
    /// R-HC-2: how long a dynamic code stays valid after it is generated.
    public var dynamicCodeLifetimeSeconds: Int = 60
    /// How long the record of a used dynamic code is kept for tracing a disputed use (the audit
    /// trail keeps its own record much longer); a replay after that fails on the code's expiry.
    public var usedCodeRecordDays: Int = 7
    /// R-HC-2: scenes where the identity-only static code is not enough (a second factor is needed:
    /// the dynamic code, generated on the resident's own device).
    public var scenesRequiringDynamicCode: Set<HealthCardScene> = [.payment, .recordAccess]
    /// Roles that may verify a code (hospital, pharmacy and clinic systems and their staff).
    public var verifierRoles: Set<String> = ["system-client", "doctor", "nurse", "pharmacist"]
    /// Roles that may generate a dynamic code: the resident (or their guardian) only, so the code
    /// proves the resident's presence; staff print the static code.
    public var dynamicCodeRoles: Set<String> = ["resident"]
    /// The GB/T 2260 code of the issuing region, the first six digits of every card number.
    public var issuerDivisionCode: String = "000000"
    /// `Patient.link` hops followed to the master record at most (merged records point onwards).
    public var maxLinkHops: Int = 8
    /// QR drawing: error-correction level, default and largest pixels per module.
    public var qrErrorCorrection: QRErrorCorrectionLevel = .medium
    public var qrDefaultScale: Int = 8
    public var qrMaxScale: Int = 32

    public init() {}

    public func requiresDynamicCode(_ scene: HealthCardScene) -> Bool { scenesRequiringDynamicCode.contains(scene) }
}
