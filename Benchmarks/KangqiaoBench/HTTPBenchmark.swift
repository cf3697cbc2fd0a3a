import FHIRStore
import Foundation
import KangqiaoServer
import Logging

/// `KangqiaoBench http`: FHIR creates per second over real HTTP against a trivial route of the same
/// server, in one run on one machine.
///
/// The real server (the product's router on the product's runtime) listens on 127.0.0.1 in this
/// process; a closed-loop client holds `--connections` keep-alive HTTP/1.1 connections. Phase one
/// POSTs ~1.5 KB Patients to /fhir/Patient and counts 201s; phase two GETs /bench/trivial (answers
/// "ok", no database). Each phase warms up, then counts answers completing within the window.
/// SQLite runs with the product's durability (WAL synced before every answer, group commit); PostgreSQL too
/// when a URL is in the environment.
enum HTTPBenchmark {
    static let command = BenchCommand(
        name: "http",
        summary: "HTTP create resources/s (32 keep-alive connections) vs a trivial route of the same server",
        usage: "[--connections N] [--duration S] [--warmup S] [--database sqlite|postgres|all] [--client nio|ahc] "
            + "[--skip-trivial] [--profile-create S]",
        run: { arguments in try await run(arguments) }
    )

    static let createTarget = 3_000.0

    static func run(_ arguments: [String]) async throws {
        let options = try BenchOptions(
            arguments, valued: ["--connections", "--duration", "--warmup", "--database", "--client", "--profile-create"],
            flags: ["--skip-trivial"])
        let connections = try options.int("--connections", default: 32)
        let duration = Double(try options.int("--duration", default: 10))
        let warmup = Double(try options.int("--warmup", default: 2))
        guard let client = LoadGenerator.Client(rawValue: options.string("--client") ?? "nio") else {
            throw BenchUsageError(message: "--client takes nio or ahc")
        }
        var logger = Logger(label: "kangqiao.bench")
        logger.logLevel = .warning
        #if DEBUG
            print("WARNING: debug build; use -c release for real figures\n")
        #endif

        if let seconds = options.string("--profile-create") {
            // Only the create load on SQLite, no warm-up, for `perf record` / callgrind.
            guard let s = Int(seconds), s > 0 else { throw BenchUsageError(message: "--profile-create needs seconds") }
            _ = try await measure(.sqlite, client: client, connections: connections, warmup: 0, duration: Double(s),
                                  trivial: false, logger: logger)
            return
        }

        print("HTTP benchmark: \(connections) keep-alive HTTP/1.1 connections, client \(client.rawValue), "
              + "\(Int(warmup)) s warm-up then \(Int(duration)) s measured per phase")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, server and client in one process\n")
        if BenchDatabase.postgresURL == nil {
            print("(PostgreSQL skipped: set KANGQIAO_BENCH_POSTGRES_URL or KANGQIAO_TEST_POSTGRES_URL)\n")
        }
        for kind in try BenchDatabase.kinds(options.string("--database")) {
            let r = try await measure(kind, client: client, connections: connections, warmup: warmup, duration: duration,
                                      trivial: !options.flag("--skip-trivial"), logger: logger)
            printTable(r)
        }
    }

    struct Measurement {
        var kind: BenchDatabase.Kind
        var label: String
        var create: LoadResult
        var trivial: LoadResult?
        var patientBytes: Int
    }

    /// Enough distinct people for `seconds` of creates at up to 4,000/s (above the target), so that no
    /// run wraps around to bodies it sent already (those are duplicates the master index links: at
    /// 40,000 a 15-second run did, and slowed by a fifth).
    static func distinctPatients(for seconds: Double) -> Int { max(40_000, Int(seconds * 4_000)) }

    static func measure(
        _ kind: BenchDatabase.Kind, client: LoadGenerator.Client, connections: Int, warmup: Double, duration: Double,
        trivial: Bool, logger: Logger
    ) async throws -> Measurement {
        let database = try await BenchDatabase.open(kind, logger: logger)
        let runtime = KangqiaoRuntime(backend: database.backend, accessControl: false)  // the data hub alone; `access` measures the rest
        let server = try await BenchServer.start(runtime: runtime, logger: logger)
        let host = "127.0.0.1:\(server.port)"
        do {
            // Distinct people, more than a run creates: every create is a new resident to the master
            // index (the same bodies again would be duplicates it links, a different workload).
            let patients = (0..<Self.distinctPatients(for: warmup + duration)).map { SyntheticPatient.json($0) }
            let creates = patients.map {
                LoadRequest(method: .POST, path: "/fhir/Patient", host: host, contentType: "application/fhir+json", body: $0)
            }
            let createResult = try await LoadGenerator.run(
                client: client, host: "127.0.0.1", port: server.port, connections: connections, warmup: warmup,
                duration: duration, requests: creates)
            var trivialResult: LoadResult?
            if trivial {
                trivialResult = try await LoadGenerator.run(
                    client: client, host: "127.0.0.1", port: server.port, connections: connections, warmup: warmup,
                    duration: duration, requests: [LoadRequest(method: .GET, path: BenchServer.trivialPath, host: host)])
            }
            try await server.stop()
            await database.close()
            let averageBytes = patients.reduce(0) { $0 + $1.count } / patients.count
            return Measurement(kind: kind, label: database.label, create: createResult, trivial: trivialResult, patientBytes: averageBytes)
        } catch {
            try? await server.stop()
            await database.close()
            throw error
        }
    }

    static func printTable(_ m: Measurement) {
        let durability = m.kind == .sqlite ? "WAL synced before every answer, group commit" : "synchronous_commit=on"
        print("\(m.kind.rawValue) (\(durability)); Patient body \(m.patientBytes) bytes")
        print("\(Bench.pad("phase", 30)) \(Bench.pad("  answers/s", 11)) \(Bench.pad(" p50 ms", 8)) \(Bench.pad(" p99 ms", 8)) "
              + "\(Bench.pad("  other", 8))   CPU  KB written/answer")
        func row(_ name: String, _ r: LoadResult, status: Int) {
            let other = r.completed - r.count(status: status)
            print("\(Bench.pad(name, 30)) \(Bench.fmt(r.rate(status: status), 0, width: 11)) \(Bench.fmt(r.latencyMillis(0.5), 2, width: 8)) "
                  + "\(Bench.fmt(r.latencyMillis(0.99), 2, width: 8)) \(Bench.fmt(Double(other), 0, width: 8))  "
                  + "\(Bench.fmt(100 * r.processCPUSeconds / r.seconds, 0, width: 4))%  "
                  + Bench.fmt(Double(r.storageBytes) / 1024 / Double(max(r.completed, 1)), 1, width: 8))
            if other > 0 { print("  statuses: \(r.otherStatuses.sorted { $0.key < $1.key })") }
        }
        row("POST /fhir/Patient → 201", m.create, status: 201)
        if let t = m.trivial {
            row("GET \(BenchServer.trivialPath) → 200", t, status: 200)
            let ratio = m.create.rate(status: 201) / max(t.rate(status: 200), 1)
            print("creates/s ÷ trivial req/s = \(Bench.fmt(ratio, 3)) (a create costs \(Bench.fmt(1 / max(ratio, 1e-9), 1))× a trivial request)")
        }
        if m.kind == .sqlite {
            let rate = m.create.rate(status: 201)
            print("target ≥ \(Int(createTarget)) creates/s on SQLite: \(rate >= createTarget ? "met" : "MISSED") (\(Bench.fmt(rate, 0)))")
        }
        print("(CPU: the whole process, server and client, as % of one core; \(ProcessInfo.processInfo.activeProcessorCount) cores = "
              + "\(100 * ProcessInfo.processInfo.activeProcessorCount)%)\n")
    }
}
