import Foundation
import Testing
@testable import FHIRCore

@Suite("R4 definitions")
struct DefinitionsTests {
    let defs = R4Definitions.shared

    @Test("the bundled definitions name their source and licence")
    func sourceIsRecorded() {
        #expect(defs.fhirVersion == "4.0.1")
        #expect(defs.source.contains("CC0"))
    }

    @Test("every R4 resource type is known, and the abstract ones are not concrete")
    func resourceTypes() {
        #expect(defs.resourceTypeNames.count >= 145)
        #expect(defs.isConcreteResourceType("Patient"))
        #expect(defs.isConcreteResourceType("Parameters"))
        #expect(!defs.isConcreteResourceType("DomainResource"))
        #expect(!defs.isConcreteResourceType("Resource"))
        #expect(!defs.isConcreteResourceType("patient"))
        #expect(defs.isResource("DomainResource"))
    }

    @Test("the type model answers element types, choices, bases and primitives")
    func typeModel() {
        #expect(defs.elementTypes(of: "Patient", element: "name") == ["HumanName"])
        #expect(defs.elementTypes(of: "Patient", element: "contact") == ["Patient.contact"])
        #expect(defs.elementTypes(of: "Patient.contact", element: "name") == ["HumanName"])
        #expect(defs.elementTypes(of: "Patient", element: "id") == ["id"])
        #expect(defs.elementTypes(of: "Patient", element: "nickname") == nil)
        #expect(defs.elementTypes(of: "Questionnaire.item", element: "item") == ["Questionnaire.item"])
        #expect(defs.isChoiceElement(of: "Patient", element: "deceased"))
        #expect(!defs.isChoiceElement(of: "Patient", element: "gender"))
        #expect(defs.baseType(of: "Patient") == "DomainResource")
        #expect(defs.baseType(of: "Age") == "Quantity")
        #expect(defs.baseType(of: "code") == "string")
        #expect(defs.baseType(of: "Patient.contact") == "BackboneElement")
        #expect(defs.baseType(of: "Resource") == nil)
        #expect(defs.isPrimitive("dateTime"))
        #expect(!defs.isPrimitive("HumanName"))
        #expect(defs.isType("Patient", subtypeOf: "Resource"))
    }

    @Test("Observation.value[x] allows exactly the eleven R4 choice types")
    func observationValueChoices() {
        let types = defs.elementTypes(of: "Observation", element: "value") ?? []
        #expect(Set(types) == ["Quantity", "CodeableConcept", "string", "boolean", "integer", "Range", "Ratio",
                               "SampledData", "time", "dateTime", "Period"])
        let member = defs.type(named: "Observation")?.element(forJSONName: "valueDateTime")
        #expect(member?.type == "dateTime")
        #expect(member?.element.path == "Observation.value[x]")
    }

    @Test("Patient.gender is bound to administrative-gender with its four codes")
    func genderBinding() throws {
        let binding = try #require(defs.requiredBinding(of: "Patient", element: "gender"))
        #expect(binding.valueSet == "http://hl7.org/fhir/ValueSet/administrative-gender")
        #expect(binding.codes?.codes == ["male", "female", "other", "unknown"])
        #expect(defs.requiredBindingCodes(valueSet: "http://hl7.org/fhir/ValueSet/observation-status|4.0.1")?
            .contains("final") == true)
    }

    @Test("element definitions are found by path, with cardinality and reference targets")
    func elementDefinitions() throws {
        let status = try #require(defs.elementDefinition(path: "Observation.status"))
        #expect(status.min == 1 && status.max == 1 && status.isModifier && status.isSummary)
        let other = try #require(defs.elementDefinition(path: "Patient.link.other"))
        #expect(other.min == 1 && Set(other.targetTypes) == ["Patient", "RelatedPerson"])
        let name = try #require(defs.elementDefinition(path: "Patient.name"))
        #expect(name.isArray && name.max == nil)
        #expect(defs.elementDefinition(path: "Observation.value[x]")?.isChoice == true)
    }

    @Test("invariants of data types and resources are kept, inherited ones included")
    func invariants() {
        let keys = { (type: String) in Set(self.defs.invariants(of: type).map(\.key)) }
        #expect(keys("Patient").isSuperset(of: ["pat-1", "dom-2", "dom-3", "dom-4", "dom-5", "dom-6"]))
        #expect(keys("Extension").isSuperset(of: ["ext-1", "ele-1"]))
        #expect(keys("Reference").contains("ref-1"))
        #expect(keys("Narrative").contains("txt-1"))
        #expect(keys("Bundle").contains("bdl-7"))
        #expect(defs.invariants(onPath: "Patient.contact").map(\.key) == ["pat-1"])
        let ele1 = defs.invariants(of: "Element").first { $0.key == "ele-1" }
        #expect(ele1?.expression == "hasValue() or (children().count() > id.count())")
    }

    @Test("all 1,375 R4 search parameters are registered, base parameters apply to every type")
    func searchParameters() throws {
        let registry = defs.searchParameters
        #expect(registry.all.count == 1375)
        let gender = try #require(registry.parameter("gender", for: "Patient"))
        #expect(gender.type == .token && gender.expression(for: "Patient") == "Patient.gender")
        for code in ["_id", "_lastUpdated", "_tag", "_profile", "_security", "_text"] {
            #expect(registry.parameter(code, for: "Observation") != nil, "\(code)")
        }
        let subject = try #require(registry.parameter("subject", for: "Observation"))
        #expect(subject.type == .reference && subject.targets.contains("Patient"))
        let patient = try #require(registry.parameter("patient", for: "Observation"))
        #expect(patient.expression(for: "Observation") == "Observation.subject.where(resolve() is Patient)")
        let composite = try #require(registry.parameter("code-value-quantity", for: "Observation"))
        #expect(composite.type == .composite && composite.components.map(\.code) == ["code", "value-quantity"])
        #expect(registry.parameter("birthdate", for: "Patient")?.comparators.contains("ge") == true)
        #expect(registry.parameter(id: "http://hl7.org/fhir/SearchParameter/individual-gender")?.code == "gender")
    }

    @Test("every search parameter has an expression for each of its concrete base types")
    func expressionsPerType() {
        var missing: [String] = []
        for p in defs.searchParameters.all where p.expression != nil {
            for type in p.base where defs.isConcreteResourceType(type) && p.expression(for: type) == nil {
                missing.append("\(p.id) for \(type)")
            }
        }
        #expect(missing.isEmpty, "\(missing)")
    }

    @Test("the Patient compartment says which parameters link a resource to its patient")
    func patientCompartment() {
        #expect(defs.patientCompartmentParameters(for: "Observation") == ["subject", "performer"])
        #expect(defs.patientCompartmentParameters(for: "Patient") == ["link"])
        #expect(defs.patientCompartmentParameters(for: "Organization") == nil)
    }

    @Test("the core extension definitions give the value types of each extension")
    func coreExtensions() {
        #expect(defs.coreExtensionValueTypes(url: "http://hl7.org/fhir/StructureDefinition/patient-birthPlace") == ["Address"])
        #expect(defs.coreExtensionValueTypes(url: "http://hl7.org/fhir/StructureDefinition/patient-nationality") == [])
        #expect(defs.coreExtensionValueTypes(url: "http://example.org/x") == nil)
    }

    @Test("loading the bundled definitions file takes well under a second")
    func loadTime() throws {
        let clock = ContinuousClock()
        let elapsed = try clock.measure { _ = try R4Definitions.loadBundled() }
        print("r4-definitions.json load: \(elapsed)")
        // A smoke bound only (debug build, shared machine); the release figure is ~20 ms.
        #expect(elapsed < .seconds(10))
    }
}
