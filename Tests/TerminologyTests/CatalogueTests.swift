import ChinaReference
import FHIRCore
import Foundation
import Testing
@testable import Terminology

/// The shipped catalogues (issue 6, Terminology): what they hold and that the file format rejects
/// what it cannot read, with the file and line.
@Suite("Shipped catalogues and the catalogue file format")
struct CatalogueTests {
    let catalogue = TerminologyCatalogue.shipped
    static let base = ChinaProfile.base

    @Test("the diagnosis, procedure, vaccine, lab and national code catalogues are all shipped with their sizes")
    func shippedSizes() throws {
        let expected: [(String, ClosedRange<Int>)] = [
            ("icd10-cn", 33_304...33_304), ("icd9cm3-cn", 13_686...13_686), ("nip-vaccine", 13...13), ("lab-test", 60...100),
            ("drug", 300...2_000), ("gbt2261-1-sex", 4...4), ("gb3304", 58...58), ("gbt2261-2-marital", 8...8),
            ("id-document-type", 8...8), ("abo-blood-group", 6...6), ("rh-blood-group", 4...4), ("clinical-subject", 35...35),
            ("hospital-level", 11...11),
        ]
        for (id, range) in expected {
            let system = try #require(catalogue.codeSystem(url: "\(Self.base)/CodeSystem/\(id)"), "\(id)")
            #expect(range.contains(system.concepts.count), "\(id): \(system.concepts.count)")
            #expect(system.sourceNote?.contains("Source:") == true, "\(id) names its source")
            #expect(catalogue.valueSets["\(Self.base)/ValueSet/\(id)"] != nil, "\(id) has its all-codes value set")
        }
        #expect(catalogue.codeSystem(url: ChinaProfile.CodeSystem.ethnicity)?.concept("01")?.display == "汉族")
        #expect(catalogue.codeSystem(url: ChinaProfile.CodeSystem.hospitalLevel)?.concepts.contains { $0.display == "三级甲等" } == true)
        let icd = try #require(catalogue.codeSystem(id: "icd10-cn"))
        #expect(icd.concept("E11.900")?.display == "2型糖尿病")
        #expect(icd.concept("I10.x00")?.display == "特发性（原发性）高血压")
        #expect(icd.concept("E11.900")?.property("category3")?.text == "E11")
        #expect(catalogue.codeSystem(id: "icd9cm3-cn")?.concept("47.0100") != nil)
    }

    @Test("the national immunization programme vaccines of the 2021 schedule are all there")
    func vaccines() throws {
        let vaccines = try #require(catalogue.codeSystem(id: "nip-vaccine"))
        for code in ["BCG", "HepB", "IPV", "bOPV", "DTaP", "DT", "MMR", "JE-L", "JE-I", "MPSV-A", "MPSV-AC", "HepA-L", "HepA-I"] {
            #expect(vaccines.concept(code) != nil, "\(code)")
        }
        #expect(vaccines.concept("HepB")?.property("schedule")?.text == "出生时|1月龄|6月龄")
    }

    @Test("no catalogue is built from the GPL WHO files (they must never be compiled into the product)")
    func noCopyleftSource() throws {
        let directory = try #require(Self.resourcesDirectory)
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".tsv") {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let header = text.split(separator: "\n").prefix(40).joined(separator: "\n")
            #expect(!header.contains("who_en_zh") && !header.lowercased().contains("gnuhealth"), "\(file)")
        }
    }

    static var resourcesDirectory: URL? {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Terminology/Resources")
    }

    @Test("a catalogue file without url, with an undeclared property column or a repeated code is refused with its line")
    func fileFormatErrors() throws {
        func error(_ text: String) -> FHIRError? {
            do { _ = try CatalogueFile.parse(Array(text.utf8), name: "region.tsv"); return nil } catch let e as FHIRError { return e } catch { return nil }
        }
        #expect(error("code\tdisplay\nA\t甲\n")?.description.contains("no url") == true)
        #expect(error("#! url\thttp://x\ncode\tdisplay\tproperty:unit\nA\t甲\tg\n")?.description.contains("property:unit") == true)
        let repeated = error("#! url\thttp://x\ncode\tdisplay\nA\t甲\nA\t乙\n")
        #expect(repeated?.status == 422)
        #expect(repeated?.description.contains("region.tsv:4") == true)
        #expect(error("#! url\thttp://x\n#! property\tn\tinteger\ncode\tdisplay\tproperty:n\nA\t甲\tx\n")?.description.contains("not an integer") == true)
    }

    @Test("a region's directory overrides a shipped catalogue with the same url and adds new ones")
    func regionDirectoryOverrides() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kq-catalogue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
            #! url\t\(ChinaProfile.base)/CodeSystem/gbt2261-1-sex
            #! valueSet\t\(ChinaProfile.base)/ValueSet/gbt2261-1-sex
            code\tdisplay
            1\t男
            2\t女
            """.write(to: dir.appendingPathComponent("sex.tsv"), atomically: true, encoding: .utf8)
        try #"{"resourceType":"CodeSystem","id":"region-extra","url":"https://region.example/cs","status":"active","content":"complete","concept":[{"code":"x","display":"附加"}]}"#
            .write(to: dir.appendingPathComponent("extra.json"), atomically: true, encoding: .utf8)
        let layered = try TerminologyCatalogue.shipped(overriddenBy: dir)
        #expect(layered.codeSystem(url: "\(ChinaProfile.base)/CodeSystem/gbt2261-1-sex")?.concepts.count == 2)
        #expect(layered.codeSystem(url: "https://region.example/cs")?.concept("x")?.display == "附加")
        #expect(layered.codeSystem(id: "icd10-cn")?.concepts.count == 33_304, "the others stay")
    }

    @Test("a catalogue round-trips through a FHIR CodeSystem with its properties and designations")
    func fhirRoundTrip() throws {
        let drug = try #require(catalogue.codeSystem(url: ChinaProfile.CodeSystem.drug))
        let again = try CodeSystemContent(fhir: try JSONParser.parse(JSONWriter.bytes(drug.fhir)))
        #expect(again.concepts == drug.concepts)
        #expect(again.propertyDefinitions == drug.propertyDefinitions)
        let map = try #require(catalogue.conceptMaps["\(ChinaProfile.base)/ConceptMap/lab-test-to-loinc"])
        let mapAgain = try ConceptMapDefinition(fhir: map.fhir)
        #expect(mapAgain.translate(system: ChinaProfile.CodeSystem.labTest, code: "HBA1C").first?.concept?.code == "4548-4")
    }
}
