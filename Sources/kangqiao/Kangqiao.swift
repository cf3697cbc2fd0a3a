import ArgumentParser

/// The `kangqiao` command: the server and the tools a FHIR engineer reaches for first.
@main
struct Kangqiao: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kangqiao",
        abstract: "Kangqiao (康桥): a regional health information platform on FHIR R4.",
        subcommands: [
            Serve.self, Import.self, Export.self, Reindex.self, Validate.self, FHIRPathCommand.self, ClientCommand.self, TokenCommand.self,
            AuditCommand.self, Demo.self,
        ])
}

/// `--database` shared by the commands that open the store.
struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH or postgres://user:pw@host:port/db (env KANGQIAO_DATABASE)")
    var database: String?

    var location: String {
        database ?? Environment.value("KANGQIAO_DATABASE") ?? "sqlite:" + "./kangqiao-data/kangqiao.sqlite"
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        let s = String(cString: v)
        return s.isEmpty ? nil : s
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
