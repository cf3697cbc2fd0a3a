// Integers as big-endian bytes: the audit journal's frames and records, the import position, and
// the audit chain's stored links (Access).
extension Array where Element == UInt8 {
    public mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { self += $0 }
    }
}

extension FixedWidthInteger {
    /// The integer stored big-endian in `bytes` (exactly its width).
    public init(bigEndian bytes: ArraySlice<UInt8>) {
        self = bytes.reduce(0) { $0 << 8 | Self($1) }
    }
}
