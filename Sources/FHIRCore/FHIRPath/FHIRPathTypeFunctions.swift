/// Type operations (`is`, `as`, `ofType`, `type()`) and the FHIR-specific functions (`extension`,
/// `hasValue`, `getValue`, `resolve`, `htmlChecks`, `conformsTo`, terminology stubs).
extension FHIRPathEvaluator {
    static let systemTypes: Set<String> = ["Boolean", "Integer", "Long", "Decimal", "String", "Date", "DateTime", "Time", "Quantity"]

    func typeTest(_ op: FHIRPathTypeOperation, _ input: [FHIRPathValue], _ type: FHIRPathTypeSpecifier) throws -> [FHIRPathValue] {
        try checkKnown(type)
        switch op {
        case .ofType:
            return input.filter { matches($0, type) }
        case .is:
            guard let item = try singleton(input, "is") else { return [] }
            return [.boolean(matches(item, type))]
        case .as:
            if input.count > 1 && env.options.asFiltersCollections {
                return input.filter { matches($0, type, exactPrimitive: true) }
            }
            guard let item = try singleton(input, "as") else { return [] }
            return matches(item, type, exactPrimitive: true) ? [item] : []
        }
    }

    /// An unknown type name is an error (`as(string1)`); `System.X` for a non-System X simply never matches.
    private func checkKnown(_ type: FHIRPathTypeSpecifier) throws {
        if type.namespace == "System" { return }
        if type.namespace == nil && FHIRPathEvaluator.systemTypes.contains(type.name) { return }
        if type.namespace != nil && type.namespace != "FHIR" {
            throw FHIRPathError.execution("unknown type namespace \(type.namespace ?? "")")
        }
        guard modelKnows(type.name) || type.name.contains(".") else {
            throw FHIRPathError.execution("unknown type \(type)")
        }
    }

    /// Types match their ancestors too (`Age` is a `Quantity`, `uuid` is a `uri`), except that `as` casts
    /// a FHIR primitive only to its exact type (`code` does not cast to `string`), as the official
    /// FHIRPath tests require.
    func matches(_ item: FHIRPathValue, _ type: FHIRPathTypeSpecifier, exactPrimitive: Bool = false) -> Bool {
        switch item {
        case .element(let e):
            guard type.namespace != "System", !e.typeName.isEmpty else { return false }
            if e.typeName == type.name { return true }
            if exactPrimitive && model.isPrimitive(e.typeName) { return false }
            return model.isType(e.typeName, subtypeOf: type.name)
        default:
            guard type.namespace != "FHIR" else { return false }
            return item.typeName == type.name || (type.name == "Long" && item.typeName == "Integer")
        }
    }

    func fhirFunction(_ f: FHIRPathFunction, _ input: [FHIRPathValue], _ args: [[FHIRPathValue]]) throws -> [FHIRPathValue] {
        switch f {
        case .type:
            return input.map { item in
                let (ns, name) = item.isSystemValue ? ("System", item.typeName) : ("FHIR", item.typeName)
                let info: JSON = ["namespace": .string(ns), "name": .string(name)]
                return .element(FHIRPathElement(json: info, typeName: item.isSystemValue ? "SimpleTypeInfo" : "ClassInfo"))
            }
        case .extension:
            guard let url = try stringArgument(args[0], "extension() url") else { return [] }
            return try navigate(input, "extension").filter { $0.element?.json["url"]?.stringValue == url }
        case .hasValue:
            guard input.count == 1 else { return [.boolean(false)] }
            if case .element(let e) = input[0] {
                // A primitive with a value; `_name`-only primitives and complex elements have none.
                return [.boolean(!e.json.isNull && e.json.objectValue == nil && e.json.arrayValue == nil)]
            }
            return [.boolean(true)]
        case .getValue:
            guard input.count == 1, case .element(let e) = input[0], !e.json.isNull, e.json.objectValue == nil else { return [] }
            return [input[0].primitive()]
        case .resolve:
            return input.compactMap { resolve($0) }
        case .htmlChecks, .htmlChecks2:
            guard let item = try singleton(input, "htmlChecks()") else { return [] }
            guard case .string(let xhtml) = item.primitive() else { return [.boolean(false)] }
            return [.boolean(XHTMLNarrativeCheck.isValid(xhtml))]
        case .conformsTo:
            guard let url = try stringArgument(args[0], "conformsTo() url") else { return [] }
            let base = "http://hl7.org/fhir/StructureDefinition/"
            let name = url.hasPrefix(base) ? String(url.dropFirst(base.count)) : ""
            guard !name.isEmpty, modelKnows(name) else {
                throw FHIRPathError.execution("conformsTo(): profile \(url) is not known")
            }
            return input.map { .boolean(matches($0, FHIRPathTypeSpecifier([name]))) }
        case .memberOf, .subsumes, .subsumedBy, .elementDefinition:
            return []  // terminology and definitions services are not available to FHIRCore
        case .slice, .checkModifiers:
            return input
        case .hasTemplateIdOf:
            return [.boolean(false)]
        default:
            throw FHIRPathError.semantic("\(f.rawValue)() is not supported")
        }
    }

    // MARK: - resolve()

    /// The resource a reference points at: a contained resource (`#id`), a resource of the root Bundle,
    /// one given by the caller's resolver, or else a stub `{resourceType, id}` read from the reference.
    func resolve(_ item: FHIRPathValue) -> FHIRPathValue? {
        let reference: String
        switch item.primitive() {
        case .string(let s): reference = s
        case .element(let e):
            guard let r = e.json["reference"]?.stringValue else { return nil }
            reference = r
        default: return nil
        }
        let root = (env.rootResource ?? env.resource)?.element?.json
        if reference.hasPrefix("#") {
            if reference == "#" { return root.map { FHIRPathValue.resource($0) } }
            let id = String(reference.dropFirst())
            guard let contained = root?["contained"]?.arrayValue,
                  let found = contained.first(where: { $0["id"]?.stringValue == id }) else { return nil }
            return .resource(found)
        }
        if let resolver = env.options.resolver, let json = resolver(reference) { return .resource(json) }
        if let root, root["resourceType"]?.stringValue == "Bundle", let entries = root["entry"]?.arrayValue {
            for entry in entries {
                guard let resource = entry["resource"] else { continue }
                if entry["fullUrl"]?.stringValue == reference { return .resource(resource) }
                if let t = resource["resourceType"]?.stringValue, let id = resource["id"]?.stringValue,
                   reference == "\(t)/\(id)" || reference.hasSuffix("/\(t)/\(id)") {
                    return .resource(resource)
                }
            }
        }
        // Read Type/id from the end of a relative or absolute URL (ignoring /_history/n).
        var parts = reference.split(separator: "/").map(String.init)
        if parts.count >= 4, parts[parts.count - 2] == "_history" { parts.removeLast(2) }
        guard parts.count >= 2, model.isResource(parts[parts.count - 2]) else { return nil }
        return .resource(["resourceType": .string(parts[parts.count - 2]), "id": .string(parts[parts.count - 1])])
    }
}
