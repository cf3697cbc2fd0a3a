import FHIRCore

/// One version of one resource as the store keeps it: the exact JSON bytes that reads return
/// (with `meta.versionId` and `meta.lastUpdated` already stamped), or a deletion marker.
public struct ResourceRecord: Sendable, Equatable {
    public var type: String
    public var id: String
    public var versionId: Int
    /// Milliseconds since 1970-01-01T00:00:00Z; the resource's `meta.lastUpdated`.
    public var lastUpdated: Int64
    public var isDeleted: Bool
    /// The resource JSON (UTF-8), empty for a deletion.
    public var json: [UInt8]

    public init(type: String, id: String, versionId: Int, lastUpdated: Int64, isDeleted: Bool, json: [UInt8]) {
        self.type = type
        self.id = id
        self.versionId = versionId
        self.lastUpdated = lastUpdated
        self.isDeleted = isDeleted
        self.json = json
    }

    public var key: ResourceKey { ResourceKey(type: type, id: id) }
}

/// A resource's identity: its type and logical id.
public struct ResourceKey: Sendable, Hashable, CustomStringConvertible {
    public var type: String
    public var id: String
    public init(type: String, id: String) {
        self.type = type
        self.id = id
    }
    public var description: String { "\(type)/\(id)" }
}

/// Everything written for one new version in one statement batch: the version, the current-row
/// content hash, the patient compartment and the search-index rows that replace the previous ones.
public struct ResourceWrite: Sendable {
    public var record: ResourceRecord
    /// Hex SHA-256 of the resource content without `meta.versionId`/`meta.lastUpdated`.
    public var contentHash: String
    /// The patient this resource belongs to (for access control and sharding), if any.
    public var compartment: String?
    public var index: SearchIndexRows

    public init(record: ResourceRecord, contentHash: String, compartment: String?, index: SearchIndexRows) {
        self.record = record
        self.contentHash = contentHash
        self.compartment = compartment
        self.index = index
    }
}
