/// Failures of the storage layer that callers may act on.
public enum StoreError: Error, Sendable, Equatable {
    /// Another writer changed the resource between read and write (the database refused a duplicate version).
    case versionConflict(ResourceKey)
    /// The database could not be reached or answered with an error.
    case database(String)
    /// The database schema is newer than this program.
    case schemaTooNew(found: Int, supported: Int)
}
