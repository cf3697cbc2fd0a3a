/// The R4 `date`, `dateTime`, `instant` and `time` formats (datatypes.html), checked by hand: partial dates
/// (`1974`, `1974-12`), calendar validity (no 30 February), seconds and a time zone whenever a time is given.
enum DateTimeFormat {
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, year 0001 or later, a real calendar day.
    static func dateProblem(_ b: [UInt8]) -> String? {
        switch datePart(b) {
        case .invalid(let why): return why
        case .valid(let end): return end == b.count ? nil : "must be YYYY, YYYY-MM or YYYY-MM-DD"
        }
    }

    /// A date, or a full date with `Thh:mm:ss[.fff]` and a zone (`Z` or `±hh:mm`); `instant` needs the time.
    static func dateTimeProblem(_ b: [UInt8], instant: Bool) -> String? {
        let kind = instant ? "instant" : "dateTime"
        switch datePart(b) {
        case .invalid(let why): return why
        case .valid(let end):
            if end == b.count {
                return instant ? "an instant needs a full date, a time with seconds and a time zone" : nil
            }
            guard end == 10, b[end] == UInt8(ascii: "T") else {
                return "a \(kind) with a time needs a full date then 'T'"
            }
            guard let afterTime = timePart(b, from: end + 1) else {
                return "the time of a \(kind) must be hh:mm:ss with an optional fraction"
            }
            guard afterTime < b.count else { return "a \(kind) with a time needs a time zone (Z or +hh:mm)" }
            return zoneIsValid(b, from: afterTime) ? nil : "the time zone must be Z or ±hh:mm (up to 14:00)"
        }
    }

    /// `hh:mm:ss` with an optional fraction, no zone.
    static func timeProblem(_ b: [UInt8]) -> String? {
        timePart(b, from: 0) == b.count ? nil : "must be hh:mm:ss (00:00:00 to 23:59:59) with an optional fraction"
    }

    enum DateResult {
        case valid(end: Int)
        case invalid(String)
    }

    static func datePart(_ b: [UInt8]) -> DateResult {
        guard b.count >= 4, let year = number(b, 0, 4) else { return .invalid("must start with a 4-digit year") }
        if year == 0 { return .invalid("the year 0000 does not exist") }
        if b.count == 4 || b[4] == UInt8(ascii: "T") { return .valid(end: 4) }
        guard b[4] == UInt8(ascii: "-"), b.count >= 7, let month = number(b, 5, 2) else {
            return .invalid("must be YYYY, YYYY-MM or YYYY-MM-DD")
        }
        guard (1...12).contains(month) else { return .invalid("month \(month) does not exist") }
        if b.count == 7 || b[7] == UInt8(ascii: "T") { return .valid(end: 7) }
        guard b[7] == UInt8(ascii: "-"), b.count >= 10, let day = number(b, 8, 2) else {
            return .invalid("must be YYYY, YYYY-MM or YYYY-MM-DD")
        }
        guard day >= 1, day <= daysIn(month: month, year: year) else {
            return .invalid("day \(day) does not exist in \(year)-\(month < 10 ? "0" : "")\(month)")
        }
        return .valid(end: 10)
    }

    /// Parses `hh:mm:ss(.f+)?` at `from`; returns the index after it.
    static func timePart(_ b: [UInt8], from: Int) -> Int? {
        guard b.count >= from + 8, let h = number(b, from, 2), b[from + 2] == UInt8(ascii: ":"),
            let m = number(b, from + 3, 2), b[from + 5] == UInt8(ascii: ":"), let s = number(b, from + 6, 2),
            h <= 23, m <= 59, s <= 60
        else { return nil }
        var i = from + 8
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let digits = i
            while i < b.count, PrimitiveFormat.isDigit(b[i]) { i += 1 }
            if i == digits { return nil }
        }
        return i
    }

    static func zoneIsValid(_ b: [UInt8], from: Int) -> Bool {
        if b[from] == UInt8(ascii: "Z") { return from + 1 == b.count }
        guard b[from] == UInt8(ascii: "+") || b[from] == UInt8(ascii: "-"), b.count == from + 6,
            let h = number(b, from + 1, 2), b[from + 3] == UInt8(ascii: ":"), let m = number(b, from + 4, 2)
        else { return false }
        return (h < 14 && m <= 59) || (h == 14 && m == 0)
    }

    static func number(_ b: [UInt8], _ start: Int, _ length: Int) -> Int? {
        guard start + length <= b.count else { return nil }
        var n = 0
        for i in start..<(start + length) {
            guard PrimitiveFormat.isDigit(b[i]) else { return nil }
            n = n * 10 + Int(b[i] &- 0x30)
        }
        return n
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
