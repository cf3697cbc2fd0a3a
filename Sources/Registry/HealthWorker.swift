import ChinaReference
import FHIRCore

/// 执业类别: what a health worker is licensed to practise.
public enum PracticeCategory: String, Sendable, CaseIterable {
    case clinical, tcm, dental, publicHealth = "public-health", nursing, pharmacy

    public var display: String {
        switch self {
        case .clinical: return "临床"
        case .tcm: return "中医"
        case .dental: return "口腔"
        case .publicHealth: return "公共卫生"
        case .nursing: return "护理"
        case .pharmacy: return "药学"
        }
    }

    /// The HL7 practitioner-role code a site role of this category carries.
    public var roleCode: String {
        switch self {
        case .nursing: return "nurse"
        case .pharmacy: return "pharmacist"
        default: return "doctor"
        }
    }
}

/// A doctor, nurse or pharmacist as a Practitioner: resident ID, licence (执业证书编码), practice
/// category, years in practice and real-name status (R-IH-5 reads these before clinical scopes).
public struct HealthWorker: Sendable {
    public var id: String
    public var family: String
    public var given: String
    public var gender: String
    public var birthDate: String
    public var residentID: String?
    public var licence: String?
    public var category: PracticeCategory
    public var yearsOfPractice: Int
    public var realName: RealNameVerification
    public var phone: String?
    /// The qualification title (职称), e.g. 主任医师.
    public var title: String?
    /// When the licence took effect (FHIR date); R-IH-5 reads it as the licence in force from then.
    public var licensedSince: String?

    public init(id: String, family: String, given: String, gender: String, birthDate: String, residentID: String?, licence: String?,
                category: PracticeCategory, yearsOfPractice: Int, realName: RealNameVerification, phone: String? = nil, title: String? = nil,
                licensedSince: String? = nil) {
        self.id = id
        self.family = family
        self.given = given
        self.gender = gender
        self.birthDate = birthDate
        self.residentID = residentID
        self.licence = licence
        self.category = category
        self.yearsOfPractice = yearsOfPractice
        self.realName = realName
        self.phone = phone
        self.title = title
        self.licensedSince = licensedSince
    }

    public var json: JSON {
        var identifiers: [JSON] = []
        if let licence { identifiers.append(["system": .string(ChinaProfile.IdentifierSystem.practitionerLicence), "value": .string(licence)]) }
        if let residentID { identifiers.append(["system": .string(ChinaProfile.IdentifierSystem.residentID), "value": .string(residentID)]) }
        var o = JSONObject([
            ("resourceType", "Practitioner"), ("id", .string(id)),
            ("extension", [
                ["url": .string(ChinaProfile.Extension.practiceCategory),
                 "valueCodeableConcept": ["coding": [["system": .string(ChinaProfile.CodeSystem.practiceCategory), "code": .string(category.rawValue),
                                                      "display": .string(category.display)]]]],
                ["url": .string(ChinaProfile.Extension.yearsOfPractice), "valueInteger": .number(JSONNumber(yearsOfPractice))],
                realName.fhirExtension,
            ]),
        ])
        if !identifiers.isEmpty { o["identifier"] = .array(identifiers) }
        o["active"] = true
        o["name"] = [["use": "official", "text": .string(family + given), "family": .string(family), "given": [.string(given)]]]
        if let phone { o["telecom"] = [["system": "phone", "value": .string(phone), "use": "work"]] }
        o["gender"] = .string(gender)
        o["birthDate"] = .string(birthDate)
        // The licence is the qualification R-IH-5 checks: numbered, and in force from its date.
        if let licence {
            var q = JSONObject([
                ("identifier", [["system": .string(ChinaProfile.IdentifierSystem.practitionerLicence), "value": .string(licence)]]),
                ("code", ["text": .string(title.map { "\(category.display) · \($0)" } ?? category.display)]),
            ])
            if let licensedSince { q["period"] = ["start": .string(licensedSince)] }
            o["qualification"] = [.object(q)]
        }
        return .object(o)
    }
}

/// One site where a health worker practises (多点执业: a worker may hold several), as a
/// PractitionerRole with the specialty and services offered there. `primary` marks the
/// institution of first registration (主要执业机构).
public struct PracticeSite: Sendable {
    public var id: String
    public var practitioner: String
    public var organization: String
    public var location: String?
    public var category: PracticeCategory
    public var specialty: ClinicalSubject
    public var services: [String]
    public var primary: Bool

    public init(id: String, practitioner: String, organization: String, location: String?, category: PracticeCategory,
                specialty: ClinicalSubject, services: [String], primary: Bool) {
        self.id = id
        self.practitioner = practitioner
        self.organization = organization
        self.location = location
        self.category = category
        self.specialty = specialty
        self.services = services
        self.primary = primary
    }

    public var json: JSON {
        var o = JSONObject([
            ("resourceType", "PractitionerRole"), ("id", .string(id)),
            ("extension", [["url": "http://hl7.org/fhir/StructureDefinition/practitionerrole-primaryInd", "valueBoolean": .bool(primary)]]),
            ("active", true),
            ("practitioner", ["reference": .string("Practitioner/\(practitioner)")]),
            ("organization", ["reference": .string("Organization/\(organization)")]),
            ("code", [["coding": [["system": "http://terminology.hl7.org/CodeSystem/practitioner-role", "code": .string(category.roleCode)]]]]),
            ("specialty", [specialty.codeableConcept]),
        ])
        if let location { o["location"] = [["reference": .string("Location/\(location)")]] }
        if !services.isEmpty { o["healthcareService"] = .array(services.map { ["reference": .string("HealthcareService/\($0)")] }) }
        return .object(o)
    }
}
