import FHIRCore
import Foundation
import Testing

@testable import FHIRStore

/// A database written under schema 1 migrates to schema 5 at start, keeps its resources, and answers
/// composite, canonical-quantity and `_content` searches once `FHIRRepository.reindex` has run.
@Suite("schema 5 upgrade and reindex")
struct SchemaUpgradeReindexTests {
    static let observation = #"""
        {"resourceType":"Observation","id":"bp","meta":{"versionId":"1"},"status":"final",
         "code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"text":{"status":"generated","div":"<div>Blood pressure</div>"},
         "component":[
          {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":90,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
          {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}
        """#

    /// The statements that leave a schema-1 database holding the observation, as version 1 wrote it.
    static func schemaOne(_ dialect: SQLDialect) -> [String] {
        let literal = "'" + observation.replacingOccurrences(of: "'", with: "''") + "'"
        let json = dialect == .sqlite ? "CAST(\(literal) AS BLOB)" : "convert_to(\(literal), 'UTF8')"
        return Schema.migrations(dialect)[0].statements + [
            "CREATE TABLE schema_version (version INTEGER NOT NULL)",
            "INSERT INTO schema_version (version) VALUES (1)",
            "INSERT INTO resource (res_type, res_id, version_id, last_updated, deleted, content_hash, json) VALUES ('Observation', 'bp', 1, 1700000000000, 0, 'h', \(json))",
            // One of the index rows version 1 wrote for it.
            "INSERT INTO idx_quantity (rid, param, value, system, code) SELECT rid, 'component-value-quantity', 120, 'http://unitsofmeasure.org', 'mm[Hg]' FROM resource",
        ]
    }

    static func search(_ backend: any StoreBackend, _ name: String, _ value: String) async throws -> [String] {
        let compiler = SearchCompiler(type: "Observation", parameters: SearchIndexExtractor.shared, lenient: false)
        let compiled = try compiler.compile([SearchParameterValue(name: name, modifier: nil, value: value)], defaultCount: 20, maxCount: 100)
        return try await backend.search(compiled.query).records.map(\.id)
    }

    static func upgradeAndReindex(_ backend: any StoreBackend) async throws {
        try await backend.migrate()
        // Migrated but not reindexed: the rows schema 5 adds are not there yet.
        #expect(try await search(backend, "component-code-value-quantity", "8462-4$120").isEmpty)
        // A UCUM search still finds the old quantity row in its own unit, not yet in others.
        #expect(try await search(backend, "component-value-quantity", "120|http://unitsofmeasure.org|mm[Hg]") == ["bp"])
        #expect(try await search(backend, "component-value-quantity", "16|http://unitsofmeasure.org|kPa").isEmpty)
        let repository = FHIRRepository(backend: backend, indexer: SearchIndexExtractor.shared, parameters: SearchIndexExtractor.shared)
        #expect(try await repository.reindex(batchSize: 1) == 1)
        #expect(try await search(backend, "component-code-value-quantity", "8462-4$120") == ["bp"])
        #expect(try await search(backend, "component-code-value-quantity", "8480-6$120").isEmpty)
        #expect(try await search(backend, "component-value-quantity", "16|http://unitsofmeasure.org|kPa") == ["bp"])
        #expect(try await search(backend, "_content", "pressure") == ["bp"])
        #expect(try await backend.read(type: "Observation", id: "bp")?.versionId == 1)
        // Reindexing again replaces the rows rather than adding to them.
        #expect(try await repository.reindex() == 1)
        #expect(try await backend.count(SearchCompiler(type: "Observation", parameters: SearchIndexExtractor.shared, lenient: false)
            .compile([SearchParameterValue(name: "component-code-value-quantity", modifier: nil, value: "8462-4$120")], defaultCount: 20, maxCount: 100).query) == 1)
    }

    /// A new SQLite file named `name` in a directory of its own, written by `prepare` before any backend opens it.
    static func sqliteFile(_ name: String, _ prepare: (SQLiteConnection) throws -> Void) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kq-upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try prepare(try SQLiteConnection(path: path))
        return path
    }

    @Test("SQLite: a schema-1 database migrates to schema 5 and reindexes")
    func sqlite() async throws {
        let path = try Self.sqliteFile("v1.sqlite") { conn in
            for statement in Self.schemaOne(.sqlite) { try conn.execute(statement) }
        }
        let backend = try SQLiteBackend(path: path)
        try await Self.upgradeAndReindex(backend)
        await backend.close()
    }

    @Test("SQLite: schema 6 clusters audit_patient on its key and keeps every patient link")
    func sqliteAuditPatientClustered() async throws {
        let path = try Self.sqliteFile("v5.sqlite") { conn in
            try conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            for m in Schema.migrations(.sqlite) where m.version <= 5 {
                for statement in m.statements { try conn.execute(statement) }
                try conn.execute("INSERT INTO schema_version (version) VALUES (\(m.version))")
            }
            for aid in 1...3 {
                try conn.execute("INSERT INTO audit_event (aid, recorded, action, outcome, patients, record) VALUES (\(aid), 0, 'R', 0, 'p\(aid) q', x'7b7d')")
                try conn.execute("INSERT INTO audit_patient (patient, aid) VALUES ('p\(aid)', \(aid)), ('q', \(aid))")
            }
        }
        let backend = try SQLiteBackend(path: path)
        try await backend.migrate()
        await backend.close()
        let conn = try SQLiteConnection(path: path)
        var definition = ""
        try conn.query("SELECT sql FROM sqlite_master WHERE name = 'audit_patient'") { definition = $0.text(0) ?? "" }
        #expect(definition.contains("WITHOUT ROWID"))
        var links: [String] = []
        try conn.query("SELECT patient || '/' || aid FROM audit_patient ORDER BY patient, aid") { links.append($0.text(0) ?? "") }
        #expect(links == ["p1/1", "p2/2", "p3/3", "q/1", "q/2", "q/3"])
        var version: Int64 = 0
        try conn.query("SELECT max(version) FROM schema_version") { version = $0.int(0) }
        #expect(version == Int64(Schema.version))
    }

    @Test("PostgreSQL: a schema-1 database migrates to schema 5 and reindexes", .enabled(if: PostgresTestDatabase.isEnabled))
    func postgres() async throws {
        let url = try #require(PostgresTestDatabase.url)
        let schema = "kq_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let backend = try await PostgresBackend.connect(url: url, poolSize: 2, schema: schema)
        do {
            for statement in Self.schemaOne(.postgres) { try await backend.execute(statement) }
            try await Self.upgradeAndReindex(backend)
        } catch {
            try? await backend.dropSchema()
            await backend.close()
            throw error
        }
        try await backend.dropSchema()
        await backend.close()
    }
}

extension SearchIndexExtractor {
    /// One extractor for the tests of this file (compiling every expression takes a moment).
    static let shared = SearchIndexExtractor()
}
