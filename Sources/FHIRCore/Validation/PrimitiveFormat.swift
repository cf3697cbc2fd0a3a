/// Hand-written checks of the R4 primitive value formats (datatypes.html), byte by byte: these run on every
/// write, and a few comparisons beat a regex engine by far. Each check returns nil when the value is valid,
/// or what is wrong with it.
public enum PrimitiveFormat {
    /// Checks the JSON value of a primitive of FHIR type `type` (`date`, `positiveInt`, ...): its JSON kind
    /// and its lexical form. Types the model does not know as primitives are accepted.
    public static func problem(with value: JSON, as type: String) -> String? {
        switch type {
        case "boolean":
            return value.boolValue == nil ? "must be a JSON boolean, not \(value.kindName)" : nil
        case "integer", "positiveInt", "unsignedInt":
            guard let number = value.numberValue else { return "must be a JSON number, not \(value.kindName)" }
            return integerProblem(number, type: type)
        case "decimal":
            return value.numberValue == nil ? "must be a JSON number, not \(value.kindName)" : nil
        default:
            guard let text = value.stringValue else { return "must be a JSON string, not \(value.kindName)" }
            return stringProblem(text, as: type)
        }
    }

    static func integerProblem(_ number: JSONNumber, type: String) -> String? {
        guard number.isInteger, let n = Int(number.text) else {
            return number.isInteger ? "is out of the 32-bit integer range" : "must be a whole number"
        }
        guard n >= Int(Int32.min), n <= Int(Int32.max) else { return "is out of the 32-bit integer range" }
        if type == "positiveInt" && n < 1 { return "must be 1 or more (positiveInt)" }
        if type == "unsignedInt" && n < 0 { return "must be 0 or more (unsignedInt)" }
        return nil
    }

    /// Checks the lexical form of a string-valued primitive.
    public static func stringProblem(_ text: String, as type: String) -> String? {
        let bytes = text.utf8
        if bytes.isEmpty { return "must not be an empty string" }
        switch type {
        case "id":
            guard bytes.count <= 64 else { return "is longer than 64 characters" }
            return bytes.allSatisfy(isIDByte) ? nil : "may only contain A-Z, a-z, 0-9, '-' and '.'"
        case "code":
            return codeProblem(bytes)
        case "uri", "url", "canonical":
            return bytes.contains(where: isWhitespace) ? "must not contain whitespace" : nil
        case "oid":
            return isOID(bytes) ? nil : "must be urn:oid: followed by a dotted number such as 1.2.3"
        case "uuid":
            return isUUID(bytes) ? nil : "must be urn:uuid: followed by a lower-case UUID"
        case "date":
            return DateTimeFormat.dateProblem(Array(bytes))
        case "dateTime":
            return DateTimeFormat.dateTimeProblem(Array(bytes), instant: false)
        case "instant":
            return DateTimeFormat.dateTimeProblem(Array(bytes), instant: true)
        case "time":
            return DateTimeFormat.timeProblem(Array(bytes))
        case "base64Binary":
            return base64Problem(bytes)
        default:
            // string, markdown, xhtml: any non-empty text.
            return nil
        }
    }

    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C || b == 0x0B
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    @inline(__always) static func isIDByte(_ b: UInt8) -> Bool {
        isDigit(b) || (b | 0x20) &- 0x61 < 26 || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    /// `[^\s]+( [^\s]+)*`: no leading, trailing or doubled spaces, no other whitespace.
    static func codeProblem(_ bytes: String.UTF8View) -> String? {
        var previousSpace = true
        for b in bytes {
            if b == 0x20 {
                if previousSpace { return "must not start with or contain repeated spaces" }
                previousSpace = true
            } else if isWhitespace(b) {
                return "must not contain tabs or line breaks"
            } else {
                previousSpace = false
            }
        }
        return previousSpace ? "must not end with a space" : nil
    }

    /// `urn:oid:[0-2](\.(0|[1-9][0-9]*))+`
    static func isOID(_ bytes: String.UTF8View) -> Bool {
        let prefix = "urn:oid:".utf8
        guard bytes.starts(with: prefix) else { return false }
        let rest = Array(bytes.dropFirst(prefix.count))
        guard rest.count >= 3, rest[0] >= UInt8(ascii: "0"), rest[0] <= UInt8(ascii: "2") else { return false }
        var i = 1
        var arcs = 0
        while i < rest.count {
            guard rest[i] == UInt8(ascii: "."), i + 1 < rest.count, isDigit(rest[i + 1]) else { return false }
            let start = i + 1
            i = start
            while i < rest.count, isDigit(rest[i]) { i += 1 }
            if rest[start] == UInt8(ascii: "0") && i - start > 1 { return false }
            arcs += 1
        }
        return arcs >= 1
    }

    /// `urn:uuid:` + 8-4-4-4-12 lower-case hex digits.
    static func isUUID(_ bytes: String.UTF8View) -> Bool {
        let prefix = "urn:uuid:".utf8
        guard bytes.starts(with: prefix) else { return false }
        let rest = Array(bytes.dropFirst(prefix.count))
        guard rest.count == 36 else { return false }
        for (i, b) in rest.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if b != UInt8(ascii: "-") { return false }
            } else if !(isDigit(b) || b &- UInt8(ascii: "a") < 6) {
                return false
            }
        }
        return true
    }

    /// Base64 characters in groups of four; whitespace between them is tolerated.
    static func base64Problem(_ bytes: String.UTF8View) -> String? {
        var count = 0
        var padding = 0
        for b in bytes {
            if isWhitespace(b) { continue }
            if b == UInt8(ascii: "=") {
                padding += 1
            } else {
                let isBase64 = isDigit(b) || (b | 0x20) &- 0x61 < 26 || b == UInt8(ascii: "+") || b == UInt8(ascii: "/")
                if !isBase64 || padding > 0 { return "is not valid base64" }
            }
            count += 1
        }
        if padding > 2 || count % 4 != 0 { return "is not valid base64 (length must be a multiple of 4)" }
        return nil
    }
}
