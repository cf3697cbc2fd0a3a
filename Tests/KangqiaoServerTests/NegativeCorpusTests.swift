import FHIRCore
import Foundation
import Testing

@testable import KangqiaoServer

/// Every invalid input of ../shared/testdata/negative is refused with its expected status and an
/// OperationOutcome, and the database holds nothing from it afterwards.
@Suite("Negative corpus")
struct NegativeCorpusTests {
    struct Case: Sendable {
        let file: String
        let what: String
        let acceptable: [Int]
        /// Where the case is sent: a type endpoint, or the base for transaction bundles.
        let path: String
    }

    static let folder = SharedData.root.appendingPathComponent("testdata/negative")

    static func cases() throws -> [Case] {
        let manifest = try JSONParser.parse([UInt8](Data(contentsOf: folder.appendingPathComponent("manifest.json"))))
        return try (manifest.arrayValue ?? []).map { entry in
            let file = entry["file"]?.stringValue ?? ""
            var acceptable = entry["acceptableStatuses"]?.arrayValue?.compactMap { $0.numberValue?.intValue } ?? []
            if let expected = entry["expectedStatus"]?.numberValue?.intValue, !acceptable.contains(expected) { acceptable.append(expected) }
            var path = "/fhir/Patient"
            let source = entry["source"]?.stringValue ?? ""
            if !source.hasPrefix(".."), !source.hasPrefix("sources/") {
                // Described rather than named ("patient (minimal)", "-"): the endpoint is the resource it names.
                let word = source.split(separator: " ").first.map { $0.prefix(1).uppercased() + $0.dropFirst() } ?? ""
                if ["Patient", "Observation"].contains(word) { path = "/fhir/\(word)" }
            } else {
                let sourceJSON = try JSONParser.parse([UInt8](Data(contentsOf: folder.appendingPathComponent(source))))
                if let type = sourceJSON["resourceType"]?.stringValue {
                    let bundleType = sourceJSON["type"]?.stringValue
                    path = type == "Bundle" && (bundleType == "transaction" || bundleType == "batch") ? "/fhir" : "/fhir/\(type)"
                }
            }
            return Case(file: file, what: entry["what"]?.stringValue ?? "", acceptable: acceptable, path: path)
        }
    }

    @Test("each invalid input is refused with its expected status and stores nothing", arguments: ServerBackendKind.allCases)
    func refusedOverHTTP(kind: ServerBackendKind) async throws {
        let cases = try Self.cases()
        #expect(cases.count >= 92)
        try await withFHIRServer(kind) { fhir, _ in
            for c in cases {
                let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(c.file)))
                let r = try await fhir.request(.post, c.path, bytes: bytes)
                #expect(c.acceptable.contains(r.status), "\(c.file) (\(c.what)): got \(r.status) \(r.text.prefix(300))")
                #expect(r.isOperationOutcome, "\(c.file): the answer is not an OperationOutcome")
                let history = try await fhir.get("/fhir/_history?_count=1")
                #expect(history.json["entry"] == nil, "\(c.file) left something in the database")
            }
        }
    }

    @Test("the validator behind `kangqiao validate` rejects every invalid input")
    func validatorRejectsAll() throws {
        let validator = ResourceValidator(definitions: .shared)
        for c in try Self.cases() {
            let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(c.file)))
            var rejected = false
            if let json = try? JSONParser.parse(bytes), json.objectValue != nil {
                rejected = validator.validate(json).issues.contains(where: \.isError)
            } else {
                rejected = true
            }
            #expect(rejected, "\(c.file) (\(c.what)) passed validation")
        }
    }

    @Test("`kangqiao validate` exits 1 and reports every invalid input")
    func commandLineValidate() throws {
        let binary = try #require(DurabilityTests.binary)
        let files = try Self.cases().map { Self.folder.appendingPathComponent($0.file).path }
        let (status, text) = try runProgram(binary, ["validate"] + files)
        #expect(status == 1)
        #expect(text.hasSuffix("0 valid, \(files.count) invalid\n"), "\(text.suffix(200))")
    }
}
