/// Why a FHIRPath expression could not be compiled or evaluated. The kinds match the official test
/// suite's `invalid` attribute: `syntax` (the text is not FHIRPath), `semantic` (well-formed but
/// meaningless: unknown function, wrong argument count, an element that cannot exist) and `execution`
/// (an input that breaks a rule at run time, such as `single()` on two items).
public struct FHIRPathError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The suite's error classes.
    public enum Kind: String, Sendable {
        case syntax, semantic, execution
    }

    public let kind: Kind
    public let message: String
    /// Character offset in the expression source, when known.
    public let position: Int?

    /// An error of `kind`, optionally at a character offset of the source.
    public init(_ kind: Kind, _ message: String, position: Int? = nil) {
        self.kind = kind
        self.message = message
        self.position = position
    }

    public var description: String {
        if let p = position { return "FHIRPath \(kind.rawValue) error at \(p): \(message)" }
        return "FHIRPath \(kind.rawValue) error: \(message)"
    }

    static func syntax(_ m: String, at p: Int? = nil) -> FHIRPathError { FHIRPathError(.syntax, m, position: p) }
    static func semantic(_ m: String) -> FHIRPathError { FHIRPathError(.semantic, m) }
    static func execution(_ m: String) -> FHIRPathError { FHIRPathError(.execution, m) }
}
