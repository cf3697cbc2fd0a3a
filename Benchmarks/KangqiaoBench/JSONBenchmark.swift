import FHIRCore
import Foundation

/// `KangqiaoBench json`: our JSONParser/JSONWriter against Foundation's JSONSerialization on the official R4
/// examples, all held in memory first so only parsing and writing are timed.
///
/// Every figure is MB (10^6 bytes) of source documents handled per second, so parse, write and
/// parse+write are comparable (the written output is compact, slightly smaller than the sources). Each
/// phase runs over all documents several times; the median run counts, by CPU time of the benchmark
/// thread (steady on a shared machine) and by wall clock.
enum JSONBenchmark {
    static let command = BenchCommand(
        name: "json",
        summary: "parse/write MB/s of our JSON vs Foundation's JSONSerialization on the R4 examples",
        usage: "[--iterations N] [--foundation-iterations N] [--examples DIR] [--skip-foundation] [--profile parse|write]",
        run: { arguments in try run(arguments) }
    )

    static func run(_ arguments: [String]) throws {
        let options = try BenchOptions(
            arguments, valued: ["--iterations", "--foundation-iterations", "--examples", "--profile"],
            flags: ["--skip-foundation"])
        let iterations = try options.int("--iterations", default: 7)
        let foundationIterations = try options.int("--foundation-iterations", default: 3)
        let folder = options.string("--examples").map { URL(fileURLWithPath: $0) }
            ?? Bench.sharedFolder().appendingPathComponent("testdata/fhir-r4/examples")

        let documents = try loadDocuments(folder)
        if let phase = options.string("--profile") {
            // Runs one of our phases in a loop and nothing else, for `perf record`.
            try profile(phase, documents, iterations: iterations)
            return
        }
        let totalBytes = documents.reduce(0) { $0 + $1.count }
        let megabytes = Double(totalBytes) / 1e6
        #if DEBUG
            print("WARNING: debug build; use `swift run -c release KangqiaoBench json` for real figures\n")
        #endif
        print("JSON benchmark: \(documents.count) files, \(Bench.fmt(megabytes)) MB from \(folder.path)")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(Bench.loadAverage() ?? "?"); "
              + "\(iterations) iterations (ours), \(foundationIterations) (Foundation); median shown\n")

        let ours = try measureOurs(documents, iterations: iterations)
        var theirs: Timings?
        if !options.flag("--skip-foundation") {
            theirs = try measureFoundation(documents.map { Data($0) }, iterations: foundationIterations)
        }
        printTable("MB/s by CPU time of the benchmark thread", megabytes, ours, theirs, \.cpu)
        printTable("MB/s by wall clock", megabytes, ours, theirs, \.wall)
        print("compact output: Kangqiao \(Bench.fmt(Double(ours.outputBytes) / 1e6)) MB"
              + (theirs.map { ", Foundation \(Bench.fmt(Double($0.outputBytes) / 1e6)) MB" } ?? "")
              + "; load average at the end \(Bench.loadAverage() ?? "?")")
    }

    static func printTable(
        _ title: String, _ megabytes: Double, _ ours: Timings, _ theirs: Timings?, _ measure: KeyPath<Timing, Double>
    ) {
        print(title)
        print("\(Bench.pad("", 13)) \(Bench.pad("   Kangqiao", 11)) \(Bench.pad(" Foundation", 11))   ratio")
        let rows: [(String, KeyPath<Timings, Timing>)] = [("parse", \.parse), ("write", \.write), ("parse+write", \.parseWrite)]
        for (name, phase) in rows {
            let mine = megabytes / ours[keyPath: phase][keyPath: measure]
            let other = theirs.map { megabytes / $0[keyPath: phase][keyPath: measure] }
            let f = other.map { Bench.fmt($0, width: 11) } ?? Bench.pad("", 11)
            let r = other.map { Bench.fmt(mine / $0, 1, width: 6) + "x" } ?? ""
            print("\(Bench.pad(name, 13)) \(Bench.fmt(mine, width: 11)) \(f)  \(r)")
        }
        print("")
    }

    struct Timings {
        var parse: Timing
        var write: Timing
        var parseWrite: Timing
        var outputBytes: Int
    }

    static func loadDocuments(_ folder: URL) throws -> [[UInt8]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else { throw BenchUsageError(message: "no .json files in \(folder.path)") }
        return try names.map { [UInt8](try Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    static func profile(_ phase: String, _ documents: [[UInt8]], iterations: Int) throws {
        var sink = 0
        switch phase {
        case "parse":
            for _ in 0..<iterations {
                for d in documents { sink &+= try JSONParser.parse(d).objectValue?.count ?? 0 }
            }
        case "write":
            let values = try documents.map { d throws(JSONParseError) in try JSONParser.parse(d) }
            for _ in 0..<iterations {
                for v in values { sink &+= JSONWriter.bytes(v).count }
            }
        default:
            throw BenchUsageError(message: "--profile takes parse or write")
        }
        print("profiled \(phase): \(sink)")
    }

    @inline(never)
    static func measureOurs(_ documents: [[UInt8]], iterations: Int) throws -> Timings {
        // Warm-up pass, which also keeps the parsed values for the write measurement.
        var values: [JSON] = []
        values.reserveCapacity(documents.count)
        for d in documents { values.append(try JSONParser.parse(d)) }

        var sink = 0
        var parse: [Timing] = []
        var write: [Timing] = []
        var parseWrite: [Timing] = []
        var outputBytes = 0
        for _ in 0..<iterations {
            parse.append(try Bench.timed {
                for d in documents { sink &+= try JSONParser.parse(d).objectValue?.count ?? 0 }
            })
            write.append(Bench.timed {
                outputBytes = 0
                for v in values { outputBytes &+= JSONWriter.bytes(v).count }
            })
            parseWrite.append(try Bench.timed {
                for d in documents { sink &+= JSONWriter.bytes(try JSONParser.parse(d)).count }
            })
        }
        if sink == 42 { print("") }  // keeps the optimizer from dropping the work
        return Timings(
            parse: Bench.median(parse), write: Bench.median(write), parseWrite: Bench.median(parseWrite),
            outputBytes: outputBytes)
    }

    @inline(never)
    static func measureFoundation(_ documents: [Data], iterations: Int) throws -> Timings {
        var values: [Any] = []
        values.reserveCapacity(documents.count)
        for d in documents { values.append(try JSONSerialization.jsonObject(with: d)) }

        var sink = 0
        var parse: [Timing] = []
        var write: [Timing] = []
        var parseWrite: [Timing] = []
        var outputBytes = 0
        for _ in 0..<iterations {
            parse.append(try Bench.timed {
                // No cast of the result (`is NSNull` alone triples the time: it bridges the whole tree).
                for d in documents {
                    let object = try JSONSerialization.jsonObject(with: d)
                    withExtendedLifetime(object) { sink &+= 1 }
                }
            })
            write.append(try Bench.timed {
                outputBytes = 0
                for v in values { outputBytes &+= try JSONSerialization.data(withJSONObject: v).count }
            })
            parseWrite.append(try Bench.timed {
                for d in documents {
                    sink &+= try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: d)).count
                }
            })
        }
        if sink == 42 { print("") }
        return Timings(
            parse: Bench.median(parse), write: Bench.median(write), parseWrite: Bench.median(parseWrite),
            outputBytes: outputBytes)
    }
}
