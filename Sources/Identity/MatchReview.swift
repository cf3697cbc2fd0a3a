import ChinaReference
import FHIRCore
import FHIRStore

/// What a reviewer decides about a probable match.
public enum MatchDecision: String, Sendable {
    /// The two records are one person: link them under one master Person.
    case link
    /// Different people: close the review; the pair is not queued again.
    case dismiss
}

/// `Patient/$match` and the review queue's resolution, through the repository (authorized, audited).
public struct MatchService: Sendable {
    public let repository: FHIRRepository
    public let matcher: PatientMatcher

    public init(repository: FHIRRepository, policy: MatchPolicy = .standard) {
        self.repository = repository
        self.matcher = PatientMatcher(policy: policy)
    }

    /// The records the caller may see that may be `patient`, best first (FHIR `Patient/$match`):
    /// possible matches and better, or only certain ones; at most `count`.
    public func match(_ patient: JSON, onlyCertainMatches: Bool, count: Int?, context: RequestContext) async throws -> [(ResourceRecord, MatchAssessment)] {
        guard patient["resourceType"]?.stringValue == "Patient" else {
            throw FHIRError(status: 400, code: .invalid, "the resource parameter of Patient/$match must be a Patient", expression: ["Parameters.parameter.resource"])
        }
        if let checker = repository.checker {
            let errors = checker.check(patient).filter(\.isError)
            if !errors.isEmpty { throw FHIRError(rejecting: errors) }
        }
        let features = PatientFeatures(patient: patient)
        let queries = BlockingKeys.queries(features)
        guard !queries.isEmpty else {
            throw FHIRError(status: 422, code: .incomplete, "Patient/$match needs a birth date, a phone or an identity document to search by")
        }
        let candidates = try await repository.find(type: "Patient", anyOf: queries, limit: matcher.policy.maxCandidatesPerBlock, context: context)
        var out: [(ResourceRecord, MatchAssessment)] = []
        for r in candidates {
            guard let json = try? JSONParser.parse(r.json) else { continue }
            let other = PatientFeatures(patient: json)
            if other.isMergedAway { continue }
            let a = matcher.assess(features, other)
            guard a.grade >= (onlyCertainMatches ? .certain : .possible) else { continue }
            out.append((r, a))
        }
        out.sort { $0.1.score > $1.1.score || ($0.1.score == $1.1.score && $0.0.id < $1.0.id) }
        return Array(out.prefix(count ?? matcher.policy.defaultMatchCount))
    }

    /// Resolves an open review Task: `link` puts both patients under one master Person, `dismiss`
    /// records that they are different people. One transaction; answers the closed Task.
    public func resolve(task id: String, decision: MatchDecision, baseURL: String, context: RequestContext) async throws -> ResourceRecord {
        let record = try await repository.read(type: "Task", id: id, context: context)
        let task = try JSONParser.parse(record.json)
        guard MasterIndexTask.kind(of: task) == MasterIndexTask.reviewMatch else {
            throw FHIRError(status: 422, code: .businessRule, "Task/\(id) is not a master-index match review")
        }
        guard ["requested", "ready", "received", "accepted", "in-progress"].contains(task["status"]?.stringValue ?? "") else {
            throw FHIRError(status: 409, code: .conflict, "Task/\(id) was already resolved (\(task["status"]?.stringValue ?? "?"))")
        }
        guard let a = Self.patientId(task["for"]), let b = Self.patientId(task["focus"]) else {
            throw FHIRError(status: 422, code: .businessRule, "Task/\(id) does not name the two patients (for, focus)")
        }
        var entries: [JSON] = []
        if decision == .link {
            let q = try repository.searchQuery(type: "Person", queryString: MasterPerson.query(linking: [a, b]))
            let persons = try await repository.backend.search(q).records.filter { r in (try? JSONParser.parse(r.json)).map(MasterPerson.isActiveMaster) ?? false }
            let name = try await repository.backend.read(type: "Patient", id: a).flatMap { try? JSONParser.parse($0.json) }?["name"]?.arrayValue?.first
            switch MasterIndex.plan(a, b, persons: persons, assurance: .level3, name: name) {
            case .alreadyLinked: break
            case .write(let pid, let person, let version):
                if version != nil, let current = persons.first(where: { $0.id == pid }) {
                    entries.append(PatientMerge.put(current, person))
                } else {
                    entries.append(PatientMerge.entry("PUT", "Person/\(pid)", person))
                }
            case .conflict:
                throw FHIRError(status: 409, code: .conflict, "Patient/\(a) and Patient/\(b) belong to different master persons; merge them with Patient/$merge")
            }
        }
        var closed = task.objectValue ?? JSONObject()
        closed["status"] = "completed"
        closed["businessStatus"] = ["coding": [["system": .string(ChinaProfile.CodeSystem.masterIndexTask), "code": .string(decision == .link ? "linked" : "dismissed")]]]
        entries.append(PatientMerge.put(record, .object(closed)))
        _ = try await repository.processBundle(PatientMerge.transaction(entries), baseURL: baseURL, context: context)
        guard let done = try await repository.backend.read(type: "Task", id: id) else { throw FHIRError.internal("the review task vanished") }
        return done
    }

    static func patientId(_ reference: JSON?) -> String? {
        guard let ref = reference?["reference"]?.stringValue, ref.hasPrefix("Patient/") else { return nil }
        return String(ref.dropFirst("Patient/".count))
    }
}
