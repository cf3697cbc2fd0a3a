import CSQLite
import CSQLiteWALBuffer

/// A thin owner of one `sqlite3` handle with a prepared-statement cache. Not thread-safe: each
/// connection is confined to one user at a time (the writer's drain loop or a borrowed reader); that
/// confinement, enforced by `SQLiteBackend`, is why the unchecked Sendable is safe.
final class SQLiteConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    let path: String

    /// `vfs`: a registered SQLite VFS by name (nil: the default one).
    init(path: String, readOnly: Bool = false, vfs: String? = nil) throws {
        self.path = path
        let flags = readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, vfs)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw StoreError.database("SQLite open \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 10_000)
        sqlite3_extended_result_codes(db, 1)
    }

    /// A larger small-allocation arena than SQLite's default (for the writer, whose B-tree inserts and
    /// statement journals allocate most).
    func enlargeLookaside() {
        _ = kq_sqlite_lookaside(handle, 2048, 512)
    }

    deinit {
        for (_, stmt) in statements { sqlite3_finalize(stmt) }
        sqlite3_close_v2(handle)
    }

    /// The name of the VFS the connection's database was opened with.
    var vfsName: String? {
        var vfs: UnsafeMutablePointer<sqlite3_vfs>?
        guard sqlite3_file_control(handle, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) == SQLITE_OK, let name = vfs?.pointee.zName else { return nil }
        return String(cString: name)
    }

    private var errorMessage: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed" }

    func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(err)
            throw StoreError.database("SQLite: \(message) [\(sql.prefix(80))]")
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let s = statements[sql] {
            sqlite3_reset(s)
            sqlite3_clear_bindings(s)
            return s
        }
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil) == SQLITE_OK, let stmt else {
            throw StoreError.database("SQLite prepare: \(errorMessage) [\(sql.prefix(120))]")
        }
        // Dynamic search statements vary; keep the cache bounded.
        if statements.count > 512 {
            for (_, s) in statements { sqlite3_finalize(s) }
            statements.removeAll()
        }
        statements[sql] = stmt
        return stmt
    }

    private struct InsertShape: Hashable {
        var table: String
        var rows: Int
        var orIgnore: Bool
    }
    private var insertTexts: [InsertShape: String] = [:]

    /// The text of `INSERT [OR IGNORE] INTO table (columns) VALUES (?1, ?2 …), …` for `rows` rows,
    /// built once per shape (the writer inserts index rows in a few dozen shapes, thousands of times a
    /// second).
    func multiRowInsert(_ table: String, _ columns: String, rows: Int, orIgnore: Bool = false) -> String {
        let shape = InsertShape(table: table, rows: rows, orIgnore: orIgnore)
        if let text = insertTexts[shape] { return text }
        let width = columns.split(separator: ",").count
        let tuples = (0..<rows).map { row in "(" + (1...width).map { "?\(row * width + $0)" }.joined(separator: ", ") + ")" }
        let text = (orIgnore ? "INSERT OR IGNORE INTO " : "INSERT INTO ") + "\(table) (\(columns)) VALUES " + tuples.joined(separator: ", ")
        insertTexts[shape] = text
        return text
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func bind(_ stmt: OpaquePointer, _ values: [SQLValue]) throws {
        for (i, v) in values.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch v {
            case .null: rc = sqlite3_bind_null(stmt, idx)
            case .int(let n): rc = sqlite3_bind_int64(stmt, idx, n)
            case .double(let d): rc = sqlite3_bind_double(stmt, idx, d)
            case .text(let s): rc = sqlite3_bind_text(stmt, idx, s, -1, SQLiteConnection.transient)
            case .blob(let b):
                rc = b.withUnsafeBytes { sqlite3_bind_blob(stmt, idx, $0.baseAddress, Int32($0.count), SQLiteConnection.transient) }
            }
            guard rc == SQLITE_OK else { throw StoreError.database("SQLite bind: \(errorMessage)") }
        }
    }

    /// Runs a statement that returns no rows; answers the number of changed rows.
    @discardableResult
    func run(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
        let stmt = try prepared(sql)
        defer { sqlite3_reset(stmt) }
        try bind(stmt, values)
        let rc = sqlite3_step(stmt)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
            if rc & 0xFF == SQLITE_CONSTRAINT { throw SQLiteConstraintViolation(message: errorMessage) }
            throw StoreError.database("SQLite step: \(errorMessage)")
        }
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query, calling `row` for each result row.
    func query(_ sql: String, _ values: [SQLValue] = [], row: (SQLiteRow) throws -> Void) throws {
        let stmt = try prepared(sql)
        defer { sqlite3_reset(stmt) }
        try bind(stmt, values)
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw StoreError.database("SQLite step: \(errorMessage)") }
            try row(SQLiteRow(stmt: stmt))
        }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

struct SQLiteConstraintViolation: Error {
    let message: String
}

/// A view of the current row of a stepping statement; valid only inside the row callback.
struct SQLiteRow {
    let stmt: OpaquePointer

    func int(_ i: Int32) -> Int64 { sqlite3_column_int64(stmt, i) }
    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(stmt, i) == SQLITE_NULL }
    func text(_ i: Int32) -> String? {
        guard let p = sqlite3_column_text(stmt, i) else { return nil }
        let n = Int(sqlite3_column_bytes(stmt, i))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
    func bytes(_ i: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, i))
        guard n > 0, let p = sqlite3_column_blob(stmt, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}
