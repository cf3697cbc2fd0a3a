import ChinaReference
import FHIRCore
import FHIRStore

/// What a verifier learns from a scanned card: who the person is, enough to register or dispense
/// for them, and nothing of their health — the record reference, the name, the resident ID with its
/// middle masked, the card number.
public struct CardholderIdentity: Sendable, Equatable {
    public let patient: String
    public let name: String?
    public let maskedResidentID: String?
    public let cardNumber: HealthCardNumber

    public init(master: ResourceRecord, card: HealthCardNumber) {
        patient = "Patient/" + master.id
        cardNumber = card
        let resource = try? JSONParser.parse(master.json)
        name = resource.flatMap(Self.name(of:))
        maskedResidentID = resource.flatMap { r in
            r["identifier"]?.arrayValue?.first { $0["system"]?.stringValue == ChinaProfile.IdentifierSystem.residentID }?["value"]?.stringValue
        }.map(Self.mask)
    }

    /// The official (else the first) name: its `text`, or family and given names — written together
    /// for Chinese names (王小明), with a space otherwise.
    static func name(of patient: JSON) -> String? {
        let names = patient["name"]?.arrayValue ?? []
        guard let chosen = names.first(where: { $0["use"]?.stringValue == "official" }) ?? names.first else { return nil }
        if let text = chosen["text"]?.stringValue, !text.isEmpty { return text }
        let family = chosen["family"]?.stringValue ?? ""
        let given = (chosen["given"]?.arrayValue ?? []).compactMap(\.stringValue)
        let chinese = (family + given.joined()).unicodeScalars.contains { $0.properties.isIdeographic }
        let parts = chinese ? [family + given.joined()] : given + [family]
        let joined = parts.filter { !$0.isEmpty }.joined(separator: " ")
        return joined.isEmpty ? nil : joined
    }

    /// The region code and the last four characters stay; the birth date and sequence are hidden
    /// (110105********002X), as counters and receipts print them.
    static func mask(_ id: String) -> String {
        let chars = Array(id)
        guard chars.count > 10 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(6)) + String(repeating: "*", count: chars.count - 10) + String(chars.suffix(4))
    }
}
