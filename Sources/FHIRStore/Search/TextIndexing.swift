import FHIRCore

/// The text `_text` and `_content` search (search.html#text, #content), both as simple case- and
/// accent-insensitive contains: `_text` the narrative's text (the div without its markup), `_content`
/// every text value of the resource, the narrative's text included.
enum TextIndexing {
    /// The resource's text row, nil when it has no text at all.
    static func row(for resource: JSON) -> SearchIndexRows.Text? {
        var content: [UInt8] = []
        collect(resource, into: &content)
        var narrative: String?
        if let div = resource["text"]?["div"]?.stringValue {
            let text = IndexValueConversion.normalize(plainText(div))
            if !text.isEmpty {
                narrative = text
                append(text, normalized: true, to: &content)
            }
        }
        return content.isEmpty ? nil : .init(narrative: narrative, content: String(decoding: content, as: UTF8.self))
    }

    /// Elements that hold no text to search: the narrative's XHTML (read through `plainText`), and the
    /// base64 or sample data of `Attachment.data`, `Binary.data`, `Signature.data` and `SampledData.data`,
    /// which can be megabytes long.
    static func isSkipped(_ key: String) -> Bool {
        switch key {
        case "div", "data", "resourceType": return true
        default: return false
        }
    }

    /// Appends the normalized string values of `json` and its descendants, less the skipped elements (`isSkipped`),
    /// one a line.
    static func collect(_ json: JSON, into content: inout [UInt8]) {
        switch json {
        case .string(let s):
            append(s, normalized: false, to: &content)
        case .array(let items):
            for item in items { collect(item, into: &content) }
        case .object(let object):
            for (key, value) in object where !isSkipped(key) { collect(value, into: &content) }
        default:
            break
        }
    }

    /// Appends a line; ASCII is lowered byte by byte (what `IndexValueConversion.normalize` does to it),
    /// other text goes through `normalize`.
    static func append(_ s: String, normalized: Bool, to content: inout [UInt8]) {
        if !content.isEmpty { content.append(0x0A) }
        if normalized {
            content.append(contentsOf: s.utf8)
            return
        }
        let start = content.count
        for b in s.utf8 {
            if b >= 0x80 {
                content.removeSubrange(start...)
                content.append(contentsOf: IndexValueConversion.normalize(s).utf8)
                return
            }
            content.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : b)
        }
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
