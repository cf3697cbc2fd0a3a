import FHIRCore
import Testing

/// Pages in row order driven by one criterion's index rows, the other criteria probed on the rows
/// met (SQLSearchDriver.swift): the same matches as the criteria taken apart, on every page, with
/// counts, paging links and writes between pages.
@Suite("search pages driven by one criterion")
struct SearchDrivenPagingTests {
    static let bp = #""code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]}"#
    static let weight = #""code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]}"#

    static func observation(_ id: String, _ effective: String?, code: String = bp, subject: String = "pa", mmHg: Int? = nil) -> (String, String) {
        var more = effective.map { ",\($0)" } ?? ""
        if let mmHg { more += #","valueQuantity":{"value":\#(mmHg),"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}"# }
        return ("Observation/\(id)", #"{"resourceType":"Observation","id":"\#(id)","status":"final",\#(code),"subject":{"reference":"Patient/\#(subject)"}\#(more)}"#)
    }

    /// d2, d3, d5, d7, d8, d9 fall in March 2024: by a date in it or by a period overlapping it.
    static let resources: [(String, String)] = [
        ("Patient/pa", #"{"resourceType":"Patient","id":"pa","name":[{"family":"王","given":["五"]}]}"#),
        ("Patient/pb", #"{"resourceType":"Patient","id":"pb","name":[{"family":"李","given":["四"]}]}"#),
        observation("d1", #""effectiveDateTime":"2024-02-15""#),
        observation("d2", #""effectiveDateTime":"2024-03-10T08:00:00+08:00""#, mmHg: 120),
        observation("d3", #""effectivePeriod":{"start":"2024-02-20","end":"2024-03-05"}"#, mmHg: 135),
        observation("d4", #""effectiveDateTime":"2024-04-15""#, mmHg: 140),
        observation("d5", #""effectiveDateTime":"2024-03-20""#, code: weight, subject: "pb"),
        observation("d6", #""effectivePeriod":{"start":"2024-04-10","end":"2024-04-20"}"#),
        observation("d7", #""effectiveDateTime":"2024-03-25""#),
        observation("d8", #""effectivePeriod":{"start":"2023-01-01","end":"2025-01-01"}"#),
        observation("d9", #""effectiveDateTime":"2024-03-15""#, subject: "pb", mmHg: 128),
        observation("d10", nil),
        // Goal.target repeats: g1's due dates lie on both sides of March, none in it.
        ("Goal/g1", #"{"resourceType":"Goal","id":"g1","lifecycleStatus":"active","description":{"text":"a"},"subject":{"reference":"Patient/pa"},"target":[{"dueDate":"2024-01-15"},{"dueDate":"2024-06-15"}]}"#),
        ("Goal/g2", #"{"resourceType":"Goal","id":"g2","lifecycleStatus":"active","description":{"text":"b"},"subject":{"reference":"Patient/pa"},"target":[{"dueDate":"2024-03-15"}]}"#),
        ("Goal/g3", #"{"resourceType":"Goal","id":"g3","lifecycleStatus":"active","description":{"text":"c"},"subject":{"reference":"Patient/pa"},"target":[{"dueDate":"2024-05-01"}]}"#),
    ]

    static func load(_ fhir: FHIRTestClient) async throws {
        for (path, json) in resources {
            let r = try await fhir.put("/fhir/" + path, json)
            #expect(r.status == 201, "PUT \(path): \(r.status) \(r.text)")
        }
    }

    /// Every match of `path` in order, read page by page through next links.
    static func all(_ fhir: FHIRTestClient, _ path: String, count: Int) async throws -> [String] {
        let first = try await fhir.search(path + "&_count=\(count)")
        #expect(first.status == 200, "\(path): \(first.text)")
        return try await SearchSortPagingTests.pages(fhir, from: first).flatMap { $0 }
    }

    static let march = "date=ge2024-03-01&date=lt2024-04-01"
    static let loinc = "code=http://loinc.org|8480-6"

    @Test("a date range of two prefixes on one parameter matches as its criteria do apart, on every page and in the count", arguments: ServerBackendKind.allCases)
    func dateRange(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            // Newest first: by each resource's latest value under the upper bound (SQLSearchDateWalk.swift).
            let expected = ["d7", "d5", "d9", "d2", "d3", "d8"]
            for count in [1, 2, 4, 20] {
                #expect(try await Self.all(fhir, "/fhir/Observation?\(Self.march)", count: count) == expected, "_count=\(count)")
            }
            #expect(try await fhir.search("/fhir/Observation?\(Self.march)&_total=accurate&_count=0").json["total"] == 6)
            // Each prefix may be met by a different value of the parameter (g1), as before.
            #expect(try await fhir.matches("/fhir/Goal?target-date=ge2024-03-01&target-date=lt2024-04-01") == ["g1", "g2"])
            #expect(try await Self.all(fhir, "/fhir/Observation?\(Self.march)&\(Self.loinc)", count: 2) == ["d2", "d3", "d7", "d8", "d9"])
            #expect(try await Self.all(fhir, "/fhir/Observation?\(Self.march)&code:not=http://loinc.org|29463-7", count: 2) == ["d7", "d9", "d2", "d3", "d8"])
            #expect(try await Self.all(fhir, "/fhir/Observation?date=lt2024-03-01&date=ge2024-02-16", count: 1) == ["d3", "d8"])
            // Criteria of one parameter are folded into one walk of its index rows, each still met by any value.
            #expect(try await Self.all(fhir, "/fhir/Observation?value-quantity=ge125&value-quantity=lt140", count: 1) == ["d3", "d9"])
            #expect(try await Self.all(fhir, "/fhir/Observation?value-quantity=ge125&value-quantity=lt140&\(Self.march)&subject=Patient/pa", count: 1) == ["d3"])
            #expect(try await Self.all(fhir, "/fhir/Observation?date:missing=false&date=ge2024-03-12", count: 2) == ["d4", "d5", "d6", "d7", "d8", "d9"])
            #expect(try await Self.all(fhir, "/fhir/Observation?date=ge2024-03-12&value-quantity:missing=true", count: 2) == ["d5", "d6", "d7", "d8"])
            // From the last page back to the first.
            var last = try await fhir.search("/fhir/Observation?\(Self.march)&_count=4")
            while let next = last.link("next") { last = try await fhir.get(next) }
            let back = try await SearchSortPagingTests.pages(fhir, from: last, "previous")
            #expect(Array(back.reversed().joined()) == expected)
        }
    }

    @Test("a range with an upper bound pages newest first, each resource once, while rows are written between pages", arguments: ServerBackendKind.allCases)
    func dateWalkNewestFirst(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            // Several values in the range (a Timing's events) still make one entry, at the latest one.
            let (tp, tj) = Self.observation("t1", #""effectiveTiming":{"event":["2024-03-03","2024-03-22","2024-05-01"]}"#)
            #expect(try await fhir.put("/fhir/" + tp, tj).status == 201)
            let expected = ["d7", "t1", "d5", "d9", "d2", "d3", "d8"]
            #expect(try await Self.all(fhir, "/fhir/Observation?\(Self.march)", count: 2) == expected)
            #expect(try await Self.all(fhir, "/fhir/Observation?date=le2024-03-31&date=ge2024-03-01", count: 3) == expected)
            // Only an upper bound: everything under it, newest first.
            #expect(try await Self.all(fhir, "/fhir/Observation?date=lt2024-03-12", count: 2) == ["d2", "t1", "d3", "d1", "d8"])
            #expect(try await Self.all(fhir, "/fhir/Observation?date=eb2024-03-01", count: 1) == ["d1"])
            // The keyset holds while rows change: a newer match than the cursor is not shown again, an
            // older one appears where it belongs, a deleted one is gone.
            let first = try await fhir.search("/fhir/Observation?\(Self.march)&_count=3")
            #expect(first.ids() == ["d7", "t1", "d5"])
            let (np, nj) = Self.observation("n1", #""effectiveDateTime":"2024-03-30""#)
            let (op, oj) = Self.observation("n2", #""effectiveDateTime":"2024-03-12""#)
            #expect(try await fhir.put("/fhir/" + np, nj).status == 201)
            #expect(try await fhir.put("/fhir/" + op, oj).status == 201)
            #expect(try await fhir.delete("/fhir/Observation/d2").status == 204)
            let rest = try await SearchSortPagingTests.pages(fhir, from: try await fhir.get(try #require(first.link("next"))))
            #expect(rest.flatMap { $0 } == ["d9", "n2", "d3", "d8"])
            // A cursor of the row-id order (no keys) is refused for this search rather than misread.
            let wrong = try await fhir.search("/fhir/Observation?\(Self.march)&_cursor=a3")
            #expect(wrong.status == 400)
            #expect(try await fhir.search("/fhir/Observation?\(Self.march)&_total=accurate&_count=0").json["total"] == 8)
        }
    }

    @Test("token and reference searches page in row order with the other criteria as probes, and count the same matches", arguments: ServerBackendKind.allCases)
    func tokenAndReference(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            let bp = ["d1", "d2", "d3", "d4", "d6", "d7", "d8", "d9", "d10"]
            #expect(try await Self.all(fhir, "/fhir/Observation?\(Self.loinc)", count: 2) == bp)
            #expect(try await Self.all(fhir, "/fhir/Observation?code=8480-6", count: 4) == bp)
            #expect(try await Self.all(fhir, "/fhir/Observation?subject=Patient/pb", count: 1) == ["d5", "d9"])
            #expect(try await Self.all(fhir, "/fhir/Observation?subject=Patient/pb&\(Self.loinc)", count: 1) == ["d9"])
            #expect(try await Self.all(fhir, "/fhir/Observation?subject:Patient.name=李&\(Self.loinc)", count: 1) == ["d9"])
            #expect(try await Self.all(fhir, "/fhir/Observation?subject:Patient.name=王&\(Self.march)", count: 2) == ["d2", "d3", "d7", "d8"])
            #expect(try await Self.all(fhir, "/fhir/Observation?code=http://loinc.org|8480-6,http://loinc.org|29463-7&subject=Patient/pb", count: 1) == ["d5", "d9"])
            #expect(try await Self.all(fhir, "/fhir/Observation?date:missing=false&subject=Patient/pa&\(Self.loinc)", count: 3) == ["d1", "d2", "d3", "d4", "d6", "d7", "d8"])
            #expect(try await fhir.matches("/fhir/Observation?date:missing=true&\(Self.loinc)") == ["d10"])
            let total = { (query: String) in try await fhir.search("/fhir/Observation?\(query)&_total=accurate&_count=0").json["total"] }
            #expect(try await total(Self.loinc) == 9)
            #expect(try await total("code=8480-6") == 9)
            #expect(try await total("subject=Patient/pb&\(Self.loinc)") == 1)
            #expect(try await total("subject:Patient.name=王&\(Self.march)") == 4)
            // The page, the total and _include together.
            let page = try await fhir.search("/fhir/Observation?subject=Patient/pb&_include=Observation:subject&_total=accurate")
            #expect(page.ids() == ["d5", "d9"])
            #expect(page.ids("include") == ["pb"])
            #expect(page.json["total"] == 2)
        }
    }

    @Test("a token search continues from its cursor while matching rows are added, changed and deleted", arguments: ServerBackendKind.allCases)
    func pagingWhileWriting(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            try await Self.load(fhir)
            let first = try await fhir.search("/fhir/Observation?\(Self.loinc)&_count=3")
            #expect(first.ids() == ["d1", "d2", "d3"])
            // A new match comes last; a deleted one and one whose code changed leave the next pages.
            let (path, json) = Self.observation("d11", #""effectiveDateTime":"2024-03-02""#)
            #expect(try await fhir.put("/fhir/" + path, json).status == 201)
            #expect(try await fhir.delete("/fhir/Observation/d6").status == 204)
            let (p7, j7) = Self.observation("d7", #""effectiveDateTime":"2024-03-25""#, code: Self.weight)
            #expect(try await fhir.put("/fhir/" + p7, j7).status == 200)
            let rest = try await SearchSortPagingTests.pages(fhir, from: try await fhir.get(try #require(first.link("next"))))
            #expect(rest.flatMap { $0 } == ["d4", "d8", "d9", "d10", "d11"])
            #expect(rest.map(\.count) == [3, 2])
            #expect(try await fhir.search("/fhir/Observation?\(Self.loinc)&_total=accurate&_count=0").json["total"] == 8)
            #expect(try await Self.all(fhir, "/fhir/Observation?\(Self.march)", count: 3) == ["d7", "d5", "d9", "d2", "d11", "d3", "d8"])
        }
    }
}
