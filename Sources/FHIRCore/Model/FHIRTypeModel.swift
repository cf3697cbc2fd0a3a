/// What FHIRPath evaluation and validation need to know about FHIR R4 types, independent of where the
/// definitions come from. The compiled R4 definitions (`R4Definitions`) implement it.
///
/// Type names are FHIR type codes (`Patient`, `HumanName`, `string`, `Quantity`); backbone elements are
/// named by their path (`Patient.contact`, `Observation.component`).
public protocol FHIRTypeModel: Sendable {
    /// The declared types of element `element` (its JSON name without a choice suffix: `value` for
    /// `value[x]`) of type `typeName`; more than one for choice elements. Nil when there is no such element.
    /// Backbone elements answer their path name (`Patient.contact`).
    func elementTypes(of typeName: String, element: String) -> [String]?

    /// True when `element` of `typeName` is a choice element (`value[x]`).
    func isChoiceElement(of typeName: String, element: String) -> Bool

    /// The type `typeName` derives from (`Patient` → `DomainResource`, `Age` → `Quantity`), nil at the root.
    func baseType(of typeName: String) -> String?

    /// True for FHIR primitive types (`string`, `code`, `dateTime`, ...).
    func isPrimitive(_ typeName: String) -> Bool

    /// True for resource types, abstract ones (`Resource`, `DomainResource`) included.
    func isResource(_ typeName: String) -> Bool
}

extension FHIRTypeModel {
    /// True when `typeName` is `ancestor` or derives from it.
    public func isType(_ typeName: String, subtypeOf ancestor: String) -> Bool {
        var current: String? = typeName
        while let t = current {
            if t == ancestor { return true }
            current = baseType(of: t)
        }
        return false
    }
}
