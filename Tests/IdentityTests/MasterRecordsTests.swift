import ChinaReference
import FHIRCore
import FHIRStore
@testable import Identity
import Testing

/// How two patients come to share a master Person, and the Person and Task the index writes.
@Suite("Master Person records")
struct MasterRecordsTests {
    static func stored(_ person: JSON) throws -> ResourceRecord {
        ResourceRecord(type: "Person", id: try #require(person["id"]?.stringValue), versionId: 3, lastUpdated: 0, isDeleted: false,
                       json: JSONWriter.bytes(person))
    }

    @Test("neither has a Person: a new one links both; one has: the other joins it; both in one: nothing; in two: a conflict for review")
    func plans() throws {
        guard case .write(let id, let made, nil) = MasterIndex.plan("a", "b", persons: [], assurance: .level3, name: nil, newId: "p1") else {
            Issue.record("expected a new Person"); return
        }
        #expect(id == "p1" && Set(MasterPerson.members(made)) == ["a", "b"])
        #expect(made["identifier"]?.arrayValue?.first?["system"]?.stringValue == ChinaProfile.IdentifierSystem.masterPerson)
        let p1 = try Self.stored(made)
        guard case .write("p1", let joined, 3) = MasterIndex.plan("c", "a", persons: [p1], assurance: .level4, name: nil) else {
            Issue.record("expected c to join p1"); return
        }
        #expect(MasterPerson.members(joined) == ["a", "b", "c"])
        #expect(joined["link"]?.arrayValue?.last?["assurance"] == "level4")
        guard case .alreadyLinked = MasterIndex.plan("b", "a", persons: [p1], assurance: .level3, name: nil) else {
            Issue.record("expected already linked"); return
        }
        let p2 = try Self.stored(MasterPerson.make(id: "p2", patients: [("x", .level3), ("y", .level3)], name: nil))
        guard case .conflict = MasterIndex.plan("a", "x", persons: [p1, p2], assurance: .level3, name: nil) else {
            Issue.record("expected a conflict"); return
        }
    }

    @Test("a review Task names the new record (for), the candidate (focus), the score, grade and fields in the index's code system")
    func reviewTask() {
        let a = MatchAssessment(score: 20.5, grade: .probable, deterministic: false, fields: ["name": .exact, "phone": .disagree])
        let task = MasterIndexTask.review(patient: "new", candidate: "old", assessment: a, policy: .standard)
        #expect(MasterIndexTask.kind(of: task) == MasterIndexTask.reviewMatch)
        #expect(task["status"] == "requested" && task["for"]?["reference"] == "Patient/new" && task["focus"]?["reference"] == "Patient/old")
        let inputs = task["input"]?.arrayValue ?? []
        #expect(inputs.first?["valueDecimal"]?.numberValue?.doubleValue == 20.5)
        #expect(inputs.contains { $0["valueCode"] == "probable" })
        #expect(inputs.contains { $0["valueString"]?.stringValue == "name=exact, phone=disagree" })
    }
}
