import FHIRCore
import FHIRStore
import KangqiaoServer

/// CPU per resource of the stages a bundle entry passes before SQL, measured one at a time on one
/// thread with no database: JSON parse, validation of the whole Bundle (processBundle checks it before
/// the entries), validation of each entry's resource (again, in `prepare`), FHIRPath index extraction
/// and compartment, and the two serializations (content hash input and the stamped stored bytes).
enum IngestStages {
    static func measure(_ corpus: IngestCorpus) {
        let support = R4Support.shared
        let resources: [(String, JSON)] = corpus.bundles.flatMap { bundle in
            (bundle["entry"]?.arrayValue ?? []).compactMap { entry -> (String, JSON)? in
                guard let r = entry["resource"], let type = r["resourceType"]?.stringValue else { return nil }
                return (type, r)
            }
        }
        let n = Double(resources.count)
        var sink = 0
        var stages: [(String, Double)] = [("JSON parse (bundle bytes)", corpus.parseSeconds / n)]
        if let checker = support.checker {
            let bundleCheck = Bench.median((0..<3).map { _ in
                Bench.timed { for b in corpus.bundles { sink &+= checker.check(b).count } }.cpu
            })
            stages.append(("validate whole Bundle (processBundle)", bundleCheck / n))
            let resourceCheck = Bench.median((0..<3).map { _ in
                Bench.timed { for (_, r) in resources { sink &+= checker.check(r).count } }.cpu
            })
            stages.append(("validate each resource (prepare)", resourceCheck / n))
        }
        if let indexer = support.indexer {
            let index = Bench.median((0..<3).map { _ in
                Bench.timed {
                    for (type, r) in resources {
                        let rows = indexer.indexRows(for: r, type: type)
                        sink &+= rows.tokens.count + rows.references.count
                        sink &+= indexer.compartment(for: r, type: type, rows: rows)?.utf8.count ?? 0
                    }
                }.cpu
            })
            stages.append(("FHIRPath index rows + compartment", index / n))
        }
        let write = Bench.median((0..<3).map { _ in
            Bench.timed { for (_, r) in resources { sink &+= JSONWriter.bytes(r).count } }.cpu
        })
        stages.append(("JSON write ×2 (hash input, stored bytes)", 2 * write / n))

        let total = stages.reduce(0) { $0 + $1.1 }
        print("CPU per bundle resource by stage (one thread, no database; \(resources.count) resources, median of 3)")
        for (name, seconds) in stages {
            print("  \(Bench.pad(name, 42)) \(Bench.fmt(seconds * 1e6, 1, width: 7)) µs  \(Bench.fmt(100 * seconds / total, 0, width: 3))%")
        }
        print("  \(Bench.pad("sum", 42)) \(Bench.fmt(total * 1e6, 1, width: 7)) µs  → at most \(Bench.fmt(1 / total, 0)) resources/s per core "
              + "before SQL, reference rewriting and SHA-256" + (sink == 42 ? "" : ""))
    }
}
