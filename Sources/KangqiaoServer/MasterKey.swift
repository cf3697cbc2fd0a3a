import Access
import Foundation

/// The instance's master key, which seals private keys and second-factor secrets in the database.
/// It lives outside the database: `KANGQIAO_MASTER_KEY` (the key itself, base64url), or the file
/// `KANGQIAO_MASTER_KEY_FILE`, or `master.key` beside the SQLite file (`./kangqiao-data/` for
/// PostgreSQL). A missing file is created with a new key, readable by its owner only. Every instance
/// on one PostgreSQL must be given the same key.
public enum MasterKey {
    public static func location(for database: DatabaseLocation, environment: [String: String]) -> String {
        if let file = environment["KANGQIAO_MASTER_KEY_FILE"], !file.isEmpty { return file }
        switch database {
        case .sqlite(let path): return ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("master.key")
        case .postgres: return "./kangqiao-data/master.key"
        }
    }

    public static func sealer(for database: DatabaseLocation, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KeySealer {
        if let text = environment["KANGQIAO_MASTER_KEY"], !text.isEmpty {
            guard let sealer = KeySealer(encodedMasterKey: text) else { throw MasterKeyError("KANGQIAO_MASTER_KEY is not a base64url 32-byte key") }
            return sealer
        }
        let path = location(for: database, environment: environment)
        if !FileManager.default.fileExists(atPath: path) {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            let created = FileManager.default.createFile(
                atPath: path, contents: Data((KeySealer.newEncodedMasterKey() + "\n").utf8), attributes: [.posixPermissions: 0o600])
            guard created else { throw MasterKeyError("cannot create the master key file \(path)") }
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let sealer = KeySealer(encodedMasterKey: text) else {
            throw MasterKeyError("the master key file \(path) does not hold a base64url 32-byte key")
        }
        return sealer
    }
}

public struct MasterKeyError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
