import AsyncHTTPClient
import FHIRCore
import FHIRStore
import Foundation
import KangqiaoServer
import Logging
import NIOCore
import NIOPosix

/// `KangqiaoBench search`: first-page latency of FHIR searches on a generated corpus (default
/// 1,000,000 resources of 10,000 patients) against a read by id, over HTTP, in one run.
///
/// The corpus (see `SearchCorpusGenerator`) goes in through the product's bulk path,
/// `repository.bulkUpsert`, in 1,000-resource batches — validated and indexed like any write — into a
/// SQLite file that is kept (`--corpus PATH`), and into a fixed schema in PostgreSQL when a URL is set;
/// a corpus already holding the expected counts is reused. Then the real server listens on 127.0.0.1
/// in this process and a closed-loop client on `--connections` keep-alive connections sends each query
/// for a warm-up and a measured window, varying the ids and values per request.
enum SearchBenchmark {
    static let command = BenchCommand(
        name: "search",
        summary: "FHIR search first-page p50/p99 on a generated corpus (1M resources) vs read by id, over HTTP",
        usage: "[--resources N] [--corpus PATH] [--database sqlite|postgres|all] [--connections N] [--duration S] "
            + "[--warmup S] [--build-tasks N] [--queries NAME,...] [--sample-timeout S] [--rebuild] [--build-only]",
        run: { arguments in try await run(arguments) }
    )

    static let pageTargetMillis = 20.0
    static let pageRatioTarget = 5.0
    static let countTargetMillis = 1_000.0
    /// Requests per query, one after another, for a query that takes a second or more.
    static let slowSamples = 3

    static func run(_ arguments: [String]) async throws {
        let options = try BenchOptions(
            arguments,
            valued: ["--resources", "--corpus", "--database", "--connections", "--duration", "--warmup", "--build-tasks", "--queries",
                     "--sample-timeout"],
            flags: ["--rebuild", "--build-only"])
        let resources = try options.int("--resources", default: 1_000_000)
        let patients = max(1, (resources + SearchCorpusGenerator.resourcesPerPatient - 1) / SearchCorpusGenerator.resourcesPerPatient)
        let connections = try options.int("--connections", default: 4)
        guard connections <= 32 else { throw BenchUsageError(message: "--connections: at most 32") }
        let duration = Double(try options.int("--duration", default: 5))
        let warmup = Double(try options.int("--warmup", default: 1))
        let buildTasks = try options.int("--build-tasks", default: 2)
        let sampleTimeout = try options.int("--sample-timeout", default: 30)
        let known = queries(patients: 1).map(\.key)
        let selected = options.string("--queries").map { $0.split(separator: ",").map(String.init) } ?? known
        for name in selected where !known.contains(name) {
            throw BenchUsageError(message: "--queries: unknown query '\(name)'; known: \(known.joined(separator: ","))")
        }
        let corpusPath = options.string("--corpus")
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("kangqiao-search-\(patients * 100).sqlite").path
        var logger = Logger(label: "kangqiao.bench")
        logger.logLevel = .warning
        #if DEBUG
            print("WARNING: debug build; use -c release for real figures\n")
        #endif
        print("Search benchmark: \(patients * SearchCorpusGenerator.resourcesPerPatient) resources of \(patients) patients; "
              + "\(connections) keep-alive HTTP/1.1 connections, \(Int(warmup)) s warm-up then \(Int(duration)) s measured per query")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, server and client in one process, "
              + "load average \(Bench.loadAverage() ?? "?")\n")
        if BenchDatabase.postgresURL == nil {
            print("(PostgreSQL skipped: set KANGQIAO_BENCH_POSTGRES_URL or KANGQIAO_TEST_POSTGRES_URL)\n")
        }
        for kind in try BenchDatabase.kinds(options.string("--database")) {
            try await runOne(
                kind, patients: patients, corpusPath: corpusPath, rebuild: options.flag("--rebuild"), buildTasks: buildTasks,
                buildOnly: options.flag("--build-only"), selected: selected, sampleTimeout: sampleTimeout, connections: connections,
                warmup: warmup, duration: duration, logger: logger)
        }
    }

    // MARK: the corpus

    /// Opens the kept corpus database (creating it when missing).
    static func openCorpus(_ kind: BenchDatabase.Kind, patients: Int, path: String, rebuild: Bool, logger: Logger) async throws
        -> (backend: any StoreBackend, label: String)
    {
        switch kind {
        case .sqlite:
            if rebuild {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
            let backend = try await DatabaseLocation.sqlite(path: path).open(logger: logger)
            return (backend, "sqlite \(path)")
        case .postgres:
            guard let url = BenchDatabase.postgresURL else { throw BenchUsageError(message: "no PostgreSQL URL in the environment") }
            let schema = "kq_search_corpus_\(patients)"
            let backend = try await PostgresBackend.connect(url: url, poolSize: 16, schema: schema, logger: logger)
            try await backend.migrate()
            return (backend, "postgres schema \(schema) (kept; drop it with DROP SCHEMA \(schema) CASCADE)")
        }
    }

    /// Writes patients `0..<patients` through `repository.bulkUpsert`, 10 patients (1,000 resources) per
    /// batch, `tasks` batches at once. Unchanged resources are skipped by the product, so this also
    /// completes a partly built corpus. Answers resources written and seconds taken.
    static func build(_ runtime: KangqiaoRuntime, patients: Int, tasks: Int) async throws -> (written: Int, seconds: Double) {
        let perBatch = 1_000 / SearchCorpusGenerator.resourcesPerPatient
        let batches = (patients + perBatch - 1) / perBatch
        let repository = runtime.repository
        let clock = ContinuousClock()
        let start = clock.now
        let written = try await withThrowingTaskGroup(of: Int.self) { group -> Int in
            for t in 0..<tasks {
                group.addTask {
                    var written = 0
                    var b = t
                    while b < batches {
                        var batch: [JSON] = []
                        batch.reserveCapacity(1_000)
                        for p in (b * perBatch)..<min((b + 1) * perBatch, patients) {
                            batch += try SearchCorpusGenerator.resources(patient: p)
                        }
                        written += try await repository.bulkUpsert(batch)
                        if t == 0, (b / tasks) % 50 == 0 {
                            let s = start.duration(to: clock.now)
                            print("  building: batch \(b + 1)/\(batches), \(Bench.fmt(s.seconds, 0)) s")
                        }
                        b += tasks
                    }
                    return written
                }
            }
            var total = 0
            for try await w in group { total += w }
            return total
        }
        let d = start.duration(to: clock.now)
        return (written, d.seconds)
    }

    // MARK: one backend

    static func runOne(
        _ kind: BenchDatabase.Kind, patients: Int, corpusPath: String, rebuild: Bool, buildTasks: Int, buildOnly: Bool,
        selected: [String], sampleTimeout: Int, connections: Int, warmup: Double, duration: Double, logger: Logger
    ) async throws {
        let (backend, label) = try await openCorpus(kind, patients: patients, path: corpusPath, rebuild: rebuild, logger: logger)
        let runtime = KangqiaoRuntime(backend: backend, accessControl: false)  // the search engine alone; `access` measures the rest
        let server = try await BenchServer.start(runtime: runtime, logger: logger)
        let host = "127.0.0.1:\(server.port)"
        let probe = Probe(port: server.port)
        do {
            print("\(kind.rawValue): \(label)")
            // Reuse the corpus when every type holds the expected count.
            let expected = SearchCorpusGenerator.expectedCounts(patients: patients)
            var complete = true
            for (type, count) in expected {
                let r = try await probe.get("/fhir/\(type)?_total=accurate&_count=0")
                if r.total != count {
                    complete = false
                    break
                }
            }
            if complete {
                print("corpus present with the expected counts; not rebuilding (--rebuild to force)")
            } else {
                print("building the corpus through repository.bulkUpsert, 1,000 resources per batch, \(buildTasks) batches at once")
                let (written, seconds) = try await build(runtime, patients: patients, tasks: buildTasks)
                print("built: \(written) resources written in \(Bench.fmt(seconds, 1)) s = "
                      + "\(Bench.fmt(Double(written) / seconds, 0)) resources/s")
                for (type, count) in expected {
                    let r = try await probe.get("/fhir/\(type)?_total=accurate&_count=0")
                    guard r.total == count else {
                        throw BenchServerError(message: "\(type): \(r.total.map(String.init) ?? "no") total after building, expected \(count)")
                    }
                }
            }
            if kind == .sqlite, let size = try? FileManager.default.attributesOfItem(atPath: corpusPath)[.size] as? Int {
                print("corpus file: \(Bench.fmt(Double(size) / 1e6, 0)) MB")
            }
            print("")
            if !buildOnly {
                let (results, timedOut) = try await measureQueries(
                    patients: patients, selected: selected, sampleTimeout: sampleTimeout, host: host, port: server.port, probe: probe,
                    connections: connections, warmup: warmup, duration: duration)
                printTable(kind, results, connections: connections)
                if let timedOut {
                    // The server is still working on the runaway query and would wait for it on a graceful stop.
                    print("\(timedOut) took longer than \(sampleTimeout) s (--sample-timeout): not measured; the queries after it "
                          + "were skipped and the process ends here without stopping the server. Measure the others with --queries.")
                    exit(2)
                }
            }
            try await probe.shutdown()
            try await server.stop()
            await backend.close()
        } catch {
            try? await probe.shutdown()
            try? await server.stop()
            await backend.close()
            throw error
        }
    }

    // MARK: the queries

    enum Kind {
        case read, page, count
    }

    struct Query {
        /// The name for `--queries`.
        var key: String
        var name: String
        var example: String
        var kind: Kind
        /// Whether the ≤ 5× and < 20 ms first-page targets apply (token, reference, date on SQLite).
        var targeted: Bool
        var paths: [String]
    }

    struct QueryResult {
        var query: Query
        var load: LoadResult
        /// Measured by `slowSamples` requests one after another instead of the load generator: the
        /// query takes a second or more, too long for the measured window.
        var sequential = false
        var sample: Probe.Answer
    }

    static func queries(patients: Int) -> [Query] {
        let codes = SearchCorpusGenerator.observationCodes.map(\.code)
        let surnames = SyntheticPatient.surnames.map(\.0)
        // Patients spread over the whole corpus, a different one per request.
        let ids = (0..<min(patients, 2_000)).map { SearchCorpusGenerator.patientId(Int(SearchCorpusGenerator.mix(UInt64($0), 7) % UInt64(patients))) }
        // Months from 2016-01 to 2025-12.
        let months: [(String, String)] = (0..<120).map { i in
            let y = 2016 + i / 12, m = 1 + i % 12
            let ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1
            return ("\(y)-\(m < 10 ? "0" : "")\(m)-01", "\(ny)-\(nm < 10 ? "0" : "")\(nm)-01")
        }
        func enc(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
        let loinc = enc("http://loinc.org|")
        return [
            Query(key: "read", name: "read by id", example: "GET /fhir/Patient/<id>", kind: .read, targeted: false,
                  paths: ids.map { "/fhir/Patient/\($0)" }),
            Query(key: "token", name: "token", example: "Observation?code=http://loinc.org|8480-6", kind: .page, targeted: true,
                  paths: codes.map { "/fhir/Observation?code=\(loinc)\($0)&_count=20" }),
            Query(key: "string", name: "string", example: "Patient?name=王", kind: .page, targeted: false,
                  paths: surnames.map { "/fhir/Patient?name=\(enc($0))&_count=20" }),
            Query(key: "date", name: "date range", example: "Observation?date=ge2024-03-01&date=lt2024-04-01", kind: .page, targeted: true,
                  paths: months.map { "/fhir/Observation?date=ge\($0.0)&date=lt\($0.1)&_count=20" }),
            Query(key: "reference", name: "reference", example: "Observation?subject=Patient/<id>", kind: .page, targeted: true,
                  paths: ids.map { "/fhir/Observation?subject=Patient/\($0)&_count=20" }),
            Query(key: "chained", name: "chained", example: "Observation?subject:Patient.name=王&code=http://loinc.org|8480-6", kind: .page, targeted: false,
                  paths: (0..<(surnames.count * codes.count)).map {
                      "/fhir/Observation?subject:Patient.name=\(enc(surnames[$0 % surnames.count]))&code=\(loinc)\(codes[$0 % codes.count])&_count=20"
                  }),
            Query(key: "include", name: "_include", example: "Observation?subject=Patient/<id>&_include=Observation:subject", kind: .page, targeted: false,
                  paths: ids.map { "/fhir/Observation?subject=Patient/\($0)&_include=Observation:subject&_count=20" }),
            Query(key: "count-token", name: "count: token", example: "Observation?code=...&_total=accurate&_count=0", kind: .count, targeted: false,
                  paths: codes.map { "/fhir/Observation?code=\(loinc)\($0)&_total=accurate&_count=0" }),
            Query(key: "count-gender", name: "count: gender", example: "Patient?gender=female&_total=accurate&_count=0", kind: .count, targeted: false,
                  paths: ["female", "male"].map { "/fhir/Patient?gender=\($0)&_total=accurate&_count=0" }),
            Query(key: "count-all", name: "count: all Observations", example: "Observation?_total=accurate&_count=0", kind: .count, targeted: false,
                  paths: ["/fhir/Observation?_total=accurate&_count=0"]),
        ]
    }

    static func measureQueries(
        patients: Int, selected: [String], sampleTimeout: Int, host: String, port: Int, probe: Probe, connections: Int,
        warmup: Double, duration: Double
    ) async throws -> (results: [QueryResult], timedOut: String?) {
        var results: [QueryResult] = []
        // The read by id always runs: it is the yardstick.
        for q in queries(patients: patients) where q.kind == .read || selected.contains(q.key) {
            let sample: Probe.Answer
            do {
                sample = try await probe.get(q.paths[0], timeout: .seconds(Int64(sampleTimeout)))
            } catch let error as HTTPClientError where error == .deadlineExceeded {
                print("  \(q.name): the first request took longer than \(sampleTimeout) s")
                return (results, q.name)
            }
            print("  \(q.name): one request alone took \(Bench.fmt(sample.millis, 1)) ms")
            guard sample.status == 200 else {
                throw BenchServerError(message: "\(q.name): \(q.paths[0]) answered \(sample.status): \(sample.bodyPrefix)")
            }
            if sample.millis >= 1_000 {
                // Too slow for the window: a few requests one after another, with other values.
                var tally = LoadTally()
                tally.record(status: sample.status, nanos: UInt64(sample.millis * 1e6))
                for i in 1..<min(slowSamples, q.paths.count) {
                    do {
                        let a = try await probe.get(q.paths[i], timeout: .seconds(Int64(sampleTimeout)))
                        tally.record(status: a.status, nanos: UInt64(a.millis * 1e6))
                    } catch let error as HTTPClientError where error == .deadlineExceeded {
                        print("  \(q.name): request \(i + 1) took longer than \(sampleTimeout) s")
                        return (results, q.name)
                    }
                }
                let load = LoadResult(tally: tally, seconds: 0, processCPUSeconds: 0, storageBytes: 0)
                results.append(QueryResult(query: q, load: load, sequential: true, sample: sample))
                print("  measured \(q.name) (\(load.completed) requests one at a time): p50 \(Bench.fmt(load.latencyMillis(0.5), 1)) ms, "
                      + "max \(Bench.fmt(load.latencyMillis(1), 1)) ms")
                continue
            }
            let requests = q.paths.map { LoadRequest(method: .GET, path: $0, host: host) }
            let load = try await LoadGenerator.run(
                client: .nio, host: "127.0.0.1", port: port, connections: connections, warmup: warmup, duration: duration,
                requests: requests)
            results.append(QueryResult(query: q, load: load, sample: sample))
            print("  measured \(q.name): p50 \(Bench.fmt(load.latencyMillis(0.5), 2)) ms, p99 \(Bench.fmt(load.latencyMillis(0.99), 2)) ms, "
                  + "\(load.completed) answers")
        }
        print("")
        return (results, nil)
    }

    static func printTable(_ kind: BenchDatabase.Kind, _ results: [QueryResult], connections: Int) {
        guard let read = results.first(where: { $0.query.kind == .read }) else { return }
        let readP99 = read.load.latencyMillis(0.99)
        print("\(kind.rawValue): \(connections) connections; latencies in ms over HTTP; ratio = p99 ÷ read-by-id p99")
        print("\(Bench.pad("query", 24)) \(Bench.pad("  answers", 9)) \(Bench.pad("  p50 ms", 9)) \(Bench.pad("  p99 ms", 9)) "
              + "\(Bench.pad(" ratio", 7))  sample answer (first values)")
        var verdicts: [String] = []
        for r in results {
            let p99 = r.load.latencyMillis(0.99)
            let ratio = p99 / max(readP99, 1e-9)
            var sample = "entries \(r.sample.entries)"
            if let t = r.sample.total { sample += ", total \(t)" }
            print("\(Bench.pad(r.query.name, 24)) \(Bench.fmt(Double(r.load.completed), 0, width: 9)) "
                  + "\(Bench.fmt(r.load.latencyMillis(0.5), 2, width: 9)) \(Bench.fmt(p99, 2, width: 9)) "
                  + "\(r.query.kind == .read ? "      " : Bench.fmt(ratio, 1, width: 6) + "×")  \(sample)")
            if r.sequential { print("  (\(r.load.completed) requests one at a time: the query is too slow for the load window)") }
            let other = r.load.completed - r.load.count(status: 200)
            if other > 0 { print("  non-200 answers: \(r.load.otherStatuses.sorted { $0.key < $1.key })") }
            if kind == .sqlite && r.query.targeted {
                let met = r.load.completed > 0 && ratio <= pageRatioTarget && p99 < pageTargetMillis
                verdicts.append("\(r.query.name): p99 \(Bench.fmt(p99, 2)) ms, \(Bench.fmt(ratio, 1))× read — "
                                + "≤ \(Int(pageRatioTarget))× \(ratio <= pageRatioTarget ? "met" : "MISSED"), "
                                + "< \(Int(pageTargetMillis)) ms \(p99 < pageTargetMillis ? "met" : "MISSED") → \(met ? "met" : "MISSED")"
                                + (r.load.completed == 0 ? " (no answer in the window)" : ""))
            }
            if r.query.kind == .count {
                verdicts.append("\(r.query.name): p99 \(Bench.fmt(p99, 1)) ms — < 1 s "
                                + (r.load.completed > 0 && p99 < countTargetMillis ? "met" : "MISSED"))
            }
        }
        print("\ntargets:")
        for v in verdicts { print("  \(v)") }
        print("")
        for r in results { print("  \(Bench.pad(r.query.name, 24)) \(r.query.example)") }
        print("")
    }
}

/// One-off GETs with AsyncHTTPClient: checks the corpus counts and samples each query's answer.
struct Probe: Sendable {
    struct Answer: Sendable {
        var status: Int
        var total: Int?
        var entries: Int
        var bodyPrefix: String
        var millis: Double
    }

    let port: Int
    let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)

    func get(_ path: String, timeout: TimeAmount = .seconds(3_600)) async throws -> Answer {
        let started = NIODeadline.now()
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.headers.add(name: "Accept", value: "application/fhir+json")
        let response = try await client.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 256 << 20)
        let bytes = Array(body.readableBytesView)
        let json = try? JSONParser.parse(bytes)
        return Answer(
            status: Int(response.status.code), total: json?["total"]?.numberValue?.intValue,
            entries: json?["entry"]?.arrayValue?.count ?? 0,
            bodyPrefix: String(decoding: bytes.prefix(600), as: UTF8.self),
            millis: Double((NIODeadline.now() - started).nanoseconds) / 1e6)
    }

    func shutdown() async throws { try await client.shutdown() }
}
