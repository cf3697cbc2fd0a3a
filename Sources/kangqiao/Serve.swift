import Access
import HealthCard
import DemoRegion
import Foundation
import ArgumentParser
import FHIRStore
import Hummingbird
import KangqiaoServer
import Logging
import Terminology
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the FHIR server (FHIR base /fhir).")

    @Option(help: "Address to listen on (env KANGQIAO_HOST).") var host: String?
    @Option(help: "Port to listen on (env KANGQIAO_PORT).") var port: Int?
    @OptionGroup var db: DatabaseOption
    @Flag(help: "On an empty database, create the demo region first (kangqiao demo) and print its logins.") var demo = false
    @Option(help: "With --demo: the number of residents.") var demoResidents = 5_000

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
        let access = try await AccessService.open(for: location, backend: runtime.backend)
        // The demo region brings its own administrator among its logins, so it comes first.
        if demo {
            if try await DemoLoading.isEmpty(runtime.backend) {
                var plan = DemoRegionPlan()
                plan.residents = demoResidents
                try await DemoLoading.load(plan, runtime: runtime, access: access)
            } else {
                logger.info("--demo: the database already holds data; serving it as it is")
            }
        }
        if let admin = try await access.bootstrapAdministrator() {
            // Shown once: the database keeps only the hashes. Written unbuffered, so it is there at once in a log.
            FileHandle.standardOutput.write(Data("""
                First start: administrator account created.
                  user:     \(admin.name)
                  password: \(admin.password)   (one-time: change it at the first login, field new_password)
                  second factor (add to an authenticator app): \(TimeBasedCode(secret: admin.codeSecret).provisioningURI(account: admin.name, issuer: "Kangqiao"))
                Systems and scripts: kangqiao client create --name NAME --scopes "system/*.cruds", then kangqiao token --client NAME

                """.utf8))
        }
        // The catalogues are loaded and indexed for type-ahead before the first request (a region's directory on top).
        var dispatcher = runtime.dispatcher
        dispatcher.terminology = try TerminologyCatalogue.shipped(overriddenBy: Environment.value("KANGQIAO_CATALOGUE_DIR").map { URL(fileURLWithPath: $0) })
        dispatcher.terminology?.prepareIndexes()
        let app = KangqiaoApplication(dispatcher: dispatcher, configuration: configuration, access: access)
            .application(logger: logger)
        logger.info("Kangqiao serving FHIR R4 at http://\(configuration.host):\(configuration.port)/fhir on \(runtime.backend.name)")
        // SIGTERM/SIGINT: stop accepting, let requests in flight finish, then close the database.
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        // The audit records are chained every second beside the server (R-SEC-2).
        let sealer = AuditSealer(backend: runtime.backend, chain: AuditSealer.defaultChainName)
        let sealing = Task { await sealer.run() }
        // Expired refresh tokens and client-assertion ids are deleted every hour.
        let cleaning = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(3600))
                _ = try? await access.pruneExpiredCredentials()
                _ = try? await HealthCardRegistry(backend: runtime.backend)
                    .pruneUsedCodes(policy: runtime.dispatcher.healthCards.policy, now: Int64(Date().timeIntervalSince1970))
            }
        }
        try await group.run()
        sealing.cancel()
        cleaning.cancel()
        _ = await sealing.value
        try? await sealer.sealPending()
        await runtime.backend.close()
        logger.info("Kangqiao stopped")
    }
}
