import FHIRCore

/// The members every canonical resource this module writes begins with (CodeSystem, ValueSet,
/// ConceptMap), in FHIR's order; absent ones are left out.
func canonicalHeader(_ resourceType: String, id: String?, url: String?, version: String?, name: String?, title: String?,
                     status: String) -> [(String, JSON)] {
    var m: [(String, JSON)] = [("resourceType", .string(resourceType))]
    if let id { m.append(("id", .string(id))) }
    if let url { m.append(("url", .string(url))) }
    if let version { m.append(("version", .string(version))) }
    if let name { m.append(("name", .string(name))) }
    if let title { m.append(("title", .string(title))) }
    m.append(("status", .string(status)))
    return m
}
