import FHIRCore
import FHIRStore

/// Answers "which patient records are this person" from the index's master Persons, for the
/// repository to widen searches and `$everything` (one indexed query per search that names patients).
public struct MasterIndexLinks: LinkedPatientResolver {
    public let store: FHIRRepository

    public init(store: FHIRRepository) {
        self.store = store
    }

    public func samePerson(as patientIds: Set<String>) async throws -> [String: Set<String>] {
        let ids = patientIds.filter(FHIRIdentifierRules.isValidId)
        guard !ids.isEmpty else { return [:] }
        var query = try store.searchQuery(type: "Person", queryString: MasterPerson.query(linking: ids.sorted()))
        query.count = 100
        var out: [String: Set<String>] = [:]
        for r in try await store.backend.search(query).records {
            guard let person = try? JSONParser.parse(r.json), MasterPerson.isActiveMaster(person) else { continue }
            let members = Set(MasterPerson.members(person))
            for id in members where patientIds.contains(id) { out[id, default: [id]].formUnion(members) }
        }
        return out
    }
}
