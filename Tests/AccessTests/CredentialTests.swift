import Crypto
import Foundation
import Testing

@testable import Access

@Suite("Passwords, second factor, login throttle, sealed keys")
struct CredentialTests {
    /// A cheaper cost for tests; the policy default (2^15) is what accounts get.
    var fastPolicy: AccessPolicy {
        var p = AccessPolicy()
        p.passwordHashLogN = 10
        return p
    }

    @Test("a password hash is salted scrypt that verifies the password and nothing else")
    func passwordHash() throws {
        let a = try PasswordHash.make("correct horse battery", policy: fastPolicy)
        let b = try PasswordHash.make("correct horse battery", policy: fastPolicy)
        #expect(a.hasPrefix("$scrypt$ln=10,r=8,p=1$") && a != b, "salted: the same password hashes differently")
        #expect(PasswordHash.verify("correct horse battery", against: a))
        #expect(!PasswordHash.verify("correct horse batterY", against: a))
        #expect(!PasswordHash.verify("", against: a))
        #expect(!a.contains("correct"))
    }

    @Test("a tampered or absurd hash string verifies nothing (and asks for no huge cost)")
    func tamperedHash() throws {
        let h = try PasswordHash.make("pw-1234567890", policy: fastPolicy)
        #expect(!PasswordHash.verify("pw-1234567890", against: h.replacingOccurrences(of: "ln=10", with: "ln=11")))
        #expect(!PasswordHash.verify("pw-1234567890", against: h.replacingOccurrences(of: "ln=10", with: "ln=40")))
        #expect(!PasswordHash.verify("pw-1234567890", against: "$scrypt$ln=10,r=8,p=1$$"))
        #expect(!PasswordHash.verify("pw-1234567890", against: "plain-text"))
    }

    @Test("RFC 6238 test vectors (HMAC-SHA-1, 8 digits) and RFC 4226 HOTP values")
    func rfcVectors() {
        let totp = TimeBasedCode(secret: Array("12345678901234567890".utf8), digits: 8)
        let vectors: [(Int64, String)] = [
            (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"), (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
        ]
        for (time, code) in vectors { #expect(totp.code(at: time) == code, "T=\(time)") }
        let hotp = TimeBasedCode(secret: Array("12345678901234567890".utf8))
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
        #expect((0..<10).map { hotp.code(counter: UInt64($0)) } == expected)
    }

    @Test("a code is accepted within the window only, and names its step so it can be used once")
    func window() {
        let totp = TimeBasedCode(secret: TimeBasedCode.newSecret())
        let now: Int64 = 1_800_000_015
        let code = totp.code(at: now)
        #expect(totp.acceptedStep(code, at: now, window: 1) == now / 30)
        #expect(totp.accepts(code, at: now + 30, window: 1))
        #expect(!totp.accepts(code, at: now + 90, window: 1))
        #expect(!totp.accepts("12345", at: now, window: 1) && !totp.accepts("abcdef", at: now, window: 1))
    }

    @Test("base32 secrets round-trip and the provisioning URI carries them")
    func base32() {
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(Base32.decode("mzxw6ytboi======") == Array("foobar".utf8))
        #expect(Base32.decode("MZ1") == nil)
        let secret = TimeBasedCode.newSecret()
        let uri = TimeBasedCode(secret: secret).provisioningURI(account: "doctor@h1", issuer: "Kangqiao")
        #expect(uri.hasPrefix("otpauth://totp/Kangqiao:") && uri.contains("secret=\(Base32.encode(secret))"))
    }

    @Test("after the allowed failures a login is refused until the window passes; success resets; other addresses unaffected")
    func throttle() {
        let policy = AccessPolicy()
        let throttle = LoginThrottle(policy: policy)
        let t: Int64 = 1_800_000_000
        for i in 0..<policy.maxFailedLogins {
            #expect(throttle.retryAfter(account: "Zhang", address: "10.0.0.1", now: t + Int64(i)) == nil)
            throttle.recordFailure(account: "zhang", address: "10.0.0.1", now: t + Int64(i))
        }
        let wait = throttle.retryAfter(account: "ZHANG", address: "10.0.0.1", now: t + 10)
        #expect(wait != nil && wait! > 0 && wait! <= policy.failedLoginWindowSeconds)
        #expect(throttle.retryAfter(account: "zhang", address: "10.0.0.2", now: t + 10) == nil)
        #expect(throttle.retryAfter(account: "zhang", address: "10.0.0.1", now: t + policy.failedLoginWindowSeconds + 5) == nil)
        throttle.recordSuccess(account: "zhang", address: "10.0.0.1")
        #expect(throttle.retryAfter(account: "zhang", address: "10.0.0.1", now: t + 10) == nil)
    }

    @Test("a sealed private key opens only with the same master key and key id")
    func sealedKeys() throws {
        let master = KeySealer.newEncodedMasterKey()
        let sealer = try #require(KeySealer(encodedMasterKey: master))
        let key = P256.Signing.PrivateKey()
        let sealed = try sealer.seal(key, keyID: "doctor-1")
        #expect(try sealer.open(sealed, keyID: "doctor-1").rawRepresentation == key.rawRepresentation)
        #expect(throws: SealedKeyError.cannotOpen("doctor-2")) { try sealer.open(sealed, keyID: "doctor-2") }
        let other = try #require(KeySealer(encodedMasterKey: KeySealer.newEncodedMasterKey()))
        #expect(throws: SealedKeyError.cannotOpen("doctor-1")) { try other.open(sealed, keyID: "doctor-1") }
        var flipped = sealed
        flipped[20] ^= 1
        #expect(throws: SealedKeyError.cannotOpen("doctor-1")) { try sealer.open(flipped, keyID: "doctor-1") }
        #expect(KeySealer(encodedMasterKey: "short") == nil)
    }
}
