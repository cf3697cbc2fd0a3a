import FHIRCore

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}

/// Parses `W/"3"` or `"3"` or `3` into a version number.
public enum ETag {
    public static func version(_ header: String) -> Int? {
        var s = Substring(header.trimmingSpaces())
        if s.hasPrefix("W/") { s = s.dropFirst(2) }
        if s.hasPrefix("\"") && s.hasSuffix("\"") && s.count >= 2 { s = s.dropFirst().dropLast() }
        return Int(s)
    }
}

/// Rewrites references inside one transaction entry: fullUrls of other entries become the assigned
/// `Type/id`, conditional references are resolved to their single match.
struct ReferenceRewriter {
    /// Rewrites fullUrls only; nil when a conditional reference needs a search.
    static func rewriteWithoutDatabase(_ value: JSON, resolved: [String: String], entryPath: String) throws -> JSON? {
        switch value {
        case .object(var o):
            for (key, v) in o {
                if key == "reference", case .string(let ref) = v {
                    if let target = resolved[ref] {
                        o[key] = .string(target)
                    } else if ref.hasPrefix("urn:uuid:") || ref.hasPrefix("urn:oid:") {
                        throw FHIRError(status: 400, code: .notFound, "\(entryPath): reference '\(ref)' names no entry of this transaction")
                    } else if ref.contains("?"), !ref.hasPrefix("#"), !ref.contains("://") {
                        return nil
                    }
                } else if case .object = v, let r = try rewriteWithoutDatabase(v, resolved: resolved, entryPath: entryPath) {
                    o[key] = r
                } else if case .object = v {
                    return nil
                } else if case .array = v {
                    guard let r = try rewriteWithoutDatabase(v, resolved: resolved, entryPath: entryPath) else { return nil }
                    o[key] = r
                }
            }
            return .object(o)
        case .array(let items):
            var out: [JSON] = []
            out.reserveCapacity(items.count)
            for item in items {
                guard let r = try rewriteWithoutDatabase(item, resolved: resolved, entryPath: entryPath) else { return nil }
                out.append(r)
            }
            return .array(out)
        default:
            return value
        }
    }

    let resolved: [String: String]
    let tx: any StoreTransaction
    let repository: FHIRRepository
    let entryPath: String

    func rewrite(_ value: JSON) async throws -> JSON {
        switch value {
        case .object(var o):
            for (key, v) in o {
                if key == "reference", case .string(let ref) = v {
                    o[key] = .string(try await resolve(ref))
                } else if case .object = v {
                    o[key] = try await rewrite(v)
                } else if case .array = v {
                    o[key] = try await rewrite(v)
                }
            }
            return .object(o)
        case .array(let items):
            var out: [JSON] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try await rewrite(item)) }
            return .array(out)
        default:
            return value
        }
    }

    func resolve(_ ref: String) async throws -> String {
        if let target = resolved[ref] { return target }
        if ref.hasPrefix("urn:uuid:") || ref.hasPrefix("urn:oid:") {
            throw FHIRError(status: 400, code: .notFound, "\(entryPath): reference '\(ref)' names no entry of this transaction")
        }
        if let q = ref.firstIndex(of: "?"), !ref.hasPrefix("#"), !ref.contains("://") {
            let type = String(ref[..<q])
            let query = String(ref[ref.index(after: q)...])
            let matches = try await tx.matchingKeys(try repository.searchQuery(type: type, queryString: query), limit: 2)
            guard matches.count == 1, let m = matches.first else {
                throw FHIRError.preconditionFailed("\(entryPath): conditional reference '\(ref)' matched \(matches.count) resources (exactly one is needed)")
            }
            return "\(m.type)/\(m.id)"
        }
        return ref
    }
}
