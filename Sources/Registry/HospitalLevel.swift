import ChinaReference
import FHIRCore

/// 医院等级: a hospital's level (一级, 二级, 三级) and grade (甲等, 乙等, 丙等, 特等), as the
/// health authority assigns it. Codes are the two-digit keys of the national hospital-level list
/// (level digit then grade digit: `31` 三级甲等, `30` 三级特等, `90` 未定级), so searching
/// `hospital-level=3` finds every tertiary hospital (RegistrySearchParameters).
public struct HospitalLevel: Sendable, Hashable {
    public let code: String
    public let display: String

    /// The national list (testdata/cn/code_hospital_level.csv, a public health-authority code list).
    public static let all: [HospitalLevel] = [
        ("11", "一级甲等"), ("12", "一级乙等"), ("13", "一级丙等"),
        ("21", "二级甲等"), ("22", "二级乙等"), ("23", "二级丙等"),
        ("30", "三级特等"), ("31", "三级甲等"), ("32", "三级乙等"), ("33", "三级丙等"),
        ("90", "未定级"),
    ].map { HospitalLevel(code: $0.0, display: $0.1) }

    public static func named(_ code: String) -> HospitalLevel? { all.first { $0.code == code } }

    public static let tertiaryA = named("31")!
    public static let secondaryA = named("21")!
    public static let primaryA = named("11")!

    /// The extension an Organization carries.
    public var fhirExtension: JSON {
        ["url": .string(ChinaProfile.Extension.hospitalLevel),
         "valueCoding": ["system": .string(ChinaProfile.CodeSystem.hospitalLevel), "code": .string(code), "display": .string(display)]]
    }
}
