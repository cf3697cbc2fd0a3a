// See HealthCardCode.swift: swift-crypto 3's key types are not marked Sendable on Linux.
@preconcurrency import Crypto
import ChinaReference
import FHIRCore
import FHIRStore

/// The e-health card workflow over the FHIR repository, so authorization and audit apply as to
/// every interaction: issue a person's one card (R-HC-1), make its static or dynamic code, and
/// verify a scanned code for a scene (R-HC-2).
public struct HealthCardService: Sendable {
    public let repository: FHIRRepository
    public let policy: HealthCardPolicy
    public let registry: HealthCardRegistry
    /// The platform's card-signing key (sealed at rest by the caller's key store).
    let signingKey: @Sendable () async throws -> P256.Signing.PrivateKey
    /// Unix seconds; tests move it to expire codes.
    let clock: @Sendable () -> Int64

    public init(
        repository: FHIRRepository, policy: HealthCardPolicy = HealthCardPolicy(),
        signingKey: @escaping @Sendable () async throws -> P256.Signing.PrivateKey, clock: @escaping @Sendable () -> Int64
    ) {
        self.repository = repository
        self.policy = policy
        self.registry = HealthCardRegistry(backend: repository.backend)
        self.signingKey = signingKey
        self.clock = clock
    }

    /// A card as issued: its number and the master Patient that carries it.
    public struct IssuedCard: Sendable {
        public let number: HealthCardNumber
        public let master: ResourceRecord
        /// False when the person had their card already.
        public let created: Bool
    }

    /// Attempts at issuing before giving up on a record that keeps changing underneath.
    static let issueAttempts = 5

    /// Issues the person's card, or answers the one they have (R-HC-1). The caller must be allowed to
    /// read the Patient; the number is written to the master Patient as an identifier in the same
    /// transaction as the card record, so neither exists without the other.
    public func issue(patientID: String, context: RequestContext) async throws -> IssuedCard {
        _ = try await repository.read(type: "Patient", id: patientID, context: context)
        for _ in 0..<Self.issueAttempts {
            let path = try await recordPath(of: patientID)
            let master = path[path.count - 1]
            let linked = try await linkedRecords(of: master)
            let person = Self.personKey(master: master, linked: linked)
            var existing = try await registry.card(ofPerson: person)
            if existing == nil {
                // A record merged into the master, or linked to it by the master index, after it got its
                // card: the person takes that card over (one card per person, R-HC-1).
                let others = try await mergedRecords(path) + [master] + linked
                for record in others where MasterIdentity.personKey(of: record) != person {
                    guard try await registry.transfer(from: MasterIdentity.personKey(of: record), to: person) else { continue }
                    existing = try await registry.card(ofPerson: person)
                    break
                }
            }
            let number = existing ?? HealthCardNumber.random(division: policy.issuerDivisionCode)
            guard let updated = try Self.patient(master, carrying: number) else {
                if existing != nil { return IssuedCard(number: number, master: master, created: false) }
                // The record already names this number without a card record (written by hand): claim it.
                let claimed = try await repository.backend.write { tx in
                    try await HealthCardRegistry.claim(number, for: person, patient: person, now: clock(), in: tx)
                }
                if claimed.card == number { return IssuedCard(number: number, master: master, created: claimed.created) }
                continue
            }
            var writer = repository
            writer.hooks.append(CardClaim(number: number, person: person, now: clock()))
            do {
                let result = try await writer.update(
                    type: "Patient", id: master.id, resource: updated, ifMatch: master.versionId, context: Self.issuing(context))
                return IssuedCard(number: number, master: result.record, created: existing == nil)
            } catch is CardClaimLost {
                continue
            } catch let error as FHIRError where error.status == 412 {
                continue  // the Patient changed meanwhile (another issue, an edit): read it again
            } catch StoreError.versionConflict {
                continue
            }
        }
        throw FHIRError(status: 409, code: .conflict, "the health card could not be issued: the patient record kept changing; retry")
    }

    /// The person's card as it is, without issuing one (404 when none was issued).
    public func card(patientID: String, context: RequestContext) async throws -> IssuedCard {
        _ = try await repository.read(type: "Patient", id: patientID, context: context)
        let path = try await recordPath(of: patientID)
        guard let number = try await currentCard(path), let master = path.last else {
            throw FHIRError.notFound("Patient/\(patientID) has no e-health card yet (POST Patient/\(patientID)/$health-card issues it)")
        }
        return IssuedCard(number: number, master: master, created: false)
    }

    /// The code to show: static (identity only) or a fresh dynamic one (R-HC-2). A dynamic code is
    /// made for the resident's own device: only the roles of `policy.dynamicCodeRoles` get one.
    public func code(patientID: String, kind: HealthCardCode.Kind, context: RequestContext) async throws -> (code: HealthCardCode, payload: String) {
        if kind == .dynamic, let principal = context.principal, policy.dynamicCodeRoles.isDisjoint(with: principal.roles) {
            throw FHIRError(status: 403, code: .forbidden,
                            "R-HC-2: a dynamic code is generated on the resident's own device; staff print the static code")
        }
        _ = try await repository.read(type: "Patient", id: patientID, context: context)
        guard let card = try await currentCard(try await recordPath(of: patientID)) else {
            throw FHIRError.notFound("Patient/\(patientID) has no e-health card yet (POST Patient/\(patientID)/$health-card issues it)")
        }
        let code: HealthCardCode = kind == .static
            ? .staticCode(for: card)
            : .dynamicCode(for: card, expiresAt: clock() + Int64(policy.dynamicCodeLifetimeSeconds))
        return (code, try code.payload(signedWith: try await signingKey()))
    }

    /// The master Patient of a record, read without hooks: the caller was authorized for `patientID`.
    func masterRecord(of patientID: String) async throws -> ResourceRecord {
        let path = try await recordPath(of: patientID)
        return path[path.count - 1]
    }

    /// The records that forward to the master at the end of `path`: those on the path, then those
    /// linking to it directly (merged through another id).
    func mergedRecords(_ path: [ResourceRecord]) async throws -> [ResourceRecord] {
        guard let master = path.last else { return [] }
        let linking = try await repository.backend.search(StoreQuery(
            type: "Patient", filters: [[.reference(param: "link", targetType: "Patient", targetId: master.id, url: nil)]], count: 20))
        let onPath = Set(path.map(\.id))
        return path.dropLast().reversed() + linking.records.filter { !onPath.contains($0.id) && MasterIdentity.forwardTarget(of: $0) == master.id }
    }

    /// The person's card, or — until it is issued again — the card of a record merged into them or
    /// linked to them by the master index.
    func currentCard(_ path: [ResourceRecord]) async throws -> HealthCardNumber? {
        guard let master = path.last else { return nil }
        let linked = try await linkedRecords(of: master)
        if let card = try await registry.card(ofPerson: Self.personKey(master: master, linked: linked)) { return card }
        if let card = try await registry.card(ofPerson: MasterIdentity.personKey(of: master)) { return card }
        for record in try await mergedRecords(path) + linked {
            if let card = try await registry.card(ofPerson: MasterIdentity.personKey(of: record)) { return card }
        }
        return nil
    }

    /// The other active records the master patient index holds for the same person as `master`
    /// (certain matches linked under one master identity), in id order; none without an index.
    func linkedRecords(of master: ResourceRecord) async throws -> [ResourceRecord] {
        guard let resolver = repository.linkedPatients,
            let ids = try await resolver.samePerson(as: [master.id])[master.id]?.subtracting([master.id]), !ids.isEmpty
        else { return [] }
        var records: [ResourceRecord] = []
        for id in ids.sorted() {
            guard let r = try await repository.backend.read(type: "Patient", id: id), !r.isDeleted,
                (try? JSONParser.parse(r.json))?["active"]?.boolValue != false
            else { continue }
            records.append(r)
        }
        return records
    }

    /// The key a person's card is kept under: their master Patient's, or — when the master index
    /// links several records as one person — the first of them by id, whichever record is asked.
    static func personKey(master: ResourceRecord, linked: [ResourceRecord]) -> String {
        "Patient/" + ([master.id] + linked.map(\.id)).min()!
    }

    /// The records from `patientID` to its master (MasterIdentity).
    func recordPath(of patientID: String) async throws -> [ResourceRecord] {
        guard let record = try await repository.backend.read(type: "Patient", id: patientID), !record.isDeleted else {
            throw FHIRError.notFound("Patient/\(patientID) is not known")
        }
        let backend = repository.backend
        return try await MasterIdentity.path(from: record, maxHops: policy.maxLinkHops) { id in try await backend.read(type: "Patient", id: id) }
    }

    /// The Patient with exactly one health-card identifier, `number`; nil when it has that already.
    static func patient(_ record: ResourceRecord, carrying number: HealthCardNumber) throws -> JSON? {
        guard case .object(var patient) = try JSONParser.parse(record.json) else { throw FHIRError.internal("Patient/\(record.id) is not an object") }
        let system = ChinaProfile.IdentifierSystem.healthCard
        let identifiers = patient["identifier"]?.arrayValue ?? []
        let cards = identifiers.filter { $0["system"]?.stringValue == system }
        if cards.count == 1, cards[0]["value"]?.stringValue == number.value { return nil }
        let card = JSON.object(JSONObject([
            ("use", "official"), ("type", .object(JSONObject([("text", "电子健康卡")]))), ("system", .string(system)), ("value", .string(number.value)),
        ]))
        let kept = identifiers.filter { $0["system"]?.stringValue != system } + [card]
        patient["identifier"] = .array(kept)
        return .object(patient)
    }

    /// The caller was allowed to read the Patient; writing the number on it is the platform's part of
    /// the workflow (R-HC-1), done in the caller's name so the audit trail shows who asked.
    static func issuing(_ context: RequestContext) -> RequestContext {
        var c = context
        c.principal?.scope = "system/Patient.u"
        c.purpose = "R-HC-1: e-health card issued"
        return c
    }
}

/// Writes the card record in the Patient update's own transaction (R-HC-1: the card and the
/// identifier exist together or not at all).
struct CardClaim: InteractionHook {
    let number: HealthCardNumber
    let person: String
    let now: Int64

    func willCommit(_ interaction: FHIRInteraction, records: [ResourceRecord], context: RequestContext, in tx: any StoreTransaction) async throws {
        guard interaction == .update, records.contains(where: { "Patient/" + $0.id == person }) else { return }
        let claimed = try await HealthCardRegistry.claim(number, for: person, patient: person, now: now, in: tx)
        // Another request gave this person a card, or this number to someone else: roll back, retry.
        guard claimed.card == number else { throw CardClaimLost() }
    }
}

struct CardClaimLost: Error {}
