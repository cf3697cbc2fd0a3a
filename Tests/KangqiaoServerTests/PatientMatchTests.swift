@testable import Access
import ChinaReference
import FHIRCore
import Foundation
import Testing

/// Issue 6, patient master index over HTTP on both backends: R-ID18 on writes, matching on create
/// and update (certain → one master Person, probable → a review Task), searches and `$everything`
/// by either id, and `Patient/$match`.
@Suite("Patient master index")
struct PatientMatchTests {
    static let residentID = ChinaProfile.IdentifierSystem.residentID
    static let id1 = ResidentIdentityNumber.make(divisionCode: "440513", birthDate: "19850307", sequence: 123, sex: .male)

    static func patient(family: String = "陈", given: String = "建国", birth: String = "1985-03-07", gender: String = "male",
                        phone: String? = "13800138000", address: String? = "广东省汕头市潮阳区人民路12号", residentID: String? = nil) -> String {
        var parts = [#""resourceType":"Patient""#, #""name":[{"family":"\#(family)","given":["\#(given)"]}]"#,
                     #""gender":"\#(gender)""#, #""birthDate":"\#(birth)""#]
        if let residentID { parts.append(#""identifier":[{"system":"\#(Self.residentID)","value":"\#(residentID)"}]"#) }
        if let phone { parts.append(#""telecom":[{"system":"phone","value":"\#(phone)"}]"#) }
        if let address { parts.append(#""address":[{"text":"\#(address)"}]"#) }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func observation(_ patient: String, _ text: String = "血压") -> String {
        #"{"resourceType":"Observation","status":"final","code":{"text":"\#(text)"},"subject":{"reference":"Patient/\#(patient)"}}"#
    }

    static func ids(_ r: FHIRTestResponse) -> Set<String> {
        Set(r.json["entry"]?.arrayValue?.compactMap { $0["resource"]?["id"]?.stringValue } ?? [])
    }

    static var reviewQuery: String { "/fhir/Task?code=\(ChinaProfile.CodeSystem.masterIndexTask)|review-match" }

    // R-ID18
    @Test("an invalid resident ID is refused with 422 naming R-ID18, and nothing is written", arguments: ServerBackendKind.allCases)
    func invalidResidentID(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let bad = Self.id1.dropLast() + (Self.id1.last == "0" ? "1" : "0")
            let r = try await fhir.post("/fhir/Patient", Self.patient(residentID: String(bad)))
            #expect(r.status == 422 && r.isOperationOutcome)
            #expect(r.outcomeCode == "business-rule")
            #expect(r.json["issue"]?.arrayValue?.first?["diagnostics"]?.stringValue?.hasPrefix("R-ID18") == true)
            #expect(r.firstExpression == "Patient.identifier[0].value")
            // The 17th digit says male; the record says female.
            let sex = try await fhir.post("/fhir/Patient", Self.patient(gender: "female", residentID: Self.id1))
            #expect(sex.status == 422 && sex.text.contains("17th digit"))
            let rp = try await fhir.post("/fhir/RelatedPerson", #"{"resourceType":"RelatedPerson","patient":{"reference":"Patient/x"},"gender":"female","identifier":[{"system":"\#(Self.residentID)","value":"\#(Self.id1)"}]}"#)
            #expect(rp.status == 422)
            // In a transaction: the whole bundle is refused.
            let bundle = #"{"resourceType":"Bundle","type":"transaction","entry":[{"resource":\#(Self.patient(residentID: String(bad))),"request":{"method":"POST","url":"Patient"}},{"resource":\#(Self.observation("x")),"request":{"method":"POST","url":"Observation"}}]}"#
            #expect(try await fhir.post("/fhir", bundle).status == 422)
            #expect(try await fhir.get("/fhir/Patient?_total=accurate").json["total"] == 0)
            #expect(try await fhir.get("/fhir/Observation?_total=accurate").json["total"] == 0)
            #expect(try await fhir.get("/fhir/RelatedPerson?_total=accurate").json["total"] == 0)
            // Valid: a resident ID, a passport, a Hong Kong/Macau permit.
            #expect(try await fhir.post("/fhir/Patient", Self.patient(residentID: Self.id1)).status == 201)
            let passport = #"{"resourceType":"Patient","name":[{"family":"Smith","given":["Anna"]}],"identifier":[{"system":"\#(ChinaProfile.IdentifierSystem.passport)","value":"E1234567"}]}"#
            #expect(try await fhir.post("/fhir/Patient", passport).status == 201)
            let permit = #"{"resourceType":"Patient","name":[{"family":"Chan","given":["Tai Man"]}],"identifier":[{"system":"\#(ChinaProfile.IdentifierSystem.hongKongMacauPermit)","value":"H12345678"}]}"#
            #expect(try await fhir.post("/fhir/Patient", permit).status == 201)
        }
    }

    @Test("two records with one resident ID are linked at once: searches and $everything by either id see one person; a resident's token still sees only their own record",
          arguments: ServerBackendKind.allCases)
    func deterministicLink(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let first = try await fhir.post("/fhir/Patient", Self.patient(residentID: Self.id1))
            let second = try await fhir.post("/fhir/Patient", Self.patient(family: "Chen", given: "Jianguo", phone: nil, address: nil, residentID: Self.id1))
            #expect(first.status == 201 && second.status == 201)  // a create keeps FHIR's meaning: a new record
            let a = try #require(first.json["id"]?.stringValue), b = try #require(second.json["id"]?.stringValue)
            #expect(a != b)
            let persons = try await fhir.get("/fhir/Person?link=Patient/\(a)")
            let person = try #require(persons.json["entry"]?.arrayValue?.first?["resource"])
            #expect(Set(person["link"]?.arrayValue?.compactMap { $0["target"]?["reference"]?.stringValue } ?? []) == ["Patient/\(a)", "Patient/\(b)"])
            #expect(person["link"]?.arrayValue?.first?["assurance"] == "level4")

            let obsA = try #require(try await fhir.post("/fhir/Observation", Self.observation(a, "血糖")).json["id"]?.stringValue)
            let obsB = try #require(try await fhir.post("/fhir/Observation", Self.observation(b, "血压")).json["id"]?.stringValue)
            #expect(Self.ids(try await fhir.get("/fhir/Observation?patient=\(a)")) == [obsA, obsB])
            #expect(Self.ids(try await fhir.get("/fhir/Observation?subject=Patient/\(b)")) == [obsA, obsB])
            #expect(Self.ids(try await fhir.get("/fhir/Patient?_id=\(b)")) == [a, b])
            let everything = try await fhir.get("/fhir/Patient/\(b)/$everything")
            #expect(Self.ids(everything).isSuperset(of: [a, b, obsA, obsB]))

            // Authorization still applies to the widened query: a resident whose token is for record a
            // does not see record b's data through the link.
            let access = try #require(fhir.access)
            _ = try await access.createPerson(name: "chen", password: "chen-password-1", roles: [.resident], scopes: "patient/*.rs", fhirUser: "Patient/\(a)")
            let chen = fhir.with(token: try access.mint(for: try #require(try await access.account("chen"))).accessToken)
            #expect(Self.ids(try await chen.get("/fhir/Observation?patient=\(a)")) == [obsA])
            #expect(try await chen.get("/fhir/Observation/\(obsB)").status == 403)
            #expect(!Self.ids(try await chen.get("/fhir/Patient/\(a)/$everything")).contains(obsB))
        }
    }

    @Test("a second record without the ID, its name in pinyin, day and month swapped and the same phone is a certain match and linked",
          arguments: ServerBackendKind.allCases)
    func probabilisticCertain(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let a = try #require(try await fhir.post("/fhir/Patient", Self.patient(family: "曾", given: "小明", residentID: Self.id1)).json["id"]?.stringValue)
            let b = try #require(try await fhir.post("/fhir/Patient", Self.patient(family: "Zeng", given: "Xiaoming", birth: "1985-07-03", address: nil)).json["id"]?.stringValue)
            let person = try await fhir.get("/fhir/Person?link=Patient/\(b)")
            let links = person.json["entry"]?.arrayValue?.first?["resource"]?["link"]?.arrayValue ?? []
            #expect(Set(links.compactMap { $0["target"]?["reference"]?.stringValue }) == ["Patient/\(a)", "Patient/\(b)"])
            #expect(person.json["entry"]?.arrayValue?.first?["resource"]?["link"]?.arrayValue?.first?["assurance"] == "level3")
            // Someone else entirely: no link, no review.
            let c = try #require(try await fhir.post("/fhir/Patient", Self.patient(family: "周", given: "芳", birth: "1990-11-20", gender: "female", phone: "13111111111", address: "北京市东城区和平路1号")).json["id"]?.stringValue)
            #expect(try await fhir.get("/fhir/Person?link=Patient/\(c)&_total=accurate").json["total"] == 0)
            #expect(try await fhir.get(Self.reviewQuery + "&_total=accurate").json["total"] == 0)
        }
    }

    @Test("a probable match is queued as a review Task; link joins the two under one person, dismiss closes it for good",
          arguments: ServerBackendKind.allCases)
    func reviewQueue(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            // Same name, birth date and sex; different phone and no address: to be reviewed, not linked.
            let a = try #require(try await fhir.post("/fhir/Patient", Self.patient(address: nil)).json["id"]?.stringValue)
            let b = try #require(try await fhir.post("/fhir/Patient", Self.patient(phone: "13900000000", address: nil)).json["id"]?.stringValue)
            #expect(try await fhir.get("/fhir/Person?link=Patient/\(a)&_total=accurate").json["total"] == 0)
            let queue = try await fhir.get(Self.reviewQuery + "&status=requested")
            let task = try #require(queue.json["entry"]?.arrayValue?.first?["resource"])
            #expect(queue.json["entry"]?.arrayValue?.count == 1)
            #expect(task["for"]?["reference"]?.stringValue == "Patient/\(b)" && task["focus"]?["reference"]?.stringValue == "Patient/\(a)")
            let taskId = try #require(task["id"]?.stringValue)
            // An update of the record does not queue the same pair again.
            var changed = try #require(try await fhir.get("/fhir/Patient/\(b)").json.objectValue)
            changed["active"] = true
            #expect(try await fhir.put("/fhir/Patient/\(b)", JSONWriter.string(.object(changed))).status == 200)
            #expect(try await fhir.get(Self.reviewQuery + "&_total=accurate").json["total"] == 1)

            let bad = try await fhir.post("/fhir/Task/\(taskId)/$resolve-match", #"{"resourceType":"Parameters","parameter":[{"name":"decision","valueCode":"maybe"}]}"#)
            #expect(bad.status == 400 && bad.isOperationOutcome)
            let linked = try await fhir.post("/fhir/Task/\(taskId)/$resolve-match", #"{"resourceType":"Parameters","parameter":[{"name":"decision","valueCode":"link"}]}"#)
            #expect(linked.status == 200, "\(linked.text)")
            #expect(linked.json["status"] == "completed")
            #expect(linked.json["businessStatus"]?["coding"]?.arrayValue?.first?["code"] == "linked")
            #expect(Self.ids(try await fhir.get("/fhir/Patient?_id=\(a)")) == [a, b])
            let again = try await fhir.post("/fhir/Task/\(taskId)/$resolve-match", #"{"resourceType":"Parameters","parameter":[{"name":"decision","valueCode":"dismiss"}]}"#)
            #expect(again.status == 409)

            // Another pair, dismissed: they stay apart.
            let c = try #require(try await fhir.post("/fhir/Patient", Self.patient(family: "李", given: "娜", birth: "1970-01-02", gender: "female", phone: "13700000001", address: nil)).json["id"]?.stringValue)
            let d = try #require(try await fhir.post("/fhir/Patient", Self.patient(family: "李", given: "娜", birth: "1970-01-02", gender: "female", phone: "13700000002", address: nil)).json["id"]?.stringValue)
            let second = try #require(try await fhir.get(Self.reviewQuery + "&status=requested").json["entry"]?.arrayValue?.first?["resource"]?["id"]?.stringValue)
            let dismissed = try await fhir.post("/fhir/Task/\(second)/$resolve-match", #"{"resourceType":"Parameters","parameter":[{"name":"decision","valueCode":"dismiss"}]}"#)
            #expect(dismissed.json["businessStatus"]?["coding"]?.arrayValue?.first?["code"] == "dismissed")
            #expect(Self.ids(try await fhir.get("/fhir/Patient?_id=\(c)")) == [c])
            #expect(try await fhir.get("/fhir/Person?link=Patient/\(d)&_total=accurate").json["total"] == 0)
        }
    }

    @Test("Patient/$match answers a searchset with scores and match grades; onlyCertainMatches and count narrow it; bad input is a 400",
          arguments: ServerBackendKind.allCases)
    func match(kind: ServerBackendKind) async throws {
        try await withFHIRServer(kind) { fhir, _ in
            let a = try #require(try await fhir.post("/fhir/Patient", Self.patient(residentID: Self.id1)).json["id"]?.stringValue)
            let b = try #require(try await fhir.post("/fhir/Patient", Self.patient(given: "建华", phone: "13900000000", address: nil)).json["id"]?.stringValue)
            func match(_ extra: String) async throws -> FHIRTestResponse {
                try await fhir.post("/fhir/Patient/$match", #"{"resourceType":"Parameters","parameter":[{"name":"resource","resource":\#(Self.patient(family: "Chen", given: "Jianguo", address: nil))}\#(extra)]}"#)
            }
            let all = try await match("")
            #expect(all.status == 200 && all.json["type"] == "searchset", "\(all.text)")
            let entries = all.json["entry"]?.arrayValue ?? []
            #expect(entries.first?["resource"]?["id"]?.stringValue == a)
            #expect(entries.first?["search"]?["extension"]?.arrayValue?.first?["url"] == "http://hl7.org/fhir/StructureDefinition/match-grade")
            #expect(entries.first?["search"]?["extension"]?.arrayValue?.first?["valueCode"] == "certain")
            let scores = entries.compactMap { $0["search"]?["score"]?.numberValue?.doubleValue }
            #expect(scores.count == entries.count && scores == scores.sorted(by: >) && scores.allSatisfy { (0...1).contains($0) })
            let matched = Set(entries.compactMap { $0["resource"]?["id"]?.stringValue })
            #expect(matched.contains(b))
            let certain = try await match(#",{"name":"onlyCertainMatches","valueBoolean":true}"#)
            #expect(Self.ids(certain) == [a])
            #expect(try await match(#",{"name":"count","valueInteger":1}"#).json["entry"]?.arrayValue?.count == 1)
            #expect(try await match(#",{"name":"count","valueInteger":0}"#).status == 400)
            let notPatient = try await fhir.post("/fhir/Patient/$match", #"{"resourceType":"Parameters","parameter":[{"name":"resource","resource":\#(Self.observation(a))}]}"#)
            #expect(notPatient.status == 400 && notPatient.isOperationOutcome)
            #expect(try await fhir.post("/fhir/Patient/$match", #"{"resourceType":"Parameters"}"#).status == 400)
        }
    }
}
