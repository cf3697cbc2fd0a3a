import ArgumentParser
import FHIRStore
import Hummingbird
import KangqiaoServer
import Logging
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the FHIR server (FHIR base /fhir).")

    @Option(help: "Address to listen on (env KANGQIAO_HOST).") var host: String?
    @Option(help: "Port to listen on (env KANGQIAO_PORT).") var port: Int?
    @OptionGroup var db: DatabaseOption

    func run() async throws {
        var logger = Logger(label: "kangqiao")
        logger.logLevel = Environment.value("KANGQIAO_LOG_LEVEL").flatMap { Logger.Level(rawValue: $0) } ?? .info
        let location = try DatabaseLocation(db.location)
        // Opening the runtime loads the definitions and compiles every search and invariant expression,
        // so the first request does not pay for it.
        let runtime = try await KangqiaoRuntime.open(location, logger: logger)
        let configuration = KangqiaoApplication.Configuration(
            host: host ?? Environment.value("KANGQIAO_HOST") ?? "127.0.0.1",
            port: port ?? Environment.value("KANGQIAO_PORT").flatMap(Int.init) ?? 8080)
        let app = KangqiaoApplication(dispatcher: runtime.dispatcher, configuration: configuration).application(logger: logger)
        logger.info("Kangqiao serving FHIR R4 at http://\(configuration.host):\(configuration.port)/fhir on \(runtime.backend.name)")
        // SIGTERM/SIGINT: stop accepting, let requests in flight finish, then close the database.
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await runtime.backend.close()
        logger.info("Kangqiao stopped")
    }
}
