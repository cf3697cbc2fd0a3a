import Foundation

/// Finds the read-only shared test data (`<repo>/../shared/testdata`) for the definitions and validation
/// tests: from this file's real location (symlinks resolved), else `$KANGQIAO_SHARED`, else `/work/shared`.
enum DefinitionsFixtures {
    static let sharedFolder: URL = {
        let fm = FileManager.default
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        // Tests/FHIRCoreTests/<file> → repository root is three levels up.
        let repo = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var candidates = [repo.deletingLastPathComponent().appendingPathComponent("shared")]
        if let env = ProcessInfo.processInfo.environment["KANGQIAO_SHARED"] {
            candidates.append(URL(fileURLWithPath: env))
        }
        candidates.append(URL(fileURLWithPath: "/work/shared"))
        for c in candidates where fm.fileExists(atPath: c.appendingPathComponent("testdata").path) {
            return c
        }
        return candidates[candidates.count - 1]
    }()

    static var testData: URL { sharedFolder.appendingPathComponent("testdata") }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
}
