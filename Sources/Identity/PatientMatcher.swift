import ChinaReference
import Foundation

/// How sure the index is that two records are one person (FHIR's match-grade codes).
public enum MatchGrade: String, Sendable, Comparable {
    case certain, probable, possible, none = "certainly-not"

    var rank: Int { [.none: 0, .possible: 1, .probable: 2, .certain: 3][self] ?? 0 }
    public static func < (a: MatchGrade, b: MatchGrade) -> Bool { a.rank < b.rank }
}

/// The outcome of comparing one field of two records.
public enum FieldAgreement: String, Sendable {
    case exact, close, near, disagree, missing
    var agrees: Bool { self == .exact || self == .close }
}

/// One comparison of two records: the summed weight, the grade and why.
public struct MatchAssessment: Sendable {
    public var score: Double
    public var grade: MatchGrade
    /// Decided by equal valid resident IDs (R-ID18), not by weights.
    public var deterministic: Bool
    public var fields: [String: FieldAgreement]

    /// A 0…1 score for `Bundle.entry.search.score`: the weight mapped through a logistic curve
    /// centred on the probable threshold (1 for a deterministic match).
    public func normalizedScore(_ policy: MatchPolicy) -> Double {
        if deterministic { return 1 }
        let p = 1 / (1 + pow(2, -(score - policy.probableThreshold) / 2))
        return (p * 1000).rounded() / 1000
    }
}

/// Compares two records field by field (Fellegi–Sunter): deterministic on a valid resident ID,
/// otherwise the sum of each field's weight under `policy`. Pure; no I/O.
public struct PatientMatcher: Sendable {
    public let policy: MatchPolicy

    public init(policy: MatchPolicy = .standard) {
        self.policy = policy
    }

    public func assess(_ a: PatientFeatures, _ b: PatientFeatures) -> MatchAssessment {
        if let x = a.residentID, let y = b.residentID {
            if x == y { return MatchAssessment(score: policy.certainThreshold, grade: .certain, deterministic: true, fields: ["residentID": .exact]) }
        }
        var fields: [String: FieldAgreement] = [:]
        fields["name"] = compareNames(a, b)
        fields["birthDate"] = compareBirthDates(a.birthDate, b.birthDate)
        fields["sex"] = a.sex == nil || b.sex == nil ? .missing : (a.sex == b.sex ? .exact : .disagree)
        fields["phone"] = a.phones.isEmpty || b.phones.isEmpty ? .missing : (a.phones.isDisjoint(with: b.phones) ? .disagree : .exact)
        fields["address"] = compareAddresses(a.addresses, b.addresses)
        fields["document"] = compareDocuments(a.documents, b.documents)
        var score = 0.0
        for (field, agreement) in fields { score += weight(field, agreement) }
        if a.residentID != nil, b.residentID != nil { score += policy.residentIDDisagree }
        return MatchAssessment(score: score, grade: grade(score, fields), deterministic: false, fields: fields)
    }

    func weight(_ field: String, _ agreement: FieldAgreement) -> Double {
        let w: MatchPolicy.FieldWeights
        switch field {
        case "name": w = policy.name
        case "birthDate": w = policy.birthDate
        case "sex": w = policy.sex
        case "phone": w = policy.phone
        case "address": w = policy.address
        default: w = policy.document
        }
        switch agreement {
        case .exact: return w.exact
        case .close: return w.close
        case .near: return w.near
        case .disagree: return w.disagree
        case .missing: return 0
        }
    }

    func grade(_ score: Double, _ fields: [String: FieldAgreement]) -> MatchGrade {
        if score >= policy.certainThreshold,
            policy.certainRequires.allSatisfy({ group in group.contains { fields[$0]?.agrees == true } })
        {
            return .certain
        }
        if score >= policy.probableThreshold { return .probable }
        if score >= policy.possibleThreshold { return .possible }
        return .none
    }

    /// Exact when a name is written alike; close when some pinyin spelling agrees (pinyin against
    /// characters, a homophone typed for the right character, any reading of a polyphonic one);
    /// near when a Latin spelling is one letter off; otherwise they disagree.
    func compareNames(_ a: PatientFeatures, _ b: PatientFeatures) -> FieldAgreement {
        guard !a.names.isEmpty, !b.names.isEmpty else { return .missing }
        if !Set(a.names).isDisjoint(with: b.names) { return .exact }
        let pa = a.pinyinForms, pb = b.pinyinForms
        if !pa.isDisjoint(with: pb) { return .close }
        for x in a.names where PatientFeatures.isLatin(x) && x.count >= 5 {
            for y in pb where Self.withinOneEdit(x, y) { return .near }
        }
        for y in b.names where PatientFeatures.isLatin(y) && y.count >= 5 {
            for x in pa where Self.withinOneEdit(x, y) { return .near }
        }
        return .disagree
    }

    func compareBirthDates(_ a: PatientFeatures.BirthDate?, _ b: PatientFeatures.BirthDate?) -> FieldAgreement {
        guard let a, let b else { return .missing }
        if a == b { return .exact }
        if a.transposed == b { return .close }
        if a.year == b.year && a.month == b.month { return .near }
        return .disagree
    }

    /// Exact when a normalized address is the same; close when they share their first part (the
    /// province, city and district, about nine characters of a Chinese address).
    func compareAddresses(_ a: [String], _ b: [String]) -> FieldAgreement {
        guard !a.isEmpty, !b.isEmpty else { return .missing }
        if !Set(a).isDisjoint(with: b) { return .exact }
        for x in a { for y in b where Self.commonPrefixLength(x, y) >= 9 { return .close } }
        return .disagree
    }

    /// Documents of the same system: equal numbers agree, different ones disagree; no common system: missing.
    func compareDocuments(_ a: Set<String>, _ b: Set<String>) -> FieldAgreement {
        guard !a.isEmpty, !b.isEmpty else { return .missing }
        if !a.isDisjoint(with: b) { return .exact }
        let systems = { (s: Set<String>) in Set(s.map { $0.split(separator: "|").first.map(String.init) ?? "" }) }
        return systems(a).isDisjoint(with: systems(b)) ? .missing : .disagree
    }

    static func commonPrefixLength(_ a: String, _ b: String) -> Int {
        var n = 0
        for (x, y) in zip(a, b) { if x == y { n += 1 } else { break } }
        return n
    }

    /// One substitution, insertion or deletion at most.
    static func withinOneEdit(_ a: String, _ b: String) -> Bool {
        let x = Array(a), y = Array(b)
        if abs(x.count - y.count) > 1 { return false }
        var i = 0, j = 0, edits = 0
        while i < x.count && j < y.count {
            if x[i] == y[j] { i += 1; j += 1; continue }
            edits += 1
            if edits > 1 { return false }
            if x.count > y.count { i += 1 } else if x.count < y.count { j += 1 } else { i += 1; j += 1 }
        }
        return edits + (x.count - i) + (y.count - j) <= 1
    }
}
