import FHIRCore
import FHIRStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The HTTP face of Kangqiao: FHIR at `/fhir`, `GET /health`. One request pipeline: every FHIR call
/// goes through `FHIRDispatcher`, whose repository runs the interaction hooks.
public struct KangqiaoApplication: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// Requests with larger bodies are refused with 413 (a 10,000-entry bundle fits).
        public var maxBodyBytes: Int
        /// Overrides the base URL derived from the Host header (behind a proxy).
        public var publicBaseURL: String?

        public init(host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 << 20, publicBaseURL: String? = nil) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.publicBaseURL = publicBaseURL
        }
    }

    public let dispatcher: FHIRDispatcher
    public let configuration: Configuration

    public init(dispatcher: FHIRDispatcher, configuration: Configuration) {
        self.dispatcher = dispatcher
        self.configuration = configuration
    }

    /// The router with every route; tests drive it through HummingbirdTesting.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let dispatcher = self.dispatcher
        let configuration = self.configuration
        router.get("/health") { _, _ -> Response in
            do {
                try await dispatcher.repository.backend.ping()
                return Self.response(FHIRHTTPResponse(status: 200, headers: [("Content-Type", "application/json")],
                                                      body: Array(#"{"status":"ok","database":"\#(dispatcher.repository.backend.name)"}"#.utf8)))
            } catch {
                return Self.response(.outcome(FHIRError(status: 503, code: .transient, "database unavailable: \(error)")))
            }
        }
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            var request = request
            return Self.response(await Self.dispatch(&request, context: context, dispatcher: dispatcher, configuration: configuration))
        }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch, .head] {
            router.on("/fhir", method: method, use: handler)
            router.on("/fhir/**", method: method, use: handler)
        }
        return router
    }

    static func dispatch(_ request: inout Request, context: BasicRequestContext, dispatcher: FHIRDispatcher, configuration: Configuration) async -> FHIRHTTPResponse {
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        var body: [UInt8] = []
        if request.method != .get && request.method != .head {
            do {
                let buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
                body = Array(buffer.readableBytesView)
            } catch {
                return .outcome(FHIRError(status: 413, code: .tooLong, "the request body is larger than \(configuration.maxBodyBytes) bytes"))
            }
        }
        let path = request.uri.path
        var segments = path.split(separator: "/", omittingEmptySubsequences: true).map { SearchRequestDecoding.decode(String($0)) }
        if segments.first == "fhir" { segments.removeFirst() }
        let base = configuration.publicBaseURL ?? "http://\(headers["host"] ?? "\(configuration.host):\(configuration.port)")/fhir"
        let fhirRequest = FHIRHTTPRequest(
            method: request.method.rawValue == "HEAD" ? "GET" : request.method.rawValue, segments: segments, query: request.uri.query ?? "",
            headers: headers, body: body, baseURL: base,
            context: RequestContext(requestId: context.id))
        return await dispatcher.handle(fhirRequest)
    }

    static func response(_ r: FHIRHTTPResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in r.headers {
            if let n = HTTPField.Name(name) { fields.append(HTTPField(name: n, value: value)) }
        }
        let buffer = ByteBuffer(bytes: r.body)
        return Response(status: HTTPResponse.Status(code: r.status), headers: fields, body: ResponseBody(byteBuffer: buffer))
    }

    /// The Hummingbird application listening on the configured address.
    public func application(logger: Logger) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Kangqiao"),
            logger: logger)
    }
}

/// Percent-decoding of path segments (ids and types never need it, but clients may escape `$`).
enum SearchRequestDecoding {
    static func decode(_ s: String) -> String {
        guard s.contains("%") else { return s }
        return s.removingPercentEncoding ?? s
    }
}
