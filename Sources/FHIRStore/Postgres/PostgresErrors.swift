import PostgresNIO

/// A unique constraint refused a row. Writes skip versions that exist and report them as
/// `StoreError.versionConflict`; this remains as the backstop the write path maps the same way.
struct PostgresUniqueViolation: Error {}

/// The server aborted a transaction because of concurrent ones (deadlock, serialization failure);
/// running it again normally succeeds. `PostgresBackend.write` retries; elsewhere it becomes
/// `StoreError.database`.
struct PostgresTransientFailure: Error {
    let message: String
}

/// Maps what postgres-nio throws to the store's errors: a message that says what failed, with the
/// SQLSTATE, and never the query's bound values (they may hold patient data).
enum PostgresErrors {
    static let uniqueViolation = "23505"
    static let transient: Set<String> = ["40P01", "40001"]  // deadlock_detected, serialization_failure

    /// Runs `body` and turns the errors meant for the write path into `StoreError`s.
    static func settled<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw settle(error) }
    }

    static func settle(_ error: any Error) -> any Error {
        switch error {
        case let failure as PostgresTransientFailure: return StoreError.database(failure.message)
        case is PostgresUniqueViolation: return StoreError.database("PostgreSQL 23505: unique violation")
        default: return error
        }
    }

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
        return transient.contains(state) ? PostgresTransientFailure(message: message) : StoreError.database(message)
    }
}
