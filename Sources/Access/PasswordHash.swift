import FHIRCore
import Crypto
import _CryptoExtras
import Foundation

/// Passwords are stored as scrypt hashes (memory-hard, salted) in a self-describing string,
/// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64url), so the cost can rise later without
/// invalidating stored hashes: each hash is checked with the parameters it was made with.
public enum PasswordHash {
    public static let prefix = "$scrypt$"

    public static func make(_ password: String, policy: AccessPolicy = AccessPolicy()) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &rng) }
        let hash = try derive(password, salt: salt, logN: policy.passwordHashLogN, r: policy.passwordHashBlockSize,
                              p: policy.passwordHashParallelism)
        return "\(prefix)ln=\(policy.passwordHashLogN),r=\(policy.passwordHashBlockSize),p=\(policy.passwordHashParallelism)$"
            + Base64URL.encode(salt) + "$" + Base64URL.encode(hash)
    }

    /// True when `password` matches `stored`; false for a wrong password and for a malformed hash.
    public static func verify(_ password: String, against stored: String) -> Bool {
        guard stored.hasPrefix(prefix) else { return false }
        let fields = stored.dropFirst(prefix.count).split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 3, let salt = Base64URL.decode(fields[1]), let expected = Base64URL.decode(fields[2]) else { return false }
        var parameters: [Substring: Int] = [:]
        for pair in fields[0].split(separator: ",") {
            let kv = pair.split(separator: "=")
            guard kv.count == 2, let v = Int(kv[1]) else { return false }
            parameters[kv[0]] = v
        }
        // Bounds keep a tampered row from asking for gigabytes or hours.
        guard let logN = parameters["ln"], (10...20).contains(logN), let r = parameters["r"], (1...32).contains(r),
            let p = parameters["p"], (1...16).contains(p), !expected.isEmpty,
            let actual = try? derive(password, salt: salt, logN: logN, r: r, p: p, length: expected.count)
        else { return false }
        return constantTimeEqual(actual, expected)
    }

    private static func derive(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int, length: Int = 32) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: length, rounds: 1 << logN, blockSize: r, parallelism: p)
        return key.withUnsafeBytes { [UInt8]($0) }
    }

    /// Compares without an early exit, so the time taken says nothing about where bytes differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
