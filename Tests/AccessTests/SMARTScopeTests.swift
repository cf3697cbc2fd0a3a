import Testing

@testable import Access

@Suite("SMART v2 scopes")
struct SMARTScopeTests {
    @Test("v2 scopes parse into context, type and permissions, and print canonically")
    func parseV2() throws {
        let s = try #require(SMARTScope("patient/Observation.rs"))
        #expect(s.context == .patient && s.resourceType == "Observation" && s.permissions == [.read, .search])
        #expect(SMARTScope("user/*.cruds")?.description == "user/*.cruds")
        #expect(SMARTScope("system/Observation.c")?.permissions == [.create])
        let granular = try #require(SMARTScope("patient/Observation.rs?category=laboratory"))
        #expect(granular.query == "category=laboratory" && granular.description == "patient/Observation.rs?category=laboratory")
    }

    @Test("v1 read/write/* map to their v2 permissions")
    func parseV1() {
        #expect(SMARTScope("patient/*.read")?.permissions == [.read, .search])
        #expect(SMARTScope("user/Patient.write")?.permissions == [.create, .update, .delete])
        #expect(SMARTScope("system/*.*")?.permissions == Set(SMARTScope.Permission.allCases))
    }

    @Test("malformed clinical scopes are errors, not silently dropped", arguments: [
        "patient/Observation.sr", "patient/Observation.rr", "patient/Observation.x", "user/observation.rs",
        "patient/Observation.", "doctor/Patient.rs", "patient/Observation.rs?",
    ])
    func malformed(text: String) {
        #expect(SMARTScope(text) == nil)
        if text.hasPrefix("patient/") || text.hasPrefix("user/") {
            #expect(throws: ScopeError.invalid(text)) { try ScopeSet(parsing: "openid " + text) }
        }
    }

    @Test("a scope set grants per interaction and type")
    func granting() throws {
        let set = try ScopeSet(parsing: "openid fhirUser patient/Observation.rs patient/Patient.r")
        #expect(set.contains("openid") && set.contains("fhirUser"))
        #expect(set.granting(.search, on: "Observation").count == 1)
        #expect(set.granting(.create, on: "Observation").isEmpty)
        #expect(set.granting(.search, on: "Patient").isEmpty)
        #expect(set.granting(.read, on: "Condition").isEmpty)
    }

    @Test("asking for more than was granted is an escalation, named scope by scope")
    func escalation() throws {
        let granted = try ScopeSet(parsing: "system/Observation.cruds system/Patient.rs")
        #expect(granted.uncovered(try ScopeSet(parsing: "system/Observation.rs system/Patient.s")).isEmpty)
        #expect(granted.uncovered(try ScopeSet(parsing: "system/Patient.cu")) == ["system/Patient.cu"])
        #expect(granted.uncovered(try ScopeSet(parsing: "system/*.r")) == ["system/*.r"])
        #expect(granted.uncovered(try ScopeSet(parsing: "user/Observation.r")) == ["user/Observation.r"])
        #expect(granted.uncovered(try ScopeSet(parsing: "offline_access")) == ["offline_access"])
        // A granular (filtered) grant does not cover the unfiltered scope.
        let labs = try ScopeSet(parsing: "patient/Observation.rs?category=laboratory")
        #expect(labs.uncovered(try ScopeSet(parsing: "patient/Observation.rs")) == ["patient/Observation.rs"])
        #expect(labs.uncovered(try ScopeSet(parsing: "patient/Observation.r?category=laboratory")).isEmpty)
    }
}
