import FHIRCore
import Foundation

/// How one FHIRPath result becomes index rows, per search parameter type (search.html#ptypes).
enum IndexValueConversion {
    static func add(_ v: FHIRPathValue, param: String, type: SearchParameterDefinition.ParameterType, to rows: inout SearchIndexRows) {
        let json = v.json
        let t = v.typeName
        switch type {
        case .token: tokens(json, t, param, &rows)
        case .string: strings(json, t, param, &rows)
        case .date: dates(json, t, param, &rows)
        case .reference: references(json, t, param, &rows)
        case .number:
            if let d = json.numberValue?.doubleValue { rows.numbers.append(.init(param: param, value: d)) }
        case .quantity: quantities(json, t, param, &rows)
        case .uri:
            if let s = json.stringValue { rows.uris.append(.init(param: param, uri: s)) }
        default: break
        }
    }

    static func tokens(_ json: JSON, _ t: String, _ param: String, _ rows: inout SearchIndexRows) {
        switch t {
        case "Coding":
            rows.tokens.append(.init(param: param, system: json["system"]?.stringValue, code: json["code"]?.stringValue,
                                     text: json["display"]?.stringValue.map(normalize)))
        case "CodeableConcept":
            let text = json["text"]?.stringValue.map(normalize)
            for c in json["coding"]?.arrayValue ?? [] {
                rows.tokens.append(.init(param: param, system: c["system"]?.stringValue, code: c["code"]?.stringValue,
                                         text: c["display"]?.stringValue.map(normalize) ?? text))
            }
            if json["coding"] == nil, let text { rows.tokens.append(.init(param: param, system: nil, code: nil, text: text)) }
        case "Identifier":
            let value = json["value"]?.stringValue
            rows.tokens.append(.init(param: param, system: json["system"]?.stringValue, code: value,
                                     text: json["type"]?["text"]?.stringValue.map(normalize)))
            // `:of-type` (type-system|type-code|value) searches rows of their own parameter name.
            if let value {
                for c in json["type"]?["coding"]?.arrayValue ?? [] {
                    guard let code = c["code"]?.stringValue else { continue }
                    rows.tokens.append(.init(param: param + ":of-type", system: c["system"]?.stringValue, code: code + "|" + value))
                }
            }
        case "ContactPoint":
            rows.tokens.append(.init(param: param, system: json["system"]?.stringValue, code: json["value"]?.stringValue))
        case "boolean", "Boolean":
            if let b = json.boolValue { rows.tokens.append(.init(param: param, system: nil, code: b ? "true" : "false")) }
        default:
            if let s = json.stringValue { rows.tokens.append(.init(param: param, system: nil, code: s)) }
        }
    }

    static func strings(_ json: JSON, _ t: String, _ param: String, _ rows: inout SearchIndexRows) {
        func add(_ s: String?) {
            guard let s, !s.isEmpty else { return }
            rows.strings.append(.init(param: param, normalized: normalize(s), exact: s))
        }
        switch t {
        case "HumanName":
            add(json["text"]?.stringValue)
            add(json["family"]?.stringValue)
            for key in ["given", "prefix", "suffix"] { json[key]?.arrayValue?.forEach { add($0.stringValue) } }
            // Chinese names are written family-then-given without a space: index the whole name too.
            if let family = json["family"]?.stringValue, let given = json["given"]?.arrayValue?.compactMap(\.stringValue), !given.isEmpty,
                family.unicodeScalars.contains(where: { $0.value >= 0x3400 })
            {
                add(family + given.joined())
            }
        case "Address":
            add(json["text"]?.stringValue)
            json["line"]?.arrayValue?.forEach { add($0.stringValue) }
            for key in ["city", "district", "state", "postalCode", "country"] { add(json[key]?.stringValue) }
        default:
            add(json.stringValue)
        }
    }

    static func dates(_ json: JSON, _ t: String, _ param: String, _ rows: inout SearchIndexRows) {
        switch t {
        case "Period":
            let low = json["start"]?.stringValue.flatMap(DateSearchValue.range)?.low ?? Int64.min / 2
            let high = json["end"]?.stringValue.flatMap(DateSearchValue.range)?.high ?? Int64.max / 2
            if json["start"] != nil || json["end"] != nil { rows.dates.append(.init(param: param, low: low, high: high)) }
        case "Timing":
            for e in json["event"]?.arrayValue ?? [] {
                if let r = e.stringValue.flatMap(DateSearchValue.range) { rows.dates.append(.init(param: param, low: r.low, high: r.high)) }
            }
        default:
            if let r = json.stringValue.flatMap(DateSearchValue.range) { rows.dates.append(.init(param: param, low: r.low, high: r.high)) }
        }
    }

    static func references(_ json: JSON, _ t: String, _ param: String, _ rows: inout SearchIndexRows) {
        let ref: String?
        if t == "Reference" { ref = json["reference"]?.stringValue } else { ref = json.stringValue }
        // `:identifier` searches a reference's logical identifier, with or without a literal reference.
        if t == "Reference", let identifier = json["identifier"], let value = identifier["value"]?.stringValue {
            rows.tokens.append(.init(param: param + ":identifier", system: identifier["system"]?.stringValue, code: value))
        }
        guard let ref, !ref.hasPrefix("#") else { return }
        if let (type, id) = localReference(ref) {
            rows.references.append(.init(param: param, targetType: type, targetId: id, url: ref.contains("://") ? ref : nil))
        } else {
            rows.references.append(.init(param: param, targetType: nil, targetId: nil, url: ref))
        }
    }

    static func quantities(_ json: JSON, _ t: String, _ param: String, _ rows: inout SearchIndexRows) {
        guard let value = json["value"]?.numberValue?.doubleValue else { return }
        if t == "Money" {
            rows.quantities.append(.init(param: param, value: value, system: "urn:iso:std:iso:4217", code: json["currency"]?.stringValue))
        } else {
            let system = json["system"]?.stringValue
            let code = json["code"]?.stringValue
            var row = SearchIndexRows.Quantity(param: param, value: value, system: system, code: code ?? json["unit"]?.stringValue)
            if system == ucum, let code, let canonical = canonical(value, code) {
                row.canonicalValue = canonical.value
                row.canonicalCode = canonical.code
            }
            rows.quantities.append(row)
        }
    }

    static let ucum = "http://unitsofmeasure.org"

    /// A value in UCUM unit `code` in base units, nil when the unit is unknown or special (search.html#quantity).
    static func canonical(_ value: Double, _ code: String) -> (value: Double, code: String)? {
        guard let unit = UCUMUnit(code), let v = unit.canonicalValue(of: value) else { return nil }
        return (v, unit.canonicalCode)
    }

    /// `Type/id`, `Type/id/_history/v` or an absolute URL ending in one: the type and id.
    static func localReference(_ ref: String) -> (String, String)? {
        var parts = ref.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.count >= 4, parts[parts.count - 2] == "_history" { parts.removeLast(2) }
        guard parts.count >= 2 else { return nil }
        let type = parts[parts.count - 2]
        let id = parts[parts.count - 1]
        guard let f = type.unicodeScalars.first, f.properties.isUppercase, FHIRIdentifierRules.isValidId(id) else { return nil }
        if parts.count > 2 && !ref.contains("://") { return nil }
        return (type, id)
    }

    /// Case- and accent-insensitive form (search.html#string); Chinese characters are unchanged.
    /// ASCII text, most of what is indexed, only needs its capitals lowered, which is what the folding
    /// does to it, without Foundation's cost.
    static func normalize(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            guard s.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return s }
            return String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
        }
        return s.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }
}
