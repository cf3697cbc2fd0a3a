import FHIRCore
import FHIRStore
import Identity

/// The patient master index's operations (issue 6): `Patient/$match` (FHIR R4), `Patient/$merge`,
/// `Patient/$unmerge` and `Task/<id>/$resolve-match` for the review queue. Thin: parse the
/// Parameters, call the Identity services (which go through the repository), answer.
extension OperationRoute {
    static var identityOperations: [OperationRoute] {
        [
            OperationRoute(name: "$match", types: ["Patient"], levels: [.type], methods: ["POST"]) { d, call in
                try await d.matchPatient(call)
            },
            OperationRoute(name: "$merge", types: ["Patient"], levels: [.type], methods: ["POST"]) { d, call in
                try await d.mergePatients(call)
            },
            OperationRoute(name: "$unmerge", types: ["Patient"], levels: [.type], methods: ["POST"]) { d, call in
                try await d.unmergePatient(call)
            },
            OperationRoute(name: "$resolve-match", types: ["Task"], levels: [.instance], methods: ["POST"]) { d, call in
                try await d.resolveMatch(call)
            },
        ]
    }
}

extension FHIRDispatcher {
    static let matchGradeExtension = "http://hl7.org/fhir/StructureDefinition/match-grade"

    func matchPatient(_ call: OperationCall) async throws -> FHIRHTTPResponse {
        let p = try call.parameters()
        guard let resource = p["resource"]?.first?["resource"] else {
            throw FHIRError(status: 400, code: .required, "Patient/$match needs a resource parameter holding a Patient", expression: ["resource"])
        }
        let onlyCertain = try Self.boolean(p["onlyCertainMatches"]?.first, name: "onlyCertainMatches") ?? false
        var count: Int?
        if let c = p["count"]?.first {
            guard let n = c["valueInteger"]?.numberValue?.intValue ?? c["valueString"]?.stringValue.flatMap({ Int($0) }), n > 0 else {
                throw FHIRError(status: 400, code: .invalid, "count must be a positive integer", expression: ["count"])
            }
            count = n
        }
        let service = MatchService(repository: repository, policy: matchPolicy)
        let matches = try await service.match(resource, onlyCertainMatches: onlyCertain, count: count, context: call.request.context)
        let base = call.request.baseURL
        let entries: [JSON] = try matches.map { record, assessment in
            [
                "fullUrl": .string("\(base)/Patient/\(record.id)"),
                "resource": try JSONParser.parse(record.json),
                "search": [
                    "extension": [["url": .string(Self.matchGradeExtension), "valueCode": .string(assessment.grade.rawValue)]],
                    "mode": "match",
                    "score": .number(JSONNumber(unchecked: String(assessment.normalizedScore(matchPolicy)))),
                ],
            ]
        }
        return json(200, [
            "resourceType": "Bundle", "type": "searchset", "total": .number(JSONNumber(entries.count)),
            "link": [["relation": "self", "url": .string("\(base)/Patient/$match")]], "entry": .array(entries),
        ])
    }

    func mergePatients(_ call: OperationCall) async throws -> FHIRHTTPResponse {
        let p = try call.parameters()
        let source = try Self.patientId(p, ["source-patient", "source"])
        let target = try Self.patientId(p, ["target-patient", "target"])
        let result = try await PatientMerge(repository: repository).merge(source: source, target: target, baseURL: call.request.baseURL, context: call.request.context)
        return json(200, [
            "resourceType": "Parameters",
            "parameter": [
                ["name": "result", "resource": try JSONParser.parse(result.target.json)],
                ["name": "moved", "valueInteger": .number(JSONNumber(result.moved))],
                ["name": "task", "valueReference": ["reference": .string("Task/" + result.task)]],
            ],
        ])
    }

    func unmergePatient(_ call: OperationCall) async throws -> FHIRHTTPResponse {
        let source = try Self.patientId(try call.parameters(), ["source-patient", "source"])
        let restored = try await PatientMerge(repository: repository).unmerge(source: source, baseURL: call.request.baseURL, context: call.request.context)
        return json(200, ["resourceType": "Parameters", "parameter": [["name": "result", "resource": try JSONParser.parse(restored.json)]]])
    }

    func resolveMatch(_ call: OperationCall) async throws -> FHIRHTTPResponse {
        let p = try call.parameters()
        guard let raw = p["decision"]?.first.flatMap({ $0["valueCode"]?.stringValue ?? $0["valueString"]?.stringValue }) else {
            throw FHIRError(status: 400, code: .required, "$resolve-match needs a decision: link or dismiss", expression: ["decision"])
        }
        guard let decision = MatchDecision(rawValue: raw) else {
            throw FHIRError(status: 400, code: .invalid, "decision must be link or dismiss, not '\(raw)'", expression: ["decision"])
        }
        guard let id = call.id else { throw FHIRError.badRequest("$resolve-match is called on a Task") }
        let task = try await MatchService(repository: repository, policy: matchPolicy)
            .resolve(task: id, decision: decision, baseURL: call.request.baseURL, context: call.request.context)
        return resource(200, task)
    }

    /// The patient id a parameter names: a `valueReference` to `Patient/x`, or a `valueString` id.
    static func patientId(_ p: [String: [JSON]], _ names: [String]) throws -> String {
        for name in names {
            guard let v = p[name]?.first else { continue }
            let text = v["valueReference"]?["reference"]?.stringValue ?? v["valueString"]?.stringValue ?? ""
            let id = text.hasPrefix("Patient/") ? String(text.dropFirst("Patient/".count)) : text
            guard FHIRIdentifierRules.isValidId(id) else {
                throw FHIRError(status: 400, code: .invalid, "\(name) must reference a Patient (Patient/id), not '\(text)'", expression: [name])
            }
            return id
        }
        throw FHIRError(status: 400, code: .required, "the \(names[0]) parameter is missing", expression: [names[0]])
    }

    static func boolean(_ parameter: JSON?, name: String) throws -> Bool? {
        guard let parameter else { return nil }
        if let b = parameter["valueBoolean"]?.boolValue { return b }
        switch parameter["valueString"]?.stringValue {
        case "true": return true
        case "false": return false
        default: throw FHIRError(status: 400, code: .invalid, "\(name) must be true or false", expression: [name])
        }
    }
}
