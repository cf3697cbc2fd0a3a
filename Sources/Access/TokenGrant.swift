import FHIRCore

/// What a successful token request answers (RFC 6749 §5.1).
public struct TokenGrant: Sendable {
    public var accessToken: String
    public var expiresIn: Int64
    public var scope: String
    public var refreshToken: String?
    public var claims: AccessTokenClaims
    /// Why scopes were withheld (rule ids), when they were.
    public var restrictions: [String] = []

    public var json: JSON {
        var o = JSONObject([
            ("access_token", .string(accessToken)), ("token_type", "Bearer"), ("expires_in", .number(JSONNumber(Int(expiresIn)))),
            ("scope", .string(scope)),
        ])
        if let refreshToken { o.set("refresh_token", .string(refreshToken), insertingAt: o.count) }
        if let patient = claims.patient { o.set("patient", .string(patient), insertingAt: o.count) }
        if let fhirUser = claims.fhirUser { o.set("fhirUser", .string(fhirUser), insertingAt: o.count) }
        if !restrictions.isEmpty { o.set("restrictions", .array(restrictions.map { .string($0) }), insertingAt: o.count) }
        return .object(o)
    }
}
