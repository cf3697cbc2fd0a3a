import Testing
@testable import FHIRCore

/// The value types FHIRPath shares with the rest of the product: decimals, dates with precision,
/// quantities with UCUM units.
@Suite("FHIRPath primitive values")
struct FHIRPathPrimitivesTests {
    @Test("decimals keep their precision and compute exactly")
    func decimals() throws {
        let a = try #require(FHIRDecimal("0.1")), b = try #require(FHIRDecimal("0.2"))
        #expect(a.adding(b)?.description == "0.3")
        #expect(FHIRDecimal("1.50")?.description == "1.50")
        #expect(FHIRDecimal("1.50") == FHIRDecimal("1.5"))
        #expect(FHIRDecimal("1e3")?.description == "1000")
        #expect(FHIRDecimal("-2.5")?.rounded(toScale: 0).description == "-3")
        #expect(FHIRDecimal("1")?.dividing(by: FHIRDecimal(3), scale: 8)?.description == "0.33333333")
        #expect(FHIRDecimal("1.") == nil && FHIRDecimal("abc") == nil && FHIRDecimal("") == nil)
    }

    @Test("partial dates cover a range of instants")
    func dateRanges() throws {
        let year = try #require(FHIRDateTime("2024"))
        #expect(year.precision == .year)
        let range = year.instantRange()
        #expect(FHIRDateTime(epochMilliseconds: range.lowerBound).description == "2024-01-01T00:00:00.000Z")
        #expect(FHIRDateTime(epochMilliseconds: range.upperBound).description == "2024-12-31T23:59:59.999Z")
        let february = try #require(FHIRDateTime("2024-02"))
        #expect(february.highBoundary(precision: .day).description == "2024-02-29")
        let zoned = try #require(FHIRDateTime("2024-03-05T10:30:00+08:00"))
        #expect(zoned.instantRange().lowerBound == (try #require(FHIRDateTime("2024-03-05T02:30:00Z"))).instantRange().lowerBound)
        #expect(FHIRDateTime("2023-02-29") == nil)
        #expect(FHIRDateTime("2024-13") == nil)
    }

    @Test("comparing dates of different precision is unknown unless the known part differs")
    func dateComparison() throws {
        let month = try #require(FHIRDateTime("2018-03")), day = try #require(FHIRDateTime("2018-03-01"))
        let april = try #require(FHIRDateTime("2018-04-15"))
        #expect(month.compare(to: day) == nil)
        #expect(month.compare(to: april) == -1)
        let a = try #require(FHIRDateTime("2017-11-05T01:30:00.0-04:00")), b = try #require(FHIRDateTime("2017-11-05T00:30:00.0-05:00"))
        #expect(a.compare(to: b) == 0)
    }

    @Test("calendar arithmetic clamps to the end of shorter months")
    func dateArithmetic() throws {
        let jan31 = try #require(FHIRDateTime("2023-01-31"))
        #expect(jan31.adding(1, .month).description == "2023-02-28")
        #expect(jan31.adding(-1, .year).description == "2022-01-31")
        let t = try #require(FHIRDateTime("1973-12-25T00:00:00.000+10:00"))
        #expect(t.adding(7, .day).description == "1974-01-01T00:00:00.000+10:00")
        #expect(t.adding(-1, .millisecond).description == "1973-12-24T23:59:59.999+10:00")
    }

    @Test("UCUM units convert within a dimension only")
    func units() throws {
        let mg = try #require(UCUMUnit("mg")), g = try #require(UCUMUnit("g")), s = try #require(UCUMUnit("s"))
        #expect(mg.isComparable(to: g) && !mg.isComparable(to: s))
        #expect(UCUMUnit("kg/m2")?.isComparable(to: try #require(UCUMUnit("g.cm-2"))) == true)
        #expect(UCUMUnit("10*3/uL") != nil && UCUMUnit("{beats}/min") != nil)
        #expect(UCUMUnit("furlong") == nil)
    }
}
