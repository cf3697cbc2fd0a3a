import ChinaReference
import FHIRCore
import Foundation
import Testing
@testable import Terminology

/// The operations over the shipped catalogues, without a server: type-ahead in Chinese, pinyin and
/// initials, paging, validation and translation.
@Suite("Terminology operations on the shipped catalogues")
struct TerminologyServiceTests {
    let service = TerminologyService(source: TerminologyCatalogue.shipped)
    static let icd10 = "\(ChinaProfile.base)/CodeSystem/icd10-cn"
    static let icd10ValueSet = "\(ChinaProfile.base)/ValueSet/icd10-cn"

    static func parameters(_ pairs: [(String, String)]) -> OperationParameters {
        var entries: [String: [JSON]] = [:]
        for (k, v) in pairs { entries[k, default: []].append(.object(JSONObject([("name", .string(k)), ("valueString", .string(v))]))) }
        return OperationParameters(entries)
    }

    static func codes(_ expansion: JSON) -> [String] {
        (expansion["expansion"]?["contains"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }
    }

    static func value(_ parameters: JSON, _ name: String) -> JSON? {
        parameters["parameter"]?.arrayValue?.first { $0["name"]?.stringValue == name }.flatMap { p in
            p.objectValue?.first { $0.0.hasPrefix("value") }?.1
        }
    }

    @Test("type-ahead finds 高血压 by characters, full pinyin and initials, hypertension first", arguments: ["高血压", "gaoxueya", "gxy", "GXY"])
    func typeAheadHypertension(filter: String) async throws {
        let expansion = try await service.expand(nil, Self.parameters([("url", Self.icd10ValueSet), ("filter", filter), ("count", "20")]))
        let codes = Self.codes(expansion)
        // 高血压 itself (I10.x00x002) ranks first: an exact or prefix match before a longer name that contains it.
        #expect(codes.first == "I10.x00x002", "\(codes)")
        let displays = (expansion["expansion"]?["contains"]?.arrayValue ?? []).compactMap { $0["display"]?.stringValue }
        #expect(displays.first == "高血压", "\(displays.prefix(3))")
        #expect(displays.filter { $0.contains("高血压") }.count >= 15, "\(displays)")
        #expect((expansion["expansion"]?["total"]?.numberValue?.intValue ?? 0) > 20)
    }

    @Test("type-ahead on 2型糖尿病 by initials and by pinyin words, and by code prefix")
    func typeAheadDiabetes() async throws {
        for filter in ["2xtnb", "tang niao bing", "E11.9"] {
            let codes = Self.codes(try await service.expand(nil, Self.parameters([("url", Self.icd10ValueSet), ("filter", filter), ("count", "50")])))
            #expect(codes.contains("E11.900"), "\(filter): \(codes.prefix(5))")
        }
    }

    @Test("count and offset page through one ordered expansion; an unpaged huge expansion is too costly")
    func paging() async throws {
        let first = try await service.expand(nil, Self.parameters([("url", Self.icd10ValueSet), ("filter", "gxy"), ("count", "5")]))
        let second = try await service.expand(nil, Self.parameters([("url", Self.icd10ValueSet), ("filter", "gxy"), ("count", "5"), ("offset", "5")]))
        let both = try await service.expand(nil, Self.parameters([("url", Self.icd10ValueSet), ("filter", "gxy"), ("count", "10")]))
        #expect(Self.codes(first).count == 5)
        #expect(Self.codes(first) + Self.codes(second) == Self.codes(both))
        #expect(second["expansion"]?["offset"]?.numberValue?.intValue == 5)
        await #expect(throws: FHIRError.self) { try await service.expand(nil, Self.parameters([("url", Self.icd10ValueSet)])) }
        do {
            _ = try await service.expand(nil, Self.parameters([("url", Self.icd10ValueSet)]))
        } catch let e as FHIRError {
            #expect(e.status == 422 && e.issues.first?.code == .tooCostly)
        }
        do {
            _ = try await service.expand(nil, Self.parameters([("url", Self.icd10ValueSet), ("count", "-1")]))
            Issue.record("a negative count was accepted")
        } catch let e as FHIRError { #expect(e.status == 400) }
    }

    @Test("type-ahead over the 33k-code ICD-10 catalogue is fast (measured)")
    func typeAheadSpeed() async throws {
        let system = try #require(TerminologyCatalogue.shipped.codeSystem(url: Self.icd10))
        system.prepareIndex()
        let filters = ["gxy", "gaoxueya", "高血压", "tnb", "fei", "E11", "guanxinbing", "肺炎", "zhongliu", "a"]
        let clock = ContinuousClock()
        var hits = 0
        let elapsed = clock.measure {
            for f in filters { hits += system.search(f).count }
        }
        let perQuery = elapsed / filters.count
        print("type-ahead over \(system.concepts.count) ICD-10 codes: \(perQuery) per filter (\(filters.count) filters, \(hits) hits, this build's optimisation)")
        #expect(hits > 0)
        // Generous for a debug build on a shared 2-core machine; a release build answers in a few ms.
        #expect(perQuery < .seconds(2))
    }

    @Test("$lookup gives the Chinese display, pinyin and initials designations, and the properties")
    func lookup() async throws {
        let result = try await service.lookup(Self.parameters([("system", Self.icd10), ("code", "I10.x00")]))
        #expect(Self.value(result, "display") == .string("特发性（原发性）高血压"))
        let designations = (result["parameter"]?.arrayValue ?? []).filter { $0["name"] == "designation" }.compactMap { d in
            d["part"]?.arrayValue?.first { $0["name"] == "value" }?["valueString"]?.stringValue
        }
        #expect(designations.contains("te fa xing yuan fa xing gao xue ya"), "\(designations)")
        #expect(designations.contains("tfxyfxgxy"))
        let properties = (result["parameter"]?.arrayValue ?? []).filter { $0["name"] == "property" }
        #expect(properties.contains { $0["part"]?.arrayValue?.first?["valueCode"] == "category3" })
        do {
            _ = try await service.lookup(Self.parameters([("system", "http://unknown.example/cs"), ("code", "x")]))
            Issue.record("an unknown system was looked up")
        } catch let e as FHIRError { #expect(e.status == 404) }
        do {
            _ = try await service.lookup(Self.parameters([("system", Self.icd10), ("code", "Z99.999x999")]))
            Issue.record("an unknown code was looked up")
        } catch let e as FHIRError { #expect(e.status == 404 && e.issues.first?.code == .codeInvalid) }
    }

    @Test("$validate-code accepts a code with its display, refuses a wrong display and an unknown code")
    func validateCode() async throws {
        let ok = try await service.validateCode(in: nil as ValueSetDefinition?, Self.parameters([
            ("url", Self.icd10ValueSet), ("system", Self.icd10), ("code", "E11.900"), ("display", "2型糖尿病")]))
        #expect(Self.value(ok, "result") == .bool(true))
        let wrongDisplay = try await service.validateCode(in: nil as CodeSystemContent?, Self.parameters([
            ("url", Self.icd10), ("code", "E11.900"), ("display", "高血压")]))
        #expect(Self.value(wrongDisplay, "result") == .bool(false))
        let unknown = try await service.validateCode(in: nil as CodeSystemContent?, Self.parameters([("url", Self.icd10), ("code", "nope")]))
        #expect(Self.value(unknown, "result") == .bool(false))
        #expect(Self.value(unknown, "message")?.stringValue?.contains("nope") == true)
    }

    @Test("$translate maps the demo region's local lab code to the lab-test code, and that to LOINC; reverse too")
    func translate() async throws {
        let local = try await service.translate(nil, Self.parameters([
            ("url", "\(ChinaProfile.base)/ConceptMap/demo-region-lab-local"), ("system", "https://demo-region.kangqiao.org/CodeSystem/lis-local"), ("code", "XT004")]))
        #expect(Self.value(local, "result") == .bool(true))
        let concept = local["parameter"]?.arrayValue?.first { $0["name"] == "match" }?["part"]?.arrayValue?.first { $0["name"] == "concept" }?["valueCoding"]
        #expect(concept?["code"] == "HBA1C" && concept?["system"] == .string(ChinaProfile.CodeSystem.labTest))
        // Without a map url: every known map from the code's system.
        let loinc = try await service.translate(nil, Self.parameters([("system", ChinaProfile.CodeSystem.labTest), ("code", "HBA1C"), ("targetsystem", "http://loinc.org")]))
        #expect(loinc["parameter"]?.arrayValue?.first { $0["name"] == "match" }?["part"]?.arrayValue?.first { $0["name"] == "concept" }?["valueCoding"]?["code"] == "4548-4")
        let reverse = try await service.translate(nil, Self.parameters([("system", "http://loinc.org"), ("code", "4548-4"), ("reverse", "true")]))
        #expect(Self.value(reverse, "result") == .bool(true))
        let none = try await service.translate(nil, Self.parameters([("system", ChinaProfile.CodeSystem.labTest), ("code", "NOPE")]))
        #expect(Self.value(none, "result") == .bool(false))
    }
}
