import FHIRCore
import FHIRStore

extension AccessService {
    /// Deletes what can no longer be used: refresh tokens past their expiry (a used one is kept until
    /// then, so its reuse is still recognized), login families none of whose tokens remain, and the
    /// `jti`s of client assertions recorded more than an assertion's lifetime ago (a replay of those
    /// fails on `exp` anyway).
    /// Answers how many records went. `kangqiao serve` runs it every hour.
    @discardableResult
    public func pruneExpiredCredentials() async throws -> Int {
        let now = self.now
        var removed = 0
        // Families first: one created after this read is not a candidate, and one read here had its
        // first token committed with it, so the scan below sees that token.
        let families = try await backend.privateRecords(kind: Self.familyKind).map(\.key)
        var liveFamilies = Set<String>()
        var expiredTokens: [String] = []
        for record in try await backend.privateRecords(kind: Self.refreshKind) {
            guard let o = try? JSONParser.parse(record.value) else { expiredTokens.append(record.key); continue }
            if Int64(o["expires"]?.numberValue?.intValue ?? 0) <= now {
                expiredTokens.append(record.key)
            } else if let family = o["family"]?.stringValue {
                liveFamilies.insert(family)
            }
        }
        let deadFamilies = families.filter { !liveFamilies.contains($0) }
        for (kind, keys) in [(Self.refreshKind, expiredTokens), (Self.familyKind, deadFamilies)] {
            // In batches, so a large backlog does not hold the writer for long.
            var start = 0
            while start < keys.count {
                let batch = keys[start..<min(start + 500, keys.count)]
                try await backend.write { tx in
                    for key in batch { try await tx.deletePrivateRecord(kind: kind, key: key) }
                }
                removed += batch.count
                start += batch.count
            }
        }
        // An assertion's id is recorded when it is used and lives at most five minutes: one written
        // longer ago than that has expired, so the records go by age without being read.
        removed += try await backend.deletePrivateRecords(kind: Self.assertionKind, updatedBefore: (now - Self.assertionMaximumSeconds) * 1000)
        return removed
    }
}
