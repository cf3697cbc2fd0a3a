import ChinaReference
import FHIRCore
import FHIRStore
import Foundation

/// `Patient/$merge` and `$unmerge` as transaction Bundles through the repository, so every write is
/// authorized and audited as the caller's and the whole merge commits or none of it does.
///
/// A merge moves every reference to the source in the source's compartment to the target, marks the
/// source inactive with `link` replaced-by the target (the target gets `replaces`), puts both under
/// one master Person (so searches by the old id find the survivor's data) and records what it did in
/// a `merge` Task, which `$unmerge` reads to undo it. A signed record among them needs the caller's
/// `X-Change-Reason` (R-SEC-3) like any other change of it.
public struct PatientMerge: Sendable {
    public let repository: FHIRRepository

    public init(repository: FHIRRepository) {
        self.repository = repository
    }

    public struct Result: Sendable {
        public var target: ResourceRecord
        public var moved: Int
        public var task: String
    }

    public func merge(source: String, target: String, baseURL: String, context: RequestContext) async throws -> Result {
        guard source != target else { throw FHIRError.unprocessable("a patient cannot be merged into itself") }
        let src = try await repository.read(type: "Patient", id: source, context: context)
        let tgt = try await repository.read(type: "Patient", id: target, context: context)
        let srcJSON = try JSONParser.parse(src.json), tgtJSON = try JSONParser.parse(tgt.json)
        guard !PatientFeatures(patient: srcJSON).isMergedAway else { throw FHIRError.conflict("Patient/\(source) is already merged into another record") }
        guard !PatientFeatures(patient: tgtJSON).isMergedAway else { throw FHIRError.unprocessable("Patient/\(target) was merged into another record; merge into the survivor") }

        var entries: [JSON] = []
        var moved: [JSON] = []
        for r in try await compartment(of: source) where !(r.type == "Patient" && r.id == source) {
            let (json, changed) = ReferenceMove.moving(try JSONParser.parse(r.json), from: "Patient/" + source, to: "Patient/" + target)
            guard changed else { continue }
            entries.append(Self.put(r, json))
            moved.append(MasterIndexTask.input("moved", ("valueReference", ["reference": .string("\(r.type)/\(r.id)")])))
        }
        var srcObject = srcJSON.objectValue ?? JSONObject()
        srcObject["active"] = false
        srcObject["link"] = .array((srcJSON["link"]?.arrayValue ?? []) + [["other": ["reference": .string("Patient/" + target)], "type": "replaced-by"]])
        entries.append(Self.put(src, .object(srcObject)))
        var tgtObject = tgtJSON.objectValue ?? JSONObject()
        tgtObject["link"] = .array((tgtJSON["link"]?.arrayValue ?? []) + [["other": ["reference": .string("Patient/" + source)], "type": "replaces"]])
        entries.append(Self.put(tgt, .object(tgtObject)))

        // One master Person for both; what it was before is kept so $unmerge can restore it.
        var personInputs: [JSON] = []
        let persons = try await masterPersons(of: [source, target])
        let newId = UUID().uuidString.lowercased()
        switch MasterIndex.plan(target, source, persons: persons, assurance: .level4, name: tgtJSON["name"]?.arrayValue?.first, newId: newId) {
        case .alreadyLinked:
            break
        case .write(let id, let person, let version):
            if let version, let before = persons.first(where: { $0.id == id }) {
                entries.append(Self.put(before, person))
                personInputs.append(MasterIndexTask.input("person-before", ("valueReference", ["reference": .string("Person/\(id)/_history/\(version)")])))
            } else {
                entries.append(Self.entry("PUT", "Person/\(id)", person))
                personInputs.append(MasterIndexTask.input("person-created", ("valueReference", ["reference": .string("Person/\(id)")])))
            }
        case .conflict:
            // Both already have a master Person: the source's joins the target's, and is retired.
            let parsed = persons.compactMap { r in (try? JSONParser.parse(r.json)).map { (r, $0) } }
            guard let into = parsed.first(where: { MasterPerson.members($0.1).contains(target) }) else { break }
            var joined = into.1
            for from in parsed where from.0.id != into.0.id && MasterPerson.members(from.1).contains(source) {
                joined = MasterPerson.adding(MasterPerson.members(from.1).map { ($0, .level4) }, to: joined)
                var retired = from.1.objectValue ?? JSONObject()
                retired["active"] = false
                entries.append(Self.put(from.0, .object(retired)))
                personInputs.append(MasterIndexTask.input("person-before", ("valueReference", ["reference": .string("Person/\(from.0.id)/_history/\(from.0.versionId)")])))
            }
            entries.append(Self.put(into.0, joined))
            personInputs.append(MasterIndexTask.input("person-before", ("valueReference", ["reference": .string("Person/\(into.0.id)/_history/\(into.0.versionId)")])))
        }

        let taskId = UUID().uuidString.lowercased()
        var inputs = moved + personInputs
        inputs.append(MasterIndexTask.input("source-active", ("valueBoolean", srcJSON["active"] ?? .bool(true))))
        let task: JSON = [
            "resourceType": "Task", "id": .string(taskId), "status": "completed", "intent": "order",
            "code": MasterIndexTask.code(MasterIndexTask.merge, "Merge of two patient records"),
            "businessStatus": ["coding": [["system": .string(ChinaProfile.CodeSystem.masterIndexTask), "code": "merged"]]],
            "focus": ["reference": .string("Patient/" + source)], "for": ["reference": .string("Patient/" + target)],
            "authoredOn": .string(InstantFormat.string(millis: Int64(Date().timeIntervalSince1970 * 1000))),
            "input": .array(inputs),
        ]
        entries.append(Self.entry("PUT", "Task/\(taskId)", task))
        _ = try await repository.processBundle(Self.transaction(entries), baseURL: baseURL, context: context)
        guard let survivor = try await repository.backend.read(type: "Patient", id: target) else { throw FHIRError.internal("the merged record vanished") }
        return Result(target: survivor, moved: moved.count, task: taskId)
    }

    /// Undoes the last merge of `source`: its references move back, its record is active again and
    /// unlinked, the master Persons are as they were before.
    public func unmerge(source: String, baseURL: String, context: RequestContext) async throws -> ResourceRecord {
        let src = try await repository.read(type: "Patient", id: source, context: context)
        let q = try repository.searchQuery(type: "Task", queryString: "code=" + BlockingKeys.encode(ChinaProfile.CodeSystem.masterIndexTask + "|" + MasterIndexTask.merge)
                                           + "&focus=Patient/" + source + "&business-status=" + BlockingKeys.encode(ChinaProfile.CodeSystem.masterIndexTask + "|merged"))
        guard let taskRecord = try await repository.backend.search(q).records.max(by: { $0.lastUpdated < $1.lastUpdated }),
            let task = try? JSONParser.parse(taskRecord.json),
            let targetRef = task["for"]?["reference"]?.stringValue, targetRef.hasPrefix("Patient/")
        else { throw FHIRError(status: 422, code: .businessRule, "Patient/\(source) has no merge to undo") }
        let target = String(targetRef.dropFirst("Patient/".count))
        var entries: [JSON] = []
        var sourceActive: JSON = .bool(true)
        for input in task["input"]?.arrayValue ?? [] {
            let kind = input["type"]?["text"]?.stringValue
            let ref = input["valueReference"]?["reference"]?.stringValue ?? ""
            let parts = ref.split(separator: "/").map(String.init)
            switch kind {
            case "moved" where parts.count == 2:
                guard let r = try await repository.backend.read(type: parts[0], id: parts[1]), !r.isDeleted else { continue }
                let (json, changed) = ReferenceMove.moving(try JSONParser.parse(r.json), from: "Patient/" + target, to: "Patient/" + source)
                if changed { entries.append(Self.put(r, json)) }
            case "person-before" where parts.count == 4:
                guard let v = Int(parts[3]), let before = try await repository.backend.readVersion(type: "Person", id: parts[1], versionId: v),
                    let current = try await repository.backend.read(type: "Person", id: parts[1])
                else { continue }
                entries.append(Self.put(current, try JSONParser.parse(before.json)))
            case "person-created" where parts.count == 2:
                entries.append(["request": ["method": "DELETE", "url": .string(ref)]])
            case "source-active":
                sourceActive = input["valueBoolean"] ?? .bool(true)
            default:
                continue
            }
        }
        var srcObject = try JSONParser.parse(src.json).objectValue ?? JSONObject()
        srcObject["active"] = sourceActive
        srcObject["link"] = Self.without(srcObject["link"], other: targetRef, type: "replaced-by")
        entries.append(Self.put(src, .object(srcObject)))
        if let tgt = try await repository.backend.read(type: "Patient", id: target), !tgt.isDeleted, var tgtObject = try JSONParser.parse(tgt.json).objectValue {
            tgtObject["link"] = Self.without(tgtObject["link"], other: "Patient/" + source, type: "replaces")
            entries.append(Self.put(tgt, .object(tgtObject)))
        }
        var undone = task.objectValue ?? JSONObject()
        undone["businessStatus"] = ["coding": [["system": .string(ChinaProfile.CodeSystem.masterIndexTask), "code": "unmerged"]]]
        entries.append(Self.put(taskRecord, .object(undone)))
        _ = try await repository.processBundle(Self.transaction(entries), baseURL: baseURL, context: context)
        guard let restored = try await repository.backend.read(type: "Patient", id: source) else { throw FHIRError.internal("the unmerged record vanished") }
        return restored
    }

    /// The current resources in a patient's compartment.
    func compartment(of patient: String) async throws -> [ResourceRecord] {
        var records: [ResourceRecord] = []
        var cursor: PageCursor?
        repeat {
            let page = try await repository.backend.search(StoreQuery(type: nil, filters: [[.compartment([patient])]], count: 500, after: cursor))
            records += page.records
            cursor = page.next
        } while cursor != nil
        return records
    }

    func masterPersons(of ids: [String]) async throws -> [ResourceRecord] {
        let q = try repository.searchQuery(type: "Person", queryString: MasterPerson.query(linking: ids))
        return try await repository.backend.search(q).records.filter { r in (try? JSONParser.parse(r.json)).map(MasterPerson.isActiveMaster) ?? false }
    }

    static func without(_ links: JSON?, other: String, type: String) -> JSON? {
        let kept = (links?.arrayValue ?? []).filter { !($0["other"]?["reference"]?.stringValue == other && $0["type"]?.stringValue == type) }
        return kept.isEmpty ? nil : .array(kept)
    }

    /// A PUT of `json` over `current`, refused if someone changed it meanwhile (If-Match).
    static func put(_ current: ResourceRecord, _ json: JSON) -> JSON {
        var entry = entry("PUT", "\(current.type)/\(current.id)", json).objectValue ?? JSONObject()
        var request = entry["request"]?.objectValue ?? JSONObject()
        request["ifMatch"] = .string("W/\"\(current.versionId)\"")
        entry["request"] = .object(request)
        return .object(entry)
    }

    static func entry(_ method: String, _ url: String, _ resource: JSON) -> JSON {
        ["resource": resource, "request": ["method": .string(method), "url": .string(url)]]
    }

    static func transaction(_ entries: [JSON]) -> JSON {
        ["resourceType": "Bundle", "type": "transaction", "entry": .array(entries)]
    }
}
