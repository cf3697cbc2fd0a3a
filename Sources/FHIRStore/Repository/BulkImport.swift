import FHIRCore

extension FHIRRepository {
    /// Writes many resources in one transaction, keeping their ids (update-as-create, as in a bulk
    /// import): each is checked and indexed before the transaction, then written with batched
    /// statements. Resources without an id get one. Answers the number written (unchanged ones skipped).
    public func bulkUpsert(_ resources: [JSON], context: RequestContext = RequestContext()) async throws -> Int {
        let result = try await bulkImport(resources, context: context)
        if let (_, error) = result.rejected.first { throw error }
        return result.written
    }

    /// Like `bulkUpsert`, but resources that fail their checks are left out and answered with their
    /// position in `resources` and the reason, while the others are written.
    public func bulkImport(_ resources: [JSON], context: RequestContext = RequestContext()) async throws -> (written: Int, rejected: [(Int, FHIRError)]) {
        try await runHooks(.batch, nil, context)
        var prepared: [(String, PreparedResource)] = []
        var rejected: [(Int, FHIRError)] = []
        prepared.reserveCapacity(resources.count)
        for (i, resource) in resources.enumerated() {
            do {
                prepared.append(try prepareForImport(resource))
            } catch let error as FHIRError {
                rejected.append((i, error))
            }
        }
        let items = prepared
        let written = try await backend.write { [self] tx -> Int in
            var writes: [ResourceWrite] = []
            writes.reserveCapacity(items.count)
            var seen: Set<ResourceKey> = []
            let now = Self.now()
            for (id, p) in items {
                let key = ResourceKey(type: p.type, id: id)
                guard seen.insert(key).inserted else {
                    throw FHIRError(status: 400, code: .duplicate, "\(key) appears twice in one import batch")
                }
                let current = try await tx.read(type: p.type, id: id)
                if let current, !current.isDeleted, try await tx.contentHash(type: p.type, id: id) == p.contentHash { continue }
                writes.append(p.write(id: id, versionId: (current?.versionId ?? 0) + 1, lastUpdated: max(now, current?.lastUpdated ?? 0)))
            }
            try await tx.putAll(writes)
            try await commitHooks(.batch, writes.map(\.record), context, tx)
            return writes.count
        }
        try await finishHooks(.batch, [], context)
        return (written, rejected)
    }

    func prepareForImport(_ resource: JSON) throws -> (String, PreparedResource) {
        guard let type = resource["resourceType"]?.stringValue else {
            throw FHIRError(status: 400, code: .required, "the resource has no resourceType")
        }
        if let isType = parameters?.isResourceType(type), !isType {
            throw FHIRError(status: 400, code: .invalid, "'\(type)' is not a resource type")
        }
        let id = resource["id"]?.stringValue ?? Self.newId()
        guard FHIRIdentifierRules.isValidId(id) else { throw FHIRError.badRequest("\(type): invalid id '\(id)'") }
        do {
            return (id, try prepare(resource, type: type))
        } catch var error as FHIRError {
            error.issues = error.issues.map { var x = $0; x.diagnostics = "\(type)/\(id): " + x.diagnostics; return x }
            throw error
        }
    }
}
