@preconcurrency import Access
import FHIRStore
import Foundation
import Logging

/// The audit trail's append path alone, without HTTP: the records of `--records` reads by id (one
/// patient each, as a system client reads them) appended by `--writers` concurrent tasks through
/// `AuditTrail.didPerform`, each waiting until its record is durable, then everything imported and
/// chained. Reports records/s and the machine's CPU time per record (this process, PostgreSQL and
/// the kernel; so run it on an otherwise idle machine) — the figure the access benchmark's audited
/// reads pay on top of the read itself, measured without its run-to-run noise.
enum AuditAppendBenchmark {
    static let command = BenchCommand(
        name: "audit-append",
        summary: "CPU per audit record of a read: durable append, import and chaining (SQLite or PostgreSQL)",
        usage: "[--records N] [--writers N] [--database sqlite|postgres|all] [--unsealed]",
        run: { arguments in try await run(arguments) }
    )

    static func run(_ arguments: [String]) async throws {
        let options = try BenchOptions(arguments, valued: ["--records", "--writers", "--database"], flags: ["--unsealed"])
        // Without the sealer: what chaining the records costs is the difference.
        let sealed = !options.flag("--unsealed")
        let records = try options.int("--records", default: 100_000)
        let writers = try options.int("--writers", default: 32)
        var logger = Logger(label: "kangqiao.bench")
        logger.logLevel = .warning
        #if DEBUG
            print("WARNING: debug build; use -c release for real figures\n")
        #endif
        print("Audit append: \(records) read records from \(writers) concurrent writers, each waiting for durability\n")
        print("\(Bench.pad("database", 12)) \(Bench.pad("   records/s", 12)) \(Bench.pad("  CPU µs/record", 15)) \(Bench.pad("  of it after the last append", 30))")
        for kind in try BenchDatabase.kinds(options.string("--database")) {
            let database = try await BenchDatabase.open(kind, logger: logger)
            let trail = AuditTrail(backend: database.backend)
            let sealer = AuditSealer(backend: database.backend, chain: "bench")
            if sealed { await sealer.sealJournalImports() }
            let sealing = sealed ? Task { await sealer.run() } : nil
            let principal = Principal(subject: "bench", clientID: "bench", tokenID: "t", roles: ["system"], scope: "system/*.cruds")
            let startCPU = machineCPUSeconds()
            let clock = ContinuousClock()
            let start = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        var n = w
                        while n < records {
                            let id = "p\(n % 18_000)"
                            let context = RequestContext(requestId: "r\(n)", sourceAddress: "127.0.0.1", principal: principal,
                                                         requestLine: "GET /fhir/Patient/\(id)")
                            try await trail.didPerform(.read, records: [ResourceRecord(type: "Patient", id: id, versionId: 1, lastUpdated: 0, isDeleted: false, json: [])], context: context)
                            n += writers
                        }
                    }
                }
                try await group.waitForAll()
            }
            let appended = clock.now - start
            let appendCPU = machineCPUSeconds()
            // Everything acknowledged reaches the trail and its chain.
            if sealed { _ = try await sealer.sealPending() } else { try await (database.backend as? any AuditJournaling)?.importAuditJournal() }
            let elapsed = clock.now - start
            let endCPU = machineCPUSeconds()
            sealing?.cancel()
            await database.close()
            print("\(Bench.pad(kind.rawValue, 12)) \(Bench.fmt(Double(records) / appended.seconds, 0, width: 12)) "
                  + "\(Bench.fmt((endCPU - startCPU) * 1e6 / Double(records), 1, width: 15)) "
                  + "\(Bench.fmt((endCPU - appendCPU) * 1e6 / Double(records), 1, width: 30))   (all done in \(Bench.fmt(elapsed.seconds, 2, width: 0)) s)")
        }
    }

    /// CPU time the whole machine has spent busy so far (`/proc/stat`): the database server's share
    /// counts too, which for PostgreSQL is most of it.
    static func machineCPUSeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return 0 }
        // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 8 else { return 0 }
        let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
        return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
