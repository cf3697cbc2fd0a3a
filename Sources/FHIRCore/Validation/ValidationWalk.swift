/// One pass over a resource's JSON tree, guided by the type definitions, collecting issues as it goes.
/// Locations are kept as a stack of segments and only turned into text when an issue is reported.
struct ValidationWalk {
    let definitions: R4Definitions
    let collectsInvariantSites: Bool
    var issues: [OutcomeIssue] = []
    var invariantSites: [InvariantSite] = []
    var hasStructuralErrors = false

    /// The location stack: a member name, optionally with an array index.
    var segments: [(name: String, index: Int?)] = []
    /// The resources being walked, innermost last; contained resources share their container's scope.
    var resourceScopes: [ResourceScope] = []

    /// What the rules of a resource need while its content is walked.
    struct ResourceScope {
        let json: JSON
        let root: JSON
        /// Ids of the resources contained in the outermost non-contained resource (targets of `#id`).
        let containedIDs: Set<String>
    }

    init(definitions: R4Definitions, collectsInvariantSites: Bool) {
        self.definitions = definitions
        self.collectsInvariantSites = collectsInvariantSites
    }

    // MARK: Reporting

    var location: String {
        var text = ""
        for (i, s) in segments.enumerated() {
            if i > 0 { text += "." }
            text += s.name
            if let index = s.index { text += "[\(index)]" }
        }
        return text
    }

    mutating func report(_ code: OutcomeIssue.Code, _ message: String, at where: String? = nil,
                         severity: OutcomeIssue.Severity = .error) {
        let place = `where` ?? location
        if severity == .error && ValidationResult.isStructural(code) { hasStructuralErrors = true }
        issues.append(OutcomeIssue(severity: severity, code: code, diagnostics: message,
                                   expression: place.isEmpty ? [] : [place]))
    }

    mutating func enter(_ name: String, _ index: Int? = nil) { segments.append((name, index)) }
    mutating func leave() { segments.removeLast() }

    // MARK: Resources

    mutating func validateRoot(_ json: JSON, expectedType: String?) {
        guard let object = json.objectValue else {
            report(.structure, "A resource must be a JSON object, not \(json.kindName)")
            return
        }
        if let expectedType, let actual = object["resourceType"]?.stringValue, actual != expectedType {
            report(.invalid, "resourceType is \(actual), but this request expects \(expectedType)", at: expectedType)
            return
        }
        validateResource(json, contained: false)
    }

    /// Checks `resourceType`, then the content. The root resource names itself as the first location segment.
    mutating func validateResource(_ json: JSON, contained: Bool) {
        guard let object = json.objectValue else {
            report(.structure, "A resource must be a JSON object, not \(json.kindName)")
            return
        }
        guard let typeName = resourceTypeName(object) else { return }
        guard let type = definitions.types[typeName] else { return }
        let isRoot = segments.isEmpty
        if isRoot { enter(typeName) }
        defer { if isRoot { leave() } }
        if contained, let scope = resourceScopes.last {
            resourceScopes.append(ResourceScope(json: json, root: scope.root, containedIDs: scope.containedIDs))
        } else {
            // A Bundle entry or Parameters resource is its own root (`%rootResource`); only contained ones share.
            resourceScopes.append(ResourceScope(json: json, root: json, containedIDs: containedIDs(of: object)))
        }
        defer { resourceScopes.removeLast() }
        validateObject(object, type: type)
        if contained { checkContainedResource(object) }
        if definitions.isType(typeName, subtypeOf: "DomainResource") { checkContainedList(object) }
        if typeName == "Bundle" { checkBundle(object) }
    }

    /// The resource type of a resource object, or nil after reporting why there is none usable.
    mutating func resourceTypeName(_ object: JSONObject) -> String? {
        guard let value = object["resourceType"] else {
            let wrongCase = object.keys.first { $0.lowercased() == "resourcetype" }
            report(.structure, wrongCase.map { "resourceType is missing (found \"\($0)\": member names are case-sensitive)" }
                ?? "resourceType is missing", at: joined("resourceType"))
            return nil
        }
        guard let name = value.stringValue else {
            report(.structure, "resourceType must be a string, not \(value.kindName)", at: joined("resourceType"))
            return nil
        }
        guard definitions.types[name]?.kind == .resource else {
            let suggestion = definitions.resourceTypeNames.first { $0.lowercased() == name.lowercased() }
            report(.structure, "Unknown resource type \"\(name)\"" + (suggestion.map { " (did you mean \($0)?)" } ?? ""),
                   at: joined("resourceType"))
            return nil
        }
        guard definitions.isConcreteResourceType(name) else {
            report(.structure, "\(name) is an abstract type and cannot be instantiated", at: joined("resourceType"))
            return nil
        }
        return name
    }

    func joined(_ member: String) -> String {
        let here = location
        return here.isEmpty ? member : here + "." + member
    }

    func containedIDs(of object: JSONObject) -> Set<String> {
        var ids = Set<String>()
        for item in object["contained"]?.arrayValue ?? [] {
            if let id = item["id"]?.stringValue { ids.insert(id) }
        }
        return ids
    }

    // MARK: Objects and elements

    /// Checks every member of an object of type `type`, then its required elements and type rules.
    mutating func validateObject(_ object: JSONObject, type: TypeDefinition) {
        if object.isEmpty {
            report(.structure, "An object must not be empty: every element has a value or children (ele-1)")
            return
        }
        var choiceSeen: [(element: Int, member: String)] = []
        for (key, value) in object {
            if key == "resourceType" && type.kind == .resource { continue }
            if key.utf8.first == UInt8(ascii: "_") {
                let name = String(key.dropFirst())
                if let member = type.jsonNames[name], type.elements[member.element].isChoice,
                    object[name] == nil {
                    noteChoice(member.element, name, type: type, seen: &choiceSeen)
                }
                validatePrimitiveExtension(key, value, in: object, type: type)
                continue
            }
            guard let member = type.jsonNames[key] else {
                reportUnknown(key, type: type)
                continue
            }
            let element = type.elements[member.element]
            if element.isChoice { noteChoice(member.element, key, type: type, seen: &choiceSeen) }
            validateMember(key, value, element: element, typeCode: member.type, in: object)
        }
        for index in type.requiredElements {
            let element = type.elements[index]
            if !isPresent(element, index: index, in: object, type: type) {
                let name = element.isChoice ? element.name + "[x]" : element.name
                report(.required, "\(element.path) is required (minimum cardinality \(element.min))",
                       at: joined(name))
            }
        }
        checkTypeRules(object, type: type)
        if collectsInvariantSites, !type.applicableInvariants.isEmpty {
            recordInvariantSites(type.applicableInvariants, node: .object(object), nodeType: type.name)
        }
    }

    /// A choice element takes one value: a second `value...` member (or `_value...` alone) is an error.
    mutating func noteChoice(_ element: Int, _ member: String, type: TypeDefinition,
                             seen: inout [(element: Int, member: String)]) {
        if let other = seen.first(where: { $0.element == element }) {
            report(.structure, "\(type.elements[element].name)[x] may have only one value, found \(other.member) and \(member)",
                   at: joined(member))
        }
        seen.append((element, member))
    }

    func isPresent(_ element: ElementDefinition, index: Int, in object: JSONObject, type: TypeDefinition) -> Bool {
        if !element.isChoice { return object[element.name] != nil || object["_" + element.name] != nil }
        for key in object.keys {
            let name = key.utf8.first == UInt8(ascii: "_") ? String(key.dropFirst()) : key
            if type.jsonNames[name]?.element == index { return true }
        }
        return false
    }

    mutating func reportUnknown(_ key: String, type: TypeDefinition) {
        let place = joined(key)
        if key == "resourceType" {
            report(.structure, "resourceType is only allowed on resources, not inside \(type.name)", at: place)
        } else if let choice = type.elements.first(where: { $0.isChoice && $0.name == key }) {
            report(.structure, "\(choice.path) must carry its type in its name (e.g. \(key)\(ElementDefinition.choiceSuffix(for: choice.types.first ?? "String")))",
                   at: place)
        } else if let choice = type.elements.first(where: { $0.isChoice && key.hasPrefix($0.name) }) {
            let allowed = choice.types.map { choice.name + ElementDefinition.choiceSuffix(for: $0) }
            report(.structure, "\(key) is not allowed: \(choice.path) may be one of \(allowed.joined(separator: ", "))",
                   at: place)
        } else {
            report(.structure, "Unknown element \"\(key)\" in \(type.name)", at: place)
        }
    }

    /// Checks a member's cardinality and JSON shape, then each of its values.
    mutating func validateMember(_ key: String, _ value: JSON, element: ElementDefinition, typeCode: String,
                                 in object: JSONObject) {
        if element.isArray {
            guard case .array(let items) = value else {
                report(.structure, "\(element.path) repeats, so it must be a JSON array, not \(value.kindName)",
                       at: joined(key))
                return
            }
            if items.isEmpty {
                report(.structure, "Arrays must not be empty; leave \(key) out instead", at: joined(key))
                return
            }
            if let max = element.max, items.count > max {
                report(.structure, "\(element.path) allows at most \(max) values, found \(items.count)", at: joined(key))
            }
            var extensions: [JSON]? = nil
            for (i, item) in items.enumerated() {
                enter(key, i)
                if item.isNull {
                    if extensions == nil { extensions = object["_" + key]?.arrayValue ?? [] }
                    if let ext = extensions, i < ext.count, !ext[i].isNull {
                        // A null value paired with its `_key` extension object is how FHIR JSON writes it.
                    } else {
                        report(.structure, "null is not a value; a null in an array needs a matching _\(key) entry")
                    }
                } else {
                    validateValue(item, typeCode: typeCode, element: element)
                }
                leave()
            }
        } else {
            enter(key)
            defer { leave() }
            if case .array = value {
                report(.structure, "\(element.path) does not repeat, so it must not be a JSON array")
            } else if value.isNull {
                report(.structure, "null is not a value; leave \(key) out instead")
            } else {
                validateValue(value, typeCode: typeCode, element: element)
            }
        }
    }

    /// Checks one (non-null) value of an element against its type.
    mutating func validateValue(_ value: JSON, typeCode: String, element: ElementDefinition) {
        guard let type = definitions.types[typeCode] else { return }
        switch type.kind {
        case .resource:
            validateResource(value, contained: element.name == "contained")
        case .primitiveType:
            if let problem = PrimitiveFormat.problem(with: value, as: typeCode) {
                let jsonKindWrong = !PrimitiveFormat.hasJSONKind(of: typeCode, value)
                report(jsonKindWrong ? .structure : .value, "\(element.path) (\(typeCode)) \(problem)")
            } else if let binding = element.requiredBinding, let text = value.stringValue {
                checkCode(text, system: nil, binding: binding, element: element)
            }
        case .complexType, .backbone:
            guard case .object(let object) = value else {
                report(.structure, "\(element.path) (\(typeCode)) must be a JSON object, not \(value.kindName)")
                return
            }
            validateObject(object, type: type)
            if let binding = element.requiredBinding { checkCodedValue(object, typeCode: typeCode, binding: binding, element: element) }
        }
        if collectsInvariantSites, !element.invariants.isEmpty {
            recordInvariantSites(element.invariants, node: value, nodeType: typeCode)
        }
    }

    /// Checks `_name` (the id and extensions of a primitive `name`): the primitive must exist, and the shape
    /// must mirror it (an object, or an array of objects and nulls of the same length).
    mutating func validatePrimitiveExtension(_ key: String, _ value: JSON, in object: JSONObject, type: TypeDefinition) {
        let name = String(key.dropFirst())
        guard let member = type.jsonNames[name], definitions.isPrimitive(member.type),
            let elementType = definitions.types[member.type]
        else {
            report(.structure, "Unknown element \"\(key)\": there is no primitive element \(name) in \(type.name)",
                   at: joined(key))
            return
        }
        let element = type.elements[member.element]
        if element.isArray {
            guard case .array(let items) = value, !items.isEmpty else {
                report(.structure, "\(key) must be a non-empty array matching \(name)", at: joined(key))
                return
            }
            if let values = object[name]?.arrayValue, values.count != items.count {
                report(.structure, "\(key) must have as many entries as \(name) (\(values.count)), found \(items.count)",
                       at: joined(key))
            }
            for (i, item) in items.enumerated() where !item.isNull {
                enter(key, i)
                validateElementPart(item, type: elementType)
                leave()
            }
        } else {
            enter(key)
            validateElementPart(value, type: elementType)
            leave()
        }
    }

    mutating func validateElementPart(_ value: JSON, type: TypeDefinition) {
        guard case .object(let object) = value else {
            report(.structure, "must be a JSON object holding id and extensions, not \(value.kindName)")
            return
        }
        validateObject(object, type: type)
    }

    mutating func recordInvariantSites(_ invariants: [Invariant], node: JSON, nodeType: String) {
        guard let scope = resourceScopes.last else { return }
        var place: String? = nil
        for invariant in invariants where !ResourceValidator.handCheckedInvariants.contains(invariant.key) {
            if place == nil { place = location }
            invariantSites.append(InvariantSite(invariant: invariant, node: node, nodeType: nodeType,
                                                resource: scope.json, rootResource: scope.root, location: place ?? ""))
        }
    }
}

extension PrimitiveFormat {
    /// True when the JSON kind suits the primitive type (bool, number or string).
    static func hasJSONKind(of type: String, _ value: JSON) -> Bool {
        switch type {
        case "boolean": return value.boolValue != nil
        case "integer", "positiveInt", "unsignedInt", "decimal": return value.numberValue != nil
        default: return value.stringValue != nil
        }
    }
}
