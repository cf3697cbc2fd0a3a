import FHIRCore
import Foundation

/// What a catalogue file or a FHIR terminology resource holds.
public enum CatalogueEntry: Sendable {
    case codeSystem(CodeSystemContent)
    case valueSet(ValueSetDefinition)
    case conceptMap(ConceptMapDefinition)

    public var url: String? {
        switch self {
        case .codeSystem(let c): return c.url
        case .valueSet(let v): return v.url
        case .conceptMap(let m): return m.url
        }
    }

    /// The entry as a FHIR resource, for `kangqiao import` and for serving it.
    public var fhir: JSON {
        switch self {
        case .codeSystem(let c): return c.fhir
        case .valueSet(let v): return v.fhir
        case .conceptMap(let m): return m.fhir
        }
    }

    /// Reads a FHIR CodeSystem, ValueSet or ConceptMap.
    public init(fhir json: JSON) throws {
        switch json["resourceType"]?.stringValue {
        case "CodeSystem": self = .codeSystem(try CodeSystemContent(fhir: json))
        case "ValueSet": self = .valueSet(try ValueSetDefinition(fhir: json))
        case "ConceptMap": self = .conceptMap(try ConceptMapDefinition(fhir: json))
        case let other: throw FHIRError.badRequest("a terminology resource is a CodeSystem, ValueSet or ConceptMap, not \(other ?? "nothing")")
        }
    }
}

/// The catalogue file format (docs/catalogues.md): UTF-8, tab-separated; `#` lines are comments,
/// `#! key<TAB>value` lines are metadata, the first other line names the columns, each further line
/// is one concept (CodeSystem) or one mapping (ConceptMap).
public enum CatalogueFile {
    /// Parses one catalogue file; errors name the file and line.
    public static func parse(_ bytes: [UInt8], name: String) throws -> CatalogueEntry {
        var meta: [String: String] = [:]
        var properties: [PropertyDefinition] = []
        var columns: [String]?
        var rows: [(line: Int, cells: [String])] = []
        var lineNumber = 0
        func fail(_ message: String) -> FHIRError {
            FHIRError(status: 422, code: .invalid, "\(name):\(lineNumber): \(message)")
        }
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty { continue }
            let cells = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            if cells[0].hasPrefix("#!") {
                let key = cells[0].dropFirst(2).trimmingCharacters(in: .whitespaces)
                if key == "property" {
                    guard cells.count >= 3, let kind = PropertyDefinition.Kind(rawValue: cells[2]) else {
                        throw fail("a property line is `#! property<TAB>code<TAB>type[<TAB>description]` with type code, string, integer, decimal or boolean")
                    }
                    properties.append(PropertyDefinition(code: cells[1], kind: kind, description: cells.count > 3 ? cells[3] : nil))
                } else {
                    guard cells.count >= 2 else { throw fail("a metadata line is `#! key<TAB>value`") }
                    meta[key] = cells[1]
                }
                continue
            }
            if cells[0].hasPrefix("#") { continue }
            if columns == nil { columns = cells; continue }
            rows.append((lineNumber, cells))
        }
        guard let columns else { throw fail("no column header line") }
        guard let url = meta["url"] else { throw fail("the metadata names no url (`#! url<TAB>…`)") }
        switch meta["resourceType"] ?? "CodeSystem" {
        case "CodeSystem":
            return .codeSystem(try codeSystem(meta: meta, url: url, properties: properties, columns: columns, rows: rows, name: name))
        case "ConceptMap":
            return .conceptMap(try conceptMap(meta: meta, url: url, columns: columns, rows: rows, name: name))
        case let other:
            throw fail("resourceType \(other) cannot be written as a catalogue file (CodeSystem or ConceptMap; a ValueSet is a FHIR JSON file)")
        }
    }

    private static func note(_ meta: [String: String]) -> String? {
        let parts = [meta["source"].map { "Source: \($0)" }, meta["licence"].map { "Licence: \($0)" }].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: ". ")
    }

    private static func codeSystem(meta: [String: String], url: String, properties: [PropertyDefinition], columns: [String],
                                   rows: [(line: Int, cells: [String])], name: String) throws -> CodeSystemContent {
        guard columns.first == "code" else { throw FHIRError(status: 422, code: .invalid, "\(name): the first column of a code system file is `code`") }
        let kinds = Dictionary(properties.map { ($0.code, $0.kind) }, uniquingKeysWith: { a, _ in a })
        enum Column { case code, display, definition, designation(String), property(String, PropertyDefinition.Kind), ignored }
        let layout: [Column] = try columns.map { c in
            switch c {
            case "code": return .code
            case "display": return .display
            case "definition": return .definition
            case _ where c.hasPrefix("designation:"): return .designation(String(c.dropFirst("designation:".count)))
            case _ where c.hasPrefix("property:"):
                let code = String(c.dropFirst("property:".count))
                guard let kind = kinds[code] else {
                    throw FHIRError(status: 422, code: .invalid, "\(name): column \(c) has no `#! property` declaration")
                }
                return .property(code, kind)
            default: return .ignored
            }
        }
        var concepts: [TerminologyConcept] = []
        concepts.reserveCapacity(rows.count)
        var seen = Set<String>()
        for (line, cells) in rows {
            guard let code = cells.first, !code.isEmpty, !code.contains(" ") else {
                throw FHIRError(status: 422, code: .invalid, "\(name):\(line): a code is required and has no spaces")
            }
            guard seen.insert(code).inserted else { throw FHIRError(status: 422, code: .duplicate, "\(name):\(line): code \(code) appears twice") }
            var concept = TerminologyConcept(code: code, display: nil)
            for (i, column) in layout.enumerated() where i < cells.count && !cells[i].isEmpty {
                let cell = cells[i]
                switch column {
                case .code, .ignored: continue
                case .display: concept.display = cell
                case .definition: concept.definition = cell
                case .designation(let language): concept.designations.append(Designation(language: language, value: cell))
                case .property(let code, let kind):
                    let value: ConceptProperty.Value
                    switch kind {
                    case .code: value = .code(cell)
                    case .integer:
                        guard let n = Int(cell) else { throw FHIRError(status: 422, code: .invalid, "\(name):\(line): \(code) '\(cell)' is not an integer") }
                        value = .integer(n)
                    case .decimal:
                        guard JSONNumber(validating: cell) != nil else {
                            throw FHIRError(status: 422, code: .invalid, "\(name):\(line): \(code) '\(cell)' is not a decimal")
                        }
                        value = .decimal(cell)
                    case .boolean: value = .boolean(cell == "true" || cell == "1")
                    default: value = .string(cell)
                    }
                    concept.properties.append(ConceptProperty(code: code, value: value))
                }
            }
            concepts.append(concept)
        }
        return CodeSystemContent(id: meta["id"], url: url, version: meta["version"], name: meta["name"], title: meta["title"],
                                 status: meta["status"] ?? "active", publisher: meta["publisher"], valueSetURL: meta["valueSet"],
                                 caseSensitive: meta["caseSensitive"].map { $0 == "true" } ?? true, sourceNote: note(meta),
                                 propertyDefinitions: properties, concepts: concepts)
    }

    private static func conceptMap(meta: [String: String], url: String, columns: [String], rows: [(line: Int, cells: [String])],
                                   name: String) throws -> ConceptMapDefinition {
        let required = ["source_code", "target_code"]
        guard required.allSatisfy(columns.contains) else {
            throw FHIRError(status: 422, code: .invalid, "\(name): a concept map file has the columns source_code and target_code (and source_display, target_display, equivalence)")
        }
        func column(_ c: String) -> Int? { columns.firstIndex(of: c) }
        let (sc, sd, tc, td, eq) = (column("source_code")!, column("source_display"), column("target_code")!, column("target_display"), column("equivalence"))
        var elements: [ConceptMapDefinition.Element] = []
        var position: [String: Int] = [:]
        for (line, cells) in rows {
            func cell(_ i: Int?) -> String? { i.flatMap { $0 < cells.count && !cells[$0].isEmpty ? cells[$0] : nil } }
            guard let source = cell(sc) else { throw FHIRError(status: 422, code: .invalid, "\(name):\(line): source_code is required") }
            let target = ConceptMapDefinition.Target(code: cell(tc), display: cell(td), equivalence: cell(eq) ?? "equivalent", comment: nil)
            if let p = position[source] { elements[p].targets.append(target); continue }
            position[source] = elements.count
            elements.append(.init(code: source, display: cell(sd), targets: [target]))
        }
        return ConceptMapDefinition(id: meta["id"], url: url, version: meta["version"], name: meta["name"], title: meta["title"],
                                    status: meta["status"] ?? "active", sourceValueSet: meta["sourceValueSet"], targetValueSet: meta["targetValueSet"],
                                    sourceNote: note(meta),
                                    groups: [.init(source: meta["sourceSystem"], target: meta["targetSystem"], elements: elements)])
    }

    /// Every catalogue in a directory: `*.tsv` catalogue files and `*.json` FHIR CodeSystem, ValueSet
    /// or ConceptMap resources (or Bundles of them), in file-name order.
    public static func loadDirectory(_ directory: URL) throws -> [CatalogueEntry] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        var entries: [CatalogueEntry] = []
        for file in names where file.hasSuffix(".tsv") || file.hasSuffix(".json") {
            let url = directory.appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: url.path) else { throw FHIRError.badRequest("cannot read \(url.path)") }
            entries += try load([UInt8](data), name: file)
        }
        return entries
    }

    /// One file: a catalogue (.tsv) or FHIR JSON (a terminology resource or a Bundle of them).
    public static func load(_ bytes: [UInt8], name: String) throws -> [CatalogueEntry] {
        if name.hasSuffix(".tsv") { return [try parse(bytes, name: name)] }
        let json = try JSONParser.parse(bytes)
        if json["resourceType"]?.stringValue == "Bundle" {
            return try (json["entry"]?.arrayValue ?? []).compactMap { $0["resource"] }.map { try CatalogueEntry(fhir: $0) }
        }
        return [try CatalogueEntry(fhir: json)]
    }
}
