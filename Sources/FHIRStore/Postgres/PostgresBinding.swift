import NIOCore
import PostgresNIO

/// A `text[]` parameter whose elements may be NULL. postgres-nio encodes arrays of non-optional
/// elements only; the index tables have nullable text columns (system, code, url, ...) that are
/// inserted from `unnest` arrays, so this writes PostgreSQL's binary array format itself.
struct NullableTextArray: PostgresNonThrowingEncodable, Sendable {
    var elements: [String?]

    init(_ elements: [String?]) { self.elements = elements }

    static var psqlType: PostgresDataType { .textArray }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        // Header: dimensions, has-nulls flag, element type; then (size, lower bound) per dimension.
        buffer.writeInteger(elements.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(elements.contains(where: { $0 == nil }) ? 1 : 0, as: Int32.self)
        buffer.writeInteger(PostgresDataType.text.rawValue, as: UInt32.self)
        guard !elements.isEmpty else { return }
        buffer.writeInteger(Int32(elements.count), as: Int32.self)
        buffer.writeInteger(1, as: Int32.self)
        for element in elements {
            if let s = element {
                buffer.writeInteger(Int32(s.utf8.count), as: Int32.self)
                buffer.writeString(s)
            } else {
                buffer.writeInteger(-1, as: Int32.self)
            }
        }
    }
}

extension PostgresBindings {
    /// Binds the backend-neutral values produced by `SQLSearchBuilder` and the history query.
    mutating func append(_ value: SQLValue) {
        switch value {
        case .null: appendNull()
        case .int(let n): append(n)
        case .double(let d): append(d)
        case .text(let s): append(s)
        case .blob(let b): append(ByteBuffer(bytes: b))
        }
    }
}

extension PostgresQuery {
    /// A statement built at run time (search, history) with its `$n` values.
    init(sql: String, values: [SQLValue]) {
        var binds = PostgresBindings(capacity: values.count)
        for v in values { binds.append(v) }
        self.init(unsafeSQL: sql, binds: binds)
    }
}
