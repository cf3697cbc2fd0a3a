@preconcurrency import Access
import FHIRCore
import FHIRStore
import Foundation
import KangqiaoServer
import Logging

/// What access control and the audit trail cost (issue 5): the same creates, reads by id and
/// searches over HTTP against a server without them (no token, no scope check, no audit record)
/// and one with them (bearer token verified on every request, SMART scopes checked, an audit record
/// written with every write and durably before every read's answer, the sealer chaining records).
/// Reported as the ratio of throughputs, without ÷ with (target ≤ 1.3).
enum AccessBenchmark {
    static let command = BenchCommand(
        name: "access",
        summary: "cost of authorization + audit on create, read and search (ratio of throughputs)",
        usage: "[--connections N] [--duration S] [--warmup S] [--database sqlite|postgres|all] [--repeat N] [--profile create|read|search [--unsecured] [--patients N]]",
        run: { arguments in try await run(arguments) }
    )

    static let target = 1.3

    struct Phase {
        var name: String
        var status: Int
        var off: LoadResult
        var on: LoadResult
    }

    static func run(_ arguments: [String]) async throws {
        let options = try BenchOptions(
            arguments, valued: ["--connections", "--duration", "--warmup", "--database", "--profile", "--patients", "--repeat"], flags: ["--unsecured"])
        let connections = try options.int("--connections", default: 32)
        let duration = Double(try options.int("--duration", default: 5))
        let warmup = Double(try options.int("--warmup", default: 1))
        // Pairs of runs (without, then with), each on fresh databases; the ratio reported is the
        // median of the pairs': this machine's rates move ±15% from one run to the next.
        let repeats = max(1, try options.int("--repeat", default: 1))
        var logger = Logger(label: "kangqiao.bench")
        logger.logLevel = .warning
        #if DEBUG
            print("WARNING: debug build; use -c release for real figures\n")
        #endif
        if let phase = options.string("--profile") {
            // One phase, on SQLite only, no warm-up: for `perf record` (with access control unless --unsecured).
            // `--patients` seeds as many as the full run's create phase leaves (~18,000) for a search like the full run's.
            guard let index = ["create", "read", "search"].firstIndex(of: phase) else {
                throw BenchUsageError(message: "--profile takes create, read or search")
            }
            let result = try await measure(.sqlite, secured: !options.flag("--unsecured"), connections: connections, warmup: 0, duration: duration,
                                           logger: logger, only: index, patients: try options.int("--patients", default: 1_000))
            let status = index == 0 ? 201 : 200
            // CPU per request varies far less between runs than the rate does (the machine's spells).
            let cpu = result[0].processCPUSeconds / Double(max(1, result[0].count(status: status))) * 1e6
            print("\(phase): \(Bench.fmt(result[0].rate(status: status), 0, width: 0))/s, \(Bench.fmt(cpu, 1, width: 0)) µs of process CPU each")
            return
        }
        print("Access benchmark: \(connections) connections, \(Int(warmup)) s warm-up then \(Int(duration)) s per phase; "
              + "each phase without and with authorization + audit, on separate fresh databases"
              + (repeats > 1 ? ", \(repeats) pairs of runs, alternated" : "") + "\n")
        let names = ["POST /fhir/Patient", "GET /fhir/Patient/<id>", "GET /fhir/Patient?family=<surname>&_count=20"]
        for kind in try BenchDatabase.kinds(options.string("--database")) {
            print("\(kind.rawValue)")
            print("\(Bench.pad("phase", 46)) \(Bench.pad("  without/s", 11)) \(Bench.pad("     with/s", 11)) \(Bench.pad("  ratio", 8)) "
                  + "\(Bench.pad("p99 without", 12)) \(Bench.pad("p99 with", 10))")
            var ratios: [[Double]] = Array(repeating: [], count: names.count)
            for pair in 1...repeats {
                let off = try await measure(kind, secured: false, connections: connections, warmup: warmup, duration: duration, logger: logger)
                let on = try await measure(kind, secured: true, connections: connections, warmup: warmup, duration: duration, logger: logger)
                if repeats > 1 { print("pair \(pair)") }
                for (i, name) in names.enumerated() {
                    let p = Phase(name: name, status: i == 0 ? 201 : 200, off: off[i], on: on[i])
                    let ratio = report(p)
                    ratios[i].append(ratio)
                }
            }
            if repeats > 1 {
                print("median of \(repeats) pairs")
                for (i, name) in names.enumerated() {
                    let sorted = ratios[i].sorted()
                    let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
                    print("\(Bench.pad(name, 46)) \(Bench.fmt(median, 2, width: 32))  " + (median <= target ? "met" : "MISSED")
                          + " (target ≤ \(target); pairs \(sorted.map { Bench.fmt($0, 2, width: 0) }.joined(separator: ", ")))")
                }
            }
            print("")
        }
    }

    /// Prints one phase's rates, ratio and tail latencies; answers the ratio (without ÷ with).
    static func report(_ p: Phase) -> Double {
        let a = p.off.rate(status: p.status)
        let b = p.on.rate(status: p.status)
        let ratio = a / max(b, 1e-9)
        print("\(Bench.pad(p.name, 46)) \(Bench.fmt(a, 0, width: 11)) \(Bench.fmt(b, 0, width: 11)) \(Bench.fmt(ratio, 2, width: 8)) "
              + "\(Bench.fmt(p.off.latencyMillis(0.99), 2, width: 12)) \(Bench.fmt(p.on.latencyMillis(0.99), 2, width: 10))  "
              + (ratio <= target ? "met" : "MISSED") + " (target ≤ \(target))")
        let other = p.on.completed - p.on.count(status: p.status)
        if other > 0 { print("  with: other statuses \(p.on.otherStatuses.sorted { $0.key < $1.key })") }
        return ratio
    }

    /// Runs the three phases on a fresh database; answers their results in order.
    static func measure(
        _ kind: BenchDatabase.Kind, secured: Bool, connections: Int, warmup: Double, duration: Double, logger: Logger,
        only: Int? = nil, patients: Int = 1_000
    ) async throws -> [LoadResult] {
        let database = try await BenchDatabase.open(kind, logger: logger)
        let runtime = KangqiaoRuntime(backend: database.backend, accessControl: secured)
        var access: AccessService?
        var authorization: String?
        var sealing: Task<Void, Never>?
        if secured {
            let sealer = try KeySealer(encodedMasterKey: KeySealer.newEncodedMasterKey()).orThrow()
            let service = AccessService(backend: database.backend, sealer: sealer)
            try await service.start()
            _ = try await service.createClient(name: "bench", scopes: "system/*.cruds")
            guard let client = try await service.account("bench") else { throw BenchUsageError(message: "no bench client") }
            // A token for the whole run (they live 5 minutes by policy; the run is shorter).
            authorization = "Bearer " + (try service.mint(for: client).accessToken)
            access = service
            let auditSealer = AuditSealer(backend: database.backend, chain: "bench")
            sealing = Task { await auditSealer.run() }
        }
        // Patients to read and search, written in-process before anything is measured.
        var ids: [String] = []
        for n in 0..<patients {
            let resource = try JSONParser.parse(SyntheticPatient.json(n))
            ids.append(try await runtime.repository.create(type: "Patient", resource: resource).record.id)
        }
        let server = try await BenchServer.start(runtime: runtime, logger: logger, access: access)
        let host = "127.0.0.1:\(server.port)"
        do {
            let creates = (1_000..<(1_000 + HTTPBenchmark.distinctPatients(for: warmup + duration))).map {
                LoadRequest(method: .POST, path: "/fhir/Patient", host: host, contentType: "application/fhir+json",
                            body: SyntheticPatient.json($0), authorization: authorization)
            }
            let reads = ids.map { LoadRequest(method: .GET, path: "/fhir/Patient/\($0)", host: host, authorization: authorization) }
            let searches = SyntheticPatient.surnames.map {
                LoadRequest(method: .GET, path: "/fhir/Patient?family=\($0.1)&_count=20", host: host, authorization: authorization)
            }
            var results: [LoadResult] = []
            for (index, requests) in [creates, reads, searches].enumerated() where only == nil || only == index {
                results.append(try await LoadGenerator.run(
                    client: .nio, host: "127.0.0.1", port: server.port, connections: connections, warmup: warmup, duration: duration,
                    requests: requests))
            }
            try await server.stop()
            sealing?.cancel()
            _ = await sealing?.value
            await database.close()
            return results
        } catch {
            try? await server.stop()
            sealing?.cancel()
            await database.close()
            throw error
        }
    }
}

extension Optional {
    func orThrow() throws -> Wrapped {
        guard let value = self else { throw BenchUsageError(message: "missing value") }
        return value
    }
}
