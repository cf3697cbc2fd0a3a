import ChinaReference

/// Blocking: which records are compared at all. Only records sharing a key are scored, so a match
/// reads a handful of records, not the register. The keys: the resident ID and other identity
/// documents; the birth date with day and month in either order; each phone. (A surname-and-birth-year
/// key was measured at 11–16 ms per query on PostgreSQL, a prefix scan, and found no duplicate the
/// others missed on the test register, so it is not used.)
public enum BlockingKeys {
    /// The keys of one record, for an in-memory index (bulk matching, the corpus test).
    public static func keys(_ f: PatientFeatures) -> Set<String> {
        var keys = Set<String>()
        if let id = f.residentID { keys.insert("id:" + id) }
        for d in f.documents { keys.insert("doc:" + d) }
        if let b = f.birthDate {
            keys.insert("born:\(b.year)-\(min(b.month, b.day))-\(max(b.month, b.day))")
        }
        for p in f.phones { keys.insert("phone:" + p) }
        return keys
    }

    /// The same blocks as FHIR search query strings over the store's Patient indexes.
    public static func queries(_ f: PatientFeatures) -> [String] {
        var queries: [String] = []
        if let id = f.residentID { queries.append("identifier=" + encode(ChinaProfile.IdentifierSystem.residentID + "|" + id)) }
        for d in f.documents.sorted() { queries.append("identifier=" + encode(d)) }
        if let b = f.birthDate {
            queries.append("birthdate=" + ([b.text] + (b.transposed.map { [$0.text] } ?? [])).joined(separator: ","))
        }
        for p in f.phones.sorted() { queries.append("phone=" + p) }
        return queries
    }

    /// Percent-encodes everything but unreserved ASCII, for a query string.
    static func encode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E || b == 0x5F {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

/// An in-memory blocking index: records by key, for matching a batch (an import, the test corpus)
/// without a database round trip per candidate.
public struct InMemoryMatchIndex: Sendable {
    public private(set) var records: [String: PatientFeatures] = [:]
    var byKey: [String: [String]] = [:]
    public let matcher: PatientMatcher

    public init(matcher: PatientMatcher = PatientMatcher()) {
        self.matcher = matcher
    }

    /// Ids of the records sharing a block with `f` (each block capped as the policy says).
    public func candidates(for f: PatientFeatures) -> Set<String> {
        var ids = Set<String>()
        for key in BlockingKeys.keys(f) {
            for id in (byKey[key] ?? []).prefix(matcher.policy.maxCandidatesPerBlock) where id != f.id { ids.insert(id) }
        }
        return ids
    }

    /// Every candidate of `f` assessed, best first, without the non-matches.
    public func matches(for f: PatientFeatures) -> [(id: String, assessment: MatchAssessment)] {
        candidates(for: f).compactMap { id -> (id: String, assessment: MatchAssessment)? in
            guard let other = records[id], !other.isMergedAway else { return nil }
            let a = matcher.assess(f, other)
            return a.grade == .none ? nil : (id, a)
        }.sorted { $0.assessment.score > $1.assessment.score || ($0.assessment.score == $1.assessment.score && $0.id < $1.id) }
    }

    public mutating func insert(_ f: PatientFeatures) {
        guard let id = f.id else { return }
        records[id] = f
        for key in BlockingKeys.keys(f) { byKey[key, default: []].append(id) }
    }
}
