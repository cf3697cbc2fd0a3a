import ChinaReference
import FHIRCore
import FHIRStore

/// Keeps the registries' coded facts true on every write: a division code on an address must be a
/// GB/T 2260 code that was issued, a hospital level one of the national levels, a practice category
/// one of ours, and years of practice plausible. A failing record is refused with 422 and nothing
/// is written: the server runs `issues(in:)` with the structural validation, before any transaction
/// (the facts are the resource's own, so the store need not be asked and the writer not held).
public struct RegistryChecks: Sendable {
    static let checkedTypes: Set<String> = ["Organization", "Location", "Patient", "Practitioner", "RelatedPerson"]
    /// Longer than any working life; a larger figure is a typing error.
    public var maximumYearsOfPractice = 70

    public init() {}

    /// The problems of `resource` as validation issues (422), none for a type without registry facts.
    public func issues(in resource: JSON) -> [OutcomeIssue] {
        guard let type = resource["resourceType"]?.stringValue, Self.checkedTypes.contains(type) else { return [] }
        return problems(in: resource, type: type).map { OutcomeIssue(code: .codeInvalid, diagnostics: "\(type): " + $0) }
    }

    /// What is wrong with the registry facts of `resource`; empty when nothing is.
    public func problems(in resource: JSON, type: String) -> [String] {
        var problems: [String] = []
        var addresses = resource["address"]?.arrayValue ?? []
        if let single = resource["address"], single.arrayValue == nil { addresses = [single] }
        for address in addresses {
            for ext in address["extension"]?.arrayValue ?? [] where ext["url"]?.stringValue == ChinaProfile.Extension.divisionCode {
                let code = ext["valueCode"]?.stringValue ?? ext["valueString"]?.stringValue ?? ""
                if !AdministrativeDivisions.shared.isIssuedCode(code) {
                    problems.append("address division code '\(code)' is not a GB/T 2260 division code")
                }
            }
        }
        for ext in resource["extension"]?.arrayValue ?? [] {
            switch ext["url"]?.stringValue {
            case ChinaProfile.Extension.hospitalLevel:
                let code = ext["valueCoding"]?["code"]?.stringValue ?? ""
                if HospitalLevel.named(code) == nil {
                    problems.append("hospital level '\(code)' is not one of \(HospitalLevel.all.map(\.code).joined(separator: ", "))")
                }
            case ChinaProfile.Extension.practiceCategory:
                let codes = (ext["valueCodeableConcept"]?["coding"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }
                if codes.isEmpty || !codes.allSatisfy({ PracticeCategory(rawValue: $0) != nil }) {
                    problems.append("practice category \(codes) is not one of \(PracticeCategory.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            case ChinaProfile.Extension.yearsOfPractice:
                let years = ext["valueInteger"]?.numberValue.flatMap { Int($0.text) } ?? -1
                if !(0...maximumYearsOfPractice).contains(years) {
                    problems.append("years of practice \(years) is not between 0 and \(maximumYearsOfPractice)")
                }
            default:
                continue
            }
        }
        return problems
    }
}
