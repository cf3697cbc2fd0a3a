import FHIRCore
import FHIRStore

/// R-SEC-3: a signed (confirmed) record is locked. Changing or deleting it needs a reason
/// (`X-Change-Reason`), which the audit record keeps; the change is a new version, the signed one
/// stays in the history, and `$verify-signature` reports the current version as changed after signing.
public struct SignedRecordLock: InteractionHook {
    let backend: any StoreBackend

    public init(backend: any StoreBackend) { self.backend = backend }

    public func willPerform(_ interaction: FHIRInteraction, target: ResourceKey?, context: RequestContext) async throws {
        guard interaction == .update || interaction == .delete, let target, !target.id.isEmpty, target.type != "Provenance" else { return }
        if let reason = context.changeReason, !reason.trimmingCharacters(in: .whitespaces).isEmpty { return }
        guard try await Self.isSigned(target, backend: backend) else { return }
        throw FHIRError(status: 409, code: .businessRule,
                        "R-SEC-3: \(target.type)/\(target.id) is signed; a change needs its reason in the X-Change-Reason header")
    }

    /// True when a Provenance with a signature targets any version of `key`.
    public static func isSigned(_ key: ResourceKey, backend: any StoreBackend) async throws -> Bool {
        let page = try await backend.search(StoreQuery(
            type: "Provenance", filters: [[.reference(param: "target", targetType: key.type, targetId: key.id, url: nil)]], count: 20))
        return page.records.contains { r in
            ((try? JSONParser.parse(r.json))?["signature"]?.arrayValue?.isEmpty == false)
        }
    }
}
