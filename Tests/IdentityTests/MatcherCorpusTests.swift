import ChinaReference
import FHIRCore
import Foundation
@testable import Identity
import Testing

/// Issue 6's measure of the matcher: a generated register with known duplicates, matched record by
/// record in registration order through the blocking index, as the server does on each create.
@Suite("Matcher precision and recall on a generated register")
struct MatcherCorpusTests {
    struct Measured {
        var certain = 0, certainTrue = 0, probable = 0, probableTrue = 0, found = 0, truePairs = 0, comparisons = 0
        var seconds = 0.0, records = 0
        var missed: [String: Int] = [:]
        var precision: Double { certain == 0 ? 1 : Double(certainTrue) / Double(certain) }
        var recall: Double { truePairs == 0 ? 1 : Double(found) / Double(truePairs) }
    }

    static func measure(_ corpus: ResidentCorpus, policy: MatchPolicy = .standard) -> Measured {
        var index = InMemoryMatchIndex(matcher: PatientMatcher(policy: policy))
        let truth = corpus.truePairs
        var m = Measured(truePairs: truth.count, records: corpus.records.count)
        var foundPairs = Set<ResidentCorpus.Pair>()
        let features = corpus.records.map { PatientFeatures(patient: $0.patient) }
        let start = Date()
        for f in features {
            let matches = index.matches(for: f)
            m.comparisons += index.candidates(for: f).count
            for (other, assessment) in matches {
                let pair = ResidentCorpus.Pair(f.id ?? "", other)
                switch assessment.grade {
                case .certain:
                    m.certain += 1
                    if truth.contains(pair) { m.certainTrue += 1; foundPairs.insert(pair) }
                case .probable:
                    m.probable += 1
                    if truth.contains(pair) { m.probableTrue += 1; foundPairs.insert(pair) }
                default: break
                }
            }
            index.insert(f)
        }
        m.seconds = Date().timeIntervalSince(start)
        m.found = foundPairs.count
        for r in corpus.records { if let of = r.duplicateOf, !foundPairs.contains(.init(r.id, of)) { m.missed[r.variations.joined(separator: "+"), default: 0] += 1 } }
        return m
    }

    @Test("on 1,200 residents and their ~380 known duplicates: precision of certain matches ≥ 0.99, recall of certain or probable ≥ 0.95")
    func precisionAndRecall() throws {
        let corpus = try ResidentCorpus(residents: 1_200, duplicateShare: 0.30, seed: 20_260_601)
        #expect(corpus.records.count >= 1_000)
        let m = Self.measure(corpus)
        print("""
            [master index] \(m.records) records, \(m.truePairs) true duplicate pairs; \
            certain \(m.certain) (\(m.certainTrue) true), probable \(m.probable) (\(m.probableTrue) true); \
            precision \(String(format: "%.4f", m.precision)), recall \(String(format: "%.4f", m.recall)); \
            \(m.comparisons) comparisons (\(String(format: "%.1f", Double(m.comparisons) / Double(m.records))) per record); \
            \(Int(Double(m.records) / max(m.seconds, 0.000_001))) records matched per second; missed by kind: \(m.missed)
            """)
        #expect(m.truePairs >= 200)
        #expect(m.precision >= 0.99)
        #expect(m.recall >= 0.95)
        // Blocking keeps the comparisons per record small (the register is not scanned).
        #expect(Double(m.comparisons) / Double(m.records) < 10)
    }

    @Test("with only the commonest names (namesakes everywhere), 2,000 residents: precision ≥ 0.99 and recall ≥ 0.95 still")
    func namesakes() throws {
        let corpus = try ResidentCorpus(residents: 2_000, duplicateShare: 0.25, seed: 99, commonNamesOnly: true)
        let m = Self.measure(corpus)
        print("[master index, common names] \(m.records) records, \(m.truePairs) true pairs; certain \(m.certain) (\(m.certainTrue) true), probable \(m.probable) (\(m.probableTrue) true); precision \(String(format: "%.4f", m.precision)), recall \(String(format: "%.4f", m.recall))")
        #expect(m.precision >= 0.99)
        #expect(m.recall >= 0.95)
    }

    @Test("the corpus is the same on every run (deterministic seed) and uses every variation")
    func deterministicCorpus() throws {
        let a = try ResidentCorpus(residents: 300, duplicateShare: 0.3, seed: 7), b = try ResidentCorpus(residents: 300, duplicateShare: 0.3, seed: 7)
        #expect(a.records.map(\.patient) == b.records.map(\.patient))
        let kinds = Set(a.records.flatMap(\.variations))
        #expect(kinds.isSuperset(of: ["missing-id", "homophone", "swapped-birth", "pinyin", "pinyin-typo", "new-phone", "new-address"]))
        // Every resident ID the generator wrote is valid (R-ID18) and agrees with the gender.
        for r in a.records { #expect(PersonIdentifierRules.check(r.patient, today: 20260101).isEmpty) }
    }
}
