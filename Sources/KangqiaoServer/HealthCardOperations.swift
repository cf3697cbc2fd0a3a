import Access
import ChinaReference
import FHIRCore
import FHIRStore
import Foundation
import HealthCard
import QRCode

/// The e-health card's policy and clock as the server runs them (tests move the clock).
public struct HealthCardSettings: Sendable {
    public var policy: HealthCardPolicy
    /// Unix seconds.
    public var clock: @Sendable () -> Int64

    public init(policy: HealthCardPolicy = HealthCardPolicy(), clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.policy = policy
        self.clock = clock
    }
}

/// The e-health card's operations (issue 6, R-HC-1, R-HC-2):
/// - `POST Patient/{id}/$health-card` issues the person's card, or answers the one they have;
///   `GET` answers it without issuing;
/// - `GET Patient/{id}/$health-card-qr?kind=static|dynamic&format=png|svg|text&scale=N` draws its code;
/// - `POST $verify-health-card` (Parameters `code`, `scene`, `organization`) tells a hospital,
///   clinic or pharmacy who the cardholder is, and records the scene in the audit trail.
extension OperationRoute {
    static var healthCardOperations: [OperationRoute] {
        [
            OperationRoute(name: "$health-card", types: ["Patient"], levels: [.instance], methods: ["POST", "GET"]) { d, call in
                try await d.healthCard(patientID: call.id ?? "", call)
            },
            OperationRoute(name: "$health-card-qr", types: ["Patient"], levels: [.instance], methods: ["GET"]) { d, call in
                try await d.healthCardQR(patientID: call.id ?? "", call)
            },
            OperationRoute(name: "$verify-health-card", types: nil, levels: [.system], methods: ["POST"]) { d, call in
                try await d.verifyHealthCard(call)
            },
        ]
    }
}

extension FHIRDispatcher {
    /// The platform key signs every card code; it needs the access service's key store.
    func healthCardService() throws -> HealthCardService {
        guard let keys = signingKeys else { throw FHIRError(status: 501, code: .notSupported, "e-health cards need the access service") }
        return HealthCardService(
            repository: repository, policy: healthCards.policy,
            signingKey: { try await keys.platformKey(purpose: "health-card") }, clock: healthCards.clock)
    }

    func healthCard(patientID: String, _ call: OperationCall) async throws -> FHIRHTTPResponse {
        let service = try healthCardService()
        let context = call.request.context
        let card = call.request.method == "GET"
            ? try await service.card(patientID: patientID, context: context)
            : try await service.issue(patientID: patientID, context: context)
        return json(card.created ? 201 : 200, Self.parameters([
            ("cardNumber", "valueIdentifier", .object(JSONObject([
                ("system", .string(ChinaProfile.IdentifierSystem.healthCard)), ("value", .string(card.number.value)),
            ]))),
            ("patient", "valueReference", .object(JSONObject([("reference", .string("Patient/" + card.master.id))]))),
            ("created", "valueBoolean", .bool(card.created)),
        ]))
    }

    func healthCardQR(patientID: String, _ call: OperationCall) async throws -> FHIRHTTPResponse {
        let service = try healthCardService()
        let parameters = try call.parameters()
        func value(_ name: String) -> String? { parameters[name]?.first?["valueString"]?.stringValue }
        guard let kind = HealthCardCode.Kind(rawValue: value("kind") ?? "static") else {
            throw FHIRError.badRequest("kind must be static or dynamic", expression: ["kind"])
        }
        let format = value("format") ?? "png"
        guard ["png", "svg", "text"].contains(format) else { throw FHIRError.badRequest("format must be png, svg or text", expression: ["format"]) }
        let policy = service.policy
        let scale = try value("scale").map { text in
            guard let n = Int(text), (1...policy.qrMaxScale).contains(n) else {
                throw FHIRError.badRequest("scale must be a whole number of pixels per module from 1 to \(policy.qrMaxScale)", expression: ["scale"])
            }
            return n
        } ?? policy.qrDefaultScale
        try await repository.authorize(.operation, target: ResourceKey(type: "Patient", id: patientID), context: call.request.context)
        let made = try await service.code(patientID: patientID, kind: kind, context: call.request.context)
        // A code is personal and short-lived: never kept by a cache.
        var headers = [("Cache-Control", "no-store")]
        if let expires = made.code.expiresAt { headers.append(("Expires", InstantFormat.httpDate(millis: expires * 1000))) }
        if format == "text" {
            return FHIRHTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Array(made.payload.utf8))
        }
        let image = QRImage(try QRCode(text: made.payload, errorCorrection: policy.qrErrorCorrection), scale: scale)
        return format == "svg"
            ? FHIRHTTPResponse(status: 200, headers: [("Content-Type", "image/svg+xml")] + headers, body: Array(image.svg().utf8))
            : FHIRHTTPResponse(status: 200, headers: [("Content-Type", "image/png")] + headers, body: image.png())
    }

    func verifyHealthCard(_ call: OperationCall) async throws -> FHIRHTTPResponse {
        let service = try healthCardService()
        let parameters = try call.parameters()
        func string(_ name: String, _ types: [String]) -> String? {
            guard let p = parameters[name]?.first else { return nil }
            return types.lazy.compactMap { p[$0]?.stringValue }.first ?? p["valueReference"]?["reference"]?.stringValue
        }
        guard let code = string("code", ["valueString"]), !code.isEmpty else {
            throw FHIRError.badRequest("the parameter 'code' (valueString, the scanned text) is required", expression: ["code"])
        }
        guard let sceneCode = string("scene", ["valueCode", "valueString"]) ?? parameters["scene"]?.first?["valueCoding"]?["code"]?.stringValue else {
            throw FHIRError.badRequest("the parameter 'scene' (registration, consultation, dispensing, payment, record-access) is required",
                                       expression: ["scene"])
        }
        var context = call.request.context
        let organization = string("organization", ["valueString"]) ?? context.principal?.organization
        let scene = HealthCardScene(rawValue: sceneCode)
        context.purpose = "e-health card scanned for \(scene.map { "\($0.rawValue) (\($0.chineseName))" } ?? sceneCode)"
            + (organization.map { " at \($0)" } ?? "")
        let outcome = try await service.verify(payload: code, scene: sceneCode, organization: organization, context: context)
        let audit = repository.hooks.lazy.compactMap { $0 as? AuditTrail }.first
        switch outcome {
        case .refused(let error, let patient):
            // The scan is recorded with the patient it named (a replay shows in their access log).
            try await audit?.record(action: "verify-health-card", outcome: 4, records: patient.map { [$0] } ?? [], context: context,
                                    detail: "refused: " + error.issues.map(\.diagnostics).joined(separator: "; "))
            throw error
        case .accepted(let accepted):
            try await audit?.record(action: "verify-health-card", outcome: 0, records: [accepted.master], context: context,
                                    detail: "accepted: \(accepted.code.kind.rawValue) code of card \(accepted.identity.cardNumber)")
            return json(200, Self.verificationParameters(accepted))
        }
    }

    static func verificationParameters(_ a: HealthCardVerification.Acceptance) -> JSON {
        let identity = a.identity
        var list: [(String, String, JSON)] = [
            ("valid", "valueBoolean", .bool(true)),
            ("kind", "valueCode", .string(a.code.kind.rawValue)),
            ("patient", "valueReference", .object(JSONObject(
                [("reference", .string(identity.patient))] + (identity.name.map { [("display", JSON.string($0))] } ?? [])))),
            ("cardNumber", "valueIdentifier", .object(JSONObject([
                ("system", .string(ChinaProfile.IdentifierSystem.healthCard)), ("value", .string(identity.cardNumber.value)),
            ]))),
            ("scene", "valueCoding", .object(JSONObject([
                ("system", .string(ChinaProfile.CodeSystem.healthCardScene)), ("code", .string(a.scene.rawValue)), ("display", .string(a.scene.chineseName)),
            ]))),
        ]
        if let name = identity.name { list.append(("name", "valueString", .string(name))) }
        if let masked = identity.maskedResidentID { list.append(("residentId", "valueString", .string(masked))) }
        if let organization = a.organization {
            list.append(("organization", "valueReference", .object(JSONObject([("reference", .string(organization))]))))
        }
        if let expires = a.code.expiresAt { list.append(("expires", "valueInstant", .string(InstantFormat.string(millis: expires * 1000)))) }
        return parameters(list)
    }

    static func parameters(_ list: [(name: String, type: String, value: JSON)]) -> JSON {
        .object(JSONObject([
            ("resourceType", "Parameters"),
            ("parameter", .array(list.map { .object(JSONObject([("name", .string($0.name)), ($0.type, $0.value)])) })),
        ]))
    }
}
