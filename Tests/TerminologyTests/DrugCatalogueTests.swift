import Testing
@testable import Terminology

/// The drug catalogue the prescription workflow reads (R-RX-1 control classes, dose limits).
@Suite("Drug catalogue")
struct DrugCatalogueTests {
    let drugs: DrugCatalogue

    init() throws { drugs = try DrugCatalogue() }

    func controlClass(_ generic: String) -> DrugCatalogue.ControlClass? {
        let products = drugs.drugs(genericName: generic)
        // Every product of one ingredient has the same class.
        return Set(products.map(\.controlClass)).count == 1 ? products.first?.controlClass : nil
    }

    @Test("at least 300 drugs, each with a form, a strength, a route and a Chinese name")
    func size() {
        #expect(drugs.drugs.count >= 300)
        #expect(Set(drugs.drugs.map(\.genericName)).count >= 300, "300 distinct ingredients, not 300 packs")
        #expect(drugs.drugs.allSatisfy { $0.form != nil && $0.strength != nil && $0.route != nil && !$0.name.isEmpty })
    }

    @Test("R-RX-1: narcotics, psychotropics of class 1 and 2, toxic and radioactive drugs carry their control class")
    func controlClasses() {
        // R-RX-1
        let expected: [(String, DrugCatalogue.ControlClass)] = [
            ("吗啡", .narcotic), ("哌替啶", .narcotic), ("芬太尼", .narcotic), ("可待因", .narcotic), ("羟考酮", .narcotic),
            ("氯胺酮", .psychotropicClass1), ("哌醋甲酯", .psychotropicClass1), ("三唑仑", .psychotropicClass1), ("丁丙诺啡", .psychotropicClass1),
            ("地西泮", .psychotropicClass2), ("艾司唑仑", .psychotropicClass2), ("阿普唑仑", .psychotropicClass2), ("曲马多", .psychotropicClass2),
            ("唑吡坦", .psychotropicClass2), ("苯巴比妥", .psychotropicClass2), ("咪达唑仑", .psychotropicClass2),
            ("阿托品", .toxic), ("毛果芸香碱", .toxic), ("三氧化二砷", .toxic),
            ("碘[131I]化钠", .radioactive),
            ("阿莫西林", .unrestricted), ("二甲双胍", .unrestricted), ("氨氯地平", .unrestricted),
        ]
        for (generic, expectedClass) in expected {
            #expect(controlClass(generic) == expectedClass, "\(generic)")
        }
        #expect(DrugCatalogue.ControlClass.narcotic.excludedFromOnlinePrescription)
        #expect(DrugCatalogue.ControlClass.radioactive.excludedFromOnlinePrescription)
        #expect(!DrugCatalogue.ControlClass.unrestricted.excludedFromOnlinePrescription)
        #expect(drugs.drugs.filter { $0.controlClass.excludedFromOnlinePrescription }.count >= 40)
    }

    @Test("lookup by code gives form, strength, dose limit and insurance category")
    func lookupByCode() throws {
        let amoxicillin = try #require(drugs.drugs(genericName: "阿莫西林").first)
        let byCode = try #require(drugs.drug(code: amoxicillin.code))
        #expect(byCode.name == "阿莫西林胶囊")
        #expect(byCode.inn == "amoxicillin")
        #expect(byCode.strength == "0.25g")
        #expect(byCode.maxDailyDose == DrugCatalogue.DoseLimit(value: 4, unit: "g"))
        #expect(byCode.insuranceCategory == .classA)
        #expect(drugs.drug(code: "no-such-drug") == nil)
        #expect(drugs.drugs.filter { $0.insuranceCategory == .classB }.count > 50)
    }

    @Test("a misspelt control class is an error, never silently unrestricted")
    func misspeltClassIsRefused() throws {
        let system = CodeSystemContent(id: nil, url: "https://region.example/drug", version: nil, name: nil, title: nil,
                                       concepts: [TerminologyConcept(code: "x", display: "吗啡片", properties: [ConceptProperty(code: "control-class", value: .code("narcotics"))])])
        #expect(throws: (any Error).self) { try DrugCatalogue(system) }
    }
}
