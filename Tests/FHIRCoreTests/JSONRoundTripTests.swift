import Foundation
import Testing
@testable import FHIRCore

/// Every official R4 example survives parse → write → parse unchanged, compact and pretty.
@Suite("JSON round trip over the R4 examples")
struct JSONRoundTripTests {
    static let examples = DefinitionsFixtures.testData.appendingPathComponent("fhir-r4/examples")

    static func exampleNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: examples.path).filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test("parse → write → parse gives the same value for all R4 examples")
    func allExamples() throws {
        let names = try Self.exampleNames()
        #expect(names.count >= 4_000)
        var failures: [String] = []
        var bytesSeen = 0
        for name in names {
            let source = try DefinitionsFixtures.bytes(Self.examples.appendingPathComponent(name))
            bytesSeen += source.count
            do {
                let value = try JSONParser.parse(source)
                guard value.objectValue?["resourceType"]?.stringValue != nil else {
                    failures.append("\(name): no resourceType")
                    continue
                }
                let compact = JSONWriter.bytes(value)
                let again = try JSONParser.parse(compact)
                if again != value { failures.append("\(name): compact round trip differs") }
                // Writing is a fixed point: the same value always gives the same bytes.
                if JSONWriter.bytes(again) != compact { failures.append("\(name): second write differs") }
                let pretty = JSONWriter.bytes(value, pretty: true)
                if try JSONParser.parse(pretty) != value { failures.append("\(name): pretty round trip differs") }
            } catch {
                failures.append("\(name): \(error)")
            }
            if failures.count > 20 { break }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(bytesSeen > 50_000_000)
    }

    @Test("our parser reads the examples as Foundation does (strings, keys, structure)")
    func agreesWithFoundation() throws {
        // A sample, to keep the test quick: every 20th file.
        let names = try Self.exampleNames().enumerated().filter { $0.offset % 20 == 0 }.map(\.element)
        for name in names {
            let data = try Data(contentsOf: Self.examples.appendingPathComponent(name))
            let ours = try JSONParser.parse([UInt8](data))
            let theirs = try JSONSerialization.jsonObject(with: data)
            #expect(Self.matches(ours, theirs), "\(name)")
        }
    }

    /// Structural equality with Foundation's tree; numbers compared as doubles.
    static func matches(_ ours: JSON, _ theirs: Any) -> Bool {
        switch ours {
        case .null: return theirs is NSNull
        case .bool(let b):
            return (theirs as? Bool) == b
        case .number(let n):
            guard let d = (theirs as? NSNumber)?.doubleValue, let mine = n.doubleValue else { return false }
            return d == mine
        case .string(let s):
            return (theirs as? String).map { Array($0.utf8) == Array(s.utf8) } ?? false
        case .array(let items):
            guard let other = theirs as? [Any], other.count == items.count else { return false }
            return zip(items, other).allSatisfy { matches($0, $1) }
        case .object(let o):
            guard let other = theirs as? [String: Any], other.count == o.count else { return false }
            return o.allSatisfy { k, v in other[k].map { matches(v, $0) } ?? false }
        }
    }
}
