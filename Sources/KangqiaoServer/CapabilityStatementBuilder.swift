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
            if r.type == "Patient" {
                o["operation"] = [["name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"],
                                  ["name": "match", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-match"]]
            }
            resourceEntries.append(.object(o))
        }
        let rest: JSON = [
            "mode": "server",
            "resource": .array(resourceEntries),
            "interaction": [["code": "transaction"], ["code": "batch"], ["code": "history-system"], ["code": "search-system"]],
            "operation": [["name": "validate", "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"]],
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
}
