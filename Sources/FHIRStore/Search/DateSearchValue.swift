import FHIRCore

/// The instant range a FHIR date, dateTime or instant covers at its precision: `2024-03` is all of
/// March 2024 (search.html#date: "the range of the value is the implicit precision").
enum DateSearchValue {
    struct Range: Equatable {
        var low: Int64
        var high: Int64
    }

    /// Nil when `text` is not a FHIR date/dateTime/instant.
    static func range(of text: String) -> Range? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int64(c - 0x30)
            }
            i += n
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue else { return false }
            i += 1
            return true
        }
        guard let year = digits(4) else { return nil }
        var month: Int64 = 1, day: Int64 = 1
        var precision = 0  // 0 year, 1 month, 2 day, 3 minutes, 4 seconds, 5 fraction
        if expect("-") {
            guard let m = digits(2), (1...12).contains(m) else { return nil }
            month = m
            precision = 1
            if expect("-") {
                guard let d = digits(2), d >= 1, d <= daysIn(year: year, month: month) else { return nil }
                day = d
                precision = 2
            }
        }
        var ms = InstantFormat.days(year: year, month: month, day: day) * 86_400_000
        var fractionDigits = 0
        if precision == 2, expect("T") {
            guard let h = digits(2), h < 24, expect(":"), let mi = digits(2), mi < 60 else { return nil }
            ms += h * 3_600_000 + mi * 60_000
            precision = 3
            if expect(":") {
                guard let s = digits(2), s < 60 else { return nil }
                ms += s * 1000
                precision = 4
                if expect(".") {
                    var scale: Int64 = 100
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                        ms += Int64(b[i] - 0x30) * scale
                        scale /= 10
                        fractionDigits += 1
                        i += 1
                    }
                    guard fractionDigits > 0 else { return nil }
                    precision = 5
                }
            }
            // Time zone: Z or ±hh:mm; a dateTime without one is read as UTC.
            if expect("Z") {
            } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
                i += 1
                guard let th = digits(2), expect(":"), let tm = digits(2) else { return nil }
                ms -= sign * (th * 3_600_000 + tm * 60_000)
            }
        }
        guard i == b.count else { return nil }
        let high: Int64
        switch precision {
        case 0: high = InstantFormat.days(year: year + 1, month: 1, day: 1) * 86_400_000 - 1
        case 1:
            let (ny, nm) = month == 12 ? (year + 1, Int64(1)) : (year, month + 1)
            high = InstantFormat.days(year: ny, month: nm, day: 1) * 86_400_000 - 1
        case 2: high = ms + 86_400_000 - 1
        case 3: high = ms + 60_000 - 1
        case 4: high = ms + 999
        default: high = fractionDigits >= 3 ? ms : ms + (fractionDigits == 1 ? 99 : 9)
        }
        return Range(low: ms, high: high)
    }

    static func daysIn(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
