/// Why a login or token request is refused (OAuth 2.0 error codes, RFC 6749 §5.2).
public enum AccessDenied: Error, Sendable, Equatable {
    /// Unknown client, wrong secret, disabled account: 401.
    case invalidClient
    /// Wrong password or code, an unknown, expired or reused refresh token: 400.
    case invalidGrant(String)
    /// Scopes beyond what the account may have: 400, naming them.
    case invalidScope([String])
    case invalidRequest(String)
    /// Too many failures from this address for this account: 429 with Retry-After.
    case throttled(retryAfter: Int64)
    /// The password handed out once must be replaced (send `new_password`): 403.
    case passwordChangeRequired

    public var oauthError: String {
        switch self {
        case .invalidClient: "invalid_client"
        case .invalidGrant: "invalid_grant"
        case .invalidScope: "invalid_scope"
        case .invalidRequest, .passwordChangeRequired: "invalid_request"
        case .throttled: "slow_down"
        }
    }

    public var message: String {
        switch self {
        case .invalidClient: "client authentication failed"
        case .invalidGrant(let why): why
        case .invalidScope(let scopes): "not granted: " + scopes.joined(separator: " ")
        case .invalidRequest(let why): why
        case .throttled(let seconds): "too many failed attempts; try again in \(seconds) s"
        case .passwordChangeRequired: "the password must be changed: send new_password"
        }
    }

    public var httpStatus: Int {
        switch self {
        case .invalidClient: 401
        case .throttled: 429
        case .passwordChangeRequired: 403
        default: 400
        }
    }
}
