import Access
import ArgumentParser
import DemoRegion
import FHIRStore
import Foundation
import KangqiaoServer

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the demo region (a fictitious city: its institutions, staff, 5,000 residents and their histories) and print its logins.")

    @OptionGroup var db: DatabaseOption
    @Option(help: "Seed: the same seed always gives the same region.") var seed: UInt64 = 2026
    @Option(help: "Number of residents.") var residents = 5_000

    func run() async throws {
        let location = try DatabaseLocation(db.location)
        let runtime = try await KangqiaoRuntime.open(location)
        let access = try await AccessService.open(for: location, backend: runtime.backend)
        do {
            guard try await DemoLoading.isEmpty(runtime.backend) else {
                throw ValidationError("the database already holds institutions or patients; the demo region goes into an empty one")
            }
            var plan = DemoRegionPlan()
            plan.seed = seed
            plan.residents = residents
            try await DemoLoading.load(plan, runtime: runtime, access: access)
        } catch {
            await runtime.backend.close()
            throw error
        }
        await runtime.backend.close()
    }
}

/// Loading the demo region with a progress line and printing its logins (`demo`, `serve --demo`).
enum DemoLoading {
    static func isEmpty(_ backend: any StoreBackend) async throws -> Bool {
        for type in ["Organization", "Patient"] where try await backend.count(StoreQuery(type: type, count: 1)) > 0 { return false }
        return true
    }

    static func load(_ plan: DemoRegionPlan, runtime: KangqiaoRuntime, access: AccessService) async throws {
        let started = Date()
        let region = DemoRegion(plan: plan)
        let terminal = isatty(STDERR_FILENO) != 0
        let logins = try await region.load(into: runtime.repository, access: access) { done, total in
            guard terminal else { return }
            FileHandle.standardError.write(Data("\r\u{1B}[Kdemo region: \(done)/\(total) resources".utf8))
        }
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let seconds = Date().timeIntervalSince(started)
        var text = "Demo region created in \(String(format: "%.1f", seconds)) s (seed \(plan.seed)): "
        text += region.counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ".\n"
        let linked = try await runtime.backend.count(StoreQuery(type: "Person", count: 0))
        let queued = try await runtime.backend.count(StoreQuery(type: "Task", count: 0))
        text += "Master index: \(plan.duplicateRegistrations) second registrations by hospitals; \(linked) people linked under a master Person, "
            + "\(queued) pairs queued for review (GET /fhir/Task).\n"
        text += "Logins (shown once; POST /auth/login with name, password and the current code of the second factor):\n"
        for login in logins {
            let a = login.account
            if login.codeSecret.isEmpty {
                text += "  \(a.name)  client secret: \(login.password)\n      \(a.description)\n"
                text += "      POST /auth/token grant_type=client_credentials client_id=\(a.name) client_secret=…\n"
            } else {
                text += "  \(a.name)  password: \(login.password)  role: \(a.roles.map(\.rawValue).joined(separator: ","))\n"
                text += "      \(a.description)\n"
                text += "      second factor: \(TimeBasedCode(secret: login.codeSecret).provisioningURI(account: a.name, issuer: "Kangqiao"))\n"
            }
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
