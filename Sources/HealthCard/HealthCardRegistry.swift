import FHIRCore
import FHIRStore
import Foundation

/// The cards and the used dynamic codes, as private records (never served by the FHIR API). The
/// store's key (kind, key) is unique, and a transaction's read of a key locks it (row lock or, when
/// absent, an advisory lock on PostgreSQL; the single writer on SQLite), so the check-then-insert
/// below holds across concurrent requests and across server instances on one database:
/// - `health-card` by person: one card per person (R-HC-1);
/// - `health-card-number` by number: one person per number;
/// - `health-card-code-use` by code id: a dynamic code used once (R-HC-2).
public struct HealthCardRegistry: Sendable {
    public let backend: any StoreBackend

    static let cardKind = "health-card"
    static let numberKind = "health-card-number"
    static let useKind = "health-card-code-use"

    public init(backend: any StoreBackend) { self.backend = backend }

    /// The card of a person (MasterIdentity.personKey), nil when none was issued.
    public func card(ofPerson person: String) async throws -> HealthCardNumber? {
        try await backend.privateRecord(kind: Self.cardKind, key: person).flatMap(Self.number(in:))
    }

    /// The person a card number was issued to.
    public func person(holding card: HealthCardNumber) async throws -> String? {
        guard let bytes = try await backend.privateRecord(kind: Self.numberKind, key: card.value) else { return nil }
        return (try? JSONParser.parse(bytes))?["person"]?.stringValue
    }

    /// Inside a write: records `number` as the card of `person` unless the person already has one.
    /// Answers the person's card (the existing one wins) and whether `number` was taken by another
    /// person, in which case nothing was written and the caller draws another number.
    static func claim(
        _ number: HealthCardNumber, for person: String, patient: String, now: Int64, in tx: any StoreTransaction
    ) async throws -> (card: HealthCardNumber?, created: Bool) {
        if let existing = try await tx.privateRecord(kind: cardKind, key: person).flatMap(number(in:)) { return (existing, false) }
        if try await tx.privateRecord(kind: numberKind, key: number.value) != nil { return (nil, false) }
        let card = JSON.object(JSONObject([
            ("number", .string(number.value)), ("patient", .string(patient)), ("issued", .number(JSONNumber(Int(now)))),
        ]))
        try await tx.putPrivateRecord(kind: cardKind, key: person, value: JSONWriter.bytes(card))
        try await tx.putPrivateRecord(kind: numberKind, key: number.value, value: JSONWriter.bytes(.object(JSONObject([("person", .string(person))]))))
        return (number, true)
    }

    /// Moves a person's card to another person key — when a record that got a card was merged into a
    /// survivor that has none, the survivor keeps the card the resident already carries (R-HC-1).
    /// False, and nothing changed, when `from` has no card or `to` has one already.
    @discardableResult
    public func transfer(from: String, to: String) async throws -> Bool {
        try await backend.write { tx in
            guard from != to, let card = try await tx.privateRecord(kind: Self.cardKind, key: from), let number = Self.number(in: card),
                try await tx.privateRecord(kind: Self.cardKind, key: to) == nil
            else { return false }
            guard case .object(var moved) = try JSONParser.parse(card) else { return false }
            moved["patient"] = .string(to)
            try await tx.putPrivateRecord(kind: Self.cardKind, key: to, value: JSONWriter.bytes(.object(moved)))
            try await tx.putPrivateRecord(kind: Self.numberKind, key: number.value, value: JSONWriter.bytes(.object(JSONObject([("person", .string(to))]))))
            try await tx.deletePrivateRecord(kind: Self.cardKind, key: from)
            return true
        }
    }

    /// Records the use of a dynamic code; false when it was used before (a replay). The record keeps
    /// where and when, so a disputed use can be traced.
    public func recordUse(of code: HealthCardCode, scene: HealthCardScene, organization: String?, now: Int64) async throws -> Bool {
        guard let id = code.codeID else { return true }
        let use = JSON.object(JSONObject([
            ("card", .string(code.cardNumber.value)), ("scene", .string(scene.rawValue)),
            ("organization", organization.map(JSON.string) ?? .null), ("used", .number(JSONNumber(Int(now)))),
            ("expires", .number(JSONNumber(Int(code.expiresAt ?? 0)))),
        ]))
        return try await backend.write { tx in
            if try await tx.privateRecord(kind: Self.useKind, key: id) != nil { return false }
            try await tx.putPrivateRecord(kind: Self.useKind, key: id, value: JSONWriter.bytes(use))
            return true
        }
    }

    /// Deletes the records of dynamic codes used longer ago than `policy.usedCodeRecordDays` (each
    /// code expired long before); answers how many went. `kangqiao serve` runs it every hour.
    @discardableResult
    public func pruneUsedCodes(policy: HealthCardPolicy, now: Int64) async throws -> Int {
        let keepDays = max(policy.usedCodeRecordDays, 1)
        let cutoff = (now - Int64(keepDays) * 86_400 - Int64(policy.dynamicCodeLifetimeSeconds)) * 1000
        return try await backend.deletePrivateRecords(kind: Self.useKind, updatedBefore: cutoff)
    }

    static func number(in bytes: [UInt8]) -> HealthCardNumber? {
        (try? JSONParser.parse(bytes))?["number"]?.stringValue.flatMap(HealthCardNumber.init)
    }
}
