import FHIRStore
import Foundation
import Logging

/// Where the data lives: `sqlite:PATH` (embedded, the default) or `postgres://user:pw@host:port/db`.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    public static let defaultSQLitePath = "./kangqiao-data/kangqiao.sqlite"

    public init(_ text: String) throws {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw DatabaseLocationError(text: text) }
            self = .sqlite(path: path)
        } else {
            throw DatabaseLocationError(text: text)
        }
    }

    /// Opens the backend and runs the schema migrations.
    public func open(logger: Logger) async throws -> any StoreBackend {
        let backend: any StoreBackend
        switch self {
        case .sqlite(let path):
            backend = try SQLiteBackend(path: path)
        case .postgres(let url):
            backend = try await PostgresBackend.connect(url: url, logger: logger)
        }
        try await backend.migrate()
        return backend
    }
}

public struct DatabaseLocationError: Error, CustomStringConvertible {
    public let text: String
    public var description: String {
        "'\(text)' is not a database location: use sqlite:PATH or postgres://user:password@host:port/database"
    }
}
