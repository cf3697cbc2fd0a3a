import ChinaReference
import FHIRCore

/// The drug catalogue as the prescription workflow reads it: per drug the control class that
/// R-RX-1 checks, the adult daily dose limit, form, strength, route and insurance category.
/// A typed view on the `drug` code system (shipped, or a region's replacement with the same url).
public struct DrugCatalogue: Sendable {
    /// R-RX-1 control classes (麻醉药品, 精神药品 一类/二类, 医疗用毒性药品, 放射性药品).
    public enum ControlClass: String, Sendable, CaseIterable {
        case narcotic, psychotropicClass1 = "psychotropic-1", psychotropicClass2 = "psychotropic-2", toxic, radioactive, unrestricted = "none"

        /// R-RX-1: a drug of any special class is never prescribed online.
        public var excludedFromOnlinePrescription: Bool { self != .unrestricted }
    }

    /// 医保目录 甲类 / 乙类.
    public enum InsuranceCategory: String, Sendable {
        case classA = "甲", classB = "乙"
    }

    /// A maximum daily dose with its unit (`4 g`, `15 mg/kg`).
    public struct DoseLimit: Sendable, Hashable {
        public var value: Double
        public var unit: String
    }

    public struct Drug: Sendable, Hashable {
        public var code: String
        /// Generic name with the form, as a prescription writes it (阿莫西林胶囊).
        public var name: String
        /// 通用名 of the active ingredient (阿莫西林).
        public var genericName: String
        public var inn: String?
        public var form: String?
        public var strength: String?
        public var route: String?
        public var controlClass: ControlClass
        public var maxDailyDose: DoseLimit?
        public var insuranceCategory: InsuranceCategory?
        public var category: String?
    }

    public let system: String
    public let drugs: [Drug]
    private let byCode: [String: Int]

    /// Reads the drug code system; a concept without a known control class is unrestricted only
    /// when it has no control-class property at all (a misspelt class is an error, never a silent `none`).
    public init(_ codeSystem: CodeSystemContent) throws {
        var drugs: [Drug] = []
        for c in codeSystem.concepts {
            var controlClass = ControlClass.unrestricted
            if let raw = c.property("control-class")?.text {
                guard let known = ControlClass(rawValue: raw) else {
                    throw FHIRError.unprocessable("drug \(c.code) has an unknown control class '\(raw)'")
                }
                controlClass = known
            }
            var limit: DoseLimit?
            if let value = c.property("max-daily-dose").flatMap({ Double($0.text) }), let unit = c.property("max-daily-dose-unit")?.text {
                limit = DoseLimit(value: value, unit: unit)
            }
            drugs.append(Drug(
                code: c.code, name: c.display ?? c.code, genericName: c.property("generic-name")?.text ?? c.display ?? c.code,
                inn: c.designations.first { $0.language == "en" }?.value, form: c.property("form")?.text,
                strength: c.property("strength")?.text, route: c.property("route")?.text, controlClass: controlClass,
                maxDailyDose: limit, insuranceCategory: c.property("insurance-category").flatMap { InsuranceCategory(rawValue: $0.text) },
                category: c.property("category")?.text))
        }
        self.system = codeSystem.url
        self.drugs = drugs
        self.byCode = Dictionary(drugs.enumerated().map { ($1.code, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The catalogue of the shipped (or region-replaced) drug code system.
    public init(catalogue: TerminologyCatalogue = .shipped) throws {
        guard let system = catalogue.codeSystem(url: ChinaProfile.CodeSystem.drug) else {
            throw FHIRError.notFound("no drug catalogue (\(ChinaProfile.CodeSystem.drug)) is loaded")
        }
        try self.init(system)
    }

    public func drug(code: String) -> Drug? { byCode[code].map { drugs[$0] } }

    /// Every product of a generic name (吗啡 → 吗啡注射液, 吗啡缓释片).
    public func drugs(genericName: String) -> [Drug] { drugs.filter { $0.genericName == genericName } }
}
