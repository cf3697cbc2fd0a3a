import FHIRCore
import Foundation

/// A composite search parameter compiled for one resource type: the focus expression and, per
/// component, the component parameter's type and the expression evaluated on each focus element.
struct CompiledComposite: Sendable {
    struct Component: Sendable {
        let type: SearchParameterDefinition.ParameterType
        let expression: FHIRPathExpression
    }
    let code: String
    let focus: FHIRPathExpression
    let components: [Component]
    /// The focus is the resource itself (Observation `code-value-quantity`): its components are the
    /// resource's own parameters, whose rows already answer it, so it writes no rows of its own.
    let onResource: Bool
    let focusSource: String
    let componentSources: [String]
    /// The composites whose union this one is (`combo-code-value-quantity`, focus `Observation |
    /// Observation.component`, is `code-value-quantity` or `component-code-value-quantity`): it is
    /// answered by their rows and writes none of its own.
    var unionOf: [String] = []

    /// Whether the composite writes rows of its own.
    var hasRows: Bool { !onResource && unionOf.isEmpty }

    /// The index parameter name of component `i`: the composite's code and the component's position,
    /// so two components of the same table (`code-value-concept`: token and token) stay apart.
    static func componentParam(_ code: String, _ i: Int) -> String { "\(code)$\(i)" }

    /// Compiles the composites of `type`; definitions whose expressions do not compile are reported in
    /// `failed`, and composites with a component the registry lacks are skipped.
    static func compile(type: String, registry: SearchParameterRegistry, cache: inout [String: FHIRPathExpression],
                        failed: inout [(String, String, String)]) -> [CompiledComposite] {
        func compiled(_ source: String) throws -> FHIRPathExpression {
            if let e = cache[source] { return e }
            let e = try FHIRPathExpression(source)
            cache[source] = e
            return e
        }
        var result: [CompiledComposite] = []
        for p in registry.parameters(for: type) where p.type == .composite {
            guard let focus = p.expression(for: type), !p.components.isEmpty else { continue }
            do {
                var components: [Component] = []
                for c in p.components {
                    guard let definition = registry.parameter(c.code, for: type) else { break }
                    components.append(Component(type: definition.type, expression: try compiled(erratum(p.id, c) ?? c.expression)))
                }
                guard components.count == p.components.count else { continue }
                result.append(CompiledComposite(
                    code: p.code, focus: try compiled(focus), components: components, onResource: focus == type, focusSource: focus,
                    componentSources: p.components.map { erratum(p.id, $0) ?? $0.expression }))
            } catch {
                failed.append((p.code, type, "\(error)"))
            }
        }
        for i in result.indices {
            result[i].unionOf = union(result[i], of: result)
        }
        return result
    }

    /// The codes of the composites whose foci are the branches of `c`'s focus (`A | B`) and whose
    /// components are `c`'s, when every branch has one; empty otherwise.
    static func union(_ c: CompiledComposite, of all: [CompiledComposite]) -> [String] {
        guard !c.focusSource.contains("(") else { return [] }
        let branches = c.focusSource.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        guard branches.count > 1 else { return [] }
        var codes: [String] = []
        for branch in branches {
            guard let part = all.first(where: { $0.focusSource == branch && $0.componentSources == c.componentSources }) else { return [] }
            codes.append(part.code)
        }
        return codes
    }

    /// Component expressions R4 gets wrong. DocumentReference `relationship` gives each component the
    /// other's expression (`relatesto`, a reference, on `code`; `relation`, a token, on `target`; R4B
    /// corrected it). Observation `code-value-date` asks for `as(DateTime)`, the System type, which no
    /// FHIR `dateTime` element is; the FHIR type is meant.
    static func erratum(_ id: String, _ c: SearchParameterDefinition.Component) -> String? {
        if id == "DocumentReference-relationship" {
            switch c.code {
            case "relatesto": return "target"
            case "relation": return "code"
            default: return nil
            }
        }
        return c.expression.contains("as(DateTime)") ? c.expression.replacingOccurrences(of: "as(DateTime)", with: "as(dateTime)") : nil
    }
}

extension SearchIndexExtractor {
    /// The rows of the composites of `type` whose focus is an element (search.html#composite): for each
    /// focus element whose every component has a value, the components' rows under `code$i`, sharing one group number per
    /// element, so that a search matches components of the same element only.
    func compositeRows(for resource: JSON, composites: [CompiledComposite], into rows: inout SearchIndexRows) {
        var group = 0
        let root = FHIRPathValue.resource(resource)
        for c in composites where c.hasRows {
            guard let foci = try? c.focus.evaluate(on: resource, model: definitions, options: Self.options) else { continue }
            for focus in foci {
                var element = SearchIndexRows()
                var complete = true
                for (i, component) in c.components.enumerated() {
                    let values = (try? component.expression.evaluate(input: [focus], resource: root, model: definitions, options: Self.options)) ?? []
                    var one = SearchIndexRows()
                    for v in values { IndexValueConversion.add(v, param: CompiledComposite.componentParam(c.code, i), type: component.type, to: &one) }
                    if one.isEmpty {
                        complete = false
                        break
                    }
                    element.append(one)
                }
                guard complete else { continue }
                group += 1
                element.setGroup(group)
                rows.append(element)
            }
        }
    }
}

extension SearchIndexRows {
    /// Adds `other`'s rows to these.
    mutating func append(_ other: SearchIndexRows) {
        tokens += other.tokens
        strings += other.strings
        dates += other.dates
        references += other.references
        numbers += other.numbers
        quantities += other.quantities
        uris += other.uris
        if let t = other.text { text = t }
    }

    /// Marks every row as a component of focus element `grp`.
    mutating func setGroup(_ grp: Int) {
        for i in tokens.indices { tokens[i].grp = grp }
        for i in strings.indices { strings[i].grp = grp }
        for i in dates.indices { dates[i].grp = grp }
        for i in references.indices { references[i].grp = grp }
        for i in numbers.indices { numbers[i].grp = grp }
        for i in quantities.indices { quantities[i].grp = grp }
        for i in uris.indices { uris[i].grp = grp }
    }
}
