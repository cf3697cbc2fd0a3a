import NIOCore
import PostgresNIO

// The fixed statements of the PostgreSQL backend. Each is a `PostgresPreparedStatement`, so
// postgres-nio parses it once per connection and afterwards only binds and executes it.
// (Search and history statements vary with the query and are sent as plain extended queries.)

/// Columns read into a `ResourceRecord`, in this order, by every record-returning statement.
enum PostgresRecordColumns {
    static let list = "res_type, res_id, version_id, last_updated, deleted, json"

    static func record(_ row: PostgresRow) throws -> ResourceRecord {
        let (type, id, version, updated, deleted, json) = try row.decode((String, String, Int32, Int64, Int16, ByteBuffer).self)
        return ResourceRecord(
            type: type, id: id, versionId: Int(version), lastUpdated: updated, isDeleted: deleted != 0,
            json: Array(json.readableBytesView))
    }
}

/// The current row of one resource.
struct ReadCurrentStatement: PostgresPreparedStatement {
    static let sql = "SELECT \(PostgresRecordColumns.list) FROM resource WHERE res_type = $1 AND res_id = $2"
    typealias Row = ResourceRecord
    var type: String
    var id: String

    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 2)
        b.append(type)
        b.append(id)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> ResourceRecord { try PostgresRecordColumns.record(row) }
}

/// The current row of one resource, locked until the transaction ends, so that a read-modify-write
/// of the same resource by two transactions runs one after the other (the second sees the first's
/// version), as it does on SQLite where all writes are serialized.
struct ReadCurrentForUpdateStatement: PostgresPreparedStatement {
    static let sql = ReadCurrentStatement.sql + " FOR UPDATE"
    typealias Row = ResourceRecord
    var type: String
    var id: String

    func makeBindings() -> PostgresBindings { ReadCurrentStatement(type: type, id: id).makeBindings() }
    func decodeRow(_ row: PostgresRow) throws -> ResourceRecord { try PostgresRecordColumns.record(row) }
}

/// One version from the history. Joined through `resource` so that both lookups use unique indexes
/// (`resource (res_type, res_id)`, `resource_version (rid, version_id)`).
struct ReadVersionStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT v.res_type, v.res_id, v.version_id, v.last_updated, v.deleted, v.json \
        FROM resource r JOIN resource_version v ON v.rid = r.rid \
        WHERE r.res_type = $1 AND r.res_id = $2 AND v.version_id = $3
        """
    typealias Row = ResourceRecord
    var type: String
    var id: String
    var versionId: Int32

    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 3)
        b.append(type)
        b.append(id)
        b.append(versionId)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> ResourceRecord { try PostgresRecordColumns.record(row) }
}

struct ContentHashStatement: PostgresPreparedStatement {
    static let sql = "SELECT content_hash FROM resource WHERE res_type = $1 AND res_id = $2"
    typealias Row = String
    var type: String
    var id: String

    func makeBindings() -> PostgresBindings { ReadCurrentStatement(type: type, id: id).makeBindings() }
    func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
}

/// Takes a transaction-scoped advisory lock on a hash of `key`, waiting while another transaction
/// holds it. The current schema is part of the hash, so stores in different schemas of one database
/// do not wait for each other.
struct AdvisoryLockStatement: PostgresPreparedStatement {
    static let sql = "SELECT 1 FROM pg_advisory_xact_lock(hashtextextended(coalesce(current_schema(), '') || '|' || $1, 0))"
    typealias Row = Int32
    var key: String

    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 1)
        b.append(key)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Int32 { try row.decode(Int32.self) }
}

/// Upserts the current rows of a batch of resources (one element of each array per resource, no
/// resource twice) and appends their versions to the history, in one statement.
///
/// Answers one row of parallel arrays: each resource's row id, key and whether the row existed
/// before (`xmax` is non-zero on a row that `ON CONFLICT DO UPDATE` replaced, zero on a fresh insert;
/// only replaced rows can have index rows to delete), and the row ids whose version was written. A
/// resource missing from the latter already had that version: a conflict, after which the
/// transaction must roll back (its current row was overwritten).
struct UpsertResourcesStatement: PostgresPreparedStatement {
    static let sql = """
        WITH up AS (
            INSERT INTO resource (res_type, res_id, version_id, last_updated, deleted, compartment, content_hash, json)
            SELECT * FROM unnest($1::text[], $2::text[], $3::int4[], $4::int8[], $5::int2[], $6::text[], $7::text[], $8::bytea[])
            ON CONFLICT (res_type, res_id) DO UPDATE SET
                version_id = EXCLUDED.version_id, last_updated = EXCLUDED.last_updated, deleted = EXCLUDED.deleted,
                compartment = EXCLUDED.compartment, content_hash = EXCLUDED.content_hash, json = EXCLUDED.json
            RETURNING rid, res_type, res_id, version_id, last_updated, deleted, json, xmax <> 0 AS replaced
        ), history AS (
            INSERT INTO resource_version (rid, res_type, res_id, version_id, last_updated, deleted, json)
            SELECT rid, res_type, res_id, version_id, last_updated, deleted, json FROM up
            ON CONFLICT (rid, version_id) DO NOTHING
            RETURNING rid
        )
        SELECT array_agg(rid), array_agg(res_type), array_agg(res_id), array_agg(replaced),
            (SELECT array_agg(rid) FROM history)
        FROM up
        """

    struct Row {
        var rids: [Int64]
        var keys: [ResourceKey]
        var replaced: [Bool]
        var versioned: Set<Int64>
    }

    var types: [String] = []
    var ids: [String] = []
    var versions: [Int32] = []
    var lastUpdated: [Int64] = []
    var deleted: [Int16] = []
    var compartments: [String?] = []
    var hashes: [String] = []
    var json: [ByteBuffer] = []

    init(_ writes: some Collection<ResourceWrite>) {
        for w in writes {
            let r = w.record
            types.append(r.type)
            ids.append(r.id)
            versions.append(Int32(clamping: r.versionId))
            lastUpdated.append(r.lastUpdated)
            deleted.append(r.isDeleted ? 1 : 0)
            compartments.append(w.compartment)
            hashes.append(w.contentHash)
            json.append(ByteBuffer(bytes: r.json))
        }
    }

    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 8)
        b.append(types)
        b.append(ids)
        b.append(versions)
        b.append(lastUpdated)
        b.append(deleted)
        b.append(NullableTextArray(compartments))
        b.append(hashes)
        b.append(json)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (rids, types, ids, replaced, versioned) = try row.decode(([Int64]?, [String]?, [String]?, [Bool]?, [Int64]?).self)
        let keys = zip(types ?? [], ids ?? []).map { ResourceKey(type: $0, id: $1) }
        return Row(rids: rids ?? [], keys: keys, replaced: replaced ?? [], versioned: Set(versioned ?? []))
    }
}

/// Replaces search-index rows in one statement: deletes every index row of `replacedRids`, then
/// inserts the new rows of all index tables from column arrays. The deletes and inserts run on one
/// snapshot, so a delete never sees (and never removes) a row inserted by the same statement.
/// Nullable numbers travel as non-null arrays with a stand-in value that `NULLIF` turns back into NULL:
/// 0 for `grp` (groups count from 1), NaN for `canon_value`.
struct ReplaceIndexRowsStatement: PostgresPreparedStatement {
    static let sql = """
        WITH d1 AS (DELETE FROM idx_token WHERE rid = ANY($1::int8[])),
        d2 AS (DELETE FROM idx_string WHERE rid = ANY($1::int8[])),
        d3 AS (DELETE FROM idx_date WHERE rid = ANY($1::int8[])),
        d4 AS (DELETE FROM idx_reference WHERE rid = ANY($1::int8[])),
        d5 AS (DELETE FROM idx_number WHERE rid = ANY($1::int8[])),
        d6 AS (DELETE FROM idx_quantity WHERE rid = ANY($1::int8[])),
        d7 AS (DELETE FROM idx_uri WHERE rid = ANY($1::int8[])),
        d8 AS (DELETE FROM idx_text WHERE rid = ANY($1::int8[])),
        i1 AS (INSERT INTO idx_token (rid, param, system, code, text, grp)
            SELECT r, p, s, c, t, NULLIF(g, 0) FROM unnest($2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $31::int8[])
                AS u(r, p, s, c, t, g)),
        i2 AS (INSERT INTO idx_string (rid, param, normalized, exact, grp)
            SELECT r, p, n, e, NULLIF(g, 0) FROM unnest($7::int8[], $8::text[], $9::text[], $10::text[], $32::int8[]) AS u(r, p, n, e, g)),
        i3 AS (INSERT INTO idx_date (rid, param, low, high, grp)
            SELECT r, p, l, h, NULLIF(g, 0) FROM unnest($11::int8[], $12::text[], $13::int8[], $14::int8[], $33::int8[]) AS u(r, p, l, h, g)),
        i4 AS (INSERT INTO idx_reference (rid, param, target_type, target_id, url, grp)
            SELECT r, p, t, i, x, NULLIF(g, 0) FROM unnest($15::int8[], $16::text[], $17::text[], $18::text[], $19::text[], $34::int8[])
                AS u(r, p, t, i, x, g)),
        i5 AS (INSERT INTO idx_number (rid, param, value, grp)
            SELECT r, p, v, NULLIF(g, 0) FROM unnest($20::int8[], $21::text[], $22::float8[], $35::int8[]) AS u(r, p, v, g)),
        i6 AS (INSERT INTO idx_quantity (rid, param, value, system, code, grp, canon_value, canon_code)
            SELECT r, p, v, s, c, NULLIF(g, 0), NULLIF(cv, 'NaN'::float8), cc
            FROM unnest($23::int8[], $24::text[], $25::float8[], $26::text[], $27::text[], $36::int8[], $37::float8[], $38::text[])
                AS u(r, p, v, s, c, g, cv, cc)),
        i7 AS (INSERT INTO idx_text (rid, narrative, content) SELECT * FROM unnest($39::int8[], $40::text[], $41::text[]))
        INSERT INTO idx_uri (rid, param, uri) SELECT * FROM unnest($28::int8[], $29::text[], $30::text[])
        """
    typealias Row = ()

    var replacedRids: [Int64] = []
    var token = (rid: [Int64](), param: [String](), system: [String?](), code: [String?](), text: [String?](), grp: [Int64]())
    var string = (rid: [Int64](), param: [String](), normalized: [String](), exact: [String](), grp: [Int64]())
    var date = (rid: [Int64](), param: [String](), low: [Int64](), high: [Int64](), grp: [Int64]())
    var reference = (rid: [Int64](), param: [String](), targetType: [String?](), targetId: [String?](), url: [String?](), grp: [Int64]())
    var number = (rid: [Int64](), param: [String](), value: [Double](), grp: [Int64]())
    var quantity = (rid: [Int64](), param: [String](), value: [Double](), system: [String?](), code: [String?](), grp: [Int64](),
                    canonicalValue: [Double](), canonicalCode: [String?]())
    var uri = (rid: [Int64](), param: [String](), uri: [String]())
    var text = (rid: [Int64](), narrative: [String?](), content: [String]())

    /// Whether running the statement would change anything.
    var isEmpty: Bool {
        replacedRids.isEmpty && token.rid.isEmpty && string.rid.isEmpty && date.rid.isEmpty && reference.rid.isEmpty
            && number.rid.isEmpty && quantity.rid.isEmpty && uri.rid.isEmpty && text.rid.isEmpty
    }

    mutating func add(rid: Int64, _ ix: SearchIndexRows) {
        for t in ix.tokens {
            token.rid.append(rid); token.param.append(t.param); token.system.append(t.system)
            token.code.append(t.code); token.text.append(t.text); token.grp.append(Int64(t.grp ?? 0))
        }
        for s in ix.strings {
            string.rid.append(rid); string.param.append(s.param); string.normalized.append(s.normalized)
            string.exact.append(s.exact); string.grp.append(Int64(s.grp ?? 0))
        }
        for d in ix.dates {
            date.rid.append(rid); date.param.append(d.param); date.low.append(d.low); date.high.append(d.high)
            date.grp.append(Int64(d.grp ?? 0))
        }
        for x in ix.references {
            reference.rid.append(rid); reference.param.append(x.param); reference.targetType.append(x.targetType)
            reference.targetId.append(x.targetId); reference.url.append(x.url); reference.grp.append(Int64(x.grp ?? 0))
        }
        for n in ix.numbers {
            number.rid.append(rid); number.param.append(n.param); number.value.append(n.value); number.grp.append(Int64(n.grp ?? 0))
        }
        for q in ix.quantities {
            quantity.rid.append(rid); quantity.param.append(q.param); quantity.value.append(q.value)
            quantity.system.append(q.system); quantity.code.append(q.code); quantity.grp.append(Int64(q.grp ?? 0))
            quantity.canonicalValue.append(q.canonicalValue ?? .nan); quantity.canonicalCode.append(q.canonicalCode)
        }
        for u in ix.uris {
            uri.rid.append(rid); uri.param.append(u.param); uri.uri.append(u.uri)
        }
        if let t = ix.text {
            text.rid.append(rid); text.narrative.append(t.narrative); text.content.append(t.content)
        }
    }

    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 41)
        b.append(replacedRids)
        b.append(token.rid); b.append(token.param); b.append(NullableTextArray(token.system))
        b.append(NullableTextArray(token.code)); b.append(NullableTextArray(token.text))
        b.append(string.rid); b.append(string.param); b.append(string.normalized); b.append(string.exact)
        b.append(date.rid); b.append(date.param); b.append(date.low); b.append(date.high)
        b.append(reference.rid); b.append(reference.param); b.append(NullableTextArray(reference.targetType))
        b.append(NullableTextArray(reference.targetId)); b.append(NullableTextArray(reference.url))
        b.append(number.rid); b.append(number.param); b.append(number.value)
        b.append(quantity.rid); b.append(quantity.param); b.append(quantity.value)
        b.append(NullableTextArray(quantity.system)); b.append(NullableTextArray(quantity.code))
        b.append(uri.rid); b.append(uri.param); b.append(uri.uri)
        b.append(token.grp); b.append(string.grp); b.append(date.grp); b.append(reference.grp); b.append(number.grp)
        b.append(quantity.grp); b.append(quantity.canonicalValue); b.append(NullableTextArray(quantity.canonicalCode))
        b.append(text.rid); b.append(NullableTextArray(text.narrative)); b.append(text.content)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws {}
}

/// The row ids of the stored resources among the keys given as two parallel arrays (reindexing).
struct ResourceRowIdsStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT r.rid, r.res_type, r.res_id FROM resource r
        JOIN unnest($1::text[], $2::text[]) AS k(t, i) ON r.res_type = k.t AND r.res_id = k.i
        """
    typealias Row = (rid: Int64, key: ResourceKey)
    var keys: [ResourceKey]

    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 2)
        b.append(keys.map(\.type))
        b.append(keys.map(\.id))
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (rid, type, id) = try row.decode((Int64, String, String).self)
        return (rid, ResourceKey(type: type, id: id))
    }
}
