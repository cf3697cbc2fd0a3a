import Foundation

/// The parts of a `postgres://user:password@host:port/database` (or `postgresql://`) connection URL
/// that the backend uses. User and password may be percent-encoded; the port defaults to 5432.
/// Query items: `sslmode` (`disable` — the default — or `require`/`verify-full`, which both verify the
/// server certificate), `schema` (the schema holding the tables) and `pool_size`.
struct PostgresURL: Equatable {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var requireTLS: Bool
    var schema: String?
    var poolSize: Int?

    init(_ url: String) throws {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw StoreError.database("not a PostgreSQL URL (postgres://user:password@host:port/database): \(Self.redacted(url))")
        }
        guard let host = c.host, !host.isEmpty else {
            throw StoreError.database("the PostgreSQL URL names no host: \(Self.redacted(url))")
        }
        guard let user = c.user, !user.isEmpty else {
            throw StoreError.database("the PostgreSQL URL names no user: \(Self.redacted(url))")
        }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        self.host = host
        self.port = c.port ?? 5432
        self.user = user
        self.password = c.password
        self.database = database.isEmpty ? user : database
        self.requireTLS = false
        for item in c.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "disable", "allow", "prefer", "": requireTLS = false
                case "require", "verify-ca", "verify-full": requireTLS = true
                default: throw StoreError.database("unknown sslmode '\(item.value ?? "")' in the PostgreSQL URL")
                }
            case "schema", "search_path":
                guard let name = item.value, PostgresURL.isPlainIdentifier(name) else {
                    throw StoreError.database("the schema in the PostgreSQL URL must be a plain identifier ([a-z_][a-z0-9_]*)")
                }
                schema = name
            case "pool_size":
                guard let n = item.value.flatMap({ Int($0) }), n > 0 else {
                    throw StoreError.database("pool_size in the PostgreSQL URL must be a positive integer")
                }
                poolSize = n
            default:
                throw StoreError.database("unknown parameter '\(item.name)' in the PostgreSQL URL")
            }
        }
    }

    /// Lower-case letters, digits and underscores, not starting with a digit, at most 63 bytes: a name
    /// that needs no quoting and so cannot smuggle SQL into `CREATE SCHEMA` or `search_path`.
    static func isPlainIdentifier(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard let first = u.first, u.count <= 63, !(first >= 0x30 && first <= 0x39) else { return false }
        return u.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }

    /// The URL with its password replaced, for error messages and logs.
    static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "***"
        return c.string ?? "(unparsable URL)"
    }
}
