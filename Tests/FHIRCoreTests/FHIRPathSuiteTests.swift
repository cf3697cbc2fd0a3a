import Foundation
import Testing
@testable import FHIRCore

/// Runs the official FHIRPath R4 test suite (`../shared/testdata/fhirpath/tests.json`, 739 tests) against
/// our evaluator with the bundled R4 definitions, and prints the pass figure.
@Suite("FHIRPath official R4 suite")
struct FHIRPathSuiteTests {
    /// Tests we knowingly do not pass, with the reason. They count as failures in the printed figure.
    static let skipped: [String: String] = [
        "HighBoundaryDateTimeMillisecond1":
            "expects @2014-01-01T08:00:59.999-12:00 for an hour-precision value; the hour 08 ends at 08:59:59.999 "
            + "(search ranges rely on that), so we keep the spec's answer",
        "HighBoundaryDateTimeMillisecond3": "same expectation as HighBoundaryDateTimeMillisecond1",
    ]

    @Test("at least 95% of the official FHIRPath R4 tests pass")
    func officialSuite() throws {
        let suite = try FHIRPathSuite.load()
        var passed = 0
        var failures: [String] = []
        var wrongErrorKinds: [String] = []
        for test in suite.tests {
            if FHIRPathSuiteTests.skipped[test.name] != nil { continue }
            switch suite.run(test) {
            case .passed: passed += 1
            case .passedWithOtherErrorKind(let kind):
                passed += 1
                wrongErrorKinds.append("\(test.name): expected \(test.invalid ?? "") error, got \(kind)")
            case .failed(let why): failures.append("\(test.name) [\(test.expression)]: \(why)")
            }
        }
        let total = suite.tests.count
        let percent = Double(passed) * 100 / Double(total)
        print("FHIRPath R4 suite: \(passed)/\(total) passed (\(String(format: "%.1f", percent))%), "
              + "\(FHIRPathSuiteTests.skipped.count) skipped, \(failures.count) failed")
        for f in failures { print("  FAIL \(f)") }
        for w in wrongErrorKinds { print("  error kind differs: \(w)") }
        #expect(percent >= 95, "only \(passed) of \(total) FHIRPath tests pass")
    }
}

/// One test of tests.json.
struct FHIRPathSuiteTest {
    let name: String
    let expression: String
    let inputFile: String?
    let invalid: String?
    let strict: Bool
    let ordered: Bool
    let expected: [(type: String?, value: String)]
}

/// The suite's tests with their inputs, and the comparison of results with expectations.
struct FHIRPathSuite {
    enum Outcome {
        case passed
        case passedWithOtherErrorKind(String)
        case failed(String)
    }

    let tests: [FHIRPathSuiteTest]
    let inputs: [String: JSON]
    let model: R4Definitions
    /// A fixed clock keeps `now()`/`today()` tests deterministic within a run.
    let options = FHIRPathOptions(now: FHIRDateTime.now())

    /// `<repo>/../shared`, found from this file with symlinks resolved (or `$KANGQIAO_SHARED`).
    static var sharedDirectory: URL {
        if let env = ProcessInfo.processInfo.environment["KANGQIAO_SHARED"] { return URL(fileURLWithPath: env) }
        let file = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        return file.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared")
    }

    static func load() throws -> FHIRPathSuite {
        let dir = sharedDirectory.appendingPathComponent("testdata/fhirpath")
        let json = try JSONParser.parse([UInt8](try Data(contentsOf: dir.appendingPathComponent("tests.json"))), maxDepth: 512)
        var tests: [FHIRPathSuiteTest] = []
        var inputs: [String: JSON] = [:]
        for t in json.arrayValue ?? [] {
            let inputFile = t["inputfile"]?.stringValue
            if let f = inputFile, inputs[f] == nil {
                inputs[f] = try JSONParser.parse([UInt8](try Data(contentsOf: dir.appendingPathComponent("inputs/\(f)"))), maxDepth: 512)
            }
            tests.append(FHIRPathSuiteTest(
                name: t["name"]?.stringValue ?? "",
                expression: t["expression"]?.stringValue ?? "",
                inputFile: inputFile,
                invalid: t["invalid"]?.stringValue,
                strict: t["mode"]?.stringValue == "strict",
                ordered: t["ordered"]?.boolValue ?? true,
                expected: (t["expected"]?.arrayValue ?? []).map { ($0["type"]?.stringValue, $0["value"]?.stringValue ?? "") }))
        }
        return FHIRPathSuite(tests: tests, inputs: inputs, model: try R4Definitions.loadBundled())
    }

    func run(_ test: FHIRPathSuiteTest) -> Outcome {
        var options = self.options
        options.strict = test.strict
        let result: [FHIRPathValue]
        do {
            let expression = try FHIRPathExpression(test.expression)
            if let f = test.inputFile, let input = inputs[f] {
                result = try expression.evaluate(on: input, model: model, options: options)
            } else {
                result = try expression.evaluate(input: [], model: model, options: options)
            }
        } catch let error as FHIRPathError {
            guard let kind = test.invalid else { return .failed("unexpected error \(error)") }
            return error.kind.rawValue == kind ? .passed : .passedWithOtherErrorKind(error.kind.rawValue)
        } catch {
            return .failed("unexpected non-FHIRPath error \(error)")
        }
        if test.invalid != nil { return .failed("expected a \(test.invalid ?? "") error, got \(describe(result))") }
        guard result.count == test.expected.count else {
            return .failed("expected \(test.expected.map(\.value)), got \(describe(result))")
        }
        var remaining = Array(result.indices)
        for (i, e) in test.expected.enumerated() {
            if test.ordered {
                guard FHIRPathSuite.matches(result[i], e) else {
                    return .failed("item \(i): expected \(e.type ?? "?") \(e.value), got \(describe(result))")
                }
            } else {
                guard let k = remaining.firstIndex(where: { FHIRPathSuite.matches(result[$0], e) }) else {
                    return .failed("expected \(e.value) among \(describe(result))")
                }
                remaining.remove(at: k)
            }
        }
        return .passed
    }

    func describe(_ items: [FHIRPathValue]) -> String {
        "[" + items.map { "\($0.typeName):\($0.stringForm() ?? JSONWriter.string($0.json))" }.joined(separator: ", ") + "]"
    }

    /// Reads the expected value by its type; type-less values compare by text (numbers by value).
    static func matches(_ item: FHIRPathValue, _ e: (type: String?, value: String)) -> Bool {
        let value = e.value.hasPrefix("@") ? String(e.value.dropFirst()) : e.value
        let primitive = item.primitive()
        switch e.type {
        case "boolean":
            if case .boolean(let b) = primitive { return (b ? "true" : "false") == value }
            return false
        case "integer":
            if case .integer(let i) = primitive { return String(i) == value }
            return false
        case "decimal":
            guard let d = FHIRPathEvaluator.decimalValue(primitive), let x = FHIRDecimal(value) else { return false }
            return d == x
        case "date":
            if case .date(let d) = primitive { return d.description == value }
            return false
        case "dateTime":
            if case .dateTime(let d) = primitive { return d.description == value }
            return false
        case "time":
            if case .time(let t) = primitive { return t.description == value.dropFirst() }
            return false
        case "Quantity":
            if case .quantity(let q) = primitive { return q.description == value }
            return false
        case "string", "code", "id", "uri":
            guard case .string(let s) = primitive, s == value else { return false }
            if let element = item.element, let type = e.type, type != "string" { return element.typeName == type }
            return true
        default:
            guard let text = item.stringForm() else { return false }
            if text == value { return true }
            if let a = FHIRDecimal(text), let b = FHIRDecimal(value) { return a == b }
            if case .quantity(let q) = primitive, let b = parseQuantityText(value) {
                return q.unit == b.unit && q.value == b.value
            }
            return false
        }
    }

    static func parseQuantityText(_ s: String) -> FHIRQuantity? {
        FHIRPathEvaluator.parseQuantity(s)
    }
}
