// See AccessToken.swift: swift-crypto 3's key types are not marked Sendable on Linux.
@preconcurrency import Crypto
import FHIRCore
import FHIRStore
import Foundation
import Synchronization

/// Accounts, clients, signing keys, logins and tokens, over the store's private records.
///
/// Signing keys are sealed with the instance's master key (KeySealer) and shared through the
/// database, so every `kangqiao serve` on one PostgreSQL and the `kangqiao token` command sign and
/// verify with the same keys; a key another instance added is picked up on first sight of its kid.
public final class AccessService: Sendable {
    public let backend: any StoreBackend
    public let policy: AccessPolicy
    public let issuer: String
    public let audience: String
    public let throttle: LoginThrottle
    private let sealer: KeySealer
    private let clock: @Sendable () -> Int64
    private let keys = Mutex<[TokenSigningKey]>([])
    /// Tokens already verified, until they expire: an ES256 verification costs ~80 µs, more than a
    /// read by id, and a client sends the same token with every request of its 5 minutes.
    private let verified = Mutex<[String: AccessTokenClaims]>([:])
    static let verifiedCapacity = 10_000

    static let accountKind = "account"
    static let signingKeyKind = "signing-key"
    static let refreshKind = "refresh-token"
    static let familyKind = "refresh-family"

    public init(
        backend: any StoreBackend, sealer: KeySealer, policy: AccessPolicy = AccessPolicy(), issuer: String = "urn:kangqiao",
        audience: String = "urn:kangqiao:fhir", clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.backend = backend
        self.sealer = sealer
        self.policy = policy
        self.issuer = issuer
        self.audience = audience
        self.clock = clock
        self.throttle = LoginThrottle(policy: policy)
    }

    public var now: Int64 { clock() }

    /// Each person's signature key, sealed under the same master key.
    public var personalSigningKeys: PersonalSigningKeys { PersonalSigningKeys(backend: backend, sealer: sealer) }

    // MARK: Signing keys

    /// Loads the signing keys, creating the first one when there is none.
    public func start() async throws {
        try await loadKeys()
        if keys.withLock({ $0.isEmpty }) {
            let key = TokenSigningKey.generate()
            let sealed = try sealer.seal(key.privateKey, keyID: key.keyID)
            let record = JSON.object(JSONObject([("sealed", .string(Base64URL.encode(sealed))), ("created", .number(JSONNumber(Int(now))))]))
            try await backend.write { tx in
                try await tx.putPrivateRecord(kind: Self.signingKeyKind, key: key.keyID, value: JSONWriter.bytes(record))
            }
            try await loadKeys()
        }
    }

    private func loadKeys() async throws {
        var loaded: [(created: Int, key: TokenSigningKey)] = []
        for r in try await backend.privateRecords(kind: Self.signingKeyKind) {
            guard let o = (try? JSONParser.parse(r.value))?.objectValue, let sealed = o["sealed"]?.stringValue.flatMap({ Base64URL.decode($0) })
            else { continue }
            // A key sealed under another master key cannot be used here: say so rather than sign with nothing.
            let key = try sealer.open(sealed, keyID: r.key)
            loaded.append((o["created"]?.numberValue?.intValue ?? 0, TokenSigningKey(keyID: r.key, privateKey: key)))
        }
        let sorted = loaded.sorted { $0.created < $1.created }.map(\.key)
        keys.withLock { $0 = sorted }
    }

    private var signingKey: TokenSigningKey {
        get throws {
            guard let key = keys.withLock({ $0.last }) else { throw AccessDenied.invalidRequest("no signing key: start() was not run") }
            return key
        }
    }

    /// The public keys as a JWK Set (`/auth/jwks`).
    public var jwks: JSON { .object(JSONObject([("keys", .array(keys.withLock { $0 }.map(\.publicJWK)))])) }

    private var verifier: TokenVerifier {
        TokenVerifier(
            issuer: issuer, audience: audience,
            keys: Dictionary(keys.withLock { $0 }.map { ($0.keyID, $0.privateKey.publicKey) }, uniquingKeysWith: { a, _ in a }),
            leewaySeconds: policy.clockLeewaySeconds)
    }

    /// Verifies a presented access token; a kid not seen yet makes it reload the keys once.
    public func verify(_ token: String) async throws(TokenError) -> AccessTokenClaims {
        let now = self.now
        if let claims = verified.withLock({ $0[token] }) {
            // The same checks of time as a full verification; signature, issuer and audience held already.
            guard claims.expiresAt > now - policy.clockLeewaySeconds else { throw .expired }
            return claims
        }
        let claims: AccessTokenClaims
        do {
            claims = try verifier.verify(token, now: now)
        } catch .unknownKey(let kid) {
            try? await loadKeys()
            guard keys.withLock({ $0.contains { $0.keyID == kid } }) else { throw .unknownKey(kid) }
            claims = try verifier.verify(token, now: now)
        }
        verified.withLock { cache in
            if cache.count >= Self.verifiedCapacity {
                cache = cache.filter { $0.value.expiresAt > now - policy.clockLeewaySeconds }
                if cache.count >= Self.verifiedCapacity { cache.removeAll() }
            }
            cache[token] = claims
        }
        return claims
    }

    // MARK: Accounts

    public func account(_ name: String) async throws -> Account? {
        try await backend.privateRecord(kind: Self.accountKind, key: Account.key(name)).flatMap(Account.init(bytes:))
    }

    public func accounts() async throws -> [Account] {
        try await backend.privateRecords(kind: Self.accountKind).compactMap { Account(bytes: $0.value) }
    }

    /// Stores a new account; false when the name is taken.
    @discardableResult
    public func insert(_ account: Account) async throws -> Bool {
        try await backend.write { tx in
            if try await tx.privateRecord(kind: Self.accountKind, key: Account.key(account.name)) != nil { return false }
            try await tx.putPrivateRecord(kind: Self.accountKind, key: Account.key(account.name), value: account.bytes)
            return true
        }
    }

    /// Registers a system client; answers its secret, which is shown once and stored only as a hash.
    public func createClient(name: String, scopes: String, organization: String? = nil) async throws -> String {
        let allowed = try ScopeSet(parsing: scopes)
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw AccessDenied.invalidRequest("a client name is letters, digits, '-', '_' and '.'")
        }
        let secret = Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { [UInt8]($0) })
        let client = Account(
            name: name, kind: .system, roles: [.systemClient], scopes: allowed.description, organization: organization,
            clientSecretHash: [UInt8](SHA256.hash(data: Array(secret.utf8))), created: now)
        guard try await insert(client) else { throw AccessDenied.invalidRequest("the name \(name) is taken") }
        return secret
    }

    /// Registers a person; answers the second-factor secret for their authenticator app.
    public func createPerson(
        name: String, password: String, roles: [Role], scopes: String, fhirUser: String? = nil, organization: String? = nil,
        realName: RealNameStatus? = nil, mustChangePassword: Bool = false
    ) async throws -> [UInt8] {
        _ = try ScopeSet(parsing: scopes)
        guard password.count >= policy.minimumPasswordLength else {
            throw AccessDenied.invalidRequest("a password has at least \(policy.minimumPasswordLength) characters")
        }
        let secret = TimeBasedCode.newSecret()
        let person = Account(
            name: name, kind: .person, roles: roles, scopes: scopes, fhirUser: fhirUser, organization: organization,
            passwordHash: try PasswordHash.make(password, policy: policy),
            sealedCodeSecret: try sealer.seal(bytes: secret, label: "code:" + Account.key(name)), realName: realName,
            mustChangePassword: mustChangePassword, created: now)
        guard try await insert(person) else { throw AccessDenied.invalidRequest("the name \(name) is taken") }
        return secret
    }

    /// With no account at all, creates the administrator `admin` with a one-time password (to be
    /// changed at the first login) and a second-factor secret; answers both to print once.
    public func bootstrapAdministrator() async throws -> (name: String, password: String, codeSecret: [UInt8])? {
        guard try await backend.privateRecords(kind: Self.accountKind).isEmpty else { return nil }
        let password = Base64URL.encode(SymmetricKey(size: .bits128).withUnsafeBytes { [UInt8]($0) })
        let secret = try await createPerson(
            name: "admin", password: password, roles: [.administrator], scopes: "user/*.cruds openid fhirUser",
            mustChangePassword: true)
        return ("admin", password, secret)
    }

    // MARK: Tokens

    /// Signs an access token for `account` with `requested` scopes (all it may have when nil).
    public func mint(for account: Account, scope requested: String? = nil) throws -> TokenGrant {
        let allowed = try ScopeSet(parsing: account.scopes)
        let granted: ScopeSet
        if let requested {
            let asked = try ScopeSet(parsing: requested)
            let beyond = allowed.uncovered(asked)
            guard beyond.isEmpty else { throw AccessDenied.invalidScope(beyond) }
            granted = asked
        } else {
            granted = allowed
        }
        let issued = now
        var patient: String?
        if account.roles.contains(.resident), let user = account.fhirUser, user.hasPrefix("Patient/") { patient = String(user.dropFirst(8)) }
        let claims = AccessTokenClaims(
            issuer: issuer, subject: account.name, audience: audience, issuedAt: issued, expiresAt: issued + policy.accessTokenSeconds,
            tokenID: UUID().uuidString.lowercased(), clientID: account.kind == .system ? account.name : "kangqiao-login",
            scope: granted.description, roles: account.roles, fhirUser: account.fhirUser, organization: account.organization,
            patient: patient)
        return TokenGrant(accessToken: try sign(claims), expiresIn: policy.accessTokenSeconds, scope: claims.scope, claims: claims)
    }

    /// Signs claims as they are, with the current key (tests forge tokens with bad claims through it).
    func sign(_ claims: AccessTokenClaims) throws -> String { try signingKey.sign(claims) }

    /// `mint` for a person's login: one who may not act clinically (ClinicalEligibility, R-IH-5) gets
    /// a token without clinical-data scopes, and the response says why.
    func mintChecked(for account: Account, scope: String?) async throws -> TokenGrant {
        let problems = try await ClinicalEligibility.problems(account, backend: backend, policy: policy, nowMillis: now * 1000)
        guard !problems.isEmpty else { return try mint(for: account, scope: scope) }
        var restricted = account
        restricted.scopes = try ScopeSet(parsing: account.scopes).other.joined(separator: " ")
        let asked = try scope.map { try ScopeSet(parsing: $0).other.joined(separator: " ") }
        var grant = try mint(for: restricted, scope: asked)
        grant.restrictions = problems
        return grant
    }

    /// OAuth client credentials grant (SMART backend services, with a client secret).
    public func clientCredentials(clientID: String, secret: String, scope: String?) async throws -> TokenGrant {
        guard let client = try await account(clientID), client.kind == .system, !client.disabled, let expected = client.clientSecretHash,
            PasswordHash.constantTimeEqual([UInt8](SHA256.hash(data: Array(secret.utf8))), expected)
        else { throw AccessDenied.invalidClient }
        return try mint(for: client, scope: scope)
    }

    /// A person's login: password and time-based code, throttled per account and source address.
    /// Answers an access token and a refresh token.
    public func login(
        name: String, password: String, code: String, newPassword: String? = nil, scope: String? = nil, address: String
    ) async throws -> TokenGrant {
        if let wait = throttle.retryAfter(account: name, address: address, now: now) { throw AccessDenied.throttled(retryAfter: wait) }
        let key = Account.key(name)
        let outcome: Result<Account, AccessDenied> = try await backend.write { [self] tx in
            guard let stored = try await tx.privateRecord(kind: Self.accountKind, key: key).flatMap(Account.init(bytes:)),
                stored.kind == .person, !stored.disabled, let hash = stored.passwordHash, PasswordHash.verify(password, against: hash),
                let sealed = stored.sealedCodeSecret
            else { return .failure(.invalidGrant("wrong name, password or code")) }
            let secret = try sealer.open(bytes: sealed, label: "code:" + key)
            guard let step = TimeBasedCode(secret: secret).acceptedStep(code, at: now, window: policy.totpWindowSteps),
                step > (stored.lastCodeStep ?? -1)
            else { return .failure(.invalidGrant("wrong name, password or code")) }
            var account = stored
            account.lastCodeStep = step
            if account.mustChangePassword {
                guard let newPassword else {
                    try await tx.putPrivateRecord(kind: Self.accountKind, key: key, value: account.bytes)
                    return .failure(.passwordChangeRequired)
                }
                guard newPassword.count >= policy.minimumPasswordLength, newPassword != password else {
                    return .failure(.invalidRequest("the new password needs \(policy.minimumPasswordLength) characters and must differ"))
                }
                account.passwordHash = try PasswordHash.make(newPassword, policy: policy)
                account.mustChangePassword = false
            }
            try await tx.putPrivateRecord(kind: Self.accountKind, key: key, value: account.bytes)
            return .success(account)
        }
        switch outcome {
        case .failure(let denied):
            if case .invalidGrant = denied { throttle.recordFailure(account: name, address: address, now: now) }
            throw denied
        case .success(let account):
            throttle.recordSuccess(account: name, address: address)
            var grant = try await mintChecked(for: account, scope: scope)
            grant.refreshToken = try await newRefreshToken(account: account.name, scope: grant.scope, family: UUID().uuidString)
            return grant
        }
    }

    private func newRefreshToken(account: String, scope: String, family: String) async throws -> String {
        let token = Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { [UInt8]($0) })
        let hash = Self.refreshKey(token)
        let record = JSON.object(JSONObject([
            ("account", .string(account)), ("scope", .string(scope)), ("family", .string(family)),
            ("expires", .number(JSONNumber(Int(now + policy.refreshTokenSeconds)))),
        ]))
        try await backend.write { tx in
            try await tx.putPrivateRecord(kind: Self.refreshKind, key: hash, value: JSONWriter.bytes(record))
            try await tx.putPrivateRecord(kind: Self.familyKind, key: family, value: Array(hash.utf8))
        }
        return token
    }

    static func refreshKey(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The refresh grant with rotation: each refresh token works once and is replaced; presenting a
    /// replaced one again means it leaked, so its whole family is revoked (OAuth 2.0 Security BCP §4.14).
    public func refresh(_ token: String, scope: String? = nil) async throws -> TokenGrant {
        let hash = Self.refreshKey(token)
        let found: (account: String, scope: String, family: String)? = try await backend.write { [self] tx in
            guard let o = try await tx.privateRecord(kind: Self.refreshKind, key: hash).flatMap({ try? JSONParser.parse($0) })?.objectValue,
                let account = o["account"]?.stringValue, let family = o["family"]?.stringValue
            else { return nil }
            let current = try await tx.privateRecord(kind: Self.familyKind, key: family).map { String(decoding: $0, as: UTF8.self) }
            guard current == hash, Int64(o["expires"]?.numberValue?.intValue ?? 0) > now else {
                // Reuse of a rotated token (or an expired one): the family is revoked.
                try await tx.putPrivateRecord(kind: Self.familyKind, key: family, value: Array("revoked".utf8))
                return nil
            }
            // The used token stays (marked) until it expires, so presenting it again is recognized as reuse.
            var used = o
            used.set("used", .bool(true), insertingAt: used.count)
            try await tx.putPrivateRecord(kind: Self.refreshKind, key: hash, value: JSONWriter.bytes(.object(used)))
            return (account, o["scope"]?.stringValue ?? "", family)
        }
        guard let found, let account = try await account(found.account), !account.disabled else {
            throw AccessDenied.invalidGrant("the refresh token is unknown, expired, used or revoked")
        }
        var limited = account
        limited.scopes = found.scope
        var grant = try await mintChecked(for: limited, scope: scope)
        grant.refreshToken = try await newRefreshToken(account: account.name, scope: found.scope, family: found.family)
        return grant
    }

    /// Revokes a refresh token and every token rotated from the same login (RFC 7009).
    public func revoke(refreshToken token: String) async throws {
        let hash = Self.refreshKey(token)
        try await backend.write { tx in
            guard let o = try await tx.privateRecord(kind: Self.refreshKind, key: hash).flatMap({ try? JSONParser.parse($0) })?.objectValue,
                let family = o["family"]?.stringValue
            else { return }
            try await tx.putPrivateRecord(kind: Self.familyKind, key: family, value: Array("revoked".utf8))
            try await tx.deletePrivateRecord(kind: Self.refreshKind, key: hash)
        }
    }
}
