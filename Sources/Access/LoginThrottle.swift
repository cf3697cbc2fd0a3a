import Synchronization

/// Refuses logins for an account from a source address after too many recent failures
/// (AccessPolicy.maxFailedLogins within failedLoginWindowSeconds), so passwords and codes cannot be
/// guessed online. Keyed by account *and* address, so an attacker cannot lock a user out from
/// elsewhere by failing on purpose; a success clears the key. In memory per instance: with several
/// instances the limit is per instance, which still bounds guessing to a small multiple.
public final class LoginThrottle: Sendable {
    private let failures = Mutex<[String: [Int64]]>([:])
    private let policy: AccessPolicy

    public init(policy: AccessPolicy) { self.policy = policy }

    private static func key(_ account: String, _ address: String) -> String { account.lowercased() + "\u{0}" + address }

    /// Nil when a login may be tried now; otherwise the seconds until it may.
    public func retryAfter(account: String, address: String, now: Int64) -> Int64? {
        failures.withLock { table in
            let recent = (table[Self.key(account, address)] ?? []).filter { $0 > now - policy.failedLoginWindowSeconds }
            guard recent.count >= policy.maxFailedLogins, let oldest = recent.first else { return nil }
            return max(1, oldest + policy.failedLoginWindowSeconds - now)
        }
    }

    public func recordFailure(account: String, address: String, now: Int64) {
        failures.withLock { table in
            let key = Self.key(account, address)
            var recent = (table[key] ?? []).filter { $0 > now - policy.failedLoginWindowSeconds }
            recent.append(now)
            table[key] = Array(recent.suffix(policy.maxFailedLogins))
            // Bound the table: forget keys whose failures all left the window.
            if table.count > 100_000 { table = table.filter { $0.value.last ?? 0 > now - policy.failedLoginWindowSeconds } }
        }
    }

    public func recordSuccess(account: String, address: String) {
        _ = failures.withLock { $0.removeValue(forKey: Self.key(account, address)) }
    }
}
