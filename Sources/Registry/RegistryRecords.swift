import ChinaReference
import FHIRCore

/// What an organization is in the region. Each kind also carries the nearest HL7 organization-type
/// code, so systems that know only R4's codes still read it.
public enum OrganizationKind: String, Sendable, CaseIterable {
    case region, hospital, primaryCare = "primary-care", pharmacy, department, cdc, insuranceBureau = "insurance-bureau", regulator

    public var display: String {
        switch self {
        case .region: return "区域卫生健康主管部门"
        case .hospital: return "医院"
        case .primaryCare: return "基层医疗卫生机构"
        case .pharmacy: return "零售药店"
        case .department: return "科室"
        case .cdc: return "疾病预防控制中心"
        case .insuranceBureau: return "医疗保障局"
        case .regulator: return "卫生健康监督机构"
        }
    }

    var hl7Code: String {
        switch self {
        case .region, .regulator, .cdc: return "govt"
        case .hospital, .primaryCare, .pharmacy: return "prov"
        case .department: return "dept"
        case .insuranceBureau: return "pay"
        }
    }

    public var codeableConcept: JSON {
        ["coding": [
            ["system": .string(ChinaProfile.CodeSystem.organizationKind), "code": .string(rawValue), "display": .string(display)],
            ["system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": .string(hl7Code)],
        ]]
    }
}

/// A postal address in the region, with its GB/T 2260 county code on the address so every kind of
/// record is searched by division alike (`division=440500` finds the counties under 汕头市).
public struct RegionAddress: Sendable, Hashable {
    public var divisionCode: String
    /// Street, number, building: what follows the division names.
    public var street: String
    public var postalCode: String?

    public init(divisionCode: String, street: String, postalCode: String? = nil) {
        self.divisionCode = divisionCode
        self.street = street
        self.postalCode = postalCode
    }

    public var json: JSON {
        let chain = AdministrativeDivisions.shared.path(to: divisionCode)
        let named = chain.filter { $0.name != "市辖区" && $0.name != "县" }
        var o = JSONObject([
            ("extension", [["url": .string(ChinaProfile.Extension.divisionCode), "valueCode": .string(divisionCode)]]),
            ("text", .string((AdministrativeDivisions.shared.fullName(divisionCode) ?? "") + street)),
            ("line", [.string(street)]),
        ])
        if let county = named.last(where: { $0.level == .county }) { o["district"] = .string(county.name) }
        if let city = named.last(where: { $0.level == .prefecture }) ?? named.first(where: { $0.level == .province }) { o["city"] = .string(city.name) }
        if let province = named.first(where: { $0.level == .province }) { o["state"] = .string(province.name) }
        if let postalCode { o["postalCode"] = .string(postalCode) }
        o["country"] = "CN"
        return .object(o)
    }
}

/// The real-name verification of a person (R-IH-5): whether, how and when their identity was checked.
public struct RealNameVerification: Sendable, Hashable {
    public enum Method: String, Sendable { case residentIDCard = "id-card", face = "face", inPerson = "in-person", bankCard = "bank-card" }
    public var verified: Bool
    public var method: Method?
    /// FHIR dateTime of the check.
    public var at: String?

    public init(verified: Bool, method: Method? = nil, at: String? = nil) {
        self.verified = verified
        self.method = method
        self.at = at
    }

    public var fhirExtension: JSON {
        var parts: [JSON] = [["url": "verified", "valueBoolean": .bool(verified)]]
        if let method { parts.append(["url": "method", "valueCode": .string(method.rawValue)]) }
        if let at { parts.append(["url": "date", "valueDateTime": .string(at)]) }
        return ["url": .string(ChinaProfile.Extension.realNameVerification), "extension": .array(parts)]
    }

    /// Reads the extension back from a resource; nil when it carries none.
    public init?(in resource: JSON) {
        guard let ext = resource["extension"]?.arrayValue?.first(where: { $0["url"]?.stringValue == ChinaProfile.Extension.realNameVerification })
        else { return nil }
        let parts = ext["extension"]?.arrayValue ?? []
        func part(_ name: String) -> JSON? { parts.first { $0["url"]?.stringValue == name } }
        verified = part("verified")?["valueBoolean"]?.boolValue ?? false
        method = part("method")?["valueCode"]?.stringValue.flatMap(Method.init(rawValue:))
        at = part("date")?["valueDateTime"]?.stringValue
    }
}
