import FHIRCore
@testable import FHIRStore
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A 2xx means the write is on disk: kill -9 the server in the middle of a write load and every
/// acknowledged resource is there afterwards.
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

    static func startServer(_ binary: URL, database: String, port: Int) throws -> Process {
        let p = Process()
        p.executableURL = binary
        p.arguments = ["serve", "--database", database, "--port", String(port)]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func waitForHealth(port: Int) async throws {
        for _ in 0..<150 {
            if let (_, r) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!),
                (r as? HTTPURLResponse)?.statusCode == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CancellationError()
    }

    static func create(port: Int, n: Int) async -> String? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/fhir/Patient")!)
        request.httpMethod = "POST"
        request.setValue("application/fhir+json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"resourceType":"Patient","name":[{"family":"Durable\#(n)"}]}"#.utf8)
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            (response as? HTTPURLResponse)?.statusCode == 201
        else { return nil }
        return (try? JSONParser.parse([UInt8](data)))?["id"]?.stringValue
    }

    static func status(port: Int, path: String) async -> Int? {
        guard let (_, r) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!) else { return nil }
        return (r as? HTTPURLResponse)?.statusCode
    }

    static func run(database: String) async throws {
        let binary = try #require(Self.binary, "build the kangqiao executable first (swift build)")
        let port = freePort()
        let server = try startServer(binary, database: database, port: port)
        try await waitForHealth(port: port)
        let acknowledged = await withTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var ids: [String] = []
                    let deadline = Date().addingTimeInterval(1.5)
                    var n = 0
                    while Date() < deadline {
                        if let id = await create(port: port, n: worker * 100_000 + n) { ids.append(id) } else { break }
                        n += 1
                    }
                    return ids
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(1000))
                kill(server.processIdentifier, SIGKILL)
                return []
            }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        server.waitUntilExit()
        #expect(acknowledged.count > 20, "the load produced too few acknowledged writes to prove anything")
        let port2 = freePort()
        let restarted = try startServer(binary, database: database, port: port2)
        defer {
            restarted.terminate()
            restarted.waitUntilExit()
        }
        try await waitForHealth(port: port2)
        var missing: [String] = []
        for id in acknowledged where await status(port: port2, path: "/fhir/Patient/\(id)") != 200 {
            missing.append(id)
        }
        #expect(missing.isEmpty, "acknowledged but lost after kill -9: \(missing.prefix(5))")
        print("durability: \(acknowledged.count) acknowledged creates before kill -9 on \(database.hasPrefix("sqlite") ? "SQLite" : "PostgreSQL"), \(missing.count) missing after restart")
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
        // A schema of its own: the database is shared with other test runs, possibly of other schema versions.
        let schema = "kq_durable_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try await Self.run(database: url + (url.contains("?") ? "&" : "?") + "schema=" + schema)
        if let backend = try? await PostgresBackend.connect(url: url, poolSize: 1, schema: schema) {
            try? await backend.dropSchema()
            await backend.close()
        }
    }
}
