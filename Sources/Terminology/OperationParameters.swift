import FHIRCore

/// The input of a terminology operation: `Parameters.parameter` entries by name (a GET's query
/// values arrive as `valueString`). Reads values whatever `value[x]` type the client chose.
public struct OperationParameters: Sendable {
    public let entries: [String: [JSON]]

    public init(_ entries: [String: [JSON]]) { self.entries = entries }

    private static let scalarKeys = ["valueString", "valueUri", "valueCode", "valueCanonical", "valueUrl", "valueId", "valueMarkdown"]

    /// The text of the first `name` parameter; 400 when it is given twice with different values.
    public func string(_ name: String) throws -> String? {
        let values = (entries[name] ?? []).compactMap { e -> String? in
            for k in Self.scalarKeys { if let s = e[k]?.stringValue { return s } }
            if let n = e["valueInteger"]?.numberValue { return n.text }
            if let b = e["valueBoolean"]?.boolValue { return b ? "true" : "false" }
            return nil
        }
        if Set(values).count > 1 { throw FHIRError.badRequest("parameter \(name) is given more than once", expression: [name]) }
        return values.first
    }

    /// Every text value of `name` (for repeated parameters such as `property`).
    public func strings(_ name: String) -> [String] {
        (entries[name] ?? []).compactMap { e in Self.scalarKeys.lazy.compactMap { e[$0]?.stringValue }.first }
    }

    /// A non-negative integer parameter (`count`, `offset`); 400 for anything else.
    public func count(_ name: String) throws -> Int? {
        guard let text = try string(name) else { return nil }
        guard let n = Int(text), n >= 0 else {
            throw FHIRError.badRequest("\(name) must be a non-negative integer, not '\(text)'", expression: [name])
        }
        return n
    }

    public func bool(_ name: String) throws -> Bool? {
        guard let text = try string(name) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw FHIRError.badRequest("\(name) must be true or false, not '\(text)'", expression: [name])
        }
    }

    public func coding(_ name: String) -> Coding? {
        entries[name]?.first?["valueCoding"].map(Coding.init(json:))
    }

    public func codeableConcept(_ name: String) -> [Coding] {
        (entries[name]?.first?["valueCodeableConcept"]?["coding"]?.arrayValue ?? []).map(Coding.init(json:))
    }

    public func resource(_ name: String) -> JSON? { entries[name]?.first?["resource"] }

    /// The codings to check: `coding`, else `codeableConcept`, else `code` with `system`/`version`/`display`.
    /// `systemParameter` is `system` for CodeSystem/ValueSet operations (`url` names the code system instead for CodeSystem/$validate-code).
    public func codings(systemParameter: String = "system") throws -> [Coding] {
        if let c = coding("coding") { return [c] }
        let concept = codeableConcept("codeableConcept")
        if !concept.isEmpty { return concept }
        guard let code = try string("code") else { return [] }
        return [Coding(system: try string(systemParameter), version: try string("version"), code: code, display: try string("display"))]
    }
}

/// Builds the `Parameters` resource an operation answers.
struct ParametersBuilder {
    private var parameters: [JSON] = []

    mutating func add(_ name: String, _ key: String, _ value: JSON) {
        parameters.append(.object(JSONObject([("name", .string(name)), (key, value)])))
    }

    mutating func add(_ name: String, string value: String?) {
        if let value { add(name, "valueString", .string(value)) }
    }

    mutating func add(_ name: String, parts: [JSON]) {
        parameters.append(.object(JSONObject([("name", .string(name)), ("part", .array(parts))])))
    }

    static func part(_ name: String, _ key: String, _ value: JSON) -> JSON {
        .object(JSONObject([("name", .string(name)), (key, value)]))
    }

    var json: JSON { .object(JSONObject([("resourceType", "Parameters"), ("parameter", .array(parameters))])) }
}
