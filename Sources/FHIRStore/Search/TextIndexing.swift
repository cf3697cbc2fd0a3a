import FHIRCore

/// The text `_text` and `_content` search (search.html#text, #content), both as simple case- and
/// accent-insensitive contains: `_text` the narrative's text (the div without its markup), `_content`
/// every text value of the resource, the narrative's text included.
enum TextIndexing {
    static let narrativeParam = "_text"
    static let contentParam = "_content"

    static func rows(for resource: JSON) -> [SearchIndexRows.Text] {
        var rows: [SearchIndexRows.Text] = []
        var content: [UInt8] = []
        collect(resource, into: &content)
        if let div = resource["text"]?["div"]?.stringValue {
            let narrative = IndexValueConversion.normalize(plainText(div))
            if !narrative.isEmpty {
                rows.append(.init(param: narrativeParam, content: narrative))
                append(narrative, normalized: true, to: &content)
            }
        }
        if !content.isEmpty { rows.append(.init(param: contentParam, content: String(decoding: content, as: UTF8.self))) }
        return rows
    }

    /// Elements that hold no text to search: the narrative's XHTML (read through `plainText`), and the
    /// base64 or sample data of `Attachment.data`, `Binary.data`, `Signature.data` and `SampledData.data`,
    /// which can be megabytes long.
    static let skipped: Set<String> = ["div", "resourceType", "data"]

    /// Appends the normalized string values of `json` and its descendants, less the `skipped` elements,
    /// one a line.
    static func collect(_ json: JSON, into content: inout [UInt8]) {
        switch json {
        case .string(let s):
            append(s, normalized: false, to: &content)
        case .array(let items):
            for item in items { collect(item, into: &content) }
        case .object(let object):
            for (key, value) in object where !skipped.contains(key) { collect(value, into: &content) }
        default:
            break
        }
    }

    /// Appends a line; ASCII is lowered byte by byte (what `IndexValueConversion.normalize` does to it).
    static func append(_ s: String, normalized: Bool, to content: inout [UInt8]) {
        if !content.isEmpty { content.append(0x0A) }
        if !normalized, s.utf8.contains(where: { $0 >= 0x80 }) {
            content.append(contentsOf: IndexValueConversion.normalize(s).utf8)
            return
        }
        for b in s.utf8 { content.append(!normalized && b >= 0x41 && b <= 0x5A ? b + 0x20 : b) }
    }

    /// XHTML without its tags, with the character references decoded and runs of white space made one
    /// space. Works on the UTF-8 bytes: `<`, `>`, `&`, `;` and white space are ASCII and never part of a
    /// multi-byte character.
    static func plainText(_ xhtml: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(xhtml.utf8.count / 2)
        var inTag = false
        var entity: [UInt8]?
        var lastWasSpace = true
        func emit(_ b: UInt8) {
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                if !lastWasSpace { out.append(0x20) }
                lastWasSpace = true
            } else {
                out.append(b)
                lastWasSpace = false
            }
        }
        for b in xhtml.utf8 {
            if inTag {
                if b == UInt8(ascii: ">") {
                    inTag = false
                    emit(0x20)
                }
            } else if var e = entity {
                if b == UInt8(ascii: ";") {
                    entity = nil
                    decode(String(decoding: e, as: UTF8.self)).utf8.forEach(emit)
                } else if e.count > 10 {
                    entity = nil
                    emit(UInt8(ascii: "&"))
                    e.forEach(emit)
                    emit(b)
                } else {
                    e.append(b)
                    entity = e
                }
            } else if b == UInt8(ascii: "<") {
                inTag = true
            } else if b == UInt8(ascii: "&") {
                entity = []
            } else {
                emit(b)
            }
        }
        while out.last == 0x20 { out.removeLast() }
        return String(decoding: out, as: UTF8.self)
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
