import FHIRCore

/// Whether a person's real name was verified, how and when (R-IH-5, R-IH-6).
public struct RealNameStatus: Sendable, Equatable {
    public var verified: Bool
    /// How: e.g. "identity-card+face", "in-person", "insurance-card".
    public var method: String
    public var at: Int64

    public init(verified: Bool, method: String, at: Int64) {
        self.verified = verified
        self.method = method
        self.at = at
    }
}

/// A login: a person (linked to their Practitioner, Patient or RelatedPerson) or a system client
/// (a hospital HIS, a pharmacy or insurance system). Stored as a private record, never served by
/// the FHIR API: it holds credential hashes.
public struct Account: Sendable, Equatable {
    public enum Kind: String, Sendable { case person, system }

    /// The login name or client id; unique, compared case-insensitively.
    public var name: String
    public var kind: Kind
    public var roles: [Role]
    /// The most this account may be granted (SMART scopes); a token asks for these or fewer.
    public var scopes: String
    public var fhirUser: String?
    public var organization: String?
    /// Persons: scrypt hash (PasswordHash) and the sealed time-based-code secret.
    public var passwordHash: String?
    public var sealedCodeSecret: [UInt8]?
    /// The last code step accepted: a code works once.
    public var lastCodeStep: Int64?
    /// Systems: SHA-256 of the random 256-bit client secret (random, so a fast hash is enough).
    public var clientSecretHash: [UInt8]?
    /// Systems authenticating with a signed assertion (private_key_jwt): their public keys, a JWK Set.
    public var publicKeys: JSON?
    public var realName: RealNameStatus?
    /// A password handed out once (the first administrator's) must be replaced at the first login.
    public var mustChangePassword: Bool
    public var disabled: Bool
    public var created: Int64

    public init(
        name: String, kind: Kind, roles: [Role], scopes: String, fhirUser: String? = nil, organization: String? = nil,
        passwordHash: String? = nil, sealedCodeSecret: [UInt8]? = nil, lastCodeStep: Int64? = nil,
        clientSecretHash: [UInt8]? = nil, publicKeys: JSON? = nil, realName: RealNameStatus? = nil, mustChangePassword: Bool = false,
        disabled: Bool = false, created: Int64
    ) {
        self.publicKeys = publicKeys
        self.name = name
        self.kind = kind
        self.roles = roles
        self.scopes = scopes
        self.fhirUser = fhirUser
        self.organization = organization
        self.passwordHash = passwordHash
        self.sealedCodeSecret = sealedCodeSecret
        self.lastCodeStep = lastCodeStep
        self.clientSecretHash = clientSecretHash
        self.realName = realName
        self.mustChangePassword = mustChangePassword
        self.disabled = disabled
        self.created = created
    }

    /// The private-record key: names are unique regardless of case.
    public static func key(_ name: String) -> String { name.lowercased() }

    var json: JSON {
        var o = JSONObject([
            ("name", .string(name)), ("kind", .string(kind.rawValue)), ("roles", .array(roles.map { .string($0.rawValue) })),
            ("scopes", .string(scopes)), ("mustChangePassword", .bool(mustChangePassword)), ("disabled", .bool(disabled)),
            ("created", .number(JSONNumber(Int(created)))),
        ])
        func add(_ key: String, _ value: JSON?) { if let value { o.set(key, value, insertingAt: o.count) } }
        add("fhirUser", fhirUser.map { .string($0) })
        add("organization", organization.map { .string($0) })
        add("passwordHash", passwordHash.map { .string($0) })
        add("sealedCodeSecret", sealedCodeSecret.map { .string(Base64URL.encode($0)) })
        add("lastCodeStep", lastCodeStep.map { .number(JSONNumber(Int($0))) })
        add("clientSecretHash", clientSecretHash.map { .string(Base64URL.encode($0)) })
        add("publicKeys", publicKeys)
        add("realName", realName.map {
            .object(JSONObject([("verified", .bool($0.verified)), ("method", .string($0.method)), ("at", .number(JSONNumber(Int($0.at))))]))
        })
        return .object(o)
    }

    var bytes: [UInt8] { JSONWriter.bytes(json) }

    init?(bytes: [UInt8]) {
        guard let o = (try? JSONParser.parse(bytes))?.objectValue, let name = o["name"]?.stringValue,
            let kind = o["kind"]?.stringValue.flatMap(Kind.init(rawValue:))
        else { return nil }
        let roles = (o["roles"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(Role.init(rawValue:)) }
        var realName: RealNameStatus?
        if let r = o["realName"]?.objectValue {
            realName = RealNameStatus(verified: r["verified"]?.boolValue ?? false, method: r["method"]?.stringValue ?? "",
                                      at: Int64(r["at"]?.numberValue?.intValue ?? 0))
        }
        self.init(
            name: name, kind: kind, roles: roles, scopes: o["scopes"]?.stringValue ?? "", fhirUser: o["fhirUser"]?.stringValue,
            organization: o["organization"]?.stringValue, passwordHash: o["passwordHash"]?.stringValue,
            sealedCodeSecret: o["sealedCodeSecret"]?.stringValue.flatMap { Base64URL.decode($0) },
            lastCodeStep: o["lastCodeStep"]?.numberValue?.intValue.map(Int64.init),
            clientSecretHash: o["clientSecretHash"]?.stringValue.flatMap { Base64URL.decode($0) }, publicKeys: o["publicKeys"],
            realName: realName,
            mustChangePassword: o["mustChangePassword"]?.boolValue ?? false, disabled: o["disabled"]?.boolValue ?? false,
            created: Int64(o["created"]?.numberValue?.intValue ?? 0))
    }
}
