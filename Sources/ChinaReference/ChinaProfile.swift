/// The stable URLs of Kangqiao's Chinese profile: what FHIR R4 lacks (resident ID, hospital level,
/// division code, drug control class, …) as identifier systems and extensions under one base.
/// A region that has official OIDs for these maps them at its boundary; inside, these names hold.
public enum ChinaProfile {
    public static let base = "https://kangqiao.org/fhir"

    /// Identifier systems (`Identifier.system`).
    public enum IdentifierSystem {
        /// 居民身份证号码 (GB 11643, R-ID18).
        public static let residentID = "\(base)/sid/resident-id"
        /// 护照 (foreign and Chinese passports; the issuing country goes in `Identifier.assigner`).
        public static let passport = "\(base)/sid/passport"
        /// 港澳居民来往内地通行证 / 港澳台居民居住证.
        public static let hongKongMacauPermit = "\(base)/sid/hk-macau-permit"
        /// 台湾居民来往大陆通行证.
        public static let taiwanPermit = "\(base)/sid/taiwan-permit"
        /// 外国人永久居留身份证.
        public static let foreignPermanentResident = "\(base)/sid/foreign-permanent-resident"
        /// 电子健康卡 (R-HC-1).
        public static let healthCard = "\(base)/sid/health-card"
        /// 医保卡 / 医保电子凭证.
        public static let insuranceCard = "\(base)/sid/insurance-card"
        /// 医师执业证书编码.
        public static let practitionerLicence = "\(base)/sid/practitioner-licence"
        /// 统一社会信用代码 of an organization.
        public static let socialCreditCode = "\(base)/sid/social-credit-code"
        /// 医疗机构执业许可证登记号.
        public static let facilityLicence = "\(base)/sid/facility-licence"
        /// The master (person) identity the patient index assigns.
        public static let masterPerson = "\(base)/sid/master-person"
    }

    /// Extension URLs (`Extension.url`).
    public enum Extension {
        /// GB/T 2260 division code of an organization, location or address.
        public static let divisionCode = "\(base)/StructureDefinition/division-code"
        /// 医院等级: 一级/二级/三级 with 甲/乙/丙 (CodeSystem `hospital-level`).
        public static let hospitalLevel = "\(base)/StructureDefinition/hospital-level"
        /// 执业类别 of a practitioner (clinical, TCM, dental, public health).
        public static let practiceCategory = "\(base)/StructureDefinition/practice-category"
        /// Years in practice of a practitioner.
        public static let yearsOfPractice = "\(base)/StructureDefinition/years-of-practice"
        /// Real-name verification of a person: status, method, time.
        public static let realNameVerification = "\(base)/StructureDefinition/real-name-verification"
        /// Ethnicity (GB 3304).
        public static let ethnicity = "\(base)/StructureDefinition/ethnicity"
        /// The divisions (GB/T 2260 codes) an authority such as a CDC is responsible for.
        public static let jurisdiction = "\(base)/StructureDefinition/jurisdiction"
        /// The control class of a drug (R-RX-1).
        public static let drugControlClass = "\(base)/StructureDefinition/drug-control-class"
    }

    /// Code systems Kangqiao defines.
    public enum CodeSystem {
        public static let hospitalLevel = "\(base)/CodeSystem/hospital-level"
        public static let practiceCategory = "\(base)/CodeSystem/practice-category"
        public static let divisions = "\(base)/CodeSystem/gb2260"
        public static let ethnicity = "\(base)/CodeSystem/gb3304"
        public static let idDocumentType = "\(base)/CodeSystem/id-document-type"
        /// 诊疗科目 (the 1994 clinical subjects list), a department's or practitioner's specialty.
        public static let clinicalSubject = "\(base)/CodeSystem/clinical-subject"
        /// 医疗保障疾病诊断分类与代码 (ICD-10, NHSA edition 2.0).
        public static let icd10 = "\(base)/CodeSystem/icd10-cn"
        /// 医疗保障手术操作分类与编码 (ICD-9-CM-3, NHSA edition 2.0).
        public static let icd9cm3 = "\(base)/CodeSystem/icd9cm3-cn"
        /// The national immunization programme's vaccines, by the programme's abbreviation (`HepB`).
        public static let nipVaccine = "\(base)/CodeSystem/nip-vaccine"
        /// Kangqiao's Condition categories beyond FHIR's: `notifiable` marks a notifiable-disease report (传染病报告).
        public static let conditionCategory = "\(base)/CodeSystem/condition-category"
        /// What kind of institution an organization is in the region (hospital, primary care, pharmacy …).
        public static let organizationKind = "\(base)/CodeSystem/organization-kind"
        /// Where an e-health card is used: registration, consultation, dispensing, payment, record-access.
        public static let healthCardScene = "\(base)/CodeSystem/health-card-scene"
        /// The master patient index's tasks (`review-match`, `merge`) and their outcomes.
        public static let masterIndexTask = "\(base)/CodeSystem/master-index-task"
        /// Designation uses Kangqiao adds in terminology answers (`pinyin`, `pinyin-initials`).
        public static let designationUse = "\(base)/CodeSystem/designation-use"
        /// The drug catalogue (Terminology's DrugCatalogue).
        public static let drug = "\(base)/CodeSystem/drug"
        /// Common laboratory tests, mapped to LOINC by a ConceptMap.
        public static let labTest = "\(base)/CodeSystem/lab-test"
    }
}
