import ArgumentParser
import FHIRCore
import FHIRStore
import Foundation
import KangqiaoServer
import Logging
import Terminology

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load FHIR NDJSON files, resources and batch/transaction Bundles into the store.")

    @OptionGroup var db: DatabaseOption
    @Option(help: "Resources per database transaction for NDJSON.") var batchSize = 1000
    @Argument(help: "NDJSON (.ndjson), JSON files (a resource or a Bundle) or catalogue files (.tsv, docs/catalogues.md).") var files: [String]

    func run() async throws {
        let runtime = try await KangqiaoRuntime.open(try DatabaseLocation(db.location))
        defer { Task { await runtime.backend.close() } }
        let totalBytes = files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        var progress = Progress(totalBytes: totalBytes)
        var failures = 0
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            let bytes = [UInt8](data)
            if file.hasSuffix(".ndjson") {
                failures += try await importNDJSON(bytes, file: file, runtime: runtime, progress: &progress)
            } else {
                do {
                    // A catalogue file (docs/catalogues.md) is stored as the FHIR CodeSystem or ConceptMap it describes.
                    let json = file.hasSuffix(".tsv") ? try CatalogueFile.parse(bytes, name: file).fhir : try JSONParser.parse(bytes)
                    let n = try await importDocument(json, runtime: runtime)
                    progress.advance(resources: n, bytes: bytes.count)
                } catch {
                    failures += 1
                    progress.clearLine()
                    FileHandle.standardError.write(Array("\(file): \(Self.describe(error))\n".utf8).data)
                    progress.advance(resources: 0, bytes: bytes.count)
                }
            }
        }
        progress.finish()
        if failures > 0 { throw ExitCode(1) }
    }

    /// A Bundle of type batch/transaction is processed as such; any other resource is created or updated.
    func importDocument(_ json: JSON, runtime: KangqiaoRuntime) async throws -> Int {
        if json["resourceType"]?.stringValue == "Bundle", let type = json["type"]?.stringValue, type == "transaction" || type == "batch" {
            _ = try await runtime.repository.processBundle(json, baseURL: "urn:kangqiao")
            return json["entry"]?.arrayValue?.count ?? 0
        }
        return try await runtime.repository.bulkUpsert([json])
    }

    func importNDJSON(_ bytes: [UInt8], file: String, runtime: KangqiaoRuntime, progress: inout Progress) async throws -> Int {
        var batch: [(line: Int, resource: JSON)] = []
        var batchBytes = 0
        var failures = 0
        var lineNumber = 0
        func flush(_ progress: inout Progress) async {
            guard !batch.isEmpty else { return }
            do {
                let result = try await runtime.repository.bulkImport(batch.map(\.resource))
                for (index, error) in result.rejected {
                    failures += 1
                    progress.clearLine()
                    FileHandle.standardError.write(Array("\(file):\(batch[index].line): \(Self.describe(error))\n".utf8).data)
                }
                progress.advance(resources: batch.count - result.rejected.count, bytes: batchBytes)
            } catch {
                failures += 1
                progress.clearLine()
                FileHandle.standardError.write(Array("\(file): lines \(batch[0].line)–\(lineNumber): \(Self.describe(error))\n".utf8).data)
                progress.advance(resources: 0, bytes: batchBytes)
            }
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            let line = bytes[start..<end]
            batchBytes += line.count + 1
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
                do {
                    batch.append((lineNumber, try line.withUnsafeBufferPointer { try JSONParser.parse($0) }))
                } catch {
                    failures += 1
                    progress.clearLine()
                    FileHandle.standardError.write(Array("\(file):\(lineNumber): \(error)\n".utf8).data)
                }
            }
            if batch.count >= batchSize { await flush(&progress) }
            start = end + 1
        }
        await flush(&progress)
        return failures
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? FHIRError {
            return "\(e.status) " + e.issues.map { $0.diagnostics + ($0.expression.isEmpty ? "" : " @ " + $0.expression.joined(separator: ",")) }.joined(separator: "; ")
        }
        return "\(error)"
    }
}

/// A progress line on a terminal (count, rate, ETA); silent when stderr is not a terminal, except the summary.
struct Progress {
    let totalBytes: Int
    let start = Date()
    var resources = 0
    var bytes = 0
    var lastPrint = Date.distantPast
    let isTerminal = isatty(2) != 0

    init(totalBytes: Int) { self.totalBytes = totalBytes }

    mutating func advance(resources n: Int, bytes b: Int) {
        resources += n
        bytes += b
        guard isTerminal, Date().timeIntervalSince(lastPrint) > 0.2 else { return }
        lastPrint = Date()
        let elapsed = max(Date().timeIntervalSince(start), 0.001)
        let rate = Double(resources) / elapsed
        let remaining = bytes > 0 ? elapsed * Double(totalBytes - bytes) / Double(bytes) : 0
        let line = String(format: "\r%d resources  %.0f/s  %.0f%%  ETA %.0fs   ", resources, rate,
                          totalBytes > 0 ? 100 * Double(bytes) / Double(totalBytes) : 100, remaining)
        FileHandle.standardError.write(Array(line.utf8).data)
    }

    func clearLine() {
        if isTerminal { FileHandle.standardError.write(Array("\r\u{1B}[K".utf8).data) }
    }

    func finish() {
        clearLine()
        let elapsed = max(Date().timeIntervalSince(start), 0.001)
        let line = String(format: "imported %d resources in %.1fs (%.0f/s)\n", resources, elapsed, Double(resources) / elapsed)
        FileHandle.standardError.write(Array(line.utf8).data)
    }
}

extension Array where Element == UInt8 {
    var data: Data { Data(self) }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write current resources as NDJSON, one file per type.")

    @OptionGroup var db: DatabaseOption
    @Option(name: .long, help: "Resource type to export (repeatable); default: every type in the store.") var type: [String] = []
    @Option(name: .long, help: "Directory for TYPE.ndjson files.") var output: String

    func run() async throws {
        let runtime = try await KangqiaoRuntime.open(try DatabaseLocation(db.location))
        defer { Task { await runtime.backend.close() } }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var handles: [String: FileHandle] = [:]
        var counts: [String: Int] = [:]
        var cursor: PageCursor?
        let filters: [[IndexPredicate]] = []
        let types: [String?] = type.isEmpty ? [nil] : type.map { Optional($0) }
        for t in types {
            cursor = nil
            repeat {
                let page = try await runtime.backend.search(StoreQuery(type: t, filters: filters, count: 1000, after: cursor))
                for r in page.records {
                    if handles[r.type] == nil {
                        let path = "\(output)/\(r.type).ndjson"
                        _ = FileManager.default.createFile(atPath: path, contents: nil)
                        handles[r.type] = FileHandle(forWritingAtPath: path)
                    }
                    handles[r.type]?.write((r.json + [0x0A]).data)
                    counts[r.type, default: 0] += 1
                }
                cursor = page.next
            } while cursor != nil
        }
        for (_, h) in handles { try h.close() }
        for (t, n) in counts.sorted(by: { $0.key < $1.key }) { print("\(t): \(n)") }
    }
}
