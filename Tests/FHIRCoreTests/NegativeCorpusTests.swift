import Foundation
import Testing
@testable import FHIRCore

/// Every invalid input of the shared negative corpus is refused with the status its manifest expects:
/// a parse error is a 400; otherwise the validator's `httpStatus`.
@Suite("Negative corpus")
struct NegativeCorpusTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let file: String
        let what: String
        let expectedStatus: Int
        let acceptableStatuses: [Int]
        let location: String
        var testDescription: String { file }
    }

    static let folder = DefinitionsFixtures.testData.appendingPathComponent("negative")

    static let cases: [Case] = {
        guard let bytes = try? DefinitionsFixtures.bytes(folder.appendingPathComponent("manifest.json")),
            let manifest = try? JSONParser.parse(bytes), let items = manifest.arrayValue
        else { return [] }
        return items.compactMap { item in
            guard let file = item["file"]?.stringValue, let status = item["expectedStatus"]?.numberValue?.intValue
            else { return nil }
            let acceptable = (item["acceptableStatuses"]?.arrayValue ?? []).compactMap { $0.numberValue?.intValue }
            return Case(file: file, what: item["what"]?.stringValue ?? "", expectedStatus: status,
                        acceptableStatuses: acceptable, location: item["location"]?.stringValue ?? "")
        }
    }()

    /// The status a server built on FHIRCore answers for a request body, with the reasons.
    static func status(for bytes: [UInt8]) -> (Int?, [String]) {
        let json: JSON
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            return (400, ["parse: \(error)"])
        }
        let result = ResourceValidator().validate(json)
        return (result.httpStatus, result.issues.map { "\($0.code.rawValue) \($0.expression) \($0.diagnostics)" })
    }

    @Test("the manifest lists all 92 invalid inputs")
    func manifestIsComplete() {
        #expect(Self.cases.count == 92)
    }

    @Test("every invalid input is refused with its expected or an acceptable status", arguments: cases)
    func refused(_ c: Case) throws {
        let bytes = try DefinitionsFixtures.bytes(Self.folder.appendingPathComponent(c.file))
        let (status, reasons) = Self.status(for: bytes)
        let allowed = Set(c.acceptableStatuses + [c.expectedStatus])
        #expect(status.map { allowed.contains($0) } == true,
                "\(c.file) (\(c.what)): got \(status.map(String.init) ?? "valid"), expected \(c.expectedStatus); \(reasons)")
    }

    @Test("most invalid inputs get exactly their expected status")
    func exactStatuses() throws {
        var exact = 0
        var differing: [String] = []
        for c in Self.cases {
            let bytes = try DefinitionsFixtures.bytes(Self.folder.appendingPathComponent(c.file))
            let (status, _) = Self.status(for: bytes)
            if status == c.expectedStatus { exact += 1 } else { differing.append("\(c.file): \(status.map(String.init) ?? "valid") (expected \(c.expectedStatus))") }
        }
        print("negative corpus: \(exact)/\(Self.cases.count) with the expected status; others: \(differing)")
        #expect(exact >= Self.cases.count * 3 / 4)
    }

    @Test("validation errors point at the faulty element the manifest names")
    func locations() throws {
        var elsewhere: [String] = []
        for c in Self.cases where !c.location.hasPrefix("(") {
            let bytes = try DefinitionsFixtures.bytes(Self.folder.appendingPathComponent(c.file))
            guard let json = try? JSONParser.parse(bytes) else { continue }
            let places = ResourceValidator().validate(json).errors.flatMap(\.expression)
            let wanted = c.location.replacingOccurrences(of: "[x]", with: "")
            if !places.contains(where: { $0.hasPrefix(wanted) || wanted.hasPrefix($0) }) {
                elsewhere.append("\(c.file): manifest \(c.location), validator \(places)")
            }
        }
        print("located elsewhere: \(elsewhere)")
        #expect(elsewhere.count <= 2, "\(elsewhere)")
    }
}
