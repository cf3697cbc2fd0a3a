import Access
import ArgumentParser
import FHIRStore
import Foundation
import KangqiaoServer
import Logging

/// `kangqiao client ...`: system clients (hospital HIS, pharmacy and insurance systems, scripts, CI).
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Manage system clients.", subcommands: [ClientCreate.self])
}

struct ClientCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Register a system client; prints its id and secret (the secret only this once).")

    @Option(help: "The client id (letters, digits, '-', '_', '.').") var name: String
    @Option(help: "The SMART scopes it may be granted, space-separated, e.g. \"system/*.cruds\".") var scopes: String
    @Option(help: "The organization it acts for (Organization/ID).") var organization: String?
    @OptionGroup var db: DatabaseOption

    func run() async throws {
        let location = try DatabaseLocation(db.location)
        let backend = try await location.open(logger: Logger(label: "kangqiao"))
        let access = try await AccessService.open(for: location, backend: backend)
        do {
            let secret = try await access.createClient(name: name, scopes: scopes, organization: organization)
            print("client_id: \(name)\nclient_secret: \(secret)\nscopes: \(try ScopeSet(parsing: scopes))")
        } catch let denied as AccessDenied {
            await backend.close()
            throw ValidationError(denied.message)
        } catch let scope as ScopeError {
            await backend.close()
            throw ValidationError("not a SMART scope: \(scope)")
        }
        await backend.close()
    }
}

/// `kangqiao token --client N`: an access token for a registered client, for scripts and CI.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Print an access token for a system client (its scopes, or fewer with --scopes).")

    @Option(help: "The client id.") var client: String
    @Option(help: "Scopes to ask for (default: all the client may have).") var scopes: String?
    @OptionGroup var db: DatabaseOption

    func run() async throws {
        let location = try DatabaseLocation(db.location)
        let backend = try await location.open(logger: Logger(label: "kangqiao"))
        let access = try await AccessService.open(for: location, backend: backend)
        guard let account = try await access.account(client), account.kind == .system, !account.disabled else {
            await backend.close()
            throw ValidationError("no system client named \(client)")
        }
        do {
            print(try access.mint(for: account, scope: scopes).accessToken)
        } catch let denied as AccessDenied {
            await backend.close()
            throw ValidationError(denied.message)
        }
        await backend.close()
    }
}
