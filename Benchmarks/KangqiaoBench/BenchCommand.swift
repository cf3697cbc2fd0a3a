import Foundation

/// One subcommand of `KangqiaoBench`: a named benchmark with its own options.
///
/// A benchmark lives in its own file (`JSONBenchmark.swift`, `HTTPBenchmark.swift`, ...), declares
/// `static let command = BenchCommand(name:summary:usage:run:)`, and main.swift lists it. `run` gets the
/// arguments after the subcommand's name and throws `BenchUsageError` for a bad command line.
struct BenchCommand: Sendable {
    let name: String
    let summary: String
    let usage: String
    let run: @Sendable (_ arguments: [String]) async throws -> Void

    /// Runs the command named by the first argument (the program name already dropped); help for none.
    static func main(commands: [BenchCommand], arguments: [String]) async {
        guard let name = arguments.first, !["help", "--help", "-h"].contains(name) else {
            printHelp(commands)
            return
        }
        guard let command = commands.first(where: { $0.name == name }) else {
            Bench.printError("unknown command '\(name)'")
            printHelp(commands)
            exit(64)
        }
        do {
            try await command.run(Array(arguments.dropFirst()))
        } catch let error as BenchUsageError {
            Bench.printError("\(error.message)\nusage: KangqiaoBench \(command.name) \(command.usage)")
            exit(64)
        } catch {
            Bench.printError("\(command.name) failed: \(error)")
            exit(1)
        }
    }

    static func printHelp(_ commands: [BenchCommand]) {
        print("usage: KangqiaoBench <command> [options]   (build with -c release for meaningful figures)\n")
        print("commands:")
        for c in commands { print("  \(Bench.pad(c.name, 10))\(c.summary)") }
    }
}

/// A bad command line, reported with the command's usage line.
struct BenchUsageError: Error {
    let message: String
}

/// Small option parser shared by the benchmarks: `--name value` pairs and `--flag`s.
struct BenchOptions {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// Parses `arguments`; `valued` lists the options that take a value, `flags` those that do not.
    init(_ arguments: [String], valued: Set<String>, flags allowedFlags: Set<String> = []) throws {
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if valued.contains(a) {
                guard i + 1 < arguments.count else { throw BenchUsageError(message: "\(a) needs a value") }
                values[a] = arguments[i + 1]
                i += 2
            } else if allowedFlags.contains(a) {
                flags.insert(a)
                i += 1
            } else {
                throw BenchUsageError(message: "unknown option '\(a)'")
            }
        }
    }

    func string(_ name: String) -> String? { values[name] }

    func int(_ name: String, default value: Int) throws -> Int {
        guard let text = values[name] else { return value }
        guard let n = Int(text), n > 0 else { throw BenchUsageError(message: "\(name) needs a positive whole number") }
        return n
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }
}

/// How long one run took: wall-clock seconds and CPU seconds of the calling thread. On a machine shared
/// with other work the CPU time is the steadier measure of the code itself.
struct Timing {
    var wall: Double
    var cpu: Double
}

/// Helpers shared by the benchmarks.
enum Bench {
    /// The shared test-data folder (`shared/` beside the repository): found from this source file's real
    /// path (symlinks resolved), else `$KANGQIAO_SHARED`, else `/work/shared`.
    static func sharedFolder(filePath: String = #filePath) -> URL {
        // <repo>/Benchmarks/KangqiaoBench/<file>.swift → <repo>/../shared
        let repo = URL(fileURLWithPath: filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var candidates = [repo.deletingLastPathComponent().appendingPathComponent("shared")]
        if let env = ProcessInfo.processInfo.environment["KANGQIAO_SHARED"], !env.isEmpty {
            candidates.append(URL(fileURLWithPath: env))
        }
        candidates.append(URL(fileURLWithPath: "/work/shared"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("testdata").path) }
            ?? candidates[candidates.count - 1]
    }

    /// Runs `body` once and returns how long it took.
    @inline(never)
    static func timed(_ body: () throws -> Void) rethrows -> Timing {
        let clock = ContinuousClock()
        let cpuStart = threadCPUSeconds()
        let start = clock.now
        try body()
        let d = start.duration(to: clock.now)
        let cpu = threadCPUSeconds() - cpuStart
        return Timing(wall: d.seconds, cpu: cpu)
    }

    /// CPU time consumed so far by the calling thread, in seconds.
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// The median of a non-empty list of measurements.
    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The median of each measure over several runs.
    static func median(_ runs: [Timing]) -> Timing {
        Timing(wall: median(runs.map(\.wall)), cpu: median(runs.map(\.cpu)))
    }

    /// `x` with `digits` decimals, right-aligned in `width` columns.
    static func fmt(_ x: Double, _ digits: Int = 1, width: Int = 0) -> String {
        let s = String(format: "%.\(digits)f", x)
        return s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    /// `s` left-aligned in `width` columns.
    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    /// The 1-minute load average (Linux), to tell how busy the shared machine was during a run.
    static func loadAverage() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.map(String.init)
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data(("KangqiaoBench: " + message + "\n").utf8))
    }
}

extension Duration {
    /// The duration in seconds, as the benchmarks print and divide by.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
