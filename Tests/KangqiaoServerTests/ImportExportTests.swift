import FHIRCore
import Foundation
import Testing

/// `kangqiao import` loads the synthetic cohort (NDJSON and transaction Bundles) and `kangqiao export`
/// writes it back as NDJSON that the external validator accepts.
@Suite("Import and export commands", .serialized)
struct ImportExportTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProgram(try #require(DurabilityTests.binary, "build the kangqiao executable first"), arguments)
    }

    @Test("the synthetic NDJSON and transaction bundles import, and export again as valid NDJSON")
    func importThenExport() throws {
        let synthetic = SharedData.root.appendingPathComponent("testdata/synthetic")
        let ndjson = try FileManager.default.contentsOfDirectory(atPath: synthetic.appendingPathComponent("ndjson").path)
            .filter { $0.hasSuffix(".ndjson") }.sorted().map { synthetic.appendingPathComponent("ndjson/\($0)").path }
        let bundles = try FileManager.default.contentsOfDirectory(atPath: synthetic.appendingPathComponent("bundles").path)
            .filter { $0.hasSuffix(".json") }.sorted().map { synthetic.appendingPathComponent("bundles/\($0)").path }
        #expect(ndjson.count == 8)
        #expect(bundles.count == 100)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kq-import-\(UUID().uuidString)")
        let database = "sqlite:" + dir.appendingPathComponent("db.sqlite").path
        let imported = try Self.run(["import", "--database", database] + ndjson + bundles)
        #expect(imported.status == 0, "\(imported.output.suffix(1000))")
        #expect(imported.output.contains("imported 9082 resources"), "\(imported.output.suffix(300))")

        let out = dir.appendingPathComponent("export")
        let exported = try Self.run(["export", "--database", database, "--output", out.path])
        #expect(exported.status == 0)
        // The NDJSON cohort keeps its ids; each bundle adds the same cohort again under new ids.
        let expected = ["AllergyIntolerance": 46, "Condition": 354, "DiagnosticReport": 1000, "Encounter": 200,
                        "MedicationRequest": 282, "Observation": 6800, "Patient": 200, "Practitioner": 200]
        for (type, count) in expected {
            let text = try String(contentsOf: out.appendingPathComponent("\(type).ndjson"), encoding: .utf8)
            let lines = text.split(separator: "\n")
            #expect(lines.count == count, "\(type)")
            #expect(lines.allSatisfy { (try? JSONParser.parse(String($0)))?["resourceType"]?.stringValue == type })
        }
        // Re-importing the same NDJSON changes nothing: identical content makes no new version.
        let again = try Self.run(["import", "--database", database] + ndjson)
        #expect(again.status == 0)
        let history = try Self.run(["export", "--database", database, "--output", dir.appendingPathComponent("export2").path])
        #expect(history.output.contains("Observation: 6800"))
        try ExternalValidator.expectValid(directory: out)
        try? FileManager.default.removeItem(at: dir)
    }

    @Test("an invalid line is reported with its file and line, and the import exits 1")
    func invalidLineReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kq-import-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("bad.ndjson")
        try Data("{\"resourceType\":\"Patient\",\"id\":\"ok\"}\n{\"resourceType\":\"Patient\",\"gender\":\"nope\"}\nnot json\n".utf8).write(to: file)
        let r = try Self.run(["import", "--database", "sqlite:" + dir.appendingPathComponent("db.sqlite").path, file.path])
        #expect(r.status == 1)
        #expect(r.output.contains("bad.ndjson:3"))
        #expect(r.output.contains("bad.ndjson:2: 422 Patient/"))
        #expect(r.output.contains("administrative-gender"))
        // The valid line was imported all the same.
        #expect(r.output.contains("imported 1 resources"))
    }
}
