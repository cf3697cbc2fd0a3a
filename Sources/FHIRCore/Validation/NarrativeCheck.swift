/// txt-1 and txt-2 on `Narrative.div`, checked by a small XHTML scanner: the root is an XHTML `div`, only the
/// basic formatting elements and attributes of the specification are used (no scripts, forms, frames, event
/// handlers), and there is some non-whitespace content (text or an image).
enum NarrativeCheck {
    /// The elements txt-1 allows (narrative.html, from the constraint's definition).
    static let allowedElements: Set<String> = [
        "a", "abbr", "acronym", "b", "big", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
        "dfn", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre",
        "q", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "tt", "ul", "var",
    ]

    /// The attributes txt-1 allows, plus the namespace and language declarations.
    static let allowedAttributes: Set<String> = [
        "abbr", "accesskey", "align", "alt", "axis", "bgcolor", "border", "cellhalign", "cellpadding",
        "cellspacing", "cellvalign", "char", "charoff", "charset", "cite", "class", "colspan", "compact", "coords",
        "dir", "frame", "headers", "height", "href", "hreflang", "hspace", "id", "lang", "longdesc", "name",
        "nowrap", "rel", "rev", "rowspan", "rules", "scope", "shape", "span", "src", "start", "style", "summary",
        "tabindex", "title", "type", "valign", "value", "vspace", "width", "xmlns", "xml:lang",
    ]

    /// What is wrong with the narrative XHTML, or nil when txt-1 and txt-2 hold.
    static func problem(_ xhtml: String) -> String? {
        let b = Array(xhtml.utf8)
        var i = 0
        while i < b.count, PrimitiveFormat.isWhitespace(b[i]) { i += 1 }
        guard b.count >= i + 4, b[i] == UInt8(ascii: "<"), b[i + 1] == UInt8(ascii: "d"),
            b[i + 2] == UInt8(ascii: "i"), b[i + 3] == UInt8(ascii: "v")
        else { return "txt-1: the narrative must be an XHTML <div> element" }
        if !xhtml.contains("http://www.w3.org/1999/xhtml") {
            return "txt-1: the narrative <div> must declare the XHTML namespace http://www.w3.org/1999/xhtml"
        }
        var hasContent = false
        while i < b.count {
            guard b[i] == UInt8(ascii: "<") else {
                if !PrimitiveFormat.isWhitespace(b[i]) { hasContent = true }
                i += 1
                continue
            }
            if starts(b, i, "<!--") {
                i = skip(b, past: "-->", from: i + 4)
            } else if starts(b, i, "<![CDATA[") {
                hasContent = true
                i = skip(b, past: "]]>", from: i + 9)
            } else if starts(b, i, "</") || starts(b, i, "<?") || starts(b, i, "<!") {
                i = skip(b, past: ">", from: i + 2)
            } else {
                var j = i + 1
                while j < b.count, isNameByte(b[j]) { j += 1 }
                let name = String(decoding: b[(i + 1)..<j], as: UTF8.self)
                guard allowedElements.contains(name) else {
                    return "txt-1: the narrative must not contain <\(name)> (only basic formatting elements)"
                }
                switch scanAttributes(b, from: j, element: name) {
                case .failure(let message): return message
                case .success(let result):
                    i = result.end
                    if result.imageWithSource { hasContent = true }
                }
            }
        }
        return hasContent ? nil : "txt-2: the narrative must have some non-whitespace content"
    }

    struct TagEnd {
        let end: Int
        let imageWithSource: Bool
    }

    enum ScanResult {
        case success(TagEnd)
        case failure(String)
    }

    static func scanAttributes(_ b: [UInt8], from start: Int, element: String) -> ScanResult {
        var i = start
        var imageWithSource = false
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: ">") { return .success(TagEnd(end: i + 1, imageWithSource: imageWithSource)) }
            if PrimitiveFormat.isWhitespace(c) || c == UInt8(ascii: "/") {
                i += 1
                continue
            }
            var j = i
            while j < b.count, isNameByte(b[j]) { j += 1 }
            if j == i { return .failure("txt-1: the narrative XHTML is not well-formed") }
            let name = String(decoding: b[i..<j], as: UTF8.self)
            if !allowedAttributes.contains(name) && !name.hasPrefix("xmlns:") {
                return .failure("txt-1: the narrative must not use the attribute \(name) on <\(element)>")
            }
            i = j
            while i < b.count, PrimitiveFormat.isWhitespace(b[i]) { i += 1 }
            guard i < b.count, b[i] == UInt8(ascii: "=") else { continue }
            i += 1
            while i < b.count, PrimitiveFormat.isWhitespace(b[i]) { i += 1 }
            guard i < b.count, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") else {
                return .failure("txt-1: the narrative XHTML is not well-formed (unquoted attribute \(name))")
            }
            let quote = b[i]
            let valueStart = i + 1
            i = valueStart
            while i < b.count, b[i] != quote { i += 1 }
            if element == "img" && name == "src" && i > valueStart { imageWithSource = true }
            i += 1
        }
        return .failure("txt-1: the narrative XHTML is not well-formed (unclosed <\(element)>)")
    }

    @inline(__always) static func isNameByte(_ c: UInt8) -> Bool {
        PrimitiveFormat.isDigit(c) || (c | 0x20) &- 0x61 < 26 || c == UInt8(ascii: ":") || c == UInt8(ascii: "-")
            || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
    }

    static func starts(_ b: [UInt8], _ i: Int, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard i + count <= b.count else { return false }
        return prefix.withUTF8Buffer { p in
            for k in 0..<count where b[i + k] != p[k] { return false }
            return true
        }
    }

    static func skip(_ b: [UInt8], past terminator: StaticString, from start: Int) -> Int {
        var i = start
        while i < b.count {
            if starts(b, i, terminator) { return i + terminator.utf8CodeUnitCount }
            i += 1
        }
        return b.count
    }
}
