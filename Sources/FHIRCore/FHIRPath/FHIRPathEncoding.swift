/// `encode`/`decode` (base64, urlbase64, hex) and `escape`/`unescape` (html, json) for FHIRPath strings.
enum FHIRPathEncoding {
    /// The converted string; nil for an unknown format or undecodable input (an empty result).
    static func apply(_ f: FHIRPathFunction, _ s: String, format: String) throws -> String? {
        switch (f, format) {
        case (.encode, "base64"): return base64(Array(s.utf8), alphabet: standard)
        case (.encode, "urlbase64"): return base64(Array(s.utf8), alphabet: urlSafe)
        case (.encode, "hex"): return s.utf8.map { hexDigits[Int($0 >> 4)] + hexDigits[Int($0 & 15)] }.joined()
        case (.decode, "base64"), (.decode, "urlbase64"): return debase64(s).flatMap { String(validating: $0, as: UTF8.self) }
        case (.decode, "hex"): return dehex(s).flatMap { String(validating: $0, as: UTF8.self) }
        case (.escape, "html"): return escapeHTML(s)
        case (.unescape, "html"): return unescapeHTML(s)
        case (.escape, "json"): return escapeJSON(s)
        case (.unescape, "json"): return unescapeJSON(s)
        default: throw FHIRPathError.execution("\(f.rawValue)() does not know the format '\(format)'")
        }
    }

    static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    static let hexDigits = (0..<16).map { String($0, radix: 16) }

    static func base64(_ bytes: [UInt8], alphabet: [Character]) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let b0 = Int(bytes[i]), b1 = i + 1 < bytes.count ? Int(bytes[i + 1]) : 0, b2 = i + 2 < bytes.count ? Int(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[n >> 18 & 63])
            out.append(alphabet[n >> 12 & 63])
            out.append(i + 1 < bytes.count ? alphabet[n >> 6 & 63] : "=")
            out.append(i + 2 < bytes.count ? alphabet[n & 63] : "=")
            i += 3
        }
        return out
    }

    /// Decodes standard or URL-safe base64, padding optional; nil when malformed.
    static func debase64(_ s: String) -> [UInt8]? {
        var bits = 0, count = 0
        var out: [UInt8] = []
        for c in s.utf8 {
            let v: Int
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = Int(c) - 65
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = Int(c) - 71
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = Int(c) + 4
            case UInt8(ascii: "+"), UInt8(ascii: "-"): v = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): v = 63
            case UInt8(ascii: "="): continue
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): continue
            default: return nil
            }
            bits = bits << 6 | v
            count += 6
            if count >= 8 {
                count -= 8
                out.append(UInt8(bits >> count & 255))
            }
        }
        return out
    }

    static func dehex(_ s: String) -> [UInt8]? {
        let chars = Array(s)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let hi = chars[i].hexDigitValue, let lo = chars[i + 1].hexDigitValue else { return nil }
            out.append(UInt8(hi << 4 | lo))
            i += 2
        }
        return out
    }

    static func escapeHTML(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static let entities: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}"]

    static func unescapeHTML(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.firstIndex(of: ";"), after.distance(from: after.startIndex, to: semi) <= 10 {
                let name = String(after[..<semi])
                var replacement: String?
                if let e = entities[name] {
                    replacement = e
                } else if name.hasPrefix("#x") || name.hasPrefix("#X"), let v = UInt32(name.dropFirst(2), radix: 16) {
                    replacement = Unicode.Scalar(v).map { String(Character($0)) }
                } else if name.hasPrefix("#"), let v = UInt32(name.dropFirst()) {
                    replacement = Unicode.Scalar(v).map { String(Character($0)) }
                }
                if let replacement {
                    out += replacement
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        return out + rest
    }

    static func escapeJSON(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func unescapeJSON(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var it = s.unicodeScalars.makeIterator()
        while let c = it.next() {
            guard c == "\\", let e = it.next() else {
                out.append(c)
                continue
            }
            switch e {
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "u":
                var hex = ""
                for _ in 0..<4 { if let h = it.next() { hex.unicodeScalars.append(h) } }
                if let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) { out.append(u) }
            default: out.append(e)
            }
        }
        return String(out)
    }
}
