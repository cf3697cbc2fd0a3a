import Access
import FHIRCore
import FHIRStore
import Foundation

/// `POST /fhir/<Type>/<id>/$sign` signs the current version with the caller's own key and stores
/// the Provenance; `GET /fhir/<Type>/<id>/$verify-signature` checks the resource against every
/// signature that targets it (issue 5, electronic signatures; R-SEC-3).
extension FHIRDispatcher {
    func sign(type: String, id: String, _ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        guard let keys = signingKeys else { throw FHIRError(status: 501, code: .notSupported, "signatures need the access service") }
        guard let principal = r.context.principal, principal.fhirUser != nil,
            principal.roles.contains(where: { Role(rawValue: $0).map { $0.isClinical || $0 == .administrator } ?? false })
        else { throw FHIRError(status: 403, code: .forbidden, "a clinical document is signed by a person in a clinical role, linked to their Practitioner") }
        var reason: String?
        var signatureType = ElectronicSignature.authorSignature
        if !r.body.isEmpty {
            let parameters = try JSONParser.parse(r.body)
            for p in parameters["parameter"]?.arrayValue ?? [] {
                switch p["name"]?.stringValue {
                case "reason": reason = p["valueString"]?.stringValue
                case "type" where p["valueCode"]?.stringValue == "verification": signatureType = ElectronicSignature.verificationSignature
                default: continue
                }
            }
        }
        let record = try await repository.read(type: type, id: id, context: r.context)
        let provenance = try await ElectronicSignature.provenance(
            signing: record, by: principal, keys: keys, signatureType: signatureType, reason: reason,
            now: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
        let created = try await repository.create(type: "Provenance", resource: provenance, context: r.context)
        return resource(201, created.record)
    }

    func verifySignature(type: String, id: String, _ r: FHIRHTTPRequest) async throws -> FHIRHTTPResponse {
        guard let keys = signingKeys else { throw FHIRError(status: 501, code: .notSupported, "signatures need the access service") }
        let current = try await repository.read(type: type, id: id, context: r.context)
        try await repository.authorize(.search, target: ResourceKey(type: "Provenance", id: ""), context: r.context)
        var provenances: [ResourceRecord] = []
        var page = try await repository.backend.search(StoreQuery(
            type: "Provenance", filters: [[.reference(param: "target", targetType: type, targetId: id, url: nil)]], count: 100))
        provenances += page.records
        while let next = page.next, provenances.count < 1_000 {
            page = try await repository.backend.search(StoreQuery(
                type: "Provenance", filters: [[.reference(param: "target", targetType: type, targetId: id, url: nil)]], count: 100,
                after: next))
            provenances += page.records
        }
        try await repository.performed(.search, records: provenances, context: r.context)
        let backend = repository.backend
        let checks = try await ElectronicSignature.verify(current, provenances: provenances, history: { version in
            try await backend.readVersion(type: type, id: id, versionId: version)
        }, keys: keys)
        let valid = !checks.isEmpty && checks.allSatisfy(\.valid)
        var parameters: [JSON] = [.object(JSONObject([("name", "valid"), ("valueBoolean", .bool(valid))]))]
        if checks.isEmpty { parameters.append(.object(JSONObject([("name", "message"), ("valueString", "the resource has no signature")]))) }
        for c in checks {
            parameters.append(.object(JSONObject([
                ("name", "signature"),
                ("part", .array([
                    .object(JSONObject([("name", "provenance"), ("valueReference", .object(JSONObject([("reference", .string(c.provenance))])))])),
                    .object(JSONObject([("name", "signer"), ("valueString", .string(c.signer))])),
                    .object(JSONObject([("name", "version"), ("valueInteger", .number(JSONNumber(c.signedVersion)))])),
                    .object(JSONObject([("name", "valid"), ("valueBoolean", .bool(c.valid))])),
                    .object(JSONObject([("name", "message"), ("valueString", .string(c.reason))])),
                ])),
            ])))
        }
        return json(200, .object(JSONObject([("resourceType", "Parameters"), ("parameter", .array(parameters))])))
    }
}
