import Crypto
import FHIRCore
import FHIRStore
import Foundation
import Synchronization
import Testing

@testable import Access

/// Accounts, clients, logins and tokens on both backends (issue 5: identities and tokens).
@Suite("Access service: clients, logins, refresh tokens, signing keys")
struct AccessServiceTests {
    static let master = KeySealer.newEncodedMasterKey()

    /// A clock the test moves.
    final class TestClock: Sendable {
        private let seconds = Mutex<Int64>(1_800_000_000)
        var now: Int64 { seconds.withLock { $0 } }
        func advance(_ by: Int64) { seconds.withLock { $0 += by } }
    }

    /// A service with a cheap password hash and the test's clock.
    func service(_ db: any StoreBackend, clock: TestClock = TestClock(), master: String = Self.master) async throws -> AccessService {
        var policy = AccessPolicy()
        policy.passwordHashLogN = 10
        let sealer = try #require(KeySealer(encodedMasterKey: master))
        let s = AccessService(backend: db, sealer: sealer, policy: policy, clock: { clock.now })
        try await s.start()
        return s
    }

    @Test("a client gets a token with its scopes or fewer, never more, and only with its secret", arguments: AccessBackend.allCases)
    func clientCredentials(kind: AccessBackend) async throws {
        try await withAccessBackend(kind) { db in
            let access = try await service(db)
            let secret = try await access.createClient(name: "his-h1", scopes: "system/Patient.cruds system/Observation.crs")
            let all = try await access.clientCredentials(clientID: "his-h1", secret: secret, scope: nil)
            #expect(all.scope == "system/Patient.cruds system/Observation.crs")
            let claims = try await access.verify(all.accessToken)
            #expect(claims.subject == "his-h1" && claims.roles == [.systemClient] && claims.expiresAt - claims.issuedAt == 300)
            let fewer = try await access.clientCredentials(clientID: "HIS-H1", secret: secret, scope: "system/Observation.rs")
            #expect(fewer.scope == "system/Observation.rs")
            await #expect(throws: AccessDenied.invalidScope(["system/Observation.d"])) {
                try await access.clientCredentials(clientID: "his-h1", secret: secret, scope: "system/Observation.d")
            }
            await #expect(throws: AccessDenied.invalidClient) {
                try await access.clientCredentials(clientID: "his-h1", secret: secret + "x", scope: nil)
            }
            await #expect(throws: AccessDenied.invalidClient) {
                try await access.clientCredentials(clientID: "nobody", secret: secret, scope: nil)
            }
            await #expect(throws: AccessDenied.invalidRequest("the name His-H1 is taken")) {
                try await access.createClient(name: "His-H1", scopes: "system/*.rs")
            }
            // The secret is not stored, only its hash.
            let stored = try #require(try await db.privateRecord(kind: "account", key: "his-h1"))
            #expect(!String(decoding: stored, as: UTF8.self).contains(secret))
        }
    }

    @Test("a person logs in with password and a time-based code; a wrong or reused code fails; failures are throttled",
          arguments: AccessBackend.allCases)
    func login(kind: AccessBackend) async throws {
        try await withAccessBackend(kind) { db in
            let clock = TestClock()
            let access = try await service(db, clock: clock)
            let secret = try await access.createPerson(
                name: "dr.li", password: "li-password-1", roles: [.doctor], scopes: "user/*.cruds openid fhirUser",
                fhirUser: "Practitioner/li", organization: "Organization/h1",
                realName: RealNameStatus(verified: true, method: "identity-card+face", at: 1_700_000_000))
            let totp = TimeBasedCode(secret: secret)
            let grant = try await access.login(name: "dr.li", password: "li-password-1", code: totp.code(at: access.now), address: "10.0.0.9")
            let claims = try await access.verify(grant.accessToken)
            #expect(claims.roles == [.doctor] && claims.fhirUser == "Practitioner/li" && claims.organization == "Organization/h1")
            #expect(grant.refreshToken != nil)
            // The same code again (same step) is refused: a code works once.
            await #expect(throws: AccessDenied.invalidGrant("wrong name, password or code")) {
                try await access.login(name: "dr.li", password: "li-password-1", code: totp.code(at: access.now), address: "10.0.0.9")
            }
            clock.advance(30)
            await #expect(throws: AccessDenied.invalidGrant("wrong name, password or code")) {
                try await access.login(name: "dr.li", password: "wrong-password", code: totp.code(at: access.now), address: "10.0.0.9")
            }
            await #expect(throws: AccessDenied.invalidGrant("wrong name, password or code")) {
                try await access.login(name: "dr.li", password: "li-password-1", code: "000000", address: "10.0.0.9")
            }
            for _ in 0..<3 {
                _ = try? await access.login(name: "dr.li", password: "bad", code: "000000", address: "10.0.0.9")
            }
            do {
                _ = try await access.login(name: "dr.li", password: "li-password-1", code: totp.code(at: access.now), address: "10.0.0.9")
                Issue.record("a throttled login succeeded")
            } catch let denied as AccessDenied {
                guard case .throttled(let wait) = denied else { Issue.record("expected throttling, got \(denied)"); return }
                #expect(wait > 0)
            }
            // Another address is not locked out by these failures.
            let elsewhere = try await access.login(name: "dr.li", password: "li-password-1", code: totp.code(at: access.now), address: "10.0.0.10")
            #expect(elsewhere.claims.subject == "dr.li")
        }
    }

    @Test("the first administrator's one-time password must be changed at the first login, and only once is there a bootstrap",
          arguments: AccessBackend.allCases)
    func bootstrap(kind: AccessBackend) async throws {
        try await withAccessBackend(kind) { db in
            let clock = TestClock()
            let access = try await service(db, clock: clock)
            let admin = try #require(try await access.bootstrapAdministrator())
            #expect(try await access.bootstrapAdministrator() == nil)
            let totp = TimeBasedCode(secret: admin.codeSecret)
            await #expect(throws: AccessDenied.passwordChangeRequired) {
                try await access.login(name: "admin", password: admin.password, code: totp.code(at: access.now), address: "127.0.0.1")
            }
            clock.advance(30)
            let grant = try await access.login(name: "admin", password: admin.password, code: totp.code(at: access.now),
                                               newPassword: "a-new-long-password", address: "127.0.0.1")
            #expect(grant.claims.roles == [.administrator])
            clock.advance(30)
            await #expect(throws: AccessDenied.invalidGrant("wrong name, password or code")) {
                try await access.login(name: "admin", password: admin.password, code: totp.code(at: access.now), address: "127.0.0.1")
            }
        }
    }

    @Test("refresh tokens rotate; a rotated one presented again revokes the whole login", arguments: AccessBackend.allCases)
    func refreshRotation(kind: AccessBackend) async throws {
        try await withAccessBackend(kind) { db in
            let clock = TestClock()
            let access = try await service(db, clock: clock)
            let secret = try await access.createPerson(name: "zhang.san", password: "zhang-password", roles: [.resident],
                                                       scopes: "patient/*.rs openid", fhirUser: "Patient/zs")
            let first = try await access.login(name: "zhang.san", password: "zhang-password",
                                               code: TimeBasedCode(secret: secret).code(at: access.now), address: "1.2.3.4")
            #expect(first.claims.patient == "zs")
            let r1 = try #require(first.refreshToken)
            let second = try await access.refresh(r1)
            let r2 = try #require(second.refreshToken)
            #expect(r2 != r1 && second.claims.subject == "zhang.san" && second.scope == first.scope)
            // r1 again: theft assumed, the family (r2 included) is revoked.
            await #expect(throws: AccessDenied.self) { try await access.refresh(r1) }
            await #expect(throws: AccessDenied.self) { try await access.refresh(r2) }
            // A new login starts a new family, which revoke() ends.
            clock.advance(30)
            let again = try await access.login(name: "zhang.san", password: "zhang-password",
                                               code: TimeBasedCode(secret: secret).code(at: access.now), address: "1.2.3.4")
            let r3 = try #require(again.refreshToken)
            try await access.revoke(refreshToken: r3)
            await #expect(throws: AccessDenied.self) { try await access.refresh(r3) }
            // Expiry: a refresh token older than the policy allows is refused.
            clock.advance(30)
            let late = try await access.login(name: "zhang.san", password: "zhang-password",
                                              code: TimeBasedCode(secret: secret).code(at: access.now), address: "1.2.3.4")
            clock.advance(access.policy.refreshTokenSeconds + 1)
            await #expect(throws: AccessDenied.self) { try await access.refresh(try #require(late.refreshToken)) }
        }
    }

    @Test("every instance on one database signs and verifies with the same keys; another master key cannot open them",
          arguments: AccessBackend.allCases)
    func sharedKeys(kind: AccessBackend) async throws {
        try await withAccessBackend(kind) { db in
            let a = try await service(db)
            let secret = try await a.createClient(name: "pharmacy-1", scopes: "system/MedicationRequest.rs")
            let b = try await service(db)
            let token = try await a.clientCredentials(clientID: "pharmacy-1", secret: secret, scope: nil).accessToken
            #expect(try await b.verify(token).subject == "pharmacy-1")
            #expect(a.jwks == b.jwks)
            await #expect(throws: SealedKeyError.self) { _ = try await service(db, master: KeySealer.newEncodedMasterKey()) }
        }
    }

    @Test("a verified token is remembered until it expires, then refused like any expired token", arguments: AccessBackend.allCases)
    func verifiedTokenCache(kind: AccessBackend) async throws {
        try await withAccessBackend(kind) { db in
            let clock = TestClock()
            let access = try await service(db, clock: clock)
            let secret = try await access.createClient(name: "cache-test", scopes: "system/Patient.r")
            let token = try await access.clientCredentials(clientID: "cache-test", secret: secret, scope: nil).accessToken
            #expect(try await access.verify(token).subject == "cache-test")
            clock.advance(200)
            #expect(try await access.verify(token).subject == "cache-test", "remembered, still valid")
            clock.advance(200)
            await #expect(throws: TokenError.expired) { try await access.verify(token) }
            // A tampered copy is never taken for the remembered one.
            await #expect(throws: TokenError.self) { try await access.verify(token + "A") }
        }
    }
}

@Suite("expired credentials are deleted")
struct CredentialCleanupTests {
    @Test("refresh tokens past expiry and their dead families go; live ones stay and still work", arguments: AccessBackend.allCases)
    func prune(kind: AccessBackend) async throws {
        try await withAccessBackend(kind) { db in
            let clock = AccessServiceTests.TestClock()
            let access = try await AccessServiceTests().service(db, clock: clock)
            let secret = try await access.createPerson(name: "nurse.wu", password: "wu-password-1", roles: [.nurse], scopes: "openid")
            let totp = TimeBasedCode(secret: secret)
            let old = try await access.login(name: "nurse.wu", password: "wu-password-1", code: totp.code(at: access.now), address: "10.0.0.1")
            #expect(try await access.pruneExpiredCredentials() == 0)
            clock.advance(AccessPolicy().refreshTokenSeconds - 100)
            let fresh = try await access.login(name: "nurse.wu", password: "wu-password-1", code: totp.code(at: access.now), address: "10.0.0.1")
            clock.advance(200)
            // The first login's token (and its family) expired; the second's is alive.
            #expect(try await access.pruneExpiredCredentials() == 2)
            #expect(try await db.privateRecords(kind: "refresh-token").count == 1)
            #expect(try await db.privateRecords(kind: "refresh-family").count == 1)
            await #expect(throws: AccessDenied.self) { try await access.refresh(try #require(old.refreshToken)) }
            let refreshed = try await access.refresh(try #require(fresh.refreshToken))
            #expect(refreshed.claims.subject == "nurse.wu")
        }
    }
}

@Suite("used client-assertion ids are deleted once expired")
struct AssertionCleanupTests {
    @Test("an assertion's recorded id stays while the assertion could live, then goes; a replay before that is refused", arguments: AccessBackend.allCases)
    func prune(kind: AccessBackend) async throws {
        try await withAccessBackend(kind) { db in
            // The record's age is the database's wall clock: the service clock starts at it.
            let clock = AccessServiceTests.TestClock()
            clock.advance(Int64(Date().timeIntervalSince1970) - clock.now)
            let access = try await AccessServiceTests().service(db, clock: clock)
            let key = P256.Signing.PrivateKey()
            let raw = [UInt8](key.publicKey.rawRepresentation)
            let jwk: JSON = ["kty": "EC", "crv": "P-256", "x": .string(Base64URL.encode(Array(raw[0..<32]))), "y": .string(Base64URL.encode(Array(raw[32...])))]
            try await access.createClient(name: "lab", scopes: "system/Patient.rs", publicKeys: ["keys": [jwk]])
            let audience = "https://kangqiao.example/auth/token"
            let header = Base64URL.encode(JSONWriter.bytes(["alg": "ES256", "typ": "JWT"]))
            let claims = Base64URL.encode(JSONWriter.bytes(["iss": "lab", "sub": "lab", "aud": .string(audience),
                                                             "exp": .number(JSONNumber(Int(clock.now + 120))), "jti": "one"]))
            let signature = try key.signature(for: SHA256.hash(data: Array((header + "." + claims).utf8)))
            let assertion = header + "." + claims + "." + Base64URL.encode([UInt8](signature.rawRepresentation))
            _ = try await access.clientAssertion(assertion, scope: nil, tokenEndpoint: audience)
            #expect(try await access.pruneExpiredCredentials() == 0)
            await #expect(throws: AccessDenied.self) { try await access.clientAssertion(assertion, scope: nil, tokenEndpoint: audience) }
            clock.advance(AccessService.assertionMaximumSeconds + 60)
            #expect(try await access.pruneExpiredCredentials() == 1)
            #expect(try await db.privateRecords(kind: "client-assertion").isEmpty)
        }
    }
}
