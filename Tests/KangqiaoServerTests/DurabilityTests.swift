import FHIRCore
@testable import FHIRStore
import Foundation
import KangqiaoServer
import Logging
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A 2xx means the write is on disk: kill -9 the server in the middle of a write load and every
/// acknowledged resource is there afterwards, and so is the audit record of every answered read
/// (R-SEC-2: a read is recorded durably before its answer is sent).
@Suite("Durability", .serialized)
struct DurabilityTests {
    /// `.build/debug/kangqiao` next to the test bundle.
    static var binary: URL? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent(),
            Bundle.main.bundleURL,
            URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug"),
        ]
        for dir in candidates {
            var d = dir
            for _ in 0..<3 {
                let c = d.appendingPathComponent("kangqiao")
                if FileManager.default.isExecutableFile(atPath: c.path) { return c }
                d = d.deletingLastPathComponent()
            }
        }
        return nil
    }

    static func freePort() -> Int { Int.random(in: 20_000..<40_000) }

    /// A fixed master key for the test databases (the PostgreSQL one outlives a run), given to every
    /// process so they share the signing keys.
    static let environment: [String: String] = ProcessInfo.processInfo.environment.merging(
        ["KANGQIAO_MASTER_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"]) { _, new in new }

    static func startServer(_ binary: URL, database: String, port: Int) throws -> Process {
        let p = Process()
        p.executableURL = binary
        p.arguments = ["serve", "--database", database, "--port", String(port)]
        p.environment = environment
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Registers a client with `kangqiao client create` and answers a token from `kangqiao token`, as CI does.
    static func token(_ binary: URL, database: String) throws -> String {
        let name = "durability-" + UUID().uuidString.prefix(8).lowercased()
        func run(_ arguments: [String]) throws -> String {
            let p = Process()
            p.executableURL = binary
            p.arguments = arguments + ["--database", database]
            p.environment = environment
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw CancellationError() }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try run(["client", "create", "--name", name, "--scopes", "system/Patient.crs"])
        return try run(["token", "--client", name])
    }


    static func waitForHealth(port: Int) async throws {
        // Up to 60 s: under a parallel test run on 2 cores a start can take a while.
        for _ in 0..<600 {
            if let (_, r) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!),
                (r as? HTTPURLResponse)?.statusCode == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CancellationError()
    }

    static func create(port: Int, n: Int, bearer: String) async -> String? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/fhir/Patient")!)
        request.httpMethod = "POST"
        request.setValue("application/fhir+json", forHTTPHeaderField: "Content-Type")
        request.setValue(bearer, forHTTPHeaderField: "Authorization")
        request.httpBody = Data(#"{"resourceType":"Patient","name":[{"family":"Durable\#(n)"}]}"#.utf8)
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            (response as? HTTPURLResponse)?.statusCode == 201
        else { return nil }
        return (try? JSONParser.parse([UInt8](data)))?["id"]?.stringValue
    }

    static func status(port: Int, path: String, bearer: String) async -> Int? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.setValue(bearer, forHTTPHeaderField: "Authorization")
        guard let (_, r) = try? await URLSession.shared.data(for: request) else { return nil }
        return (r as? HTTPURLResponse)?.statusCode
    }

    static func run(database: String) async throws {
        let binary = try #require(Self.binary, "build the kangqiao executable first (swift build)")
        let bearer = "Bearer " + (try token(binary, database: database))
        let port = freePort()
        let server = try startServer(binary, database: database, port: port)
        try await waitForHealth(port: port)
        // Eight writers keep the server busy; it is killed once 40 writes were acknowledged (not after a
        // fixed time, which a loaded machine may fill with too few), with more writes in flight.
        let acknowledgedSoFar = AcknowledgedCounter()
        // Each writer reads back what it created: the answered reads are the ones whose records must last.
        let (acknowledged, answeredReads) = await withTaskGroup(of: (created: [String], read: [String]).self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var ids: [String] = []
                    var read: [String] = []
                    let deadline = Date().addingTimeInterval(60)
                    var n = 0
                    while Date() < deadline {
                        guard let id = await create(port: port, n: worker * 100_000 + n, bearer: bearer) else { break }
                        ids.append(id)
                        await acknowledgedSoFar.add()
                        guard await status(port: port, path: "/fhir/Patient/\(id)", bearer: bearer) == 200 else { break }
                        read.append(id)
                        n += 1
                    }
                    return (ids, read)
                }
            }
            group.addTask {
                let deadline = Date().addingTimeInterval(45)
                while await acknowledgedSoFar.count < 40, Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
                kill(server.processIdentifier, SIGKILL)
                return ([], [])
            }
            return await group.reduce(into: ([String](), [String]())) { $0.0 += $1.created; $0.1 += $1.read }
        }
        server.waitUntilExit()
        // The checks below read again: only records from before the kill count.
        let killedAt = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(acknowledged.count > 20, "the load produced too few acknowledged writes to prove anything")
        let port2 = freePort()
        let restarted = try startServer(binary, database: database, port: port2)
        defer {
            if restarted.isRunning {
                restarted.terminate()
                restarted.waitUntilExit()
            }
        }
        try await waitForHealth(port: port2)
        var missing: [String] = []
        for id in acknowledged where await status(port: port2, path: "/fhir/Patient/\(id)", bearer: bearer) != 200 {
            missing.append(id)
        }
        #expect(missing.isEmpty, "acknowledged but lost after kill -9: \(missing.prefix(5))")
        restarted.terminate()
        restarted.waitUntilExit()
        // The trail, read directly: one read record for every answered read.
        let backend = try await DatabaseLocation(database).open(logger: Logger(label: "durability"))
        var unrecorded: [String] = []
        for id in answeredReads {
            let rows = try await backend.searchAudit(AuditQuery(patient: "Patient/" + id, to: killedAt, limit: 10))
            if rows.filter({ $0.row.action == "read" }).count != 1 { unrecorded.append(id) }
        }
        await backend.close()
        #expect(answeredReads.count > 10, "too few answered reads to prove anything")
        #expect(unrecorded.isEmpty, "reads answered before kill -9 without exactly one audit record after it: \(unrecorded.prefix(5))")
        print("durability: \(acknowledged.count) acknowledged creates before kill -9 on \(database.hasPrefix("sqlite") ? "SQLite" : "PostgreSQL"), \(missing.count) missing after restart; \(answeredReads.count) answered reads, \(unrecorded.count) without their record")
    }

    @Test("kill -9 during a write load loses no acknowledged write (SQLite)")
    func sqliteSurvivesKill() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kq-durable-\(UUID().uuidString)")
        try await Self.run(database: "sqlite:" + dir.appendingPathComponent("db.sqlite").path)
    }

    @Test("kill -9 during a write load loses no acknowledged write (PostgreSQL)")
    func postgresSurvivesKill() async throws {
        guard let url = ProcessInfo.processInfo.environment["KANGQIAO_TEST_POSTGRES_URL"], !url.isEmpty else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("CI=true but KANGQIAO_TEST_POSTGRES_URL is not set") }
            return
        }
        // A schema of its own (the URL's `schema` parameter), dropped afterwards: runs never meet.
        let schema = "kq_durable_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let separator = url.contains("?") ? "&" : "?"
        do {
            try await Self.run(database: url + separator + "schema=" + schema)
        } catch {
            try? await Self.dropSchema(url: url, schema: schema)
            throw error
        }
        try await Self.dropSchema(url: url, schema: schema)
    }

    static func dropSchema(url: String, schema: String) async throws {
        let backend = try await PostgresBackend.connect(url: url, poolSize: 1, schema: schema)
        try await backend.dropSchema()
        await backend.close()
    }
}

/// How many writes the server has acknowledged so far, across the writers.
actor AcknowledgedCounter {
    private(set) var count = 0
    func add() { count += 1 }
}
