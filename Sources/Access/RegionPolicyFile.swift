import FHIRCore

extension AccessPolicy {
    /// A region's own values over the defaults, from a JSON object such as
    /// `{"sharingRequiresConsent": true, "auditRetentionDays": 365}` (the file named by
    /// `KANGQIAO_POLICY_FILE`). An unknown name or a value of the wrong kind is an error, so a typing
    /// mistake never leaves a default silently in force; floors the rules set cannot be lowered.
    public init(regional json: JSON) throws(PolicyError) {
        self.init()
        guard let object = json.objectValue else { throw PolicyError("the region policy must be a JSON object") }
        for (name, value) in object {
            func int() throws(PolicyError) -> Int {
                guard let n = value.numberValue?.intValue else { throw PolicyError("\(name) must be a whole number") }
                return n
            }
            func bool() throws(PolicyError) -> Bool {
                guard let b = value.boolValue else { throw PolicyError("\(name) must be true or false") }
                return b
            }
            switch name {
            case "accessTokenSeconds": accessTokenSeconds = Int64(try int())
            case "refreshTokenSeconds": refreshTokenSeconds = Int64(try int())
            case "maxFailedLogins": maxFailedLogins = try int()
            case "failedLoginWindowSeconds": failedLoginWindowSeconds = Int64(try int())
            case "minimumPasswordLength": minimumPasswordLength = try int()
            case "enforceClinicalEligibility": enforceClinicalEligibility = try bool()
            case "auditRetentionDays":
                let days = try int()
                guard days >= 183 else { throw PolicyError("auditRetentionDays must be at least 183 (R-SEC-2: six months)") }
                auditRetentionDays = days
            case "sharingRequiresConsent": sharingRequiresConsent = try bool()
            case "guardianConsentBelowAge": guardianConsentBelowAge = try int()
            case "guardianRelationshipCodes":
                guard let codes = value.arrayValue?.compactMap(\.stringValue), !codes.isEmpty else {
                    throw PolicyError("guardianRelationshipCodes must be a list of codes")
                }
                guardianRelationshipCodes = Set(codes)
            default:
                throw PolicyError("'\(name)' is not a setting of the region policy")
            }
        }
        guard accessTokenSeconds > 0, accessTokenSeconds <= 3600 else { throw PolicyError("accessTokenSeconds must be between 1 and 3600") }
        guard minimumPasswordLength >= 8 else { throw PolicyError("minimumPasswordLength must be at least 8") }
    }
}

public struct PolicyError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ message: String) { description = message }
    public static func unreadable(_ what: String) -> PolicyError { PolicyError("cannot read the region policy \(what)") }
}
