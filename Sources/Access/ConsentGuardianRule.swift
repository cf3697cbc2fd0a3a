import FHIRCore
import FHIRStore
import Foundation

/// R-SEC-1: a patient under the region's age (14 by default) consents through a guardian. A Consent
/// for such a patient must name among its performers a RelatedPerson of that patient with a guardian
/// relationship (AccessPolicy.guardianRelationshipCodes); otherwise it is refused with 422 and
/// nothing is written (checked inside the write's transaction).
public struct ConsentGuardianRule: InteractionHook {
    let backend: any StoreBackend
    let policy: AccessPolicy
    let today: @Sendable () -> String

    public init(backend: any StoreBackend, policy: AccessPolicy = AccessPolicy(),
                today: @escaping @Sendable () -> String = { String(InstantFormat.string(millis: Int64(Date().timeIntervalSince1970 * 1000)).prefix(10)) }) {
        self.backend = backend
        self.policy = policy
        self.today = today
    }

    public func willCommit(_ interaction: FHIRInteraction, records: [ResourceRecord], context: RequestContext, in tx: any StoreTransaction) async throws {
        for record in records where record.type == "Consent" && !record.isDeleted {
            guard let consent = try? JSONParser.parse(record.json), consent["status"]?.stringValue != "entered-in-error",
                let patientRef = consent["patient"]?["reference"]?.stringValue, patientRef.hasPrefix("Patient/")
            else { continue }
            let patientID = String(patientRef.dropFirst(8))
            guard let patient = try await tx.read(type: "Patient", id: patientID), !patient.isDeleted,
                let birth = (try? JSONParser.parse(patient.json))?["birthDate"]?.stringValue,
                Self.age(born: birth, on: today()) < policy.guardianConsentBelowAge
            else { continue }
            var byGuardian = false
            for performer in consent["performer"]?.arrayValue ?? [] {
                guard let ref = performer["reference"]?.stringValue, ref.hasPrefix("RelatedPerson/"),
                    let related = try await tx.read(type: "RelatedPerson", id: String(ref.dropFirst(14))), !related.isDeleted,
                    let r = try? JSONParser.parse(related.json), r["active"]?.boolValue != false,
                    r["patient"]?["reference"]?.stringValue == patientRef
                else { continue }
                let codes = (r["relationship"]?.arrayValue ?? []).flatMap { $0["coding"]?.arrayValue ?? [] }.compactMap { $0["code"]?.stringValue }
                if codes.contains(where: policy.guardianRelationshipCodes.contains) { byGuardian = true }
            }
            if !byGuardian {
                throw FHIRError(status: 422, code: .businessRule,
                                "R-SEC-1: \(patientRef) is under \(policy.guardianConsentBelowAge); the Consent must be given by a guardian "
                                    + "(a performer that is a RelatedPerson of the patient with a guardian relationship)")
            }
        }
    }

    /// Whole years from a FHIR date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) to `today` (`YYYY-MM-DD`);
    /// a partial date counts from its latest possible day, so a minor is never taken for an adult.
    static func age(born: String, on today: String) -> Int {
        let b = born.split(separator: "-").compactMap { Int($0) }
        let t = today.split(separator: "-").compactMap { Int($0) }
        guard b.count >= 1, t.count == 3 else { return 0 }
        let (month, day) = (b.count >= 2 ? b[1] : 12, b.count >= 3 ? b[2] : 31)
        var years = t[0] - b[0]
        if (t[1], t[2]) < (month, day) { years -= 1 }
        return years
    }
}
