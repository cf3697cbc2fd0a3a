import FHIRCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        let body = Array(#"{"resourceType":"Bundle","type":"transaction","entry":[\#(entries.joined(separator: ","))]}"#.utf8)
        let head = "POST /fhir HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/fhir+json\r\n"
            + "Authorization: \(bearer)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        // The request is sent on a plain socket so the test knows when it is really in flight: SIGTERM is
        // sent only once the server has accepted the connection and read every byte of the request (a
        // fixed pause loses the race on a loaded machine, and a request still in the accept queue is
        // rightly refused by a server shutting down).
        let connection = try RawConnection(port: port)
        try connection.send(Array(head.utf8) + body)
        try await connection.waitUntilServerHasReadEverything(timeout: .seconds(60))
        kill(server.processIdentifier, SIGTERM)
        let signalled = ContinuousClock.now
        let response = try await Task.detached { try connection.receiveUntilClosed() }.value
        print("graceful shutdown: response \(ContinuousClock.now - signalled) after SIGTERM")
        server.waitUntilExit()
        #expect(response.hasPrefix("HTTP/1.1 200"), "\(response.prefix(200))")
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

/// A blocking IPv4 TCP connection to 127.0.0.1, and what Linux's /proc/net/tcp says about its server side.
private final class RawConnection: @unchecked Sendable {
    struct Failure: Error { let what: String }
    let descriptor: Int32
    let serverPort: Int
    let localPort: Int

    init(port: Int) throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw Failure(what: "socket") }
        self.descriptor = descriptor
        serverPort = port
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { close(descriptor); throw Failure(what: "connect") }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        localPort = Int(UInt16(bigEndian: local.sin_port))
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { throw Failure(what: "write") }
            offset += written
        }
    }

    /// Polls /proc/net/tcp until the server's end of this connection belongs to a process (an inode:
    /// accepted, not waiting in the backlog) and has nothing left unread.
    func waitUntilServerHasReadEverything(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        let serverEnd = String(format: "0100007F:%04X 0100007F:%04X", serverPort, localPort)
        while ContinuousClock.now < deadline {
            let table = Self.readWhole("/proc/net/tcp")
            for line in table.split(separator: "\n") where line.contains(serverEnd) {
                let fields = line.split(separator: " ")
                // sl local remote st tx_queue:rx_queue tr:when retrnsmt uid timeout inode
                guard fields.count > 9 else { continue }
                let receiveQueue = fields[4].split(separator: ":").last.flatMap { Int($0, radix: 16) }
                if receiveQueue == 0, fields[9] != "0" { return }
            }
            // Answered already (a fast machine): the request was in flight, and is no longer.
            var answer = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            if poll(&answer, 1, 0) > 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure(what: "the server never read the whole request")
    }

    /// A /proc file to its end: Foundation's readers stop after the first read of a file whose
    /// size says 0, which for /proc/net/tcp is one page of its lines.
    static func readWhole(_ path: String) -> String {
        let file = open(path, O_RDONLY)
        guard file >= 0 else { return "" }
        defer { close(file) }
        return String(decoding: readToEnd(file), as: UTF8.self)
    }

    func receiveUntilClosed() throws -> String {
        String(decoding: Self.readToEnd(descriptor), as: UTF8.self)
    }

    /// Every byte `descriptor` gives until end of file (or an error).
    static func readToEnd(_ descriptor: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { return bytes }
            bytes += buffer[0..<count]
        }
    }
}
