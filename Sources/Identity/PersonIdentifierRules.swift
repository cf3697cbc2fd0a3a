import ChinaReference
import FHIRCore
import Foundation

/// R-ID18 on the people records: a resident ID (`ChinaProfile.IdentifierSystem.residentID`) on a
/// Patient, RelatedPerson or Practitioner must be a valid GB 11643 number whose 17th digit agrees with
/// the record's gender. Passports and the Hong Kong, Macau and Taiwan permits are identity documents
/// of their own systems, accepted as they are (their numbering is the issuer's).
public enum PersonIdentifierRules {
    /// The resource types whose identifiers name a person.
    public static let personTypes: Set<String> = ["Patient", "RelatedPerson", "Practitioner"]

    /// The identity documents the master index compares (besides the resident ID).
    public static let documentSystems: Set<String> = [
        ChinaProfile.IdentifierSystem.passport, ChinaProfile.IdentifierSystem.hongKongMacauPermit,
        ChinaProfile.IdentifierSystem.taiwanPermit, ChinaProfile.IdentifierSystem.foreignPermanentResident,
    ]

    /// The findings on `resource` (empty when it is not a person record or all its IDs are valid).
    /// `today` is YYYYMMDD: a birth date after it is not real.
    public static func check(_ resource: JSON, today: Int = PersonIdentifierRules.today()) -> [OutcomeIssue] {
        guard let type = resource["resourceType"]?.stringValue, personTypes.contains(type) else { return [] }
        let gender = resource["gender"]?.stringValue
        var issues: [OutcomeIssue] = []
        for (i, identifier) in (resource["identifier"]?.arrayValue ?? []).enumerated()
        where identifier["system"]?.stringValue == ChinaProfile.IdentifierSystem.residentID {
            let value = identifier["value"]?.stringValue ?? ""
            do throws(ResidentIdentityNumber.Problem) {
                _ = try ResidentIdentityNumber(value, gender: gender, today: today)
            } catch {
                issues.append(OutcomeIssue(
                    code: .businessRule, diagnostics: "R-ID18: resident ID '\(value)' is not valid: \(error)",
                    expression: ["\(type).identifier[\(i)].value"]))
            }
        }
        return issues
    }

    /// Today as YYYYMMDD (UTC+8, the calendar of the resident ID).
    public static func today(_ now: Date = Date()) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600) ?? .gmt
        let c = calendar.dateComponents([.year, .month, .day], from: now)
        return (c.year ?? 1970) * 10_000 + (c.month ?? 1) * 100 + (c.day ?? 1)
    }
}
