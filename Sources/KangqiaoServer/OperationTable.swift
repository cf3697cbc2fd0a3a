import FHIRCore
import FHIRStore

/// One FHIR operation (`$name`) the dispatcher offers, at the system, type or instance level.
/// Each capability declares its operations in its own file (`static var …Operations`), and
/// `OperationRoute.all` lists them, so adding one never touches the REST routing.
struct OperationRoute: Sendable {
    enum Level: Sendable, Hashable { case system, type, instance }

    /// With its `$`, e.g. `$match`.
    let name: String
    /// The resource types it applies to; nil for any type (and for system-level operations).
    let types: Set<String>?
    let levels: Set<Level>
    let methods: Set<String>
    let run: @Sendable (FHIRDispatcher, OperationCall) async throws -> FHIRHTTPResponse

    func matches(name: String, type: String?, level: Level, method: String) -> Bool {
        guard self.name == name, levels.contains(level), methods.contains(method) else { return false }
        guard let types, let type else { return true }
        return types.contains(type)
    }

    /// The canonical OperationDefinition the CapabilityStatement names: the specification's for the
    /// operations FHIR defines, Kangqiao's own otherwise.
    var definition: String {
        let code = String(name.dropFirst())
        let standard: [String: String] = [
            "$match": "Patient-match", "$lookup": "CodeSystem-lookup", "$expand": "ValueSet-expand", "$translate": "ConceptMap-translate",
            "$validate-code": (types?.contains("CodeSystem") == true ? "CodeSystem-validate-code" : "ValueSet-validate-code"),
        ]
        if name == "$export" { return "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export" }
        if let id = standard[name] { return "http://hl7.org/fhir/OperationDefinition/" + id }
        return "https://kangqiao.org/fhir/OperationDefinition/" + code
    }

    /// Every operation of the product, in the order they are tried.
    static var all: [OperationRoute] {
        signatureOperations + exportOperations + healthCardOperations + identityOperations + terminologyOperations
    }
}

/// What an operation is called with: the request, and the type and id of its target when it has one.
struct OperationCall: Sendable {
    let request: FHIRHTTPRequest
    let type: String?
    let id: String?

    /// The `Parameters` body of a POST, or the query parameters of a GET, as name → values.
    func parameters() throws -> [String: [JSON]] {
        var out: [String: [JSON]] = [:]
        if request.method == "POST", !request.body.isEmpty {
            guard let body = try? JSONParser.parse(request.body) else { throw FHIRError(status: 400, code: .structure, "the body is not valid JSON") }
            guard body["resourceType"]?.stringValue == "Parameters" else {
                throw FHIRError.badRequest("the body of \(type.map { "\($0)/" } ?? "")\(id.map { "\($0)/" } ?? "")operation must be a Parameters resource")
            }
            for p in body["parameter"]?.arrayValue ?? [] {
                guard let name = p["name"]?.stringValue else { continue }
                out[name, default: []].append(p)
            }
        }
        for pair in SearchRequest.pairs(request.query) where pair.raw != "_format" && pair.raw != "_pretty" {
            out[pair.raw, default: []].append(.object(JSONObject([("name", .string(pair.raw)), ("valueString", .string(pair.value))])))
        }
        return out
    }
}

extension OperationRoute {
    static var signatureOperations: [OperationRoute] {
        [
            OperationRoute(name: "$sign", types: nil, levels: [.instance], methods: ["POST"]) { d, call in
                try await d.sign(type: call.type!, id: call.id!, call.request)
            },
            OperationRoute(name: "$verify-signature", types: nil, levels: [.instance], methods: ["GET"]) { d, call in
                try await d.verifySignature(type: call.type!, id: call.id!, call.request)
            },
        ]
    }
}
