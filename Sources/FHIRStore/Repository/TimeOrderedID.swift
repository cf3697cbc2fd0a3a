import Foundation

/// Server-assigned resource ids: RFC 9562 UUID version 7 (48 bits of Unix milliseconds, then 74
/// random bits), written like any UUID.
///
/// Why not random (version 4) ids: every index keyed by id — the resource's `(type, id)`, its
/// versions', the compartment of everything filed under a patient, the references to it — then
/// takes a new resource at a random leaf, and each such leaf is another page written per create.
/// Ids that grow with time land together at the right edge of those indexes. What it gives away,
/// the creation time to the millisecond, the resource's `meta.lastUpdated` already shows.
enum TimeOrderedID {
    static func make(millis: Int64 = FHIRRepository.now()) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        let random2 = generator.next() as UInt64
        var bytes = [UInt8](repeating: 0, count: 16)
        let stamp = UInt64(max(0, millis)) & 0xFFFF_FFFF_FFFF
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: stamp >> (8 * (5 - i))) }
        for i in 6..<16 { bytes[i] = UInt8(truncatingIfNeeded: (i < 14 ? random : random2) >> (8 * (i % 8))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // RFC 9562 variant
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
