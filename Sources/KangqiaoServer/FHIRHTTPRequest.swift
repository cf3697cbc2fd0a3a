import FHIRCore
import FHIRStore
import Foundation

/// An HTTP request reduced to what FHIR dispatch needs, so the FHIR layer is testable without a socket.
public struct FHIRHTTPRequest: Sendable {
    public var method: String
    /// Path segments below the FHIR base (`["Patient", "123", "_history", "2"]`).
    public var segments: [String]
    /// The raw query string, without `?`.
    public var query: String
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The FHIR base URL as clients see it (`http://host:port/fhir`).
    public var baseURL: String
    public var context: RequestContext

    public init(method: String, segments: [String], query: String, headers: [String: String], body: [UInt8], baseURL: String, context: RequestContext = RequestContext()) {
        self.method = method
        self.segments = segments
        self.query = query
        self.headers = headers
        self.body = body
        self.baseURL = baseURL
        self.context = context
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// `Prefer: return=minimal|representation|OperationOutcome`, default representation.
    var preferReturn: String {
        preferences["return"] ?? "representation"
    }

    /// `Prefer: handling=lenient` (search.html#errors).
    var lenient: Bool { preferences["handling"] == "lenient" }

    var preferences: [String: String] {
        guard let prefer = header("prefer") else { return [:] }
        var result: [String: String] = [:]
        for part in prefer.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            let kv = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
            if kv.count == 2 { result[kv[0].lowercased()] = kv[1] }
        }
        return result
    }

    /// The query parameters with `_format` and `_pretty` read (they apply to any interaction).
    var formatParameters: (format: String?, pretty: Bool) {
        var format: String?
        var pretty = false
        for p in SearchRequest.pairs(query) {
            if p.name == "_format" { format = p.value }
            if p.name == "_pretty" { pretty = p.value == "true" }
        }
        return (format, pretty)
    }
}

/// The FHIR answer before it becomes an HTTP response.
public struct FHIRHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    static func outcome(_ error: FHIRError) -> FHIRHTTPResponse {
        FHIRHTTPResponse(status: error.status, headers: [("Content-Type", FHIRMediaType.fhirJSON)], body: JSONWriter.bytes(error.outcome))
    }
}

enum FHIRMediaType {
    static let fhirJSON = "application/fhir+json; charset=utf-8"

    /// JSON flavours we accept on input and honour in `_format`.
    static func isJSON(_ value: String) -> Bool {
        let v = value.lowercased().split(separator: ";").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
        return ["json", "application/json", "application/fhir+json", "application/json+fhir", "text/json"].contains(v)
    }

    static func isXML(_ value: String) -> Bool {
        let v = value.lowercased()
        return v.contains("xml")
    }
}
