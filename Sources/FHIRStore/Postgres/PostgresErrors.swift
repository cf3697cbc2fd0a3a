import PostgresNIO

/// A unique constraint refused a row. Writes skip versions that exist and report them as
/// `StoreError.versionConflict`; this remains as the backstop the write path maps the same way.
struct PostgresUniqueViolation: Error {}

/// Maps what postgres-nio throws to the store's errors: a message that says what failed, with the
/// SQLSTATE, and never the query's bound values (they may hold patient data).
enum PostgresErrors {
    static let uniqueViolation = "23505"

    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            throw map(error)
        } catch let error as PostgresDecodingError {
            throw StoreError.database("PostgreSQL: cannot decode column '\(error.columnName)' (\(error.postgresType))")
        }
    }

    static func decoding<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresDecodingError {
            throw StoreError.database("PostgreSQL: cannot decode column '\(error.columnName)' (\(error.postgresType))")
        }
    }

    static func map(_ error: PSQLError) -> Error {
        guard let info = error.serverInfo else {
            return StoreError.database("PostgreSQL: \(error.code)" + (error.underlying.map { " (\($0))" } ?? ""))
        }
        let state = info[.sqlState] ?? "?????"
        if state == uniqueViolation { return PostgresUniqueViolation() }
        // The detail is left out: for constraint failures it quotes the row, which may be patient data.
        var message = "PostgreSQL \(state): \(info[.message] ?? "error")"
        if let table = info[.tableName] { message += " [table \(table)]" }
        return StoreError.database(message)
    }
}
