import Access
import ArgumentParser
import FHIRCore
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
    @Option(help: "A JWK Set (or one JWK) file with the client's public keys: it authenticates with signed assertions (private_key_jwt) instead of a secret.")
    var jwks: String?
    @OptionGroup var db: DatabaseOption

    func run() async throws {
        var keys: JSON?
        if let jwks {
            guard let data = FileManager.default.contents(atPath: jwks), let parsed = try? JSONParser.parse([UInt8](data)) else {
                throw ValidationError("cannot read a JWK Set from \(jwks)")
            }
            keys = parsed
        }
        let location = try DatabaseLocation(db.location)
        let backend = try await location.open(logger: Logger(label: "kangqiao"))
        let access = try await AccessService.open(for: location, backend: backend)
        do {
            if let keys {
                try await access.createClient(name: name, scopes: scopes, organization: organization, publicKeys: keys)
                print("client_id: \(name)\nauthentication: private_key_jwt (ES256, ES384, RS384)\nscopes: \(try ScopeSet(parsing: scopes))")
            } else {
                let secret = try await access.createClient(name: name, scopes: scopes, organization: organization)
                print("client_id: \(name)\nclient_secret: \(secret)\nscopes: \(try ScopeSet(parsing: scopes))")
            }
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

/// `kangqiao audit verify`: walks every audit chain and reports the first broken link of each.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit trail.", subcommands: [AuditVerify.self, AuditPrune.self])
}

struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check every audit chain; exit status 1 when a link is broken.")

    @Flag(help: "Chain the records not chained yet before checking (as the server does every second).") var seal = false
    @OptionGroup var db: DatabaseOption

    func run() async throws {
        let location = try DatabaseLocation(db.location)
        let backend = try await location.open(logger: Logger(label: "kangqiao"))
        if seal { try await AuditSealer(backend: backend, chain: AuditSealer.defaultChainName).sealPending() }
        let report = try await AuditVerifier.verify(backend)
        await backend.close()
        for (chain, count) in report.chains.sorted(by: { $0.key < $1.key }) { print("chain \(chain): \(count) records") }
        if report.unsealed > 0 { print("\(report.unsealed) records not chained yet") }
        if report.breaks.isEmpty {
            print("audit trail intact")
        } else {
            for b in report.breaks { print("BROKEN: \(b)") }
            throw ExitCode(1)
        }
    }
}

/// `kangqiao audit prune --days N`: deletes audit records older than N days (never fewer than the
/// R-SEC-2 floor of 183), keeping a checkpoint per chain so the rest still verifies.
struct AuditPrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Delete audit records older than the retention period (at least 183 days).")

    @Option(help: "Keep this many days (at least 183, R-SEC-2).") var days: Int = AccessPolicy().auditRetentionDays
    @OptionGroup var db: DatabaseOption

    func run() async throws {
        let location = try DatabaseLocation(db.location)
        let backend = try await location.open(logger: Logger(label: "kangqiao"))
        do {
            let pruned = try await AuditRetention.prune(backend, olderThanDays: days, nowMillis: Int64(Date().timeIntervalSince1970 * 1000))
            print("pruned \(pruned) audit records older than \(days) days")
        } catch let denied as AccessDenied {
            await backend.close()
            throw ValidationError(denied.message)
        }
        await backend.close()
    }
}
