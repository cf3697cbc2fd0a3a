import FHIRCore
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// SIGTERM lets the request in flight finish before the server exits; nothing is half-written.
@Suite("Graceful shutdown", .serialized)
struct GracefulShutdownTests {
    @Test("a transaction in flight when SIGTERM arrives completes, and the server exits cleanly")
    func inFlightRequestFinishes() async throws {
        let binary = try #require(DurabilityTests.binary)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kq-term-\(UUID().uuidString)")
        let database = "sqlite:" + dir.appendingPathComponent("db.sqlite").path
        let bearer = "Bearer " + (try DurabilityTests.token(binary, database: database))
        let port = DurabilityTests.freePort()
        let server = try DurabilityTests.startServer(binary, database: database, port: port)
        try await DurabilityTests.waitForHealth(port: port)
        // A transaction big enough to take a while to validate, index and write.
        let entries = (0..<1_500).map { i in
            #"{"fullUrl":"urn:uuid:00000000-0000-4000-8000-\#(String(format: "%012d", i))","resource":{"resourceType":"Patient","name":[{"family":"T\#(i)"}]},"request":{"method":"POST","url":"Patient"}}"#
        }
        let body = #"{"resourceType":"Bundle","type":"transaction","entry":[\#(entries.joined(separator: ","))]}"#
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/fhir")!)
        request.httpMethod = "POST"
        request.setValue("application/fhir+json", forHTTPHeaderField: "Content-Type")
        request.setValue(bearer, forHTTPHeaderField: "Authorization")
        request.httpBody = Data(body.utf8)
        request.timeoutInterval = 120
        let inFlight = Task { () -> Int? in
            guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
            return (response as? HTTPURLResponse)?.statusCode
        }
        try await Task.sleep(for: .milliseconds(300))
        kill(server.processIdentifier, SIGTERM)
        let status = await inFlight.value
        server.waitUntilExit()
        #expect(status == 200)
        #expect(server.terminationStatus == 0)
        // Everything the acknowledged transaction wrote is there after a restart.
        let port2 = DurabilityTests.freePort()
        let restarted = try DurabilityTests.startServer(binary, database: database, port: port2)
        defer {
            restarted.terminate()
            restarted.waitUntilExit()
        }
        try await DurabilityTests.waitForHealth(port: port2)
        var count = URLRequest(url: URL(string: "http://127.0.0.1:\(port2)/fhir/Patient?_summary=count")!)
        count.setValue(bearer, forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: count)
        #expect((try? JSONParser.parse([UInt8](data)))?["total"] == 1_500)
    }
}
