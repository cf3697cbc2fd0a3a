import FHIRCore
import FHIRStore
import Foundation

/// The patient master index over the store: finds a Patient's candidates by blocking, scores them,
/// links certain matches under one master Person and queues probable ones for review (a Task).
/// Runs inside the transaction that writes the Patient, so the links exist exactly when it does.
public struct MasterIndex: Sendable {
    /// A repository without hooks: it validates and indexes the index's own writes, which the
    /// triggering interaction's hook records in the audit trail.
    public let store: FHIRRepository
    public let matcher: PatientMatcher
    public var policy: MatchPolicy { matcher.policy }

    public init(store: FHIRRepository, policy: MatchPolicy = .standard) {
        self.store = store
        self.matcher = PatientMatcher(policy: policy)
    }

    /// How two patients come to share a master Person.
    public enum LinkPlan: Sendable {
        case alreadyLinked
        /// Write this Person (`version` nil: create it).
        case write(id: String, person: JSON, version: Int?)
        /// Each already has a different master Person: a person cannot be decided automatically.
        case conflict
    }

    /// Matches a written Patient against the index and links or queues; answers what it wrote.
    public func index(_ patient: ResourceRecord, in tx: any StoreTransaction) async throws -> [ResourceRecord] {
        guard patient.type == "Patient", !patient.isDeleted, let json = try? JSONParser.parse(patient.json) else { return [] }
        return try await index(patient, json: json, in: tx)
    }

    /// `index(_:in:)` with the record's JSON already parsed.
    public func index(_ patient: ResourceRecord, json: JSON, in tx: any StoreTransaction) async throws -> [ResourceRecord] {
        guard patient.type == "Patient", !patient.isDeleted else { return [] }
        let features = PatientFeatures(patient: json)
        guard !features.isMergedAway, !(features.names.isEmpty && features.residentID == nil && features.documents.isEmpty) else { return [] }
        var written: [ResourceRecord] = []
        for (candidate, assessment) in try await assessedCandidates(features, in: tx) {
            switch assessment.grade {
            case .certain:
                let persons = try await masterPersons(of: [patient.id, candidate.id], in: tx)
                let plan = Self.plan(
                    patient.id, candidate.id, persons: persons, assurance: assessment.deterministic ? .level4 : .level3,
                    name: json["name"]?.arrayValue?.first)
                switch plan {
                case .alreadyLinked: continue
                case .write(let id, let person, let version):
                    written.append(try await store.writeDerived(type: "Person", id: version == nil ? nil : id, resource: person, in: tx).record)
                case .conflict:
                    written += try await queueReview(patient.id, candidate.id, assessment, in: tx)
                }
            case .probable:
                written += try await queueReview(patient.id, candidate.id, assessment, in: tx)
            case .possible, .none:
                continue
            }
        }
        return written
    }

    /// The candidates sharing a block with `features`, assessed, best first; non-matches left out.
    func assessedCandidates(_ features: PatientFeatures, in tx: any StoreTransaction) async throws -> [(ResourceRecord, MatchAssessment)] {
        var seen: Set<String> = features.id.map { [$0] } ?? []
        var out: [(ResourceRecord, MatchAssessment)] = []
        // The blocks as one query (any of them), one round trip: each block is one criterion.
        let blocks = try BlockingKeys.queries(features).map { try store.searchQuery(type: "Patient", queryString: $0) }
        guard !blocks.isEmpty else { return [] }
        let anyBlock = StoreQuery(type: "Patient", filters: [blocks.flatMap { $0.filters.count == 1 ? $0.filters[0] : [.and($0.filters.map(IndexPredicate.or))] }])
        for key in try await tx.matchingKeys(anyBlock, limit: policy.maxCandidatesPerBlock * blocks.count) where seen.insert(key.id).inserted {
            guard let record = try await tx.read(type: "Patient", id: key.id), !record.isDeleted,
                let other = try? JSONParser.parse(record.json)
            else { continue }
            let otherFeatures = PatientFeatures(patient: other)
            guard !otherFeatures.isMergedAway else { continue }
            let a = matcher.assess(features, otherFeatures)
            if a.grade != .none { out.append((record, a)) }
        }
        return out.sorted { $0.1.score > $1.1.score }
    }

    /// The active master Persons linking any of `patientIds`.
    func masterPersons(of patientIds: [String], in tx: any StoreTransaction) async throws -> [ResourceRecord] {
        let query = try store.searchQuery(type: "Person", queryString: MasterPerson.query(linking: patientIds))
        var persons: [ResourceRecord] = []
        for key in try await tx.matchingKeys(query, limit: 20) {
            if let r = try await tx.read(type: "Person", id: key.id), !r.isDeleted,
                let person = try? JSONParser.parse(r.json), MasterPerson.isActiveMaster(person)
            {
                persons.append(r)
            }
        }
        return persons
    }

    /// Links `a` and `b` under one Person: the one either already has, or a new one.
    public static func plan(
        _ a: String, _ b: String, persons: [ResourceRecord], assurance: MasterPerson.Assurance, name: JSON?, newId: String = UUID().uuidString.lowercased()
    ) -> LinkPlan {
        let parsed = persons.compactMap { r in (try? JSONParser.parse(r.json)).map { (r, $0) } }
        let ofA = parsed.filter { MasterPerson.members($0.1).contains(a) }
        let ofB = parsed.filter { MasterPerson.members($0.1).contains(b) }
        if ofA.contains(where: { pa in ofB.contains { $0.0.id == pa.0.id } }) { return .alreadyLinked }
        switch (ofA.first, ofB.first) {
        case (nil, nil):
            return .write(id: newId, person: MasterPerson.make(id: newId, patients: [(a, assurance), (b, assurance)], name: name), version: nil)
        case (let p?, nil):
            return .write(id: p.0.id, person: MasterPerson.adding([(b, assurance)], to: p.1), version: p.0.versionId)
        case (nil, let p?):
            return .write(id: p.0.id, person: MasterPerson.adding([(a, assurance)], to: p.1), version: p.0.versionId)
        case (.some, .some):
            return .conflict
        }
    }

    /// A review Task for the pair, unless one exists already (open or decided) either way round.
    func queueReview(_ patient: String, _ candidate: String, _ assessment: MatchAssessment, in tx: any StoreTransaction) async throws -> [ResourceRecord] {
        for (focus, subject) in [(candidate, patient), (patient, candidate)] {
            let q = try store.searchQuery(type: "Task", queryString: MasterIndexTask.query(focus: focus, for: subject))
            for key in try await tx.matchingKeys(q, limit: 20) {
                if let r = try await tx.read(type: "Task", id: key.id), !r.isDeleted, let task = try? JSONParser.parse(r.json),
                    MasterIndexTask.kind(of: task) == MasterIndexTask.reviewMatch
                {
                    return []
                }
            }
        }
        let task = MasterIndexTask.review(patient: patient, candidate: candidate, assessment: assessment, policy: policy)
        return [try await store.writeDerived(type: "Task", id: nil, resource: task, in: tx).record]
    }
}

/// The index at the repository's named points: R-ID18 on every person record written (422 and
/// nothing written when an ID is invalid), and every Patient written matched in its transaction.
/// What the index writes is recorded by `auditHooks` in the same transaction.
public struct MasterIndexHook: InteractionHook {
    public let index: MasterIndex
    public let auditHooks: [any InteractionHook]

    public init(index: MasterIndex, auditHooks: [any InteractionHook] = []) {
        self.index = index
        self.auditHooks = auditHooks
    }

    public func willCommit(_ interaction: FHIRInteraction, records: [ResourceRecord], context: RequestContext, in tx: any StoreTransaction) async throws {
        let people = records.filter { !$0.isDeleted && PersonIdentifierRules.personTypes.contains($0.type) }
        guard !people.isEmpty else { return }
        let today = PersonIdentifierRules.today()
        var patients: [(ResourceRecord, JSON)] = []
        for r in people {
            guard let json = try? JSONParser.parse(r.json) else { continue }
            let issues = PersonIdentifierRules.check(json, today: today)
            if !issues.isEmpty { throw FHIRError(rejecting: issues) }
            if r.type == "Patient" { patients.append((r, json)) }
        }
        var derived: [ResourceRecord] = []
        for (r, json) in patients { derived += try await index.index(r, json: json, in: tx) }
        guard !derived.isEmpty else { return }
        for hook in auditHooks {
            for r in derived { try await hook.willCommit(r.versionId == 1 ? .create : .update, records: [r], context: context, in: tx) }
        }
    }
}
