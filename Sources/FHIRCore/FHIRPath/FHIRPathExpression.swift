/// A compiled FHIRPath expression (FHIRPath N1 for FHIR R4, plus the later string, boundary and
/// utility functions). Compile once, evaluate many times: the parsed tree is immutable and `Sendable`,
/// and evaluation only reads the resource.
///
/// ```swift
/// let expr = try FHIRPathExpression("Observation.value as Quantity")
/// let items = try expr.evaluate(on: observation, model: R4Definitions.shared)
/// ```
public struct FHIRPathExpression: Sendable, CustomStringConvertible {
    /// The expression text as given.
    public let source: String
    let ast: FHIRPathAST

    /// Compiles an expression; throws `FHIRPathError` (`.syntax` or `.semantic`) when it is malformed.
    public init(_ source: String) throws {
        self.source = source
        self.ast = try FHIRPathParser.parse(source)
    }

    /// The source text.
    public var description: String { source }

    /// Evaluates on a resource (a JSON object with `resourceType`). `context` (default: the resource) is
    /// the input of the expression and `%context`; `%resource` is the resource, and so is `%rootResource`
    /// unless `options.rootResource` names its container.
    /// `contextType` is the FHIR type of `context` (`Extension`, `Patient.contact`, `HumanName`); give it
    /// whenever the context is not a resource, so that choice elements (`value[x]`) can be found.
    /// `variables` become `%name` constants. Throws `FHIRPathError` (`.execution`, or `.semantic` for
    /// element names that cannot exist, such as `Observation.valueQuantity`).
    public func evaluate(on resource: JSON, model: any FHIRTypeModel, context: JSON? = nil, contextType: String? = nil,
                         variables: [String: [FHIRPathValue]] = [:]) throws -> [FHIRPathValue] {
        try evaluate(on: resource, model: model, context: context, contextType: contextType, variables: variables,
                     options: FHIRPathOptions())
    }

    /// Evaluation with explicit options (strict mode, a fixed clock, a trace sink, a reference resolver).
    public func evaluate(on resource: JSON, model: any FHIRTypeModel, context: JSON? = nil, contextType: String? = nil,
                         variables: [String: [FHIRPathValue]] = [:], options: FHIRPathOptions) throws -> [FHIRPathValue] {
        let root = FHIRPathValue.resource(resource)
        let container = options.rootResource.map { FHIRPathValue.resource($0) }
        let contextItem: FHIRPathValue
        if let context {
            contextItem = FHIRPathEvaluator.item(for: context, typeName: contextType, model: model)
        } else {
            contextItem = root
        }
        return try evaluate(input: [contextItem], resource: root, rootResource: container, model: model,
                            variables: variables, options: options)
    }

    /// Evaluates on an arbitrary input collection (no resource needed: `1 + 1`, `'a'.upper()`).
    /// `resource` sets `%resource` (and `%rootResource` unless given); `%context` is the input.
    public func evaluate(input: [FHIRPathValue], resource: FHIRPathValue? = nil, rootResource: FHIRPathValue? = nil,
                         model: any FHIRTypeModel, variables: [String: [FHIRPathValue]] = [:],
                         options: FHIRPathOptions = FHIRPathOptions()) throws -> [FHIRPathValue] {
        let env = FHIRPathEnvironment(model: model, resource: resource, rootResource: rootResource ?? resource, context: input,
                                      variables: variables, options: options)
        if options.strict {
            try FHIRPathStrictChecker(model: model).check(ast, inputType: input.count == 1 ? input[0].typeName : nil)
        }
        let evaluator = FHIRPathEvaluator(env: env)
        do {
            return try evaluator.evaluate(ast, FHIRPathEvaluator.Scope(focus: input))
        } catch let e as FHIRPathError {
            throw e
        } catch {
            throw FHIRPathError(.execution, "\(error)")
        }
    }

    /// Evaluates an invariant: true/false as the expression says, nil for an empty result. A single
    /// non-boolean item counts as true; several items are an execution error (FHIRPath boolean rules).
    /// R4 invariants are read leniently where the R4 definitions themselves break a FHIRPath rule: dom-3
    /// calls `as()` on many items (later FHIR versions use `ofType()`), so `as()` filters like `ofType()`.
    /// `rootResource` is the container when `resource` is a contained resource or a Bundle entry.
    public func evaluateBoolean(on resource: JSON, model: any FHIRTypeModel, context: JSON? = nil,
                                contextType: String? = nil, rootResource: JSON? = nil) throws -> Bool? {
        let result = try evaluate(on: resource, model: model, context: context, contextType: contextType,
                                  options: FHIRPathOptions(asFiltersCollections: true, rootResource: rootResource))
        return try FHIRPathEvaluator.singletonBoolean(result, what: "the expression result")
    }
}

/// Settings of one evaluation.
public struct FHIRPathOptions: Sendable {
    /// Strict mode: element names must exist in the model and functions that need order refuse unordered
    /// input (the official suite's `mode="strict"`); errors are `.semantic`.
    public var strict: Bool
    /// The value of `now()` (and the date of `today()`); default: the clock at evaluation start.
    public var now: FHIRDateTime?
    /// Receives `trace(name)` output.
    public var trace: (@Sendable (String, [FHIRPathValue]) -> Void)?
    /// Resolves a reference string (`Patient/1`, an absolute URL) for `resolve()`; return nil when
    /// unknown. Without it, `resolve()` looks in contained resources and the root Bundle, and otherwise
    /// yields a stub `{resourceType, id}` so that `resolve() is Patient` can still be tested.
    public var resolver: (@Sendable (String) -> JSON?)?
    /// `as()` on more than one item filters like `ofType()` instead of failing (needed by R4's dom-3;
    /// `evaluateBoolean` turns it on).
    public var asFiltersCollections: Bool
    /// `%rootResource` when the evaluated resource sits inside another one (a contained resource, a
    /// Bundle entry); `#id` references resolve among its contained resources. Default: the resource.
    public var rootResource: JSON?

    /// Default options: lenient mode, the real clock, no trace sink, no resolver.
    public init(strict: Bool = false, now: FHIRDateTime? = nil, trace: (@Sendable (String, [FHIRPathValue]) -> Void)? = nil,
                resolver: (@Sendable (String) -> JSON?)? = nil, asFiltersCollections: Bool = false, rootResource: JSON? = nil) {
        self.asFiltersCollections = asFiltersCollections
        self.rootResource = rootResource
        self.strict = strict
        self.now = now
        self.trace = trace
        self.resolver = resolver
    }
}

/// Everything an evaluation can see besides the focus.
struct FHIRPathEnvironment: Sendable {
    let model: any FHIRTypeModel
    let resource: FHIRPathValue?
    let rootResource: FHIRPathValue?
    let context: [FHIRPathValue]
    let variables: [String: [FHIRPathValue]]
    let options: FHIRPathOptions
    let now: FHIRDateTime

    init(model: any FHIRTypeModel, resource: FHIRPathValue?, rootResource: FHIRPathValue?, context: [FHIRPathValue],
         variables: [String: [FHIRPathValue]], options: FHIRPathOptions) {
        self.model = model
        self.resource = resource
        self.rootResource = rootResource
        self.context = context
        self.variables = variables
        self.options = options
        self.now = options.now ?? FHIRDateTime.now()
    }

    /// `%name`: the standard constants, then the caller's variables.
    func constant(_ name: String) throws -> [FHIRPathValue] {
        switch name {
        case "resource": return resource.map { [$0] } ?? []
        case "rootResource": return (rootResource ?? resource).map { [$0] } ?? []
        case "context": return context
        case "ucum": return [.string("http://unitsofmeasure.org")]
        case "sct": return [.string("http://snomed.info/sct")]
        case "loinc": return [.string("http://loinc.org")]
        default:
            if let v = variables[name] { return v }
            if name.hasPrefix("vs-") { return [.string("http://hl7.org/fhir/ValueSet/" + name.dropFirst(3))] }
            if name.hasPrefix("ext-") { return [.string("http://hl7.org/fhir/StructureDefinition/" + name.dropFirst(4))] }
            throw FHIRPathError.execution("undefined variable %\(name)")
        }
    }
}
