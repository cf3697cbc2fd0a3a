import FHIRCore
import FHIRStore
import Foundation
import KangqiaoServer
import Logging

/// `KangqiaoBench ingest`: transaction-bundle ingest against raw inserts of the same rows into the
/// same kind of database, plus NDJSON bulk import.
///
/// 1. The synthetic transaction Bundles (urn:uuid references) go through
///    `repository.processBundle` in-process — validation, reference rewriting, FHIRPath indexing,
///    one database transaction per bundle — by `--concurrency` tasks at once. The backend is wrapped
///    to keep a copy of every `ResourceWrite` that committed.
/// 2. Those very writes, grouped as they were committed, go into a fresh database with the backend's
///    batched path (`backend.write { try await $0.putAll(group) }`) by the same number of tasks: the
///    raw cost of the rows. Also as 1,000-resource transactions one after another.
/// 3. The synthetic NDJSON through `repository.bulkUpsert` in 1,000-resource batches (as `kangqiao
///    import` does), ids suffixed per repetition so every pass writes.
/// 4. Single-thread CPU per resource of the write pipeline's stages, with no database.
enum IngestBenchmark {
    static let command = BenchCommand(
        name: "ingest",
        summary: "transaction-bundle ingest resources/s vs raw inserts of the same rows; NDJSON bulk import",
        usage: "[--repeat N] [--concurrency N[,N...]] [--database sqlite|postgres|all] [--skip-bulk] [--skip-stages] "
            + "[--profile-bundles N]",
        run: { arguments in try await run(arguments) }
    )

    static let bundleTarget = 5_000.0
    static let baseURL = "http://127.0.0.1:8080/fhir"

    static func run(_ arguments: [String]) async throws {
        let options = try BenchOptions(
            arguments, valued: ["--repeat", "--concurrency", "--database", "--profile-bundles"], flags: ["--skip-bulk", "--skip-stages"])
        let repeats = try options.int("--repeat", default: 3)
        let concurrencies = try (options.string("--concurrency") ?? "1,4,8").split(separator: ",").map { text -> Int in
            guard let n = Int(text), n > 0 else { throw BenchUsageError(message: "--concurrency takes positive numbers, e.g. 1,4") }
            return n
        }
        var logger = Logger(label: "kangqiao.bench")
        logger.logLevel = .warning
        #if DEBUG
            print("WARNING: debug build; use -c release for real figures\n")
        #endif
        let shared = Bench.sharedFolder().appendingPathComponent("testdata/synthetic")
        let corpus = try IngestCorpus.load(bundles: shared.appendingPathComponent("bundles"), ndjson: shared.appendingPathComponent("ndjson"))

        if let text = options.string("--profile-bundles") {
            // Only in-process bundle ingest on SQLite, sequentially, for `perf record` / callgrind.
            guard let passes = Int(text), passes > 0 else { throw BenchUsageError(message: "--profile-bundles needs a number of passes") }
            let r = try await ingestBundles(corpus, repeats: passes, concurrency: 1, kind: .sqlite, logger: logger)
            print("\(r.resources) resources in \(Bench.fmt(r.seconds, 2)) s = \(Bench.fmt(Double(r.resources) / r.seconds, 0))/s")
            return
        }

        print("Ingest benchmark: \(corpus.bundles.count) transaction bundles, \(corpus.bundleResources) resources, "
              + "\(Bench.fmt(Double(corpus.bundleBytes) / 1e6, 1)) MB, ×\(repeats); \(corpus.ndjson.count) NDJSON resources")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; bundle JSON parsed once up front "
              + "(\(Bench.fmt(corpus.parseSeconds * 1000, 0)) ms = \(Bench.fmt(Double(corpus.bundleBytes) / 1e6 / corpus.parseSeconds, 0)) MB/s, not in the figures below)\n")
        if BenchDatabase.postgresURL == nil {
            print("(PostgreSQL skipped: set KANGQIAO_BENCH_POSTGRES_URL or KANGQIAO_TEST_POSTGRES_URL)\n")
        }

        for kind in try BenchDatabase.kinds(options.string("--database")) {
            let durability = kind == .sqlite ? "WAL synced before every answer, group commit" : "synchronous_commit=on"
            print("\(kind.rawValue) (\(durability))")
            print("\(Bench.pad("path", 44)) \(Bench.pad("tasks", 5)) \(Bench.pad("  resources/s", 13)) \(Bench.pad("  rows/s", 9)) "
                  + "\(Bench.pad("  txs/s", 8))   CPU  KB written/resource")
            var bundleRates: [Int: Double] = [:]
            for c in concurrencies {
                let ingest = try await ingestBundles(corpus, repeats: repeats, concurrency: c, kind: kind, logger: logger)
                printRow("processBundle (transaction bundles)", c, ingest)
                let raw = try await insertRaw(ingest.transactions, concurrency: c, kind: kind, logger: logger)
                printRow("raw putAll of the same rows, same grouping", c, raw)
                print("  bundle ÷ raw = \(Bench.fmt(ingest.rate / raw.rate, 2))")
                bundleRates[c] = ingest.rate
                if c == concurrencies[0] {
                    let regrouped = regroup(ingest.transactions, size: 1_000)
                    printRow("raw putAll, 1,000 per transaction", 1, try await insertRaw(regrouped, concurrency: 1, kind: kind, logger: logger))
                }
            }
            if !options.flag("--skip-bulk") {
                printRow("bulkUpsert NDJSON, 1,000 per transaction", 1,
                         try await bulkImport(corpus, repeats: repeats, kind: kind, logger: logger))
            }
            if kind == .sqlite, let best = bundleRates.values.max() {
                print("target ≥ \(Int(bundleTarget)) bundle resources/s on SQLite: \(best >= bundleTarget ? "met" : "MISSED") "
                      + "(best \(Bench.fmt(best, 0)))")
            }
            print("(rows: resource + resource_version + search-index rows; CPU: whole process, % of one core; "
                  + "KB written: /proc/self/io write_bytes)\n")
        }
        if !options.flag("--skip-stages") { IngestStages.measure(corpus) }
    }

    /// One timed ingest: what was written and how long it took.
    struct Run {
        var resources: Int
        var rows: Int
        var transactionCount: Int
        var seconds: Double
        var cpuSeconds: Double
        var storageBytes: Int64
        var transactions: [[ResourceWrite]] = []
        var rate: Double { Double(resources) / seconds }
    }

    static func printRow(_ name: String, _ concurrency: Int, _ r: Run) {
        print("\(Bench.pad(name, 44)) \(Bench.fmt(Double(concurrency), 0, width: 5)) \(Bench.fmt(r.rate, 0, width: 13)) "
              + "\(Bench.fmt(Double(r.rows) / r.seconds, 0, width: 9)) \(Bench.fmt(Double(r.transactionCount) / r.seconds, 0, width: 8))  "
              + "\(Bench.fmt(100 * r.cpuSeconds / r.seconds, 0, width: 4))%  "
              + Bench.fmt(Double(r.storageBytes) / 1024 / Double(max(r.resources, 1)), 1, width: 8))
    }

    static func rowCount(_ writes: [ResourceWrite]) -> Int {
        writes.reduce(0) { n, w in
            let ix = w.index
            return n + 2 + ix.tokens.count + ix.strings.count + ix.dates.count + ix.references.count + ix.numbers.count
                + ix.quantities.count + ix.uris.count
        }
    }

    /// Runs `work(i)` for i in 0..<count on `concurrency` tasks (task k takes k, k+c, ...); answers wall and process CPU seconds.
    static func timed(count: Int, concurrency: Int, _ work: @escaping @Sendable (Int) async throws -> Void) async throws -> (Double, Double, Int64) {
        let clock = ContinuousClock()
        let cpu = LoadGenerator.processCPUSeconds()
        let written = LoadGenerator.storageBytesWritten()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for k in 0..<concurrency {
                group.addTask {
                    for i in stride(from: k, to: count, by: concurrency) { try await work(i) }
                }
            }
            try await group.waitForAll()
        }
        let d = start.duration(to: clock.now)
        return (d.seconds, LoadGenerator.processCPUSeconds() - cpu,
                LoadGenerator.storageBytesWritten() - written)
    }

    static func ingestBundles(_ corpus: IngestCorpus, repeats: Int, concurrency: Int, kind: BenchDatabase.Kind, logger: Logger) async throws -> Run {
        let database = try await BenchDatabase.open(kind, logger: logger)
        let recorder = RecordingBackend(database.backend)
        let runtime = KangqiaoRuntime(backend: recorder, accessControl: false)  // the data hub alone
        let bundles = corpus.bundles
        do {
            let (seconds, cpu, bytes) = try await timed(count: bundles.count * repeats, concurrency: concurrency) { i in
                _ = try await runtime.repository.processBundle(bundles[i % bundles.count], baseURL: baseURL)
            }
            let transactions = recorder.transactions
            // A repeated corpus holds every resident twice: the master index (rightly) links each pair with
            // a Person or queues it for review with a Task, in the same transaction (the synthetic bundles
            // hold neither type). Those are counted apart from the bundles' own resources.
            let derived = transactions.reduce(0) { n, tx in n + tx.filter { ["Person", "Task"].contains($0.record.type) }.count }
            let resources = transactions.reduce(0) { $0 + $1.count } - derived
            if derived > 0 { print("  (\(derived) master-index links and review tasks written beside the bundles' resources)") }
            guard resources == corpus.bundleResources * repeats else {
                var byType: [String: Int] = [:]
                for tx in transactions { for w in tx { byType[w.record.type + (w.record.versionId > 1 ? " v\(w.record.versionId)" : ""), default: 0] += 1 } }
                print("  written by type: \(byType.sorted { $0.key < $1.key })")
                throw BenchServerError(message: "bundle ingest wrote \(resources) resources, expected \(corpus.bundleResources * repeats)")
            }
            await database.close()
            return Run(resources: resources, rows: transactions.reduce(0) { $0 + rowCount($1) }, transactionCount: transactions.count,
                       seconds: seconds, cpuSeconds: cpu, storageBytes: bytes, transactions: transactions)
        } catch {
            await database.close()
            throw error
        }
    }

    static func insertRaw(_ transactions: [[ResourceWrite]], concurrency: Int, kind: BenchDatabase.Kind, logger: Logger) async throws -> Run {
        let database = try await BenchDatabase.open(kind, logger: logger)
        let backend = database.backend
        do {
            let (seconds, cpu, bytes) = try await timed(count: transactions.count, concurrency: concurrency) { i in
                let group = transactions[i]
                try await backend.write { tx in try await tx.putAll(group) }
            }
            await database.close()
            return Run(resources: transactions.reduce(0) { $0 + $1.count }, rows: transactions.reduce(0) { $0 + rowCount($1) },
                       transactionCount: transactions.count, seconds: seconds, cpuSeconds: cpu, storageBytes: bytes)
        } catch {
            await database.close()
            throw error
        }
    }

    static func regroup(_ transactions: [[ResourceWrite]], size: Int) -> [[ResourceWrite]] {
        let all = transactions.flatMap { $0 }
        return stride(from: 0, to: all.count, by: size).map { Array(all[$0..<min($0 + size, all.count)]) }
    }

    static func bulkImport(_ corpus: IngestCorpus, repeats: Int, kind: BenchDatabase.Kind, logger: Logger) async throws -> Run {
        // Every repetition gets ids of its own so it writes instead of finding unchanged resources.
        var batches: [[JSON]] = []
        for r in 0..<repeats {
            let resources = corpus.ndjson.map { resource -> JSON in
                guard r > 0, case .object(var o) = resource, let id = o["id"]?.stringValue else { return resource }
                o["id"] = .string("\(id.prefix(56))-r\(r)")
                return .object(o)
            }
            batches += stride(from: 0, to: resources.count, by: 1_000).map { Array(resources[$0..<min($0 + 1_000, resources.count)]) }
        }
        let database = try await BenchDatabase.open(kind, logger: logger)
        let recorder = RecordingBackend(database.backend)
        let runtime = KangqiaoRuntime(backend: recorder, accessControl: false)  // the data hub alone
        let work = batches
        do {
            let (seconds, cpu, bytes) = try await timed(count: work.count, concurrency: 1) { i in
                _ = try await runtime.repository.bulkUpsert(work[i])
            }
            let transactions = recorder.transactions
            await database.close()
            return Run(resources: transactions.reduce(0) { $0 + $1.count }, rows: transactions.reduce(0) { $0 + rowCount($1) },
                       transactionCount: transactions.count, seconds: seconds, cpuSeconds: cpu, storageBytes: bytes)
        } catch {
            await database.close()
            throw error
        }
    }
}

/// The synthetic test data in memory: transaction Bundles parsed, NDJSON resources parsed.
struct IngestCorpus: Sendable {
    var bundles: [JSON]
    var bundleResources: Int
    var bundleBytes: Int
    var parseSeconds: Double
    var ndjson: [JSON]

    static func load(bundles: URL, ndjson: URL) throws -> IngestCorpus {
        let files = try FileManager.default.contentsOfDirectory(at: bundles, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        guard !files.isEmpty else { throw BenchUsageError(message: "no bundles in \(bundles.path)") }
        let raw = try files.map { Array(try Data(contentsOf: $0)) }
        var parsed: [JSON] = []
        let t = try Bench.timed { parsed = try raw.map { try JSONParser.parse($0) } }
        let resources = parsed.reduce(0) { $0 + ($1["entry"]?.arrayValue?.count ?? 0) }

        var lines: [JSON] = []
        let ndFiles = (try? FileManager.default.contentsOfDirectory(at: ndjson, includingPropertiesForKeys: nil)) ?? []
        for file in ndFiles.filter({ $0.pathExtension == "ndjson" }).sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            let bytes = Array(try Data(contentsOf: file))
            for line in bytes.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                lines.append(try JSONParser.parse(Array(line)))
            }
        }
        return IngestCorpus(bundles: parsed, bundleResources: resources, bundleBytes: raw.reduce(0) { $0 + $1.count },
                            parseSeconds: t.cpu, ndjson: lines)
    }
}
