/// One token of FHIRPath source.
struct FHIRPathToken: Sendable {
    enum Kind: Sendable, Equatable {
        case identifier(String)          // plain identifiers and keywords (`and`, `div`, `true`)
        case delimitedIdentifier(String) // `...`: never a keyword
        case string(String)
        case number(String)
        case longNumber(String)
        case dateTime(String)            // the text after `@`
        case time(String)                // the text after `@T`
        case externalConstant(String)    // %name, %'name', %`name`
        case special(String)             // $this, $index, $total
        case symbol(String)              // . [ ] ( ) , { } + - * / & | = != ~ !~ < <= > >=
        case end
    }

    let kind: Kind
    let position: Int
}

/// Turns FHIRPath source into tokens; comments are dropped, malformed text is a syntax error.
struct FHIRPathLexer {
    private let chars: [Character]
    private var i = 0

    init(_ source: String) { chars = Array(source) }

    static func tokenize(_ source: String) throws(FHIRPathError) -> [FHIRPathToken] {
        var lexer = FHIRPathLexer(source)
        var tokens: [FHIRPathToken] = []
        while true {
            let t = try lexer.next()
            tokens.append(t)
            if t.kind == .end { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> Character? {
        i + offset < chars.count ? chars[i + offset] : nil
    }

    private mutating func skipTrivia() throws(FHIRPathError) {
        while let c = peek() {
            if c.isWhitespace {
                i += 1
            } else if c == "/", peek(1) == "/" {
                while let d = peek(), d != "\n", d != "\r" { i += 1 }
            } else if c == "/", peek(1) == "*" {
                let start = i
                i += 2
                while true {
                    guard let d = peek() else { throw .syntax("unterminated comment", at: start) }
                    if d == "*", peek(1) == "/" {
                        i += 2
                        break
                    }
                    i += 1
                }
            } else {
                return
            }
        }
    }

    mutating func next() throws(FHIRPathError) -> FHIRPathToken {
        try skipTrivia()
        let start = i
        guard let c = peek() else { return FHIRPathToken(kind: .end, position: i) }
        func token(_ k: FHIRPathToken.Kind) -> FHIRPathToken { FHIRPathToken(kind: k, position: start) }

        if c.isLetter && c.isASCII || c == "_" {
            return token(.identifier(identifierRun()))
        }
        if c.isASCII && c.isNumber {
            var text = digitRun()
            if peek() == ".", let d = peek(1), d.isASCII, d.isNumber {
                i += 1
                text += "." + digitRun()
            } else if peek() == "L" {
                i += 1
                return token(.longNumber(text))
            }
            return token(.number(text))
        }
        switch c {
        case "'":
            return token(.string(try quoted("'")))
        case "`":
            return token(.delimitedIdentifier(try quoted("`")))
        case "@":
            i += 1
            return token(try dateTimeLiteral(start))
        case "%":
            i += 1
            if peek() == "'" { return token(.externalConstant(try quoted("'"))) }
            if peek() == "`" { return token(.externalConstant(try quoted("`"))) }
            guard let d = peek(), d.isLetter || d == "_" else { throw .syntax("expected a name after %", at: start) }
            return token(.externalConstant(identifierRun()))
        case "$":
            i += 1
            let name = identifierRun()
            guard ["this", "index", "total"].contains(name) else { throw .syntax("unknown special variable $\(name)", at: start) }
            return token(.special(name))
        default:
            break
        }
        let two = peek(1).map { String([c, $0]) } ?? ""
        if ["!=", "!~", "<=", ">="].contains(two) {
            i += 2
            return token(.symbol(two))
        }
        if ".[](),{}+-*/&|=~<>".contains(c) {
            i += 1
            return token(.symbol(String(c)))
        }
        throw .syntax("unexpected character '\(c)'", at: start)
    }

    private mutating func identifierRun() -> String {
        var s = ""
        while let c = peek(), c.isASCII && (c.isLetter || c.isNumber) || c == "_" {
            s.append(c)
            i += 1
        }
        return s
    }

    private mutating func digitRun() -> String {
        var s = ""
        while let c = peek(), c.isASCII, c.isNumber {
            s.append(c)
            i += 1
        }
        return s
    }

    /// A quoted string or delimited identifier with FHIRPath escapes.
    private mutating func quoted(_ quote: Character) throws(FHIRPathError) -> String {
        let start = i
        i += 1
        var s = ""
        while true {
            guard let c = peek() else { throw .syntax("unterminated \(quote == "'" ? "string" : "identifier")", at: start) }
            i += 1
            if c == quote { return s }
            guard c == "\\" else {
                s.append(c)
                continue
            }
            guard let e = peek() else { throw .syntax("unterminated escape", at: i) }
            i += 1
            switch e {
            case "'", "\"", "`", "\\", "/": s.append(e)
            case "f": s.append("\u{0C}")
            case "n": s.append("\n")
            case "r": s.append("\r")
            case "t": s.append("\t")
            case "u":
                var hex = ""
                for _ in 0..<4 {
                    guard let h = peek(), h.isHexDigit else { throw .syntax("bad \\u escape", at: i) }
                    hex.append(h)
                    i += 1
                }
                guard let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else {
                    throw .syntax("bad \\u escape", at: i)
                }
                s.unicodeScalars.append(scalar)
            default:
                throw .syntax("unknown escape \\\(e)", at: i - 1)
            }
        }
    }

    /// After `@`: a date, a dateTime (`@2015T`, `@2015-02-04T14:34:28+10:00`) or a time (`@T14:34`).
    private mutating func dateTimeLiteral(_ start: Int) throws(FHIRPathError) -> FHIRPathToken.Kind {
        if peek() == "T" {
            i += 1
            return .time(timeRun())
        }
        var s = ""
        guard let y = fixedDigits(4) else { throw .syntax("malformed date literal", at: start) }
        s += y
        for _ in 0..<2 {
            guard peek() == "-", let d1 = peek(1), d1.isNumber else { break }
            i += 1
            guard let part = fixedDigits(2) else { throw .syntax("malformed date literal", at: start) }
            s += "-" + part
        }
        guard peek() == "T" else { return .dateTime(s) }
        i += 1
        s += "T"
        let time = timeRun()
        s += time
        if !time.isEmpty {
            if peek() == "Z" {
                i += 1
                s += "Z"
            } else if let sign = peek(), sign == "+" || sign == "-", let h1 = peek(1), h1.isNumber, let h2 = peek(2),
                      h2.isNumber, peek(3) == ":", let m1 = peek(4), m1.isNumber, let m2 = peek(5), m2.isNumber {
                s += String(chars[i..<(i + 6)])
                i += 6
            }
        }
        return .dateTime(s)
    }

    private mutating func fixedDigits(_ n: Int) -> String? {
        guard i + n <= chars.count else { return nil }
        let part = chars[i..<(i + n)]
        guard part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        i += n
        return String(part)
    }

    /// hh(:mm(:ss(.fff)?)?)? — as much as is present.
    private mutating func timeRun() -> String {
        guard let h = fixedDigits(2) else { return "" }
        var s = h
        for _ in 0..<2 {
            guard peek() == ":", let d = peek(1), d.isNumber else { return s }
            i += 1
            guard let part = fixedDigits(2) else { return s }
            s += ":" + part
        }
        if peek() == ".", let d = peek(1), d.isNumber {
            i += 1
            s += "." + digitRun()
        }
        return s
    }
}
