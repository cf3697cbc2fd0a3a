import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One request the load generator sends, encoded once up front so the client spends its time on the
/// wire, not on building requests.
struct LoadRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?

    init(method: HTTPMethod, path: String, host: String, contentType: String? = nil, body: [UInt8]? = nil, authorization: String? = nil) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        headers.add(name: "Accept", value: "application/fhir+json")
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        headers.add(name: "Content-Length", value: String(body?.count ?? 0))
        head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        self.body = body.map { ByteBuffer(bytes: $0) }
    }
}

/// What one connection saw inside the measured window: answers by status and their latencies.
struct LoadTally: Sendable {
    var statuses: [Int: Int] = [:]
    var latenciesNanos: [UInt64] = []

    mutating func record(status: Int, nanos: UInt64) {
        statuses[status, default: 0] += 1
        latenciesNanos.append(nanos)
    }

    mutating func merge(_ other: LoadTally) {
        statuses.merge(other.statuses, uniquingKeysWith: +)
        latenciesNanos.append(contentsOf: other.latenciesNanos)
    }
}

/// The result of one load run: answers completed inside the measured window.
struct LoadResult: Sendable {
    var tally: LoadTally
    var seconds: Double
    /// CPU seconds of the whole process (server and client together) inside the window.
    var processCPUSeconds: Double
    /// Bytes written to storage by the process inside the window.
    var storageBytes: Int64

    var completed: Int { tally.latenciesNanos.count }
    func count(status: Int) -> Int { tally.statuses[status] ?? 0 }
    func rate(status: Int) -> Double { Double(count(status: status)) / seconds }
    var otherStatuses: [Int: Int] { tally.statuses }

    /// The `p`-quantile (0...1) of the latencies in milliseconds, nearest rank.
    func latencyMillis(_ p: Double) -> Double {
        let sorted = tally.latenciesNanos.sorted()
        guard !sorted.isEmpty else { return 0 }
        let rank = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
        return Double(sorted[rank]) / 1e6
    }
}

/// A closed-loop HTTP/1.1 load generator: `connections` keep-alive connections, each sending its next
/// request as soon as the previous answer has been read. Answers completing in the `warmup` seconds
/// are not counted; those completing in the following `duration` seconds are.
enum LoadGenerator {
    enum Client: String, Sendable {
        /// Our minimal client on SwiftNIO's HTTP/1.1 codec: a few microseconds of CPU per request, so
        /// the server gets nearly all of the machine.
        case nio
        /// AsyncHTTPClient with a pool of `connections` connections: a heavier client, as a cross-check.
        case ahc
    }

    static func run(
        client: Client, host: String, port: Int, connections: Int, warmup: Double, duration: Double, requests: [LoadRequest]
    ) async throws -> LoadResult {
        precondition(!requests.isEmpty)
        let now = NIODeadline.now().uptimeNanoseconds
        let from = now + UInt64(warmup * 1e9)
        let until = from + UInt64(duration * 1e9)
        let window = LoadWindow(from: from, until: until)

        // Samples the process CPU time at the window's edges while the connections run.
        async let counters = processCounters(across: window)
        let tallies: [LoadTally]
        switch client {
        case .nio:
            tallies = try await runNIO(host: host, port: port, connections: connections, window: window, requests: requests)
        case .ahc:
            tallies = try await runAsyncHTTPClient(host: host, port: port, connections: connections, window: window, requests: requests)
        }
        var total = LoadTally()
        for t in tallies { total.merge(t) }
        let (cpu, bytes) = await counters
        return LoadResult(tally: total, seconds: duration, processCPUSeconds: cpu, storageBytes: bytes)
    }

    static func processCounters(across window: LoadWindow) async -> (cpu: Double, storageBytes: Int64) {
        func sleep(until uptime: UInt64) async {
            let now = NIODeadline.now().uptimeNanoseconds
            if uptime > now { try? await Task.sleep(nanoseconds: uptime - now) }
        }
        await sleep(until: window.from)
        let start = (processCPUSeconds(), storageBytesWritten())
        await sleep(until: window.until)
        return (processCPUSeconds() - start.0, storageBytesWritten() - start.1)
    }

    /// Bytes this process has caused to be written to storage so far (`write_bytes` of /proc/self/io;
    /// 0 where that file does not exist). Shows the write amplification of the database per resource.
    static func storageBytesWritten() -> Int64 {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("write_bytes:") {
            return Int64(line.dropFirst("write_bytes:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    /// User and system CPU seconds of this process so far (all threads).
    static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    // MARK: NIO client

    static func runNIO(host: String, port: Int, connections: Int, window: LoadWindow, requests: [LoadRequest]) async throws -> [LoadTally] {
        let group = MultiThreadedEventLoopGroup.singleton
        var finished: [EventLoopFuture<LoadTally>] = []
        for n in 0..<connections {
            let loop = group.next()
            let done = loop.makePromise(of: LoadTally.self)
            let bootstrap = ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            LoadConnection(requests: requests, first: n, stride: connections, window: window, done: done))
                    }
                }
            _ = try await bootstrap.connect(host: host, port: port).get()
            finished.append(done.futureResult)
        }
        var tallies: [LoadTally] = []
        for f in finished { tallies.append(try await f.get()) }
        return tallies
    }

    // MARK: AsyncHTTPClient

    static func runAsyncHTTPClient(host: String, port: Int, connections: Int, window: LoadWindow, requests: [LoadRequest]) async throws -> [LoadTally] {
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        do {
            let tallies = try await withThrowingTaskGroup(of: LoadTally.self) { group in
                for n in 0..<connections {
                    group.addTask {
                        var tally = LoadTally()
                        // Interleaved as the NIO connections are: no request twice before the list is used up.
                        var i = n
                        while true {
                            let r = requests[i % requests.count]
                            i += connections
                            var request = HTTPClientRequest(url: "http://\(host):\(port)\(r.head.uri)")
                            request.method = r.head.method
                            request.headers = r.head.headers
                            if let body = r.body { request.body = .bytes(body) }
                            let sent = NIODeadline.now().uptimeNanoseconds
                            let response = try await client.execute(request, timeout: .seconds(60))
                            _ = try await response.body.collect(upTo: 64 << 20)
                            let now = NIODeadline.now().uptimeNanoseconds
                            if now >= window.from && now < window.until {
                                tally.record(status: Int(response.status.code), nanos: now - sent)
                            }
                            if now >= window.until { return tally }
                        }
                    }
                }
                var all: [LoadTally] = []
                for try await t in group { all.append(t) }
                return all
            }
            try await client.shutdown()
            return tallies
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// The measured window in `NIODeadline` uptime nanoseconds.
struct LoadWindow: Sendable {
    let from: UInt64
    let until: UInt64
}

/// Drives one keep-alive connection: sends a request, reads the answer, sends the next, until the
/// window has passed; then closes and reports its tally. Confined to its channel's event loop.
final class LoadConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let requests: [LoadRequest]
    private var next: Int
    private let stride: Int
    private let window: LoadWindow
    private let done: EventLoopPromise<LoadTally>
    private var tally = LoadTally()
    private var sentAt: UInt64 = 0
    private var status = 0
    private var finished = false

    /// Connection `first` of `stride` sends requests first, first + stride, …: the connections share the
    /// list without overlap until it is used up. (Starting each at its own offset and walking on, as
    /// before, ran one connection into another's requests after a few hundred: creates of people
    /// already created, which the master index then linked — 1,100 of 13,000 creates in a 12 s run.)
    init(requests: [LoadRequest], first: Int, stride: Int, window: LoadWindow, done: EventLoopPromise<LoadTally>) {
        self.requests = requests
        self.next = first % requests.count
        self.stride = max(stride, 1)
        self.window = window
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context)
        context.fireChannelActive()
    }

    private func send(_ context: ChannelHandlerContext) {
        let r = requests[next]
        next = (next + stride) % requests.count
        sentAt = NIODeadline.now().uptimeNanoseconds
        context.write(wrapOutboundOut(.head(r.head)), promise: nil)
        if let body = r.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body:
            break
        case .end:
            let now = NIODeadline.now().uptimeNanoseconds
            if now >= window.from && now < window.until { tally.record(status: status, nanos: now - sentAt) }
            if now >= window.until {
                finish()
                context.close(promise: nil)
            } else {
                send(context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The server closed the connection early: report what was counted so far.
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !finished {
            finished = true
            done.fail(error)
        }
        context.close(promise: nil)
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        done.succeed(tally)
    }
}
