import Synchronization

/// One SMART on FHIR clinical scope (SMART App Launch 2.0, "Scopes for requesting clinical data"):
/// `context/Type.permissions[?query]`, e.g. `patient/Observation.rs`, `user/*.cruds`,
/// `system/Observation.c`, `patient/Observation.rs?category=laboratory`. The v1 forms `.read`,
/// `.write` and `.*` are read as `rs`, `cud` and `cruds`.
public struct SMARTScope: Sendable, Hashable, CustomStringConvertible {
    /// Whose data the scope reaches: the patient in the token's context, whatever the user may
    /// see, or (for a backend system) whatever the client was registered for.
    public enum Context: String, Sendable, Hashable, CaseIterable {
        case patient, user, system
    }

    /// SMART v2's letters, in their canonical order.
    public enum Permission: Character, Sendable, Hashable, CaseIterable, Comparable {
        case create = "c", read = "r", update = "u", delete = "d", search = "s"

        private var rank: Int {
            switch self {
            case .create: 0
            case .read: 1
            case .update: 2
            case .delete: 3
            case .search: 4
            }
        }

        public static func < (a: Permission, b: Permission) -> Bool { a.rank < b.rank }
    }

    public let context: Context
    /// Nil for `*` (every resource type).
    public let resourceType: String?
    public let permissions: Set<Permission>
    /// A v2 granular restriction (`?category=laboratory`) as written, searched in addition; nil when none.
    public let query: String?

    public init(context: Context, resourceType: String?, permissions: Set<Permission>, query: String? = nil) {
        self.context = context
        self.resourceType = resourceType
        self.permissions = permissions
        self.query = query
    }

    /// Parses one scope; nil when it is not a clinical-data scope (`openid`, `launch/patient`, a typo).
    public init?(_ text: String) {
        guard let slash = text.firstIndex(of: "/"), let context = Context(rawValue: String(text[..<slash])) else { return nil }
        var rest = text[text.index(after: slash)...]
        var query: String?
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
            if query?.isEmpty ?? true { return nil }
        }
        guard let dot = rest.lastIndex(of: ".") else { return nil }
        let type = String(rest[..<dot])
        let letters = String(rest[rest.index(after: dot)...])
        guard type == "*" || Self.isResourceTypeName(type) else { return nil }
        var permissions: Set<Permission>
        switch letters {
        case "read": permissions = [.read, .search]
        case "write": permissions = [.create, .update, .delete]
        case "*": permissions = Set(Permission.allCases)
        default:
            // v2: a non-empty subset of c, r, u, d, s, each once, in that order.
            var seen: [Permission] = []
            for ch in letters {
                guard let p = Permission(rawValue: ch), seen.last.map({ $0 < p }) ?? true else { return nil }
                seen.append(p)
            }
            guard !seen.isEmpty else { return nil }
            permissions = Set(seen)
        }
        if query != nil, letters == "write" || letters == "*" { permissions = permissions.intersection([.read, .search]) }
        self.init(context: context, resourceType: type == "*" ? nil : type, permissions: permissions, query: query)
    }

    /// The canonical v2 spelling.
    public var description: String {
        let letters = String(permissions.sorted().map(\.rawValue))
        return "\(context.rawValue)/\(resourceType ?? "*").\(letters)" + (query.map { "?\($0)" } ?? "")
    }

    /// True when this scope allows `permission` on resources of `type`.
    public func allows(_ permission: Permission, on type: String) -> Bool {
        permissions.contains(permission) && (resourceType == nil || resourceType == type)
    }

    /// True when everything `other` allows, this scope allows too (same context; no narrower query).
    public func covers(_ other: SMARTScope) -> Bool {
        guard context == other.context, permissions.isSuperset(of: other.permissions) else { return false }
        guard resourceType == nil || resourceType == other.resourceType else { return false }
        return query == nil || query == other.query
    }

    private static func isResourceTypeName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, ("A"..."Z").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) }
    }
}

/// The scopes of a token or a client registration: clinical scopes plus the others as written
/// (`openid`, `fhirUser`, `offline_access`, `launch/patient` ...).
public struct ScopeSet: Sendable, Hashable, CustomStringConvertible {
    public let clinical: [SMARTScope]
    public let other: [String]

    public init(clinical: [SMARTScope], other: [String] = []) {
        self.clinical = clinical
        self.other = other
    }

    /// The scopes of a granted token's scope string (valid when it was granted), parsed once per distinct
    /// string: every request checks them twice, and a client's string is the same on every request.
    public static func granted(_ text: String) -> ScopeSet {
        if let known = grantedCache.withLock({ $0[text] }) { return known }
        let parsed = (try? ScopeSet(parsing: text)) ?? ScopeSet(clinical: [])
        grantedCache.withLock { cache in
            if cache.count >= 1_024 { cache.removeAll() }
            cache[text] = parsed
        }
        return parsed
    }

    private static let grantedCache = Mutex<[String: ScopeSet]>([:])

    /// Parses a space-separated scope string. A word that looks like a clinical scope
    /// (`patient/`, `user/`, `system/`) but is not a valid one is an error, never silently dropped.
    public init(parsing text: String) throws(ScopeError) {
        var clinical: [SMARTScope] = []
        var other: [String] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init) {
            if let s = SMARTScope(word) {
                if !clinical.contains(s) { clinical.append(s) }
            } else if SMARTScope.Context.allCases.contains(where: { word.hasPrefix($0.rawValue + "/") }) {
                throw ScopeError.invalid(word)
            } else if !other.contains(word) {
                other.append(word)
            }
        }
        self.init(clinical: clinical, other: other)
    }

    public var description: String { (clinical.map(\.description) + other).joined(separator: " ") }

    public func contains(_ word: String) -> Bool { other.contains(word) }

    /// The clinical scopes that allow `permission` on `type` (empty: refused).
    public func granting(_ permission: SMARTScope.Permission, on type: String) -> [SMARTScope] {
        clinical.filter { $0.allows(permission, on: type) }
    }

    /// The scopes of `requested` that this set does not cover: a request for them is an escalation.
    public func uncovered(_ requested: ScopeSet) -> [String] {
        requested.clinical.filter { r in !clinical.contains { $0.covers(r) } }.map(\.description)
            + requested.other.filter { !other.contains($0) }
    }
}

public enum ScopeError: Error, Sendable, Equatable {
    case invalid(String)
}
