/// The one schema of both backends, as versioned migrations. Column types differ only where the
/// dialects force it (BLOB/BYTEA, autoincrement); names and meaning are identical.
enum Schema {
    /// The newest schema version this program knows.
    static let version = 6

    static func migrations(_ dialect: SQLDialect) -> [(version: Int, statements: [String])] {
        let pk: String
        let bytes: String
        let big = "BIGINT"
        // Prefix ranges on text compare code points (COLLATE "C" on PostgreSQL, SQLite's default BINARY):
        // the index must use the same collation to answer them.
        let codePoint = dialect == .postgres ? #" COLLATE "C""# : ""
        switch dialect {
        case .sqlite:
            pk = "INTEGER PRIMARY KEY"
            bytes = "BLOB"
        case .postgres:
            pk = "BIGSERIAL PRIMARY KEY"
            bytes = "BYTEA"
        }
        // The value indexes end in `rid`: a search's `rid IN (SELECT rid ...)` is answered by the index alone.
        let v1 = [
            """
            CREATE TABLE resource (
                rid \(pk),
                res_type TEXT NOT NULL,
                res_id TEXT NOT NULL,
                version_id INTEGER NOT NULL,
                last_updated \(big) NOT NULL,
                deleted SMALLINT NOT NULL DEFAULT 0,
                compartment TEXT,
                content_hash TEXT NOT NULL,
                json \(bytes) NOT NULL,
                UNIQUE (res_type, res_id)
            )
            """,
            "CREATE INDEX resource_type_updated ON resource (res_type, last_updated)",
            "CREATE INDEX resource_updated ON resource (last_updated)",
            "CREATE INDEX resource_compartment ON resource (compartment)",
            """
            CREATE TABLE resource_version (
                seq \(pk),
                rid \(big) NOT NULL,
                res_type TEXT NOT NULL,
                res_id TEXT NOT NULL,
                version_id INTEGER NOT NULL,
                last_updated \(big) NOT NULL,
                deleted SMALLINT NOT NULL DEFAULT 0,
                json \(bytes) NOT NULL,
                UNIQUE (rid, version_id)
            )
            """,
            "CREATE INDEX resource_version_type ON resource_version (res_type, seq)",
            "CREATE INDEX resource_version_key ON resource_version (res_type, res_id, version_id)",
            "CREATE INDEX resource_version_updated ON resource_version (last_updated)",
            "CREATE TABLE idx_token (rid \(big) NOT NULL, param TEXT NOT NULL, system TEXT, code TEXT, text TEXT)",
            "CREATE INDEX idx_token_value ON idx_token (param, code, system, rid)",
            "CREATE INDEX idx_token_rid ON idx_token (rid)",
            "CREATE TABLE idx_string (rid \(big) NOT NULL, param TEXT NOT NULL, normalized TEXT NOT NULL, exact TEXT NOT NULL)",
            "CREATE INDEX idx_string_value ON idx_string (param, normalized\(codePoint), rid)",
            "CREATE INDEX idx_string_rid ON idx_string (rid)",
            "CREATE TABLE idx_date (rid \(big) NOT NULL, param TEXT NOT NULL, low \(big) NOT NULL, high \(big) NOT NULL)",
            "CREATE INDEX idx_date_value ON idx_date (param, low, high, rid)",
            "CREATE INDEX idx_date_rid ON idx_date (rid)",
            "CREATE TABLE idx_reference (rid \(big) NOT NULL, param TEXT NOT NULL, target_type TEXT, target_id TEXT, url TEXT)",
            "CREATE INDEX idx_reference_value ON idx_reference (param, target_id, target_type, rid)",
            "CREATE INDEX idx_reference_rid ON idx_reference (rid)",
            "CREATE TABLE idx_number (rid \(big) NOT NULL, param TEXT NOT NULL, value DOUBLE PRECISION NOT NULL)",
            "CREATE INDEX idx_number_value ON idx_number (param, value, rid)",
            "CREATE INDEX idx_number_rid ON idx_number (rid)",
            "CREATE TABLE idx_quantity (rid \(big) NOT NULL, param TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, system TEXT, code TEXT)",
            "CREATE INDEX idx_quantity_value ON idx_quantity (param, code, value, rid)",
            "CREATE INDEX idx_quantity_rid ON idx_quantity (rid)",
            "CREATE TABLE idx_uri (rid \(big) NOT NULL, param TEXT NOT NULL, uri TEXT NOT NULL)",
            "CREATE INDEX idx_uri_value ON idx_uri (param, uri\(codePoint), rid)",
            "CREATE INDEX idx_uri_rid ON idx_uri (rid)",
        ]
        // v2: records that are not FHIR (accounts, credentials, sealed keys, refresh tokens).
        let v2 = [
            "CREATE TABLE private_record (kind TEXT NOT NULL, rkey TEXT NOT NULL, value \(bytes) NOT NULL, updated \(big) NOT NULL, PRIMARY KEY (kind, rkey))"
        ]
        // v3: the audit trail (R-SEC-2). Rows are appended in the transaction they record (or through
        // the grouped append path for reads), then chained (chain, seq, link) by the sealer; the
        // patients column and audit_patient serve the regulator's and the patient's searches.
        let v3 = [
            """
            CREATE TABLE audit_event (
                aid \(pk),
                recorded \(big) NOT NULL,
                action TEXT NOT NULL,
                outcome SMALLINT NOT NULL,
                actor TEXT,
                organization TEXT,
                source TEXT,
                patients TEXT,
                record \(bytes) NOT NULL,
                chain TEXT,
                seq \(big),
                link \(bytes)
            )
            """,
            "CREATE INDEX audit_event_recorded ON audit_event (recorded)",
            "CREATE INDEX audit_event_actor ON audit_event (actor, recorded)",
            "CREATE UNIQUE INDEX audit_event_chain ON audit_event (chain, seq)",
            "CREATE INDEX audit_event_unsealed ON audit_event (aid) WHERE chain IS NULL",
            "CREATE TABLE audit_patient (patient TEXT NOT NULL, aid \(big) NOT NULL, PRIMARY KEY (patient, aid))",
        ]
        // v4: the current rows of each type in rid order, without the deleted flag's table look-up:
        // `count(*)` of a type and its unfiltered pages read this index alone, and a count checks
        // each match's type in it (measured at 1M resources: counting 700,000 Observations
        // 276 → 36 ms on SQLite; 50,083 token matches 318 → 137 ms on PostgreSQL, index-only).
        // `rid` is SQLite's implicit last column anyway; PostgreSQL needs it spelled.
        let v4 = ["CREATE INDEX resource_current ON resource (res_type, rid) WHERE deleted = 0"]
        // v5: composite parameters index their components as rows of the component tables under the
        // composite's code (`code$0`, `code$1`), one `grp` per focus element, so that a search can ask
        // for components of the same element; quantities keep a UCUM canonical value and unit beside the
        // value as written; `idx_text` holds the text `_text` and `_content` search (no value index:
        // they are contains searches, which no B-tree answers, and long texts exceed its entry size).
        var v5 = IndexTable.allCases.map { "ALTER TABLE \($0.rawValue) ADD COLUMN grp INTEGER" }
        v5 += [
            "ALTER TABLE idx_quantity ADD COLUMN canon_value DOUBLE PRECISION",
            "ALTER TABLE idx_quantity ADD COLUMN canon_code TEXT",
            "CREATE INDEX idx_quantity_canon ON idx_quantity (param, canon_code, canon_value, rid)",
            "CREATE TABLE idx_text (rid \(big) NOT NULL, narrative TEXT, content TEXT NOT NULL)",
            "CREATE INDEX idx_text_rid ON idx_text (rid)",
        ]
        // v6 (SQLite): `audit_patient` clustered on its key (WITHOUT ROWID): a patient link is one B-tree
        // insert instead of two (a rowid table and its primary-key index), and a search's record links a
        // page of patients. PostgreSQL's table already is its heap plus that one index: nothing to do.
        let v6: [String]
        switch dialect {
        case .sqlite:
            v6 = [
                "CREATE TABLE audit_patient_v6 (patient TEXT NOT NULL, aid \(big) NOT NULL, PRIMARY KEY (patient, aid)) WITHOUT ROWID",
                "INSERT INTO audit_patient_v6 (patient, aid) SELECT patient, aid FROM audit_patient",
                "DROP TABLE audit_patient",
                "ALTER TABLE audit_patient_v6 RENAME TO audit_patient",
            ]
        case .postgres:
            v6 = []
        }
        return [(1, v1), (2, v2), (3, v3), (4, v4), (5, v5), (6, v6)]
    }

    /// The table of `_text` and `_content` (not an `IndexTable`: no parameter sorts or includes by it).
    static let textTable = "idx_text"

    /// Statements that delete a resource's index rows before new ones are written.
    static let indexTables = IndexTable.allCases.map(\.rawValue) + [textTable]
}
