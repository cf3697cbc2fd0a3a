/// The SQL of composite parameters, UCUM-canonical quantities, `_text`/`_content` and token `:in`.
///
/// A composite's components are rows of their own tables under `code$i`, numbered by focus element
/// (`grp`, see `CompiledComposite`): the components must match rows of one element, so the tables are
/// joined on (rid, grp). The first component's value index finds the candidate rows.
extension SQLSearchBuilder {
    mutating func extendedPredicate(_ p: IndexPredicate, on r: String) -> String {
        switch p {
        case .composite(_, let components):
            var from: [String] = []
            var conditions: [String] = []
            var first: String?
            for component in components {
                let a = alias("c")
                guard let (table, param, values) = componentConditions(component, a) else { return "1 = 0" }
                let paramCondition = "\(a).param = \(bind(.text(param)))"
                if let first {
                    from.append("JOIN \(table.rawValue) \(a) ON \(a).rid = \(first).rid AND \(a).grp = \(first).grp AND \(paramCondition)")
                } else {
                    from.append("\(table.rawValue) \(a)")
                    conditions.append(paramCondition)
                    first = a
                }
                conditions += values
            }
            guard let first else { return "1 = 0" }
            return "\(r).rid IN (SELECT \(first).rid FROM " + from.joined(separator: " ") + " WHERE "
                + conditions.joined(separator: " AND ") + ")"
        case .canonicalQuantity(let param, _, _, _, _, _):
            let q = alias("q")
            guard let (_, _, c) = componentConditions(p, q) else { return "1 = 0" }
            return exists(.quantity, q, of: r, param: param, c)
        case .tokenIn(let param, let systems, let codes):
            let t = alias("t")
            let codeList = codes.map { bind(.text($0)) }.joined(separator: ", ")
            var c = ["\(t).code IN (\(codeList))"]
            if !systems.isEmpty {
                c.append("(\(t).system IN (" + systems.map { bind(.text($0)) }.joined(separator: ", ") + ") OR \(t).system IS NULL)")
            }
            return exists(.token, t, of: r, param: param, c)
        case .text(let param, let value):
            let x = alias("x")
            let column = param == "_text" ? "narrative" : "content"
            return "\(r).rid IN (SELECT \(x).rid FROM \(Schema.textTable) \(x) WHERE \(textCondition("\(x).\(column)", .contains, value)))"
        default:
            return "1 = 0"
        }
    }

    /// The table, parameter and value conditions (on alias `a`) of one component of a composite value.
    mutating func componentConditions(_ p: IndexPredicate, _ a: String) -> (IndexTable, String, [String])? {
        switch p {
        case .token(let param, let system, let code, let systemMustBeAbsent):
            var c: [String] = []
            if let code { c.append("\(a).code = \(bind(.text(code)))") }
            if systemMustBeAbsent {
                c.append("\(a).system IS NULL")
            } else if let system {
                c.append("\(a).system = \(bind(.text(system)))")
            }
            return (.token, param, c)
        case .reference(let param, let targetType, let targetId, let url):
            var c: [String] = []
            if let targetId { c.append("\(a).target_id = \(bind(.text(targetId)))") }
            if let targetType { c.append("\(a).target_type = \(bind(.text(targetType)))") }
            if let url { c.append("\(a).url = \(bind(.text(url)))") }
            return (.reference, param, c)
        case .string(let param, let match, let value):
            let c = match == .exact ? "\(a).exact = \(bind(.text(value)))" : textCondition("\(a).normalized", match, value)
            return (.string, param, [c])
        case .date(let param, let prefix, let low, let high):
            return (.date, param, [rangeCondition(prefix, lowColumn: "\(a).low", highColumn: "\(a).high", low: low, high: high)])
        case .number(let param, let prefix, let value, let low, let high):
            return (.number, param, [numberCondition("\(a).value", prefix, value: value, low: low, high: high)])
        case .quantity(let param, let prefix, let value, let low, let high, let system, let code):
            var c = [numberCondition("\(a).value", prefix, value: value, low: low, high: high)]
            if let system { c.append("\(a).system = \(bind(.text(system)))") }
            if let code { c.append("\(a).code = \(bind(.text(code)))") }
            return (.quantity, param, c)
        case .canonicalQuantity(let param, let prefix, let value, let low, let high, let code):
            return (.quantity, param, ["\(a).canon_code = \(bind(.text(code)))",
                                       numberCondition("\(a).canon_value", prefix, value: value, low: low, high: high)])
        case .uri(let param, let match, let value):
            return (.uri, param, [textCondition("\(a).uri", match, value)])
        default:
            return nil
        }
    }
}
