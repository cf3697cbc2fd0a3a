import ChinaReference
import FHIRCore

/// The searches a regional registry needs that R4 has no parameter for: by GB/T 2260 division (a
/// prefecture or province code also finds everything in the counties under it), by hospital level
/// (`3` finds every 三级 hospital, `3A` only 三级甲等) and by a practitioner's practice category.
/// Indexed and searched like the specification's own parameters (SearchIndexExtractor).
public enum RegistrySearchParameters {
    /// The division code is kept on the address (`Address.extension`), so organizations, locations,
    /// patients and practitioners are searched alike; each code is indexed with its prefecture and
    /// province (`440513` → `440500`, `440000`).
    static func divisionExpression(_ path: String) -> String {
        "\(path).address.extension.where(url = '\(ChinaProfile.Extension.divisionCode)').value"
            + ".select($this | ($this.substring(0, 4) + '00') | ($this.substring(0, 2) + '0000'))"
    }

    public static let all: [SearchParameterDefinition] = [
        SearchParameterDefinition(
            id: "kq-division", code: "division", base: ["Organization", "Location", "Patient", "Practitioner"], type: .token,
            expression: ["Organization", "Location", "Patient", "Practitioner"].map(divisionExpression).joined(separator: " | "),
            url: "\(ChinaProfile.base)/SearchParameter/division"),
        SearchParameterDefinition(
            id: "kq-hospital-level", code: "hospital-level", base: ["Organization"], type: .token,
            expression: "Organization.extension.where(url = '\(ChinaProfile.Extension.hospitalLevel)').value.code"
                + ".select($this | $this.substring(0, 1))",
            url: "\(ChinaProfile.base)/SearchParameter/hospital-level"),
        SearchParameterDefinition(
            id: "kq-practice-category", code: "practice-category", base: ["Practitioner"], type: .token,
            expression: "Practitioner.extension.where(url = '\(ChinaProfile.Extension.practiceCategory)').value",
            url: "\(ChinaProfile.base)/SearchParameter/practice-category"),
    ]
}
