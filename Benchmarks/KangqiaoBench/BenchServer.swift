import Access
import Hummingbird
import KangqiaoServer
import Logging
import ServiceLifecycle

/// The real Kangqiao HTTP server, in this process, on a free port of 127.0.0.1: the product's router
/// (`/health`, `/fhir/**`) plus `GET /bench/trivial`, which answers "ok" without touching the database
/// — the floor of what the same server, HTTP stack and connections cost per request.
struct BenchServer {
    static let trivialPath = "/bench/trivial"

    let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, Error>

    /// `access` nil runs the server without authentication: the baseline against which the cost of
    /// access control is measured.
    static func start(runtime: KangqiaoRuntime, logger: Logger, access: AccessService? = nil) async throws -> BenchServer {
        let configuration = KangqiaoApplication.Configuration(host: "127.0.0.1", port: 0)
        let router = KangqiaoApplication(dispatcher: runtime.dispatcher, configuration: configuration, access: access).router()
        router.get(RouterPath(trivialPath)) { _, _ in "ok" }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: 0), serverName: "Kangqiao"),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            running.cancel()
            throw BenchServerError(message: "the server did not start listening")
        }
        return BenchServer(port: port, group: group, running: running)
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the server to end.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }
}

struct BenchServerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
