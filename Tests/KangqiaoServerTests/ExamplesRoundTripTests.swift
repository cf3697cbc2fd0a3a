import FHIRCore
import Foundation
import Testing

@testable import KangqiaoServer

/// The official R4 examples round-trip: POST, GET, and the returned JSON equals the input apart from
/// id and meta.versionId/lastUpdated; the returned JSON passes the external validator.
@Suite("R4 examples round trip", .serialized)
struct ExamplesRoundTripTests {
    static let folder = SharedData.root.appendingPathComponent("testdata/fhir-r4/examples")

    /// Official examples that break one of the R4 invariants Kangqiao enforces on every write; they
    /// are refused with 422, knowingly.
    static let breakInvariants: [String: String] = [
        "ActivityDefinition-heart-valve-replacement.json": "txt-2: the narrative div has no non-whitespace content",
        "EventDefinition-example.json": "txt-2: the narrative div has no non-whitespace content",
        "Questionnaire-zika-virus-exposure-assessment.json": "txt-2: the narrative div has no non-whitespace content",
        "Questionnaire-bb.json": "que-7: enableWhen with operator 'exists' has a non-boolean answer",
        "StructureDefinition-Definition.json": "sdf-4: a non-abstract logical model without baseDefinition",
        "StructureDefinition-Event.json": "sdf-4: a non-abstract logical model without baseDefinition",
    ]

    static func exampleFiles() throws -> [String] {
        let knownInvalid = try String(contentsOf: SharedData.root.appendingPathComponent("testdata/fhir-r4/examples-known-invalid.txt"), encoding: .utf8)
            .split(separator: "\n").compactMap { $0.split(separator: "\t").first.map(String.init) }
        let skip = Set(knownInvalid)
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") && !skip.contains($0) }.sorted()
    }

    /// The resource without what the server owns (id, meta.versionId, meta.lastUpdated).
    static func comparable(_ json: JSON) -> JSON {
        guard case .object(var o) = json else { return json }
        o["id"] = nil
        if var meta = o["meta"]?.objectValue {
            meta["versionId"] = nil
            meta["lastUpdated"] = nil
            o["meta"] = meta.isEmpty ? nil : .object(meta)
        }
        return .object(o)
    }

    @Test("every valid R4 example is stored and read back unchanged, and passes fhir-validate", arguments: ServerBackendKind.allCases)
    func roundTrip(kind: ServerBackendKind) async throws {
        let files = try Self.exampleFiles()
        #expect(files.count > 4_000)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kq-examples-\(kind.rawValue)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try await withFHIRServer(kind) { fhir, _ in
            // 16 clients at once, as a hospital system would send them (and so group commit batches fsyncs).
            let results = try await withThrowingTaskGroup(of: [(String, Int?, Bool)].self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        var done: [(String, Int?, Bool)] = []
                        for (i, file) in files.enumerated() where i % 16 == worker {
                            let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(file)))
                            let input = try JSONParser.parse(bytes)
                            let type = input["resourceType"]?.stringValue ?? ""
                            let created = try await fhir.request(.post, "/fhir/\(type)", bytes: bytes)
                            guard created.status == 201, let id = created.json["id"]?.stringValue else {
                                done.append((file, created.status, false))
                                continue
                            }
                            let read = try await fhir.get("/fhir/\(type)/\(id)")
                            let same = Self.comparable(read.json).sameValue(as: Self.comparable(input))
                            try Data(read.body).write(to: out.appendingPathComponent(file))
                            done.append((file, nil, same))
                        }
                        return done
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let refused = Dictionary(uniqueKeysWithValues: results.compactMap { r in r.1.map { (r.0, $0) } })
            let mismatched = results.filter { $0.1 == nil && !$0.2 }.map(\.0)
            #expect(results.count == files.count)
            #expect(mismatched.isEmpty, "read back differently: \(mismatched.prefix(10))")
            #expect(Set(refused.keys) == Set(Self.breakInvariants.keys), "refused: \(refused.sorted { $0.key < $1.key }.prefix(20))")
            #expect(refused.values.allSatisfy { $0 == 422 }, "invariant breakers must be 422: \(refused)")
        }
        // Nothing was written when the backend is not available here (PostgreSQL outside CI).
        guard let written = try? FileManager.default.contentsOfDirectory(atPath: out.path), !written.isEmpty else { return }
        try ExternalValidator.expectValid(directory: out)
        try? FileManager.default.removeItem(at: out)
    }
}

/// ../shared/tools/fhir-validate, an R4 validator nobody here wrote.
enum ExternalValidator {
    static var tool: URL { SharedData.root.appendingPathComponent("tools/fhir-validate") }

    /// Runs the validator over a directory; records an issue unless every file is valid. Skips when
    /// the tool's Python venv was never set up, except under CI=true.
    static func expectValid(directory: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let venv = ProcessInfo.processInfo.environment["KANGQIAO_TOOLS_VENV"] ?? (NSHomeDirectory() + "/.cache/kangqiao-tools-venv")
        guard FileManager.default.fileExists(atPath: venv) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("fhir-validate's venv is missing under CI", sourceLocation: sourceLocation)
            }
            return
        }
        let (status, text) = try runProgram(tool, [directory.path])
        let last = text.split(separator: "\n").last.map(String.init) ?? ""
        print("fhir-validate \(directory.lastPathComponent): \(last)")
        #expect(status == 0, "fhir-validate: \(text.suffix(2000))", sourceLocation: sourceLocation)
    }
}
