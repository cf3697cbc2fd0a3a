import FHIRCore
import Foundation

/// Builds `GET /metadata`: a CapabilityStatement that says exactly what this server supports.
public struct CapabilityStatementBuilder: Sendable {
    /// The resource types served and, per type, the search parameters (code, type) that work.
    public var resources: [(type: String, searchParameters: [(code: String, type: String)])]
    public var software: String
    public var version: String
    /// Per type, the `_include` values the server answers (`searchInclude`).
    public var searchIncludes: [String: [String]] = [:]
    /// Per type, the `_revinclude` values the server answers (`searchRevInclude`).
    public var searchRevIncludes: [String: [String]] = [:]

    public init(resources: [(type: String, searchParameters: [(code: String, type: String)])], software: String = "Kangqiao", version: String = "0.1.0") {
        self.resources = resources
        self.software = software
        self.version = version
    }

    static let interactions = ["read", "vread", "update", "delete", "history-instance", "history-type", "create", "search-type"]

    public func statement(baseURL: String) -> JSON {
        var resourceEntries: [JSON] = []
        for r in resources {
            var o = JSONObject()
            o["type"] = .string(r.type)
            o["interaction"] = .array(Self.interactions.map { ["code": .string($0)] })
            o["versioning"] = "versioned-update"
            o["readHistory"] = true
            o["updateCreate"] = true
            o["conditionalCreate"] = true
            o["conditionalUpdate"] = true
            o["conditionalDelete"] = "single"
            if !r.searchParameters.isEmpty {
                o["searchParam"] = .array(r.searchParameters.map { ["name": .string($0.code), "type": .string($0.type)] })
            }
            if let includes = searchIncludes[r.type], !includes.isEmpty { o["searchInclude"] = .array(includes.map { .string($0) }) }
            if let revIncludes = searchRevIncludes[r.type], !revIncludes.isEmpty { o["searchRevInclude"] = .array(revIncludes.map { .string($0) }) }
            var operations: [JSON] = r.type == "Patient"
                ? [["name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"]] : []
            var named: Set<String> = ["everything"]
            for op in OperationRoute.all where op.types?.contains(r.type) == true && named.insert(String(op.name.dropFirst())).inserted {
                operations.append(["name": .string(String(op.name.dropFirst())), "definition": .string(op.definition)])
            }
            if !operations.isEmpty { o["operation"] = .array(operations) }
            resourceEntries.append(.object(o))
        }
        let rest: JSON = [
            "mode": "server",
            "resource": .array(resourceEntries),
            "interaction": [["code": "transaction"], ["code": "batch"], ["code": "history-system"], ["code": "search-system"]],
            "operation": .array(Self.systemOperations),
        ]
        return [
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": .string(String(InstantFormat.string(millis: Int64(Date().timeIntervalSince1970 * 1000)).prefix(10))),
            "kind": "instance",
            "software": ["name": .string(software), "version": .string(version)],
            "implementation": ["description": "Kangqiao regional health information platform", "url": .string(baseURL)],
            "fhirVersion": "4.0.1",
            "format": ["application/fhir+json", "json"],
            "rest": [rest],
        ]
    }

    /// Operations on every type or on the whole server (`$validate`, `$export`, `$sign` …).
    static var systemOperations: [JSON] {
        var out: [JSON] = [["name": "validate", "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"]]
        var named: Set<String> = ["validate"]
        for op in OperationRoute.all where op.types == nil && named.insert(String(op.name.dropFirst())).inserted {
            out.append(["name": .string(String(op.name.dropFirst())), "definition": .string(op.definition)])
        }
        return out
    }
}
