import ChinaReference
import FHIRCore
import Foundation

/// The master identity as a FHIR Person: one per person, with a link to each Patient record of
/// theirs and an identifier in the master-person system (which is how the index tells its own
/// Persons from any others). Pure JSON building, no I/O.
public enum MasterPerson {
    /// Person.link.assurance: level4 for equal resident IDs or a reviewed merge, level3 for a
    /// probabilistic certain match or a reviewed link.
    public enum Assurance: String, Sendable { case level3, level4 }

    public static func make(id: String, patients: [(id: String, assurance: Assurance)], name: JSON?) -> JSON {
        var o = JSONObject([
            ("resourceType", "Person"), ("id", .string(id)),
            ("identifier", [["system": .string(ChinaProfile.IdentifierSystem.masterPerson), "value": .string(id)]]),
        ])
        if let name { o["name"] = .array([name]) }
        o["active"] = true
        o["link"] = .array(patients.map(link))
        return .object(o)
    }

    /// `person` with links to `patients` it does not have yet.
    public static func adding(_ patients: [(id: String, assurance: Assurance)], to person: JSON) -> JSON {
        guard var o = person.objectValue else { return person }
        var links = o["link"]?.arrayValue ?? []
        let present = Set(members(person))
        for p in patients where !present.contains(p.id) { links.append(link(p)) }
        o["link"] = .array(links)
        o["active"] = true
        return .object(o)
    }

    /// The Patient ids the Person links to.
    public static func members(_ person: JSON) -> [String] {
        (person["link"]?.arrayValue ?? []).compactMap { l in
            guard let ref = l["target"]?["reference"]?.stringValue, ref.hasPrefix("Patient/") else { return nil }
            return String(ref.dropFirst("Patient/".count))
        }
    }

    /// The query string that finds the Persons linking any of `patientIds`; keep the master ones with
    /// `isActiveMaster`. (Asking the database for the master-person identifier system too made it read
    /// every `identifier` row it holds: a system alone bounds only the parameter in the value index.)
    public static func query(linking patientIds: [String]) -> String {
        "link=" + patientIds.map { "Patient/" + $0 }.joined(separator: ",")
    }

    /// Whether a Person is one of the index's own (its identifier in the master-person system) and active.
    public static func isActiveMaster(_ person: JSON) -> Bool {
        guard person["active"]?.boolValue != false else { return false }
        return (person["identifier"]?.arrayValue ?? []).contains { $0["system"]?.stringValue == ChinaProfile.IdentifierSystem.masterPerson }
    }

    static func link(_ p: (id: String, assurance: Assurance)) -> JSON {
        ["target": ["reference": .string("Patient/" + p.id)], "assurance": .string(p.assurance.rawValue)]
    }
}

/// The index's Tasks: a probable match waiting for review (`review-match`) and the record of a
/// merge (`merge`), coded in `ChinaProfile.CodeSystem.masterIndexTask`.
public enum MasterIndexTask {
    public static let reviewMatch = "review-match"
    public static let merge = "merge"

    /// A review of `patient` (Task.for) against `candidate` (Task.focus).
    public static func review(patient: String, candidate: String, assessment: MatchAssessment, policy: MatchPolicy, now: Date = Date()) -> JSON {
        let fields = assessment.fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: ", ")
        return [
            "resourceType": "Task", "status": "requested", "intent": "proposal", "priority": "routine",
            "code": code(reviewMatch, "Review a probable patient match"),
            "description": .string("Patient/\(patient) may be the same person as Patient/\(candidate) (score \(format(assessment.score)); \(fields))"),
            "focus": ["reference": .string("Patient/" + candidate)],
            "for": ["reference": .string("Patient/" + patient)],
            "authoredOn": .string(InstantFormat.string(millis: Int64(now.timeIntervalSince1970 * 1000))),
            "input": [
                input("match-score", ("valueDecimal", .number(JSONNumber(unchecked: format(assessment.score))))),
                input("match-grade", ("valueCode", .string(assessment.grade.rawValue))),
                input("match-fields", ("valueString", .string(fields))),
            ],
        ]
    }

    public static func code(_ code: String, _ display: String) -> JSON {
        ["coding": [["system": .string(ChinaProfile.CodeSystem.masterIndexTask), "code": .string(code), "display": .string(display)]]]
    }

    public static func input(_ type: String, _ value: (String, JSON)) -> JSON {
        .object(JSONObject([("type", ["text": .string(type)]), value]))
    }

    /// The task's code in the index's code system, if it is one of the index's tasks.
    public static func kind(of task: JSON) -> String? {
        (task["code"]?["coding"]?.arrayValue ?? []).first { $0["system"]?.stringValue == ChinaProfile.CodeSystem.masterIndexTask }?["code"]?.stringValue
    }

    /// The query string that finds the tasks about a pair (one way round); keep the index's `kind` ones
    /// with `kind(of:)`. (The code as a criterion made the database list every task of that kind.)
    public static func query(focus: String, for patient: String) -> String {
        "focus=Patient/\(focus)&subject=Patient/\(patient)"
    }

    static func format(_ x: Double) -> String { String(format: "%.2f", x) }
}

/// Rewrites references from one resource to another anywhere in a resource (a merge moves them).
public enum ReferenceMove {
    /// `json` with every `reference` to `from` (relative or absolute, `Patient/x` or `…/Patient/x`)
    /// pointing at `to` instead, and whether anything changed.
    public static func moving(_ json: JSON, from: String, to: String) -> (JSON, Bool) {
        switch json {
        case .object(let o):
            var out = JSONObject()
            var changed = false
            for (k, v) in o {
                if k == "reference", let s = v.stringValue, s == from || s.hasSuffix("/" + from) {
                    out[k] = .string(String(s.dropLast(from.count)) + to)
                    changed = true
                } else {
                    let (nv, c) = moving(v, from: from, to: to)
                    out[k] = nv
                    changed = changed || c
                }
            }
            return (.object(out), changed)
        case .array(let items):
            var changed = false
            let mapped = items.map { item -> JSON in
                let (nv, c) = moving(item, from: from, to: to)
                changed = changed || c
                return nv
            }
            return (.array(mapped), changed)
        default:
            return (json, false)
        }
    }
}
