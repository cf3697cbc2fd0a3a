import ArgumentParser
import FHIRStore
import Foundation
import KangqiaoServer

struct Reindex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write every resource's search-index rows again (no new versions).",
        discussion: """
            Run once after upgrading a database to schema 5 (composite parameters, UCUM unit conversion, \
            _text/_content): resources written before the upgrade lack those rows until reindexed. The server \
            may keep running meanwhile.
            """)

    @OptionGroup var db: DatabaseOption
    @Option(help: "Resources per database transaction.") var batchSize = 500

    func run() async throws {
        let runtime = try await KangqiaoRuntime.open(try DatabaseLocation(db.location))
        defer { Task { await runtime.backend.close() } }
        let start = Date()
        let total = try await runtime.repository.reindex(batchSize: batchSize) { n in
            FileHandle.standardError.write(Data("\rreindexed \(n) resources".utf8))
        }
        let seconds = Date().timeIntervalSince(start)
        FileHandle.standardError.write(Data("\rreindexed \(total) resources in \(String(format: "%.1f", seconds)) s\n".utf8))
    }
}
