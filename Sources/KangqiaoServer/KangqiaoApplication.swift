import Access
import FHIRCore
import FHIRStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The HTTP face of Kangqiao: FHIR at `/fhir`, `GET /health`, the OAuth/SMART endpoints under `/auth`.
/// One request pipeline: every FHIR call is authenticated here (a verified access token, except
/// `GET /fhir/metadata`), then goes through `FHIRDispatcher`, whose repository runs the interaction
/// hooks (scope enforcement, and the rest of access control and audit).
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
    /// Who may call: nil only for in-process use without a network face (benchmark baselines);
    /// `kangqiao serve` always has one.
    public let access: AccessService?

    public init(dispatcher: FHIRDispatcher, configuration: Configuration, access: AccessService?) {
        self.dispatcher = dispatcher
        self.configuration = configuration
        self.access = access
    }

    /// The router with every route; tests drive it through HummingbirdTesting.
    public func router() -> Router<KangqiaoRequestContext> {
        let router = Router(context: KangqiaoRequestContext.self)
        var signing = self.dispatcher
        if let access { signing.signingKeys = access.personalSigningKeys }
        let dispatcher = signing
        let configuration = self.configuration
        let access = self.access
        let audit = dispatcher.repository.hooks.lazy.compactMap { $0 as? AuditTrail }.first
        if let access {
            AccessRoutes(access: access, configuration: configuration, audit: audit).register(on: router)
            LoginPage.register(on: router)
        }
        router.get("/health") { _, _ -> Response in
            do {
                try await dispatcher.repository.backend.ping()
                return Self.response(FHIRHTTPResponse(status: 200, headers: [("Content-Type", "application/json")],
                                                      body: Array(#"{"status":"ok","database":"\#(dispatcher.repository.backend.name)"}"#.utf8)))
            } catch {
                return Self.response(.outcome(FHIRError(status: 503, code: .transient, "database unavailable: \(error)")))
            }
        }
        let inProgress = (dispatcher.repository.backend as? any AuditJournaling)?.requestsInProgress
        let handler: @Sendable (Request, KangqiaoRequestContext) async throws -> Response = { request, context in
            inProgress?.begin()
            defer { inProgress?.end() }
            var request = request
            return Self.response(
                await Self.dispatch(&request, context: context, dispatcher: dispatcher, configuration: configuration, access: access, audit: audit))
        }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch, .head] {
            router.on("/fhir", method: method, use: handler)
            router.on("/fhir/**", method: method, use: handler)
        }
        return router
    }

    static func dispatch(
        _ request: inout Request, context: KangqiaoRequestContext, dispatcher: FHIRDispatcher, configuration: Configuration,
        access: AccessService?, audit: AuditTrail?
    ) async -> FHIRHTTPResponse {
        let started = ContinuousClock.now
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
        var principal: Principal?
        let isPublic = segments == ["metadata"] && (request.method == .get || request.method == .head)
        let requestLine = "\(request.method.rawValue) \(path)" + ((request.uri.query ?? "").isEmpty ? "" : "?" + (request.uri.query ?? ""))
        if let access, !isPublic {
            switch await Self.authenticate(headers["authorization"], access: access) {
            case .allowed(let p): principal = p
            case .refused(let refusal):
                let refused = FHIRStore.RequestContext(
                    requestId: context.id, sourceAddress: context.sourceAddress, requestLine: requestLine, started: started)
                return await Self.audited(refusal, action: "unauthenticated", context: refused, audit: audit)
            }
        }
        let base = configuration.publicBaseURL ?? "http://\(headers["host"] ?? "\(configuration.host):\(configuration.port)")/fhir"
        let fhirRequest = FHIRHTTPRequest(
            method: request.method.rawValue == "HEAD" ? "GET" : request.method.rawValue, segments: segments, query: request.uri.query ?? "",
            headers: headers, body: body, baseURL: base,
            context: RequestContext(
                requestId: context.id, sourceAddress: context.sourceAddress, principal: principal, requestLine: requestLine,
                purpose: headers["x-break-glass"].map { CareRelationshipRule.breakGlassPrefix + $0 } ?? headers["x-purpose-of-use"],
                changeReason: headers["x-change-reason"], started: started))
        let response = await dispatcher.handle(fhirRequest)
        guard response.status >= 400, !isPublic else { return response }
        return await Self.audited(response, action: "refused", context: fhirRequest.context, audit: audit)
    }

    /// A refusal or failure is recorded (R-SEC-2) before it is answered; when even that fails the
    /// answer is a 503, never an unrecorded one.
    static func audited(_ response: FHIRHTTPResponse, action: String, context: FHIRStore.RequestContext, audit: AuditTrail?) async -> FHIRHTTPResponse {
        guard let audit else { return response }
        do {
            try await audit.record(action: action, outcome: response.status >= 500 ? 8 : 4, context: context,
                                   detail: "HTTP \(response.status)")
            return response
        } catch {
            return .outcome(FHIRError(status: 503, code: .transient, "the audit trail is unavailable: \(error)"))
        }
    }

    /// A bearer token (RFC 6750) verified into the caller's principal, or the 401 to answer.
    enum Authentication {
        case allowed(Principal)
        case refused(FHIRHTTPResponse)
    }

    static func authenticate(_ authorization: String?, access: AccessService) async -> Authentication {
        func refuse(_ why: String, error: String?) -> FHIRHTTPResponse {
            var response = FHIRHTTPResponse.outcome(FHIRError(status: 401, code: .login, why))
            let detail = error.map { #", error="\#($0)", error_description="\#(why)""# } ?? ""
            response.headers.append(("WWW-Authenticate", #"Bearer realm="kangqiao""# + detail))
            return response
        }
        guard let header = authorization, header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            return .refused(refuse("an access token is required (Authorization: Bearer; see /.well-known/smart-configuration)", error: nil))
        }
        do {
            // Spaces and tabs trimmed on the bytes: Foundation's `trimmingCharacters` went through
            // NSString for every request (~1 % of an audited read's CPU in `perf`).
            let token = header.utf8.dropFirst(7).drop { $0 == 0x20 || $0 == 0x09 }
            let end = token.lastIndex { $0 != 0x20 && $0 != 0x09 }.map { token.index(after: $0) } ?? token.startIndex
            let claims = try await access.verify(String(Substring(token[..<end])))
            return .allowed(Principal(
                subject: claims.subject, clientID: claims.clientID, tokenID: claims.tokenID, roles: claims.roles.map(\.rawValue),
                scope: claims.scope, fhirUser: claims.fhirUser, organization: claims.organization, patient: claims.patient))
        } catch {
            return .refused(refuse("the access token was refused: \(error)", error: "invalid_token"))
        }
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
