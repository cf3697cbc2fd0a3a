import Foundation
import Testing

@testable import FHIRStore

/// Server-assigned ids are UUID version 7: valid FHIR ids, unique, and ordered by creation time, so
/// that the indexes keyed by id take new resources at their right edge.
@Suite("Time-ordered resource ids")
struct TimeOrderedIDTests {
    @Test("an id is a lowercase RFC 9562 version-7 UUID carrying its millisecond")
    func format() throws {
        let millis: Int64 = 1_795_000_000_123
        let id = TimeOrderedID.make(millis: millis)
        #expect(id.count == 36)
        #expect(id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(id)")
        let stamp = id.replacingOccurrences(of: "-", with: "").prefix(12)
        #expect(Int64(stamp, radix: 16) == millis)
        // A FHIR id: [A-Za-z0-9\-\.]{1,64}.
        #expect(id.wholeMatch(of: /[A-Za-z0-9\-\.]{1,64}/) != nil)
    }

    @Test("ids of later milliseconds sort after earlier ones; ids of one millisecond differ")
    func ordering() {
        let earlier = (0..<100).map { TimeOrderedID.make(millis: 1_795_000_000_000 + Int64($0)) }
        #expect(earlier == earlier.sorted())
        let same = Set((0..<10_000).map { _ in TimeOrderedID.make(millis: 1_795_000_000_000) })
        #expect(same.count == 10_000)
    }

    @Test("the repository assigns such ids")
    func repositoryUsesThem() {
        let id = FHIRRepository.newId()
        #expect(id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil)
    }
}
