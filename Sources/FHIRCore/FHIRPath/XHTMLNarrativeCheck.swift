/// The narrative rules of FHIR R4 (txt-1, `htmlChecks()`): the XHTML is well formed, its root is a `div`
/// in the XHTML namespace, and it uses only the basic formatting elements and attributes — no scripts,
/// forms, frames, objects, head/body, external style sheets, event handlers or `javascript:` links.
public enum XHTMLNarrativeCheck {
    /// The elements and attributes txt-1 allows: one list, kept with the validator's narrative check.
    static var allowedElements: Set<String> { NarrativeCheck.allowedElements }
    static var allowedAttributes: Set<String> { NarrativeCheck.allowedAttributes }

    /// True when `xhtml` is an acceptable FHIR narrative `div`.
    public static func isValid(_ xhtml: String) -> Bool {
        var reader = XMLReader(Array(xhtml.unicodeScalars))
        var stack: [String] = []
        var sawRoot = false
        while let event = reader.next() {
            switch event {
            case .invalid:
                return false
            case .text(let isWhitespace):
                if stack.isEmpty && !isWhitespace { return false }
            case .start(let name, let attributes, let selfClosing):
                if stack.isEmpty {
                    guard !sawRoot, name == "div",
                          attributes.contains(where: { $0.0 == "xmlns" && $0.1 == "http://www.w3.org/1999/xhtml" }) else { return false }
                    sawRoot = true
                }
                guard allowedElements.contains(name) else { return false }
                for (attr, value) in attributes {
                    guard allowedAttributes.contains(attr) || attr.hasPrefix("xmlns:") else { return false }
                    if attr == "href" || attr == "src" {
                        let v = value.lowercased().filter { !$0.isWhitespace }
                        if v.hasPrefix("javascript:") || v.hasPrefix("vbscript:") { return false }
                    }
                }
                if !selfClosing { stack.append(name) }
            case .end(let name):
                guard stack.last == name else { return false }
                stack.removeLast()
            }
        }
        return sawRoot && stack.isEmpty
    }
}

/// A minimal XML event reader: enough to check structure, names and attributes of narrative XHTML.
private struct XMLReader {
    enum Event {
        case start(String, [(String, String)], selfClosing: Bool)
        case end(String)
        case text(isWhitespace: Bool)
        case invalid
    }

    let s: [Unicode.Scalar]
    var i = 0

    init(_ s: [Unicode.Scalar]) { self.s = s }

    func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }

    func startsWith(_ text: String) -> Bool {
        var k = i
        for c in text.unicodeScalars {
            guard k < s.count, s[k] == c else { return false }
            k += 1
        }
        return true
    }

    mutating func skip(past terminator: String) -> Bool {
        while i < s.count {
            if startsWith(terminator) {
                i += terminator.unicodeScalars.count
                return true
            }
            i += 1
        }
        return false
    }

    mutating func next() -> Event? {
        while i < s.count {
            if startsWith("<!--") {
                guard skip(past: "-->") else { return .invalid }
                continue
            }
            if startsWith("<?") {
                guard skip(past: "?>") else { return .invalid }
                continue
            }
            if startsWith("<!") { return .invalid }  // DOCTYPE, CDATA: not allowed in narrative
            if s[i] == "<" { return tag() }
            var whitespace = true
            while i < s.count, s[i] != "<" {
                if !s[i].properties.isWhitespace { whitespace = false }
                if s[i] == "&" {
                    guard skip(past: ";") else { return .invalid }
                    whitespace = false
                    continue
                }
                i += 1
            }
            return .text(isWhitespace: whitespace)
        }
        return nil
    }

    mutating func name() -> String {
        var out = ""
        while let c = peek(), c.properties.isAlphabetic || c.properties.numericType != nil || c == ":" || c == "-" || c == "_" || c == "." {
            out.unicodeScalars.append(c)
            i += 1
        }
        return out
    }

    mutating func skipSpace() {
        while let c = peek(), c.properties.isWhitespace { i += 1 }
    }

    mutating func tag() -> Event {
        i += 1
        if peek() == "/" {
            i += 1
            let n = name()
            skipSpace()
            guard !n.isEmpty, peek() == ">" else { return .invalid }
            i += 1
            return .end(n)
        }
        let n = name()
        guard !n.isEmpty else { return .invalid }
        var attributes: [(String, String)] = []
        while true {
            skipSpace()
            guard let c = peek() else { return .invalid }
            if c == ">" {
                i += 1
                return .start(n, attributes, selfClosing: false)
            }
            if c == "/" {
                guard peek(1) == ">" else { return .invalid }
                i += 2
                return .start(n, attributes, selfClosing: true)
            }
            let a = name()
            skipSpace()
            guard !a.isEmpty, peek() == "=" else { return .invalid }
            i += 1
            skipSpace()
            guard let q = peek(), q == "\"" || q == "'" else { return .invalid }
            i += 1
            var value = ""
            while let v = peek(), v != q {
                if v == "<" { return .invalid }
                value.unicodeScalars.append(v)
                i += 1
            }
            guard peek() == q else { return .invalid }
            i += 1
            guard !attributes.contains(where: { $0.0 == a }) else { return .invalid }
            attributes.append((a, value))
        }
    }
}
