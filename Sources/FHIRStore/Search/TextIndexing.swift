import FHIRCore

/// The text `_text` and `_content` search (search.html#text, #content), both as simple case- and
/// accent-insensitive contains: `_text` the narrative's text (the div without its markup), `_content`
/// every text value of the resource, the narrative's text included.
enum TextIndexing {
    static let narrativeParam = "_text"
    static let contentParam = "_content"

    static func rows(for resource: JSON) -> [SearchIndexRows.Text] {
        var rows: [SearchIndexRows.Text] = []
        let narrative = resource["text"]?["div"]?.stringValue.map(plainText) ?? ""
        if !narrative.isEmpty {
            rows.append(.init(param: narrativeParam, content: IndexValueConversion.normalize(narrative)))
        }
        var values: [String] = []
        collect(resource, into: &values)
        if !narrative.isEmpty { values.append(narrative) }
        if !values.isEmpty {
            rows.append(.init(param: contentParam, content: IndexValueConversion.normalize(values.joined(separator: "\n"))))
        }
        return rows
    }

    /// The string values of `json` and its descendants; the narrative's XHTML is left to `plainText`.
    static func collect(_ json: JSON, into values: inout [String]) {
        switch json {
        case .string(let s):
            values.append(s)
        case .array(let items):
            for item in items { collect(item, into: &values) }
        case .object(let object):
            for (key, value) in object where key != "div" && key != "resourceType" { collect(value, into: &values) }
        default:
            break
        }
    }

    /// XHTML without its tags, with the common character references decoded and runs of white space
    /// made one space.
    static func plainText(_ xhtml: String) -> String {
        var out = ""
        var inTag = false
        var entity: String?
        var lastWasSpace = true
        func emit(_ c: Character) {
            if c.isWhitespace {
                if !lastWasSpace { out.append(" ") }
                lastWasSpace = true
            } else {
                out.append(c)
                lastWasSpace = false
            }
        }
        for c in xhtml {
            if inTag {
                if c == ">" {
                    inTag = false
                    emit(" ")
                }
            } else if var e = entity {
                if c == ";" {
                    entity = nil
                    decode(e).forEach(emit)
                } else if e.count > 10 {
                    entity = nil
                    ("&" + e + String(c)).forEach(emit)
                } else {
                    e.append(c)
                    entity = e
                }
            } else if c == "<" {
                inTag = true
            } else if c == "&" {
                entity = ""
            } else {
                emit(c)
            }
        }
        while out.last == " " { out.removeLast() }
        return out
    }

    static func decode(_ entity: String) -> String {
        switch entity {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        case "nbsp": return " "
        default:
            var digits = Substring(entity)
            guard digits.first == "#" else { return "&" + entity + ";" }
            digits = digits.dropFirst()
            let hex = digits.first == "x" || digits.first == "X"
            if hex { digits = digits.dropFirst() }
            guard let n = UInt32(digits, radix: hex ? 16 : 10), let scalar = Unicode.Scalar(n) else { return "&" + entity + ";" }
            return String(Character(scalar))
        }
    }
}
