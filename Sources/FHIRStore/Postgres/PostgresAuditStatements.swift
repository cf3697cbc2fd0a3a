import NIOCore
import PostgresNIO

// The audit trail's fixed statements on PostgreSQL. Rows arrive as parallel arrays (`unnest`), so a
// group of any size is one statement that each connection parses once: built as VALUES tuples, every
// group's text differed with its size and PostgreSQL parsed and planned it again each time, a
// quarter of the machine's CPU per record (`audit-append`: 128–134 → 90–96 µs).

/// Appends audit rows and their patient links; answers the rows' ids in order. The ids are drawn
/// from the sequence in a materialized CTE that both INSERTs read, so each row's id is drawn once;
/// a link names its row by the row's ordinal.
struct AppendAuditStatement: PostgresPreparedStatement {
    static let sql = """
        WITH batch AS MATERIALIZED (
                SELECT nextval('audit_event_aid_seq') AS aid, v.*
                FROM unnest($1::int8[], $2::text[], $3::int2[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[]) WITH ORDINALITY
                    AS v(recorded, action, outcome, actor, organization, source, patients, record, ord)),
            events AS (
                INSERT INTO audit_event (aid, recorded, action, outcome, actor, organization, source, patients, record)
                SELECT aid, recorded, action, outcome, actor, organization, source, patients, record FROM batch),
            links AS (
                INSERT INTO audit_patient (patient, aid)
                SELECT l.patient, batch.aid FROM unnest($9::int8[], $10::text[]) AS l(ord, patient) JOIN batch ON batch.ord = l.ord
                ON CONFLICT DO NOTHING)
        SELECT aid FROM batch ORDER BY ord
        """
    typealias Row = Int64

    var recorded: [Int64] = []
    var actions: [String] = []
    var outcomes: [Int16] = []
    var actors: [String?] = []
    var organizations: [String?] = []
    var sources: [String?] = []
    var patients: [String?] = []
    var records: [ByteBuffer] = []
    var linkRows: [Int64] = []
    var linkPatients: [String] = []

    init(_ rows: [AuditRow]) throws {
        for (i, row) in rows.enumerated() {
            guard let outcome = Int16(exactly: row.outcome) else { throw StoreError.database("an audit outcome out of range: \(row.outcome)") }
            recorded.append(row.recorded)
            actions.append(row.action)
            outcomes.append(outcome)
            actors.append(row.actor)
            organizations.append(row.organization)
            sources.append(row.source)
            patients.append(row.storedPatients)
            records.append(ByteBuffer(bytes: row.record))
            // Ordinals count from 1.
            for patient in Set(row.patients) {
                linkRows.append(Int64(i + 1))
                linkPatients.append(patient)
            }
        }
    }

    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 10)
        b.append(recorded)
        b.append(actions)
        b.append(outcomes)
        b.append(NullableTextArray(actors))
        b.append(NullableTextArray(organizations))
        b.append(NullableTextArray(sources))
        b.append(NullableTextArray(patients))
        b.append(records)
        b.append(linkRows)
        b.append(linkPatients)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
}

/// Chains rows that are not chained yet (a row another sealer chained meanwhile is left as it is).
struct SealAuditStatement: PostgresPreparedStatement {
    static let sql = """
        UPDATE audit_event a SET chain = v.chain, seq = v.seq, link = v.link
        FROM unnest($1::int8[], $2::text[], $3::int8[], $4::bytea[]) AS v(aid, chain, seq, link)
        WHERE a.aid = v.aid AND a.chain IS NULL
        """
    typealias Row = Int32

    var aids: [Int64] = []
    var chains: [String] = []
    var sequences: [Int64] = []
    var links: [ByteBuffer] = []

    init(_ seals: [AuditSeal]) {
        for s in seals {
            aids.append(s.aid)
            chains.append(s.chain)
            sequences.append(s.sequence)
            links.append(ByteBuffer(bytes: s.link))
        }
    }

    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 4)
        b.append(aids)
        b.append(chains)
        b.append(sequences)
        b.append(links)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Int32 { try row.decode(Int32.self) }
}
