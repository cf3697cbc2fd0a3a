import Access
import FHIRCore
import FHIRStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The OAuth 2.0 and SMART endpoints: `POST /auth/token` (client credentials, refresh token),
/// `POST /auth/login` (a person: password and time-based code), `POST /auth/revoke`, `GET /auth/jwks`
/// and the SMART configuration at `/.well-known/smart-configuration` and under the FHIR base.
struct AccessRoutes {
    let access: AccessService
    let configuration: KangqiaoApplication.Configuration
    let audit: AuditTrail?

    func register(on router: Router<KangqiaoRequestContext>) {
        let access = self.access
        let configuration = self.configuration
        let audit = self.audit
        /// Logins and token requests are recorded, failed ones too (R-SEC-2).
        @Sendable func record(_ action: String, _ subject: String?, ok: Bool, _ context: KangqiaoRequestContext, _ detail: String) async {
            let principal = subject.map { Principal(subject: $0, clientID: $0, tokenID: "", roles: [], scope: "") }
            let c = FHIRStore.RequestContext(requestId: context.id, sourceAddress: context.sourceAddress, principal: principal, requestLine: "POST /auth")
            try? await audit?.record(action: action, outcome: ok ? 0 : 4, context: c, detail: detail)
        }
        let smart: @Sendable (Request, KangqiaoRequestContext) async throws -> Response = { request, _ in
            let base = Self.serverBase(request, configuration)
            let doc = JSON.object(JSONObject([
                ("issuer", .string(access.issuer)),
                ("jwks_uri", .string(base + "/auth/jwks")),
                ("token_endpoint", .string(base + "/auth/token")),
                ("revocation_endpoint", .string(base + "/auth/revoke")),
                ("token_endpoint_auth_methods_supported", ["client_secret_basic", "client_secret_post", "private_key_jwt"]),
                ("token_endpoint_auth_signing_alg_values_supported", ["ES256", "ES384", "RS384"]),
                ("grant_types_supported", ["client_credentials", "refresh_token"]),
                ("scopes_supported", ["system/*.cruds", "user/*.cruds", "patient/*.rs", "openid", "fhirUser", "offline_access"]),
                ("capabilities", ["client-confidential-symmetric", "client-confidential-asymmetric", "permission-v1", "permission-v2", "permission-user", "permission-patient"]),
                ("code_challenge_methods_supported", ["S256"]),
            ]))
            return Self.json(200, doc)
        }
        router.get("/.well-known/smart-configuration", use: smart)
        router.get("/fhir/.well-known/smart-configuration", use: smart)
        router.get("/auth/jwks") { _, _ in Self.json(200, access.jwks) }

        router.post("/auth/token") { request, context in
            var request = request
            let form = await Self.form(&request)
            do {
                let grant: TokenGrant
                switch form["grant_type"] {
                case "client_credentials" where form["client_assertion"] != nil:
                    // SMART Backend Services: private_key_jwt (RFC 7523).
                    guard form["client_assertion_type"] == AccessService.assertionType, let assertion = form["client_assertion"] else {
                        throw AccessDenied.invalidRequest("client_assertion_type must be \(AccessService.assertionType)")
                    }
                    do {
                        grant = try await access.clientAssertion(assertion, scope: form["scope"],
                                                                 tokenEndpoint: Self.serverBase(request, configuration) + "/auth/token")
                    } catch {
                        await record("token", form["client_id"], ok: false, context, "client assertion refused: \(error)")
                        throw error
                    }
                    await record("token", grant.claims.subject, ok: true, context, "token \(grant.claims.tokenID) issued (private_key_jwt), scope \(grant.scope)")
                case "client_credentials":
                    guard let (id, secret) = Self.clientCredentials(request, form) else { throw AccessDenied.invalidClient }
                    do {
                        grant = try await access.clientCredentials(clientID: id, secret: secret, scope: form["scope"])
                    } catch {
                        await record("token", id, ok: false, context, "client credentials refused: \(error)")
                        throw error
                    }
                    await record("token", id, ok: true, context, "token \(grant.claims.tokenID) issued, scope \(grant.scope)")
                case "refresh_token":
                    guard let token = form["refresh_token"] else { throw AccessDenied.invalidRequest("refresh_token is missing") }
                    do {
                        grant = try await access.refresh(token, scope: form["scope"])
                    } catch {
                        await record("token", nil, ok: false, context, "refresh refused: \(error)")
                        throw error
                    }
                    await record("token", grant.claims.subject, ok: true, context, "token \(grant.claims.tokenID) issued by refresh")
                case let other:
                    throw AccessDenied.invalidRequest("unsupported grant_type \(other ?? "(none)")")
                }
                return Self.json(200, grant.json, noStore: true)
            } catch {
                return Self.oauthError(error, context: context)
            }
        }

        router.post("/auth/login") { request, context in
            var request = request
            let form = await Self.form(&request)
            do {
                guard let name = form["username"], let password = form["password"], let code = form["code"] else {
                    throw AccessDenied.invalidRequest("username, password and code are required")
                }
                let grant: TokenGrant
                do {
                    grant = try await access.login(
                        name: name, password: password, code: code, newPassword: form["new_password"], scope: form["scope"],
                        address: context.sourceAddress)
                } catch {
                    await record("login", name, ok: false, context, "login refused: \(error)")
                    throw error
                }
                await record("login", name, ok: true, context, "logged in; token \(grant.claims.tokenID)")
                return Self.json(200, grant.json, noStore: true)
            } catch {
                return Self.oauthError(error, context: context)
            }
        }

        router.post("/auth/revoke") { request, _ in
            var request = request
            let form = await Self.form(&request)
            // RFC 7009 §2.2: answered 200 whether or not the token was known.
            if let token = form["token"] { try? await access.revoke(refreshToken: token) }
            return Self.json(200, .object(JSONObject()), noStore: true)
        }
    }

    static func serverBase(_ request: Request, _ configuration: KangqiaoApplication.Configuration) -> String {
        if let base = configuration.publicBaseURL {
            return base.hasSuffix("/fhir") ? String(base.dropLast(5)) : base
        }
        return "http://\(request.head.authority ?? "\(configuration.host):\(configuration.port)")"
    }

    /// The body as `application/x-www-form-urlencoded` (OAuth) or a flat JSON object (web pages).
    static func form(_ request: inout Request) async -> [String: String] {
        guard let buffer = try? await request.collectBody(upTo: 64 << 10) else { return [:] }
        let bytes = Array(buffer.readableBytesView)
        if let object = (try? JSONParser.parse(bytes))?.objectValue {
            var fields: [String: String] = [:]
            for (k, v) in object { if let s = v.stringValue { fields[k] = s } }
            return fields
        }
        var fields: [String: String] = [:]
        for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            guard let key = parts.first.map(decode), !key.isEmpty else { continue }
            // A repeated parameter is an error in OAuth (RFC 6749 §3.1): keep none of it.
            if fields[key] != nil { fields[key] = "" } else { fields[key] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    /// client_secret_basic (RFC 6749 §2.3.1) or client_secret_post.
    static func clientCredentials(_ request: Request, _ form: [String: String]) -> (String, String)? {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        {
            let id = String(text[..<colon]).removingPercentEncoding ?? String(text[..<colon])
            let secret = String(text[text.index(after: colon)...]).removingPercentEncoding ?? String(text[text.index(after: colon)...])
            return (id, secret)
        }
        if let id = form["client_id"], let secret = form["client_secret"] { return (id, secret) }
        return nil
    }

    static func json(_ status: Int, _ body: JSON, noStore: Bool = false) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        if noStore {
            fields[.cacheControl] = "no-store"
            if let pragma = HTTPField.Name("Pragma") { fields[pragma] = "no-cache" }
        }
        return Response(status: HTTPResponse.Status(code: status), headers: fields,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(body))))
    }

    static func oauthError(_ error: Error, context: KangqiaoRequestContext) -> Response {
        guard let denied = error as? AccessDenied else {
            context.logger.error("token endpoint failed: \(error)")
            return json(500, .object(JSONObject([("error", "server_error"), ("error_description", "the request could not be completed")])))
        }
        var response = json(denied.httpStatus, .object(JSONObject([
            ("error", .string(denied.oauthError)), ("error_description", .string(denied.message)),
        ])), noStore: true)
        if case .throttled(let seconds) = denied { response.headers[.retryAfter] = String(seconds) }
        if case .invalidClient = denied { response.headers[.wwwAuthenticate] = #"Basic realm="kangqiao""# }
        return response
    }
}
