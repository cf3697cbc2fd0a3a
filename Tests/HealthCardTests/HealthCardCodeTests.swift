@preconcurrency import Crypto
import FHIRCore
import FHIRStore
import Foundation
import QRCode
import QRTestSupport
import Testing
@testable import HealthCard

/// The card's pure parts: numbers, signed codes, identity shown to verifiers, master resolution.
@Suite("e-health card codes")
struct HealthCardCodeTests {
    let key = P256.Signing.PrivateKey()
    let card = HealthCardNumber.random(division: "350102")

    @Test("card numbers: the region's code, 18 digits, a Luhn check digit that catches a typo")
    func numbers() throws {
        #expect(card.value.count == 18)
        #expect(card.value.hasPrefix("350102"))
        #expect(HealthCardNumber(card.value) == card)
        var digits = Array(card.value)
        let last = digits[10].wholeNumberValue ?? 0
        digits[10] = Character(String((last + 1) % 10))
        #expect(HealthCardNumber(String(digits)) == nil)
        #expect(HealthCardNumber("35010212345678901") == nil)  // 17 digits
        #expect(HealthCardNumber("7992739871300000000") == nil)  // 19 digits
        #expect(HealthCardNumber.luhnDigit([7, 9, 9, 2, 7, 3, 9, 8, 7, 1]) == 3)  // the textbook example
    }

    @Test("R-HC-2: a static code carries the card number and the platform signature, nothing else")
    func staticCode() throws {
        let payload = try HealthCardCode.staticCode(for: card).payload(signedWith: key)
        let parts = payload.split(separator: ":")
        #expect(parts.count == 4)
        #expect(parts[0] == "KQHC1" && parts[1] == "S" && parts[2] == Substring(card.value))
        let read = try HealthCardCode.verified(payload, publicKey: key.publicKey)
        #expect(read.kind == .static && read.cardNumber == card && read.codeID == nil)
    }

    @Test("R-HC-2: a dynamic code has a random single-use id and its expiry inside the signature")
    func dynamicCode() throws {
        let a = HealthCardCode.dynamicCode(for: card, expiresAt: 1_800_000_060)
        let b = HealthCardCode.dynamicCode(for: card, expiresAt: 1_800_000_060)
        #expect(a.codeID != b.codeID)
        let read = try HealthCardCode.verified(try a.payload(signedWith: key), publicKey: key.publicKey)
        #expect(read == a)
    }

    @Test("R-HC-2: an altered code, or one signed by another key, is refused")
    func tampering() throws {
        let payload = try HealthCardCode.dynamicCode(for: card, expiresAt: 1_800_000_060).payload(signedWith: key)
        // A later expiry, another card number, a changed signature character.
        let later = payload.replacingOccurrences(of: ":1800000060:", with: ":1800009999:")
        let other = HealthCardNumber.random(division: "350102")
        let swapped = payload.replacingOccurrences(of: card.value, with: other.value)
        var signature = Array(payload)
        signature[signature.count - 3] = signature[signature.count - 3] == "A" ? "B" : "A"
        for altered in [later, swapped, String(signature)] {
            #expect(throws: HealthCardCodeProblem.badSignature) { try HealthCardCode.verified(altered, publicKey: key.publicKey) }
        }
        #expect(throws: HealthCardCodeProblem.badSignature) {
            try HealthCardCode.verified(payload, publicKey: P256.Signing.PrivateKey().publicKey)
        }
        for junk in ["", "hello", "KQHC1:S:123:abc", "KQHC1:X:\(card.value):sig", "KQHC2:S:\(card.value):sig"] {
            #expect(throws: (any Error).self) { try HealthCardCode.verified(junk, publicKey: key.publicKey) }
        }
    }

    @Test("R-HC-2: the default policy: 60 s dynamic codes; payment and record access need one")
    func policyDefaults() {
        let policy = HealthCardPolicy()
        #expect(policy.dynamicCodeLifetimeSeconds == 60)
        #expect(policy.requiresDynamicCode(.payment) && policy.requiresDynamicCode(.recordAccess))
        #expect(!policy.requiresDynamicCode(.registration) && !policy.requiresDynamicCode(.consultation) && !policy.requiresDynamicCode(.dispensing))
    }

    @Test("real dynamic and static payloads drawn as QR codes read back with zbar")
    func payloadsDecode() throws {
        guard let zbar = ZbarReader.locate() else {
            if ZbarReader.mustBePresent { Issue.record("CI=true but zbarimg is not installed") }
            return
        }
        for level in QRErrorCorrectionLevel.allCases {
            for code in [HealthCardCode.staticCode(for: card), .dynamicCode(for: card, expiresAt: 1_800_000_060)] {
                let payload = try code.payload(signedWith: key)
                let qr = try QRCode(text: payload, errorCorrection: level)
                let read = try zbar.decode(png: QRImage(qr, scale: 4).png())
                #expect(read == [Array(payload.utf8)], "\(code.kind) at \(level), version \(qr.version)")
                #expect(try HealthCardCode.verified(String(decoding: read.first ?? [], as: UTF8.self), publicKey: key.publicKey) == code)
            }
        }
    }

    @Test("the verifier sees the name and a masked resident ID, no health data")
    func identity() throws {
        let patient = #"{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://kangqiao.org/fhir/sid/resident-id","value":"11010519491231002X"}],"name":[{"family":"王","given":["小明"]}],"gender":"male","birthDate":"1949-12-31"}"#
        let identity = CardholderIdentity(master: Self.record("p1", patient), card: card)
        #expect(identity.patient == "Patient/p1")
        #expect(identity.name == "王小明")
        #expect(identity.maskedResidentID == "110105********002X")
        #expect(CardholderIdentity.name(of: try JSONParser.parse(#"{"name":[{"family":"Smith","given":["Anna","B"]}]}"#)) == "Anna B Smith")
    }

    @Test("R-HC-1: a merged record leads to its survivor; loops and missing targets stop safely")
    func masterResolution() async throws {
        func linked(_ id: String, to other: String, _ type: String = "replaced-by") -> ResourceRecord {
            Self.record(id, #"{"resourceType":"Patient","id":"\#(id)","link":[{"other":{"reference":"Patient/\#(other)"},"type":"\#(type)"}]}"#)
        }
        let records: [String: ResourceRecord] = [
            "a": linked("a", to: "b"), "b": linked("b", to: "c", "refer"), "c": Self.record("c", #"{"resourceType":"Patient","id":"c"}"#),
            "x": linked("x", to: "y"), "y": linked("y", to: "x"), "m": linked("m", to: "missing"), "s": linked("s", to: "c", "seealso"),
        ]
        let read: (String) async throws -> ResourceRecord? = { records[$0] }
        #expect(try await MasterIdentity.resolve(records["a"]!, maxHops: 8, read: read).id == "c")
        #expect(try await MasterIdentity.resolve(records["x"]!, maxHops: 8, read: read).id == "y")
        #expect(try await MasterIdentity.resolve(records["m"]!, maxHops: 8, read: read).id == "m")
        #expect(try await MasterIdentity.resolve(records["s"]!, maxHops: 8, read: read).id == "s")
        #expect(try await MasterIdentity.resolve(records["a"]!, maxHops: 1, read: read).id == "b")
    }

    static func record(_ id: String, _ json: String) -> ResourceRecord {
        ResourceRecord(type: "Patient", id: id, versionId: 1, lastUpdated: 0, isDeleted: false, json: Array(json.utf8))
    }
}
