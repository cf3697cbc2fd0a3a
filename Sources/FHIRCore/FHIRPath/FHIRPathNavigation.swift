/// Element navigation: child lookup with FHIR types from the model, choice elements (`value` finds
/// `valueQuantity`), primitive `_name` siblings, and contained resources typed by `resourceType`.
extension FHIRPathEvaluator {
    /// A name at the start of an expression: a type name that matches the focus (`Patient.name` on a
    /// Patient) selects the focus itself; anything else is a child element.
    func startMember(_ focus: [FHIRPathValue], _ name: String) throws -> [FHIRPathValue] {
        guard let first = name.unicodeScalars.first, first.properties.isUppercase else {
            return try navigate(focus, name)
        }
        var out: [FHIRPathValue] = []
        for item in focus {
            if case .element(let e) = item, !e.typeName.isEmpty,
               e.typeName == name || model.isType(e.typeName, subtypeOf: name) {
                out.append(item)
            } else {
                out.append(contentsOf: try children(of: item, named: name))
            }
        }
        return out
    }

    func navigate(_ input: [FHIRPathValue], _ name: String) throws -> [FHIRPathValue] {
        if input.count == 1 { return try children(of: input[0], named: name) }
        var out: [FHIRPathValue] = []
        for item in input { out.append(contentsOf: try children(of: item, named: name)) }
        return out
    }

    /// The members of `item` called `name` (a choice element answers its one present variant).
    func children(of item: FHIRPathValue, named name: String) throws -> [FHIRPathValue] {
        guard case .element(let e) = item else { return [] }
        let object: JSONObject
        if case .object(let o) = e.json {
            object = o
        } else if case .object(let o)? = e.primitiveElement {
            object = o  // id and extension of a primitive live in its `_name` sibling
        } else {
            return []
        }
        let typeName = e.typeName
        if !typeName.isEmpty, let types = model.elementTypes(of: typeName, element: name) {
            if types.count == 1 && !model.isChoiceElement(of: typeName, element: name) {
                return members(object, key: name, type: types[0])
            }
            for t in types {
                let key = name + FHIRPathEvaluator.upperFirst(t)
                if object[key] != nil || object["_" + key] != nil { return members(object, key: key, type: t) }
            }
            return []
        }
        if !typeName.isEmpty, modelKnows(typeName) {
            if let choice = choicePrefix(of: name, in: typeName) {
                throw FHIRPathError.semantic("\(typeName).\(name) is not an element: use the choice element '\(choice)'")
            }
            if env.options.strict {
                throw FHIRPathError.semantic("\(typeName) has no element '\(name)'")
            }
        }
        if object[name] != nil || object["_" + name] != nil { return members(object, key: name, type: nil) }
        // Untyped node: find a choice variant by its type suffix (`value` → `valueString`).
        for key in object.keys where key.count > name.count && key.hasPrefix(name) {
            let suffix = String(key.dropFirst(name.count))
            guard let c = suffix.unicodeScalars.first, c.properties.isUppercase else { continue }
            let lowered = FHIRPathEvaluator.lowerFirst(suffix)
            if model.isPrimitive(lowered) { return members(object, key: key, type: lowered) }
            if modelKnows(suffix) { return members(object, key: key, type: suffix) }
        }
        return []
    }

    /// The values of `key` (and of its `_key` sibling) as items of `type` (inferred when nil).
    func members(_ object: JSONObject, key: String, type: String?) -> [FHIRPathValue] {
        let value = object[key]
        let sibling = object["_" + key]
        switch (value, sibling) {
        case (nil, nil):
            return []
        case (.array(let values)?, _):
            let siblings = sibling?.arrayValue
            var out: [FHIRPathValue] = []
            out.reserveCapacity(values.count)
            for (i, v) in values.enumerated() {
                let s = siblings.flatMap { i < $0.count && !$0[i].isNull ? $0[i] : nil }
                if v.isNull && s == nil { continue }
                out.append(node(v, s, key: key, type: type))
            }
            return out
        case (nil, .array(let siblings)?):
            return siblings.filter { !$0.isNull }.map { node(.null, $0, key: key, type: type) }
        case (let v, let s):
            return [node(v ?? .null, s, key: key, type: type)]
        }
    }

    private func node(_ json: JSON, _ sibling: JSON?, key: String, type: String?) -> FHIRPathValue {
        var typeName = type ?? FHIRPathEvaluator.inferredType(json)
        if let rt = json["resourceType"]?.stringValue, type == nil || model.isResource(typeName) {
            typeName = rt
        } else if typeName.hasPrefix("http://hl7.org/fhirpath/System.") {
            typeName = FHIRPathEvaluator.fhirPrimitive(forSystemType: String(typeName.dropFirst(31)))
        }
        return .element(FHIRPathElement(json: json, typeName: typeName, primitiveElement: sibling, name: key))
    }

    /// The FHIR primitive used for an element the definitions type as a FHIRPath System type
    /// (`Element.id`, `Extension.url`).
    static func fhirPrimitive(forSystemType t: String) -> String {
        switch t {
        case "Boolean": return "boolean"
        case "Integer": return "integer"
        case "Decimal": return "decimal"
        case "Date": return "date"
        case "DateTime": return "dateTime"
        case "Time": return "time"
        default: return "string"
        }
    }

    /// All child elements of each item, in document order (`children()`).
    func allChildren(_ input: [FHIRPathValue]) -> [FHIRPathValue] {
        var out: [FHIRPathValue] = []
        for item in input {
            guard case .element(let e) = item else { continue }
            let object: JSONObject
            if case .object(let o) = e.json { object = o } else if case .object(let o)? = e.primitiveElement { object = o } else { continue }
            for key in object.keys {
                if key == "resourceType" { continue }
                if key.hasPrefix("_") {
                    if object[String(key.dropFirst())] != nil { continue }
                    out.append(contentsOf: members(object, key: String(key.dropFirst()), type: childType(e.typeName, key: String(key.dropFirst()))))
                    continue
                }
                out.append(contentsOf: members(object, key: key, type: childType(e.typeName, key: key)))
            }
        }
        return out
    }

    /// The FHIR type of JSON member `key` of `typeName`, reading choice suffixes (`valueString` → `string`).
    func childType(_ typeName: String, key: String) -> String? {
        guard !typeName.isEmpty else { return nil }
        if let types = model.elementTypes(of: typeName, element: key), types.count == 1 { return types[0] }
        if let choice = choicePrefix(of: key, in: typeName) {
            let suffix = String(key.dropFirst(choice.count))
            let lowered = FHIRPathEvaluator.lowerFirst(suffix)
            if let types = model.elementTypes(of: typeName, element: choice) {
                if types.contains(lowered) { return lowered }
                if types.contains(suffix) { return suffix }
            }
            return model.isPrimitive(lowered) ? lowered : suffix
        }
        return nil
    }

    /// The choice element `name` is a typed variant of (`valueQuantity` → `value`), if any.
    func choicePrefix(of name: String, in typeName: String) -> String? {
        var prefix = ""
        for ch in name {
            if ch.isUppercase, !prefix.isEmpty, model.isChoiceElement(of: typeName, element: prefix) { return prefix }
            prefix.append(ch)
        }
        return nil
    }

    /// True when the model has a definition for the type.
    func modelKnows(_ typeName: String) -> Bool {
        model.isPrimitive(typeName) || model.isResource(typeName) || model.baseType(of: typeName) != nil
            || typeName == "Element" || typeName == "Base"
    }

    /// All descendants, depth first (`descendants()`).
    func descendants(_ input: [FHIRPathValue]) -> [FHIRPathValue] {
        var out: [FHIRPathValue] = []
        var level = allChildren(input)
        while !level.isEmpty {
            out.append(contentsOf: level)
            level = allChildren(level)
        }
        return out
    }

    static func upperFirst(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.uppercased() + s.dropFirst()
    }

    static func lowerFirst(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.lowercased() + s.dropFirst()
    }
}
