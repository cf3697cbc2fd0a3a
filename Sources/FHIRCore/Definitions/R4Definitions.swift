import Foundation

/// The HL7 FHIR R4 (4.0.1) definitions Kangqiao runs on: every resource and data type with its elements,
/// the invariants, the required-binding code sets, the 1,375 search parameters and the compartments.
///
/// Compiled from the official definitions (CC0) by `scripts/compile-definitions.py` into the bundled file
/// `Resources/r4-definitions.json`, and parsed once at first use with our own `JSONParser`.
/// Immutable after loading, so one instance is shared by every request.
public final class R4Definitions: FHIRTypeModel, Sendable {
    /// The definitions bundled with FHIRCore, loaded on first access.
    ///
    /// A missing or corrupt bundled file is a build defect, so this stops the process with the reason
    /// instead of limping on without definitions; call `loadBundled()` to handle the error yourself.
    public static let shared: R4Definitions = {
        do {
            return try loadBundled()
        } catch {
            fatalError("\(error)")
        }
    }()

    /// The FHIR version the definitions describe (`4.0.1`).
    public let fhirVersion: String
    /// Where the definitions come from and under which licence.
    public let source: String
    /// Every type by name: resources, data types, primitives, and backbone elements by path.
    public let types: [String: TypeDefinition]
    /// The concrete R4 resource types, sorted (`Account` … `VisionPrescription`).
    public let resourceTypeNames: [String]
    /// The search parameters by resource type and code.
    public let searchParameters: SearchParameterRegistry
    /// Compartment memberships: compartment (`Patient`) → resource type → parameter codes that link a
    /// resource of that type to the compartment's owner.
    public let compartments: [String: [String: [String]]]

    let valueSetCodes: [String: ValueSetCodes]
    let extensionValueTypes: [String: [String]]
    let concreteResourceTypes: Set<String>

    /// Loads the bundled `r4-definitions.json`.
    public static func loadBundled() throws -> R4Definitions {
        guard let url = Bundle.module.url(forResource: "r4-definitions", withExtension: "json") else {
            throw DefinitionsError("r4-definitions.json is not in the FHIRCore bundle")
        }
        let data = try Data(contentsOf: url)
        return try R4Definitions(bytes: [UInt8](data))
    }

    /// Parses definitions in the compiled layout (see `scripts/compile-definitions.py`).
    public convenience init(bytes: [UInt8]) throws {
        try self.init(json: JSONParser.parse(bytes))
    }

    /// Builds the definitions from the parsed compiled file.
    public init(json: JSON) throws(DefinitionsError) {
        guard let typeObject = json["types"]?.objectValue else { throw DefinitionsError("no types") }
        fhirVersion = json["fhirVersion"]?.stringValue ?? ""
        source = json["source"]?.stringValue ?? ""
        var types: [String: TypeDefinition] = [:]
        types.reserveCapacity(typeObject.count)
        for (name, value) in typeObject {
            types[name] = try TypeDefinition(name: name, json: value)
        }
        R4Definitions.placeInvariants(&types)
        for name in types.keys {
            var chain: [Invariant] = []
            var current: String? = name
            while let t = current, let definition = types[t] {
                chain.append(contentsOf: definition.invariants)
                current = definition.baseType
            }
            types[name]?.applicableInvariants = chain
        }
        self.types = types
        let concrete = types.values.filter { $0.kind == .resource && !$0.isAbstract }.map(\.name)
        resourceTypeNames = concrete.sorted()
        concreteResourceTypes = Set(concrete)

        var codes: [String: ValueSetCodes] = [:]
        for (url, value) in json["valueSets"]?.objectValue ?? JSONObject() {
            codes[url] = ValueSetCodes(
                systems: Set((value["s"]?.arrayValue ?? []).compactMap(\.stringValue)),
                codes: Set((value["c"]?.arrayValue ?? []).compactMap(\.stringValue)))
        }
        valueSetCodes = codes

        var compartments: [String: [String: [String]]] = [:]
        for (compartment, members) in json["compartments"]?.objectValue ?? JSONObject() {
            var byType: [String: [String]] = [:]
            for (type, params) in members.objectValue ?? JSONObject() {
                byType[type] = (params.arrayValue ?? []).compactMap(\.stringValue)
            }
            compartments[compartment] = byType
        }
        self.compartments = compartments

        var extensions: [String: [String]] = [:]
        for (url, value) in json["extensions"]?.objectValue ?? JSONObject() {
            extensions[url] = (value.arrayValue ?? []).compactMap(\.stringValue)
        }
        extensionValueTypes = extensions

        let ancestry = Dictionary(uniqueKeysWithValues: concrete.map { type -> (String, [String]) in
            var chain: [String] = []
            var current: String? = type
            while let t = current {
                chain.append(t)
                current = types[t]?.baseType
            }
            return (type, chain)
        })
        searchParameters = try SearchParameterRegistry(
            json: json["searchParameters"] ?? .array([]), ancestry: ancestry)
    }

    /// Moves each declared constraint to where it applies: a type (root or backbone path) or one element.
    static func placeInvariants(_ types: inout [String: TypeDefinition]) {
        for definition in types.values {
            for invariant in definition.declaredInvariants {
                if types[invariant.path] != nil {
                    types[invariant.path]?.invariants.append(invariant)
                    continue
                }
                guard let dot = invariant.path.lastIndex(of: ".") else { continue }
                let owner = String(invariant.path[..<dot])
                var name = String(invariant.path[invariant.path.index(after: dot)...])
                if name.hasSuffix("[x]") { name.removeLast(3) }
                if let i = types[owner]?.elementIndex[name] {
                    types[owner]?.elements[i].invariants.append(invariant)
                }
            }
        }
    }

    // MARK: FHIRTypeModel

    public func elementTypes(of typeName: String, element: String) -> [String]? {
        types[typeName]?.element(named: element)?.types
    }

    public func isChoiceElement(of typeName: String, element: String) -> Bool {
        types[typeName]?.element(named: element)?.isChoice ?? false
    }

    public func baseType(of typeName: String) -> String? {
        types[typeName]?.baseType
    }

    public func isPrimitive(_ typeName: String) -> Bool {
        types[typeName]?.kind == .primitiveType
    }

    public func isResource(_ typeName: String) -> Bool {
        types[typeName]?.kind == .resource
    }

    // MARK: Lookups beyond the type model

    /// The definition of a type (resource, data type, primitive, or backbone element by path).
    public func type(named name: String) -> TypeDefinition? { types[name] }

    /// True for R4 resource types that can have instances (`Patient`, not `DomainResource`).
    public func isConcreteResourceType(_ name: String) -> Bool { concreteResourceTypes.contains(name) }

    /// The element definition at a path of definitions, e.g. `Patient.contact.name` or
    /// `Observation.value[x]`; follows backbone elements and content references.
    public func elementDefinition(path: String) -> ElementDefinition? {
        var parts = path.split(separator: ".").map(String.init)
        guard parts.count >= 2 else { return nil }
        var last = parts.removeLast()
        if last.hasSuffix("[x]") { last.removeLast(3) }
        var typeName = parts[0]
        for part in parts.dropFirst() {
            guard let next = types[typeName]?.element(named: part)?.types.first else { return nil }
            typeName = next
        }
        return types[typeName]?.element(named: last)
    }

    /// The codes of a value set bound with strength `required`, when they can be enumerated from the code
    /// systems of the definitions; nil otherwise (e.g. `mimetypes`, `ucum-units`).
    public func requiredBindingCodes(valueSet url: String) -> ValueSetCodes? {
        if let bar = url.firstIndex(of: "|") { return valueSetCodes[String(url[..<bar])] }
        return valueSetCodes[url]
    }

    /// The required binding of an element (`Patient`, `gender`) and its codes when enumerable.
    public func requiredBinding(of typeName: String, element: String) -> (valueSet: String, codes: ValueSetCodes?)? {
        guard let url = types[typeName]?.element(named: element)?.requiredBinding else { return nil }
        return (url, valueSetCodes[url])
    }

    /// The invariants declared by `typeName` (on any of its paths) and by its ancestors
    /// (`Patient` gets `pat-1` and `dom-2`…`dom-6`; `Extension` gets `ext-1` and `ele-1`).
    public func invariants(of typeName: String) -> [Invariant] {
        var result: [Invariant] = []
        var current: String? = typeName
        while let t = current, let definition = types[t] {
            result.append(contentsOf: definition.declaredInvariants)
            current = definition.baseType ?? definition.profileOf
            if current == t { break }
        }
        return result
    }

    /// The invariants sitting on one element path (`Patient.contact` → `pat-1`).
    public func invariants(onPath path: String) -> [Invariant] {
        if let definition = types[path] { return definition.invariants }
        return elementDefinition(path: path)?.invariants ?? []
    }

    /// For the 393 extensions defined by the R4 core (`http://hl7.org/fhir/StructureDefinition/...`), the
    /// value types they allow; empty for complex extensions (nested extensions only); nil for other urls.
    public func coreExtensionValueTypes(url: String) -> [String]? {
        extensionValueTypes[url]
    }

    /// The parameter codes that put a resource of `resourceType` into the Patient compartment
    /// (`Observation` → `subject`, `performer`); nil when the type is not in the compartment.
    public func patientCompartmentParameters(for resourceType: String) -> [String]? {
        compartments["Patient"]?[resourceType]
    }

    /// The parameter codes that link `resourceType` to a compartment (`Patient`, `Encounter`,
    /// `RelatedPerson`, `Practitioner`, `Device`); nil when the type is not in that compartment.
    public func compartmentParameters(_ compartment: String, for resourceType: String) -> [String]? {
        compartments[compartment]?[resourceType]
    }
}

/// The codes of an enumerable value set, and the code systems they come from.
public struct ValueSetCodes: Sendable, Hashable {
    /// The code systems the codes come from.
    public let systems: Set<String>
    /// The codes of the value set (all systems together).
    public let codes: Set<String>

    /// True when `code` is in the value set.
    public func contains(_ code: String) -> Bool { codes.contains(code) }
}
