/// The rules checked by hand during the walk: the universal invariants of the specification that every write
/// must meet (ext-1, ref-1, txt-1/2, dom-2/4/5, bdl-3/4/7), contained-resource rules and required bindings.
extension ValidationWalk {
    /// Rules of particular data types, run after an object of that type was walked.
    mutating func checkTypeRules(_ object: JSONObject, type: TypeDefinition) {
        switch type.name {
        case "Extension":
            let hasExtensions = object["extension"] != nil
            // `_valueString` alone (a value with only extensions) is a value too, as FHIRPath sees it.
            let valueIndex = type.elementIndex["value"]
            let hasValue = object.keys.contains { key in
                let name = key.utf8.first == UInt8(ascii: "_") ? String(key.dropFirst()) : key
                return type.jsonNames[name]?.element == valueIndex
            }
            if hasExtensions && hasValue {
                report(.invariant, "ext-1: an extension must have either nested extensions or a value, not both")
            } else if !hasExtensions && !hasValue {
                report(.invariant, "ext-1: an extension must have either nested extensions or a value[x]")
            } else if let url = object["url"]?.stringValue,
                let allowed = definitions.coreExtensionValueTypes(url: url) {
                checkCoreExtension(object, url: url, allowed: allowed, type: type, hasValue: hasValue)
            }
        case "Reference":
            guard let reference = object["reference"]?.stringValue, reference.utf8.first == UInt8(ascii: "#") else {
                return
            }
            let id = String(reference.dropFirst())
            // `#` alone points at the containing resource (dom-3); any other `#id` must be contained (ref-1).
            if !id.isEmpty, let scope = resourceScopes.last, !scope.containedIDs.contains(id) {
                report(.invariant, "ref-1: the local reference \(reference) has no contained resource with id \(id)",
                       at: joined("reference"))
            }
        case "Narrative":
            if let div = object["div"]?.stringValue, let problem = NarrativeCheck.problem(div) {
                report(.invariant, problem, at: joined("div"))
            }
        default:
            return
        }
    }

    /// An extension defined by the R4 core must have the shape its definition gives: a value of an allowed
    /// type, or (complex extensions) nested extensions only. A profile rule, so a 422.
    mutating func checkCoreExtension(_ object: JSONObject, url: String, allowed: [String], type: TypeDefinition,
                                     hasValue: Bool) {
        if allowed.isEmpty {
            if hasValue { report(.processing, "The extension \(url) is complex: it takes nested extensions, not a value") }
            return
        }
        guard hasValue else {
            report(.processing, "The extension \(url) takes a value (\(allowed.joined(separator: ", "))), not nested extensions")
            return
        }
        for key in object.keys {
            let name = key.utf8.first == UInt8(ascii: "_") ? String(key.dropFirst()) : key
            if let member = type.jsonNames[name], type.elements[member.element].isChoice, !allowed.contains(member.type) {
                report(.processing, "The extension \(url) takes a value of type \(allowed.joined(separator: " or ")), not \(member.type)",
                       at: joined(key))
            }
        }
    }

    /// dom-2, dom-4, dom-5 and the narrative rule for one contained resource.
    mutating func checkContainedResource(_ object: JSONObject) {
        if object["contained"] != nil {
            report(.invariant, "dom-2: a contained resource must not contain other resources", at: joined("contained"))
        }
        if let meta = object["meta"]?.objectValue {
            if meta["versionId"] != nil || meta["lastUpdated"] != nil {
                report(.invariant, "dom-4: a contained resource must not have meta.versionId or meta.lastUpdated",
                       at: joined("meta"))
            }
            if meta["security"] != nil {
                report(.invariant, "dom-5: a contained resource must not have security labels", at: joined("meta.security"))
            }
        }
        if object["text"] != nil {
            report(.invariant, "Contained resources do not have narrative (DomainResource.text)", at: joined("text"))
        }
    }

    /// Contained resources need an id, unique within the containing resource (references.html#contained).
    mutating func checkContainedList(_ object: JSONObject) {
        guard let items = object["contained"]?.arrayValue, items.count > 0 else { return }
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            guard let id = item["id"]?.stringValue else { continue }
            if !seen.insert(id).inserted {
                report(.invariant, "Contained resources must have unique ids; \"\(id)\" is used twice",
                       at: joined("contained[\(i)].id"))
            }
        }
    }

    /// bdl-3 (request in batch/transaction/history), bdl-4 (response in the answers) and bdl-7 (unique
    /// fullUrl, unless the versions differ; history excepted).
    mutating func checkBundle(_ object: JSONObject) {
        guard let type = object["type"]?.stringValue, let entries = object["entry"]?.arrayValue else { return }
        let needsRequest = type == "batch" || type == "transaction" || type == "history"
        let needsResponse = type == "batch-response" || type == "transaction-response" || type == "history"
        var fullURLs: [String: [String?]] = [:]
        for (i, entry) in entries.enumerated() {
            guard let e = entry.objectValue else { continue }
            if needsRequest && e["request"] == nil {
                report(.invariant, "bdl-3: each entry of a \(type) Bundle needs a request", at: joined("entry[\(i)].request"))
            }
            if needsResponse && e["response"] == nil {
                report(.invariant, "bdl-4: each entry of a \(type) Bundle needs a response",
                       at: joined("entry[\(i)].response"))
            }
            guard type != "history", let fullURL = e["fullUrl"]?.stringValue else { continue }
            let version = e["resource"]?["meta"]?["versionId"]?.stringValue
            if let earlier = fullURLs[fullURL], earlier.contains(where: { $0 == version }) {
                report(.invariant, "bdl-7: fullUrl \(fullURL) appears more than once in the Bundle",
                       at: joined("entry[\(i)].fullUrl"))
            }
            fullURLs[fullURL, default: []].append(version)
        }
    }

    // MARK: Required bindings

    /// A `code` element bound to a required value set must use one of its codes.
    mutating func checkCode(_ code: String, system: String?, binding: String, element: ElementDefinition) {
        guard let valueSet = definitions.requiredBindingCodes(valueSet: binding) else { return }
        if let system, !valueSet.systems.isEmpty, !valueSet.systems.contains(system) { return }
        if !valueSet.contains(code) {
            report(.codeInvalid, "\"\(code)\" is not a code of the required value set \(binding) (\(element.path))")
        }
    }

    /// Coding and CodeableConcept bound to a required value set: codings from the value set's code systems
    /// must use its codes (codings of other systems are translations and are left alone).
    mutating func checkCodedValue(_ object: JSONObject, typeCode: String, binding: String, element: ElementDefinition) {
        switch typeCode {
        case "Coding":
            guard let code = object["code"]?.stringValue, let system = object["system"]?.stringValue else { return }
            enter("code")
            checkCode(code, system: system, binding: binding, element: element)
            leave()
        case "CodeableConcept":
            for (i, coding) in (object["coding"]?.arrayValue ?? []).enumerated() {
                guard let code = coding["code"]?.stringValue, let system = coding["system"]?.stringValue else { continue }
                enter("coding", i)
                enter("code")
                checkCode(code, system: system, binding: binding, element: element)
                leave()
                leave()
            }
        default:
            return
        }
    }
}
