import ChinaReference
import FHIRCore

/// An institution of the region as an Organization: its kind, level (hospitals), division, licence,
/// and its place in the hierarchy (region → institution → department, `partOf`).
public struct Facility: Sendable {
    public var id: String
    public var name: String
    public var kind: OrganizationKind
    public var level: HospitalLevel?
    public var address: RegionAddress?
    public var partOf: String?
    public var phone: String?
    /// 医疗机构执业许可证登记号 (or a pharmacy's business licence).
    public var licence: String?
    /// The department's clinical subject (诊疗科目), for departments.
    public var clinicalSubject: ClinicalSubject?
    /// The divisions an authority (a CDC, a health commission) is responsible for.
    public var jurisdiction: [String] = []

    public init(id: String, name: String, kind: OrganizationKind, level: HospitalLevel? = nil, address: RegionAddress? = nil,
                partOf: String? = nil, phone: String? = nil, licence: String? = nil, clinicalSubject: ClinicalSubject? = nil) {
        self.id = id
        self.name = name
        self.kind = kind
        self.level = level
        self.address = address
        self.partOf = partOf
        self.phone = phone
        self.licence = licence
        self.clinicalSubject = clinicalSubject
    }

    public var json: JSON {
        var o = JSONObject([("resourceType", "Organization"), ("id", .string(id))])
        var extensions: [JSON] = level.map { [$0.fhirExtension] } ?? []
        extensions += jurisdiction.map { ["url": .string(ChinaProfile.Extension.jurisdiction), "valueCode": .string($0)] }
        if !extensions.isEmpty { o["extension"] = .array(extensions) }
        if let licence { o["identifier"] = [["system": .string(ChinaProfile.IdentifierSystem.facilityLicence), "value": .string(licence)]] }
        o["active"] = true
        var types = [kind.codeableConcept]
        if let clinicalSubject { types.append(clinicalSubject.codeableConcept) }
        o["type"] = .array(types)
        o["name"] = .string(name)
        if let phone { o["telecom"] = [["system": "phone", "value": .string(phone), "use": "work"]] }
        if let address { o["address"] = [address.json] }
        if let partOf { o["partOf"] = ["reference": .string("Organization/\(partOf)")] }
        return .object(o)
    }
}

/// 诊疗科目: the national list of clinical subjects (1994), used for departments and specialties.
public struct ClinicalSubject: Sendable, Hashable {
    public let code: String
    public let display: String

    public init(code: String, display: String) {
        self.code = code
        self.display = display
    }

    public var codeableConcept: JSON {
        ["coding": [["system": .string(ChinaProfile.CodeSystem.clinicalSubject), "code": .string(code), "display": .string(display)]],
         "text": .string(display)]
    }

    /// The subjects a primary-care region meets most (testdata/cn/code_clinical_subjects_1994.csv).
    public static let common: [ClinicalSubject] = [
        ("01", "预防保健科"), ("02", "全科医疗科"), ("03", "内科"), ("04", "外科"), ("05", "妇产科"), ("07", "儿科"),
        ("10", "眼科"), ("11", "耳鼻咽喉科"), ("12", "口腔科"), ("13", "皮肤科"), ("15", "精神科"), ("16", "传染科"),
        ("19", "肿瘤科"), ("20", "急诊医学科"), ("21", "康复医学科"), ("26", "麻醉科"), ("28", "重症医学科"),
        ("30", "医学检验科"), ("32", "医学影像科"), ("50", "中医科"),
    ].map { ClinicalSubject(code: $0.0, display: $0.1) }

    public static func named(_ code: String) -> ClinicalSubject? { common.first { $0.code == code } }
}

/// A place of care as a Location: address, coordinates (for `near`) and the organization running it.
public struct Site: Sendable {
    public var id: String
    public var name: String
    public var organization: String
    public var address: RegionAddress
    public var latitude: Double
    public var longitude: Double

    public init(id: String, name: String, organization: String, address: RegionAddress, latitude: Double, longitude: Double) {
        self.id = id
        self.name = name
        self.organization = organization
        self.address = address
        self.latitude = latitude
        self.longitude = longitude
    }

    public var json: JSON {
        .object(JSONObject([
            ("resourceType", "Location"), ("id", .string(id)), ("status", "active"), ("name", .string(name)), ("mode", "instance"),
            ("address", address.json),
            ("position", ["longitude": .number(Self.degrees(longitude)), "latitude": .number(Self.degrees(latitude))]),
            ("managingOrganization", ["reference": .string("Organization/\(organization)")]),
        ]))
    }

    /// Six decimals: about 0.1 m, finer than any address.
    static func degrees(_ value: Double) -> JSONNumber {
        let scaled = (value * 1_000_000).rounded()
        let sign = scaled < 0 ? "-" : ""
        let magnitude = Int64(abs(scaled))
        let fraction = String(magnitude % 1_000_000)
        return JSONNumber(unchecked: "\(sign)\(magnitude / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)")
    }
}

/// What a department offers, as a HealthcareService (a clinic session type patients can book).
public struct ServiceOffering: Sendable {
    public var id: String
    public var name: String
    public var organization: String
    public var location: String?
    public var specialty: ClinicalSubject
    /// E.g. 普通门诊, 专家门诊, 家庭医生签约, 预防接种, 互联网诊疗.
    public var serviceType: String

    public init(id: String, name: String, organization: String, location: String?, specialty: ClinicalSubject, serviceType: String) {
        self.id = id
        self.name = name
        self.organization = organization
        self.location = location
        self.specialty = specialty
        self.serviceType = serviceType
    }

    public var json: JSON {
        var o = JSONObject([
            ("resourceType", "HealthcareService"), ("id", .string(id)), ("active", true),
            ("providedBy", ["reference": .string("Organization/\(organization)")]),
            ("type", [["text": .string(serviceType)]]),
            ("specialty", [specialty.codeableConcept]),
        ])
        if let location { o["location"] = [["reference": .string("Location/\(location)")]] }
        o["name"] = .string(name)
        return .object(o)
    }
}
