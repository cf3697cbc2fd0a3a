import Foundation
import Testing
@testable import FHIRCore

/// Randomized checks with fixed seeds (so a failure reproduces): mutated documents never crash the parser,
/// and random values always round-trip.
@Suite("JSON fuzzing")
struct JSONFuzzTests {
    /// SplitMix64: small, fast and deterministic.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Bytes worth inserting: JSON syntax, and bytes that are invalid or special in strings and UTF-8.
    static let interesting: [UInt8] = Array(#"{}[],:"\/ -+.eE0123456789tfnu"#.utf8)
        + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xFF]

    static func mutate(_ doc: [UInt8], _ rng: inout Random) -> [UInt8] {
        var d = doc
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !d.isEmpty else { break }
            let i = Int.random(in: 0..<d.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: d[i] = interesting.randomElement(using: &rng)!
            case 1: d[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 2: d.insert(interesting.randomElement(using: &rng)!, at: i)
            case 3: d.removeSubrange(i..<Swift.min(d.count, i + Int.random(in: 1...8, using: &rng)))
            case 4: d.removeSubrange(i...)
            default:
                let j = Int.random(in: i..<Swift.min(d.count, i + 16), using: &rng)
                d.insert(contentsOf: d[i...j], at: i)
            }
        }
        return d
    }

    @Test("mutated documents are parsed or refused, never crash, and what parses round-trips")
    func mutations() throws {
        let seeds: [[UInt8]] = [
            Array(
                (#"{"resourceType":"Observation","valueQuantity":{"value":1.50,"unit":"mg"},"#
                    + #""note":[{"text":"a\"b\\c\n\u00e9\ud83d\ude00 中文"}],"ok":true,"x":null,"#
                    + #""n":[-0,1e-3,12345678901234567890]}"#).utf8),
            Array("{\n  \"a\": [\n    1,\n    {\n      \"longer key name\": \"a longer value of a few words\"\n    }\n  ]\n}".utf8),
        ]
        var rng = Random(state: 20_240_601)
        var parsed = 0
        for round in 0..<6_000 {
            let doc = Self.mutate(seeds[round % seeds.count], &rng)
            do {
                let v = try JSONParser.parse(doc)
                parsed += 1
                #expect(try JSONParser.parse(JSONWriter.bytes(v)) == v)
            } catch {
                #expect(!error.message.isEmpty && error.offset <= doc.count)
            }
        }
        #expect(parsed > 0)
    }

    @Test("mutated R4 examples never crash the parser")
    func mutatedExamples() throws {
        let folder = DefinitionsFixtures.testData.appendingPathComponent("fhir-r4/examples")
        let names = [
            "Patient-example.json", "Observation-example.json", "Bundle-bundle-transaction.json", "Questionnaire-3141.json",
        ]
        var rng = Random(state: 7)
        for name in names {
            guard let doc = try? DefinitionsFixtures.bytes(folder.appendingPathComponent(name)) else { continue }
            for _ in 0..<300 {
                let m = Self.mutate(doc, &rng)
                if let v = try? JSONParser.parse(m) {
                    #expect(try JSONParser.parse(JSONWriter.bytes(v)) == v)
                }
            }
        }
    }

    static func randomString(_ rng: inout Random) -> String {
        let pieces = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "中", "😀", "\u{2028}", "\u{FFFD}",
            "longer-run-of-ascii-text",
        ]
        return (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    static func randomNumber(_ rng: inout Random) -> JSONNumber {
        let texts = ["0", "-0", "1.50", "-12.000", "1e3", "2.5E-7", "123456789012345678901234567890", "0.1", "-9007199254740993"]
        return JSONNumber(unchecked: texts.randomElement(using: &rng)!)
    }

    static func randomValue(_ rng: inout Random, depth: Int) -> JSON {
        switch Int.random(in: 0..<(depth > 5 ? 5 : 8), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2, 3: return .number(randomNumber(&rng))
        case 4: return .string(randomString(&rng))
        case 5: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var o = JSONObject()
            for _ in 0..<Int.random(in: 0...5, using: &rng) { o[randomString(&rng)] = randomValue(&rng, depth: depth + 1) }
            return .object(o)
        }
    }

    @Test("random values round-trip through the writer and parser, compact and pretty")
    func randomValues() throws {
        var rng = Random(state: 42)
        for _ in 0..<2_000 {
            let v = Self.randomValue(&rng, depth: 0)
            #expect(try JSONParser.parse(JSONWriter.bytes(v)) == v)
            #expect(try JSONParser.parse(JSONWriter.bytes(v, pretty: true)) == v)
        }
    }
}
