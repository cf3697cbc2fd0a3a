import ArgumentParser
import FHIRCore
import Foundation

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check FHIR resources offline (JSON files, NDJSON, Bundles) with the server's validator.",
        discussion: "Exit status 1 when any input is invalid. --format json prints one OperationOutcome per input.")

    enum Format: String, ExpressibleByArgument { case text, json }

    @Option(help: "text or json") var format: Format = .text
    @Argument(help: "Files to check; - reads standard input.") var files: [String]

    func run() async throws {
        let validator = ResourceValidator(definitions: .shared)
        var invalid = 0
        var total = 0
        for file in files {
            let bytes: [UInt8]
            if file == "-" {
                bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                bytes = [UInt8](data)
            }
            let inputs: [(String, [UInt8])] = file.hasSuffix(".ndjson") ? Self.lines(bytes, name: file) : [(file, bytes)]
            for (name, input) in inputs {
                total += 1
                let issues = Self.check(input, validator: validator)
                let errors = issues.filter(\.isError)
                if !errors.isEmpty { invalid += 1 }
                switch format {
                case .json:
                    print(JSONWriter.string(OperationOutcome.json(issues)))
                case .text:
                    if errors.isEmpty { continue }
                    print("\(name): invalid")
                    for e in errors {
                        print("  \(e.code.rawValue): \(e.diagnostics)" + (e.expression.isEmpty ? "" : " @ " + e.expression.joined(separator: ", ")))
                    }
                }
            }
        }
        if format == .text { print("\(total - invalid) valid, \(invalid) invalid") }
        if invalid > 0 { throw ExitCode(1) }
    }

    /// Parse and validate one document; a parse failure is a structure error.
    static func check(_ bytes: [UInt8], validator: ResourceValidator) -> [OutcomeIssue] {
        do {
            let json = try JSONParser.parse(bytes)
            guard json.objectValue != nil else {
                return [OutcomeIssue(code: .structure, diagnostics: "a FHIR resource must be a JSON object, not \(json.kindName)")]
            }
            return validator.validate(json).issues
        } catch {
            return [OutcomeIssue(code: .structure, diagnostics: "not valid JSON: \(error)")]
        }
    }

    static func lines(_ bytes: [UInt8], name: String) -> [(String, [UInt8])] {
        var result: [(String, [UInt8])] = []
        var n = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            n += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            result.append(("\(name):\(n)", Array(line)))
        }
        return result
    }
}

struct FHIRPathCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fhirpath", abstract: "Evaluate a FHIRPath expression on a resource and print the result collection as FHIR JSON.")

    @Argument(help: "The FHIRPath expression, e.g. \"Patient.name.given\"") var expression: String
    @Argument(help: "A resource JSON file, or - for standard input (the default).") var file: String = "-"

    func run() async throws {
        let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
        guard let data else { throw ValidationError("cannot read \(file)") }
        let resource: JSON
        do { resource = try JSONParser.parse([UInt8](data)) } catch { throw ValidationError("\(file) is not valid JSON: \(error)") }
        let compiled: FHIRPathExpression
        do { compiled = try FHIRPathExpression(expression) } catch { throw ValidationError("\(error)") }
        do {
            let result = try compiled.evaluate(on: resource, model: R4Definitions.shared)
            print(JSONWriter.string(.array(result.map(\.json)), pretty: true))
        } catch {
            FileHandle.standardError.write(Data("evaluation failed: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
