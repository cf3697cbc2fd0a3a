import FHIRCore
import Foundation
import Testing

/// `_sort` and keyset paging (search.html#sort, http.html#paging) on the fixed corpus.
@Suite("search sorting and paging")
struct SearchSortPagingTests {
    /// Follows `relation` links from `first` to the end, returning each page's ids.
    static func pages(_ fhir: FHIRTestClient, from first: FHIRTestResponse, _ relation: String = "next") async throws -> [[String]] {
        var pages = [first.ids()]
        var response = first
        while let url = response.link(relation), pages.count < 20 {
            response = try await fhir.get(url)
            #expect(response.status == 200, "\(url): \(response.text)")
            pages.append(response.ids())
        }
        return pages
    }

    @Test("_sort orders by one or several parameters, '-' descending, missing values last, ties by creation", arguments: ServerBackendKind.allCases)
    func sortOrders(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await SearchCorpus.load(fhir)
            // Ascending uses a resource's lowest value, descending its highest: p4's 1985-06 starts
            // before p2's 1985-06-15 but also ends after it.
            #expect(try await fhir.search("/fhir/Patient?_sort=birthdate").ids() == ["p1", "p4", "p2", "p3", "p5"])
            #expect(try await fhir.search("/fhir/Patient?_sort=-birthdate").ids() == ["p3", "p4", "p2", "p1", "p5"])
            #expect(try await fhir.search("/fhir/Patient?_sort=gender,-birthdate").ids() == ["p2", "p5", "p3", "p1", "p4"])
            // Strings sort by their normalized form, by code point (Latin before CJK, 张 U+5F20 before 李 U+674E).
            #expect(try await fhir.search("/fhir/Patient?_sort=family").ids() == ["p5", "p2", "p4", "p1", "p3"])
            #expect(try await fhir.search("/fhir/Patient?_sort=-_id").ids() == ["p5", "p4", "p3", "p2", "p1"])
            #expect(try await fhir.search("/fhir/Observation?_sort=-value-quantity").ids() == ["o3", "o2", "o1"])
            #expect(try await fhir.search("/fhir/Observation?_sort=subject").ids() == ["o1", "o2", "o3"])
            #expect(try await fhir.search("/fhir/Patient?_sort=gender&gender=male").ids() == ["p1", "p3"])
            #expect(try await fhir.search("/fhir/Patient?_sort=nonsense").status == 400)
        }
    }

    @Test("sorted pages follow next and previous links over ties and missing values without gaps or repeats", arguments: ServerBackendKind.allCases)
    func sortedPaging(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await SearchCorpus.load(fhir)
            let full = ["p1", "p4", "p2", "p3", "p5"]
            for (sort, expected) in [("birthdate", full), ("-birthdate", ["p3", "p4", "p2", "p1", "p5"]), ("gender,-birthdate", ["p2", "p5", "p3", "p1", "p4"])] {
                for count in [1, 2] {
                    let first = try await fhir.search("/fhir/Patient?_sort=\(sort)&_count=\(count)")
                    #expect(first.link("previous") == nil)
                    let forward = try await Self.pages(fhir, from: first)
                    #expect(forward.flatMap { $0 } == expected, "_sort=\(sort)&_count=\(count)")
                    // From the last page back to the first through previous links.
                    var last = first
                    while let next = last.link("next") { last = try await fhir.get(next) }
                    let backward = try await Self.pages(fhir, from: last, "previous")
                    #expect(Array(backward.reversed().joined()) == expected, "previous links of _sort=\(sort)&_count=\(count)")
                    #expect(backward.reversed().map { $0 } == forward, "the same pages both ways")
                }
            }
            // Unsorted paging has previous links too.
            let plain = try await fhir.search("/fhir/Patient?_count=2")
            let page2 = try await fhir.get(try #require(plain.link("next")))
            let back = try await fhir.get(try #require(page2.link("previous")))
            #expect(back.ids() == plain.ids())
            #expect(back.link("previous") == nil)
        }
    }

    @Test("a sorted page continues from the row where the last one ended while data change (keyset, not offset)", arguments: ServerBackendKind.allCases)
    func pagingWhileWriting(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await SearchCorpus.load(fhir)
            let first = try await fhir.search("/fhir/Patient?_sort=birthdate&_count=2")
            #expect(first.ids() == ["p1", "p4"])
            // One patient sorts before the cursor, one after it, and one on the first page is deleted.
            _ = try await fhir.put("/fhir/Patient/p0", #"{"resourceType":"Patient","id":"p0","birthDate":"1960-01-01"}"#)
            _ = try await fhir.put("/fhir/Patient/p6", #"{"resourceType":"Patient","id":"p6","birthDate":"1990-01-01"}"#)
            _ = try await fhir.delete("/fhir/Patient/p4")
            let rest = try await Self.pages(fhir, from: try await fhir.get(try #require(first.link("next"))))
            #expect(rest.flatMap { $0 } == ["p2", "p6", "p3", "p5"])
            #expect(try await fhir.search("/fhir/Patient?_sort=birthdate&_cursor=a1~x").status == 400)
            // A cursor of another sort is refused rather than misread.
            let cursorOfOtherSort = try #require(first.link("next")).replacingOccurrences(of: "_sort=birthdate", with: "_sort=birthdate,gender")
            #expect(try await fhir.get(cursorOfOtherSort).status == 400)
        }
    }
}
