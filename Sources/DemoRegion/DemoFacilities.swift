import ChinaReference
import FHIRCore
import Foundation
import Registry

/// One institution of the demo region with what belongs to it: its site, departments and services.
struct DemoInstitution {
    var facility: Facility
    var site: Site
    var departments: [Facility]
    var services: [ServiceOffering]
    /// The district (county code) it serves.
    var district: String

    var id: String { facility.id }
}

/// The region's institutions: the health commission at the top; the CDC, the insurance bureau and
/// the supervision institute under it; hospitals, primary-care centres and pharmacies, each with
/// its site and (clinical institutions) departments and services.
struct DemoFacilities {
    var authorities: [Facility] = []
    var hospitals: [DemoInstitution] = []
    var primaryCare: [DemoInstitution] = []
    var pharmacies: [DemoInstitution] = []

    var institutions: [DemoInstitution] { hospitals + primaryCare + pharmacies }

    static let hospitalDepartments = ["03", "04", "05", "07", "20", "50", "30", "32", "10", "12"]
    static let secondaryDepartments = ["03", "04", "05", "07", "20", "50", "30"]
    static let primaryDepartments = ["02", "01", "50"]

    init(plan: DemoRegionPlan, random: inout DemoRandom) {
        let districts = plan.districts
        let city = plan.cityName
        func address(_ district: String, _ random: inout DemoRandom) -> RegionAddress {
            RegionAddress(divisionCode: district, street: "\(random.pick(DemoStreets.names))\(random.int(1...300))号", postalCode: "515000")
        }
        func point(_ index: Int, _ random: inout DemoRandom) -> (Double, Double) {
            // Districts lie around the centre; institutions within ~4 km of their district's centre.
            let angle = Double(index) * 2.0944
            let lat = plan.centreLatitude + 0.06 * sin(angle) + (random.unit() - 0.5) * 0.07
            let lon = plan.centreLongitude + 0.06 * cos(angle) + (random.unit() - 0.5) * 0.07
            return (lat, lon)
        }
        let head = districts.first?.code ?? plan.cityCode
        let region = Facility(id: "region", name: "\(city)康桥示范区卫生健康委员会", kind: .region, address: address(head, &random),
                              phone: "0754-8\(random.digits(7))")
        var cdc = Facility(id: "cdc", name: "\(city)康桥示范区疾病预防控制中心", kind: .cdc, address: address(head, &random), partOf: "region")
        cdc.jurisdiction = districts.map(\.code)
        authorities = [
            region,
            cdc,
            Facility(id: "insurance", name: "\(city)康桥示范区医疗保障局", kind: .insuranceBureau, address: address(head, &random), partOf: "region"),
            Facility(id: "supervision", name: "\(city)康桥示范区卫生健康监督所", kind: .regulator, address: address(head, &random), partOf: "region"),
        ]
        var licence = 0
        func institution(id: String, name: String, kind: OrganizationKind, level: HospitalLevel?, district: AdministrativeDivisions.Division,
                         index: Int, departments: [String], random: inout DemoRandom) -> DemoInstitution {
            licence += 1
            let addr = address(district.code, &random)
            let facility = Facility(id: id, name: name, kind: kind, level: level, address: addr, partOf: "region",
                                    phone: "0754-8\(random.digits(7))", licence: "PDY\(district.code)\(licence < 10 ? "0" : "")\(licence)")
            let (lat, lon) = point(index, &random)
            let site = Site(id: "\(id)-site", name: name, organization: id, address: addr, latitude: lat, longitude: lon)
            var depts: [Facility] = []
            var services: [ServiceOffering] = []
            for code in departments {
                guard let subject = ClinicalSubject.named(code) else { continue }
                let dept = Facility(id: "\(id)-d\(code)", name: subject.display, kind: .department, partOf: id, clinicalSubject: subject)
                depts.append(dept)
                let kinds: [String]
                switch (kind, code) {
                case (.primaryCare, "02"): kinds = ["普通门诊", "家庭医生签约"]
                case (.primaryCare, "01"): kinds = ["预防接种"]
                case (.hospital, "03") where level?.code.hasPrefix("3") == true: kinds = ["普通门诊", "专家门诊", "互联网诊疗"]
                case (.hospital, "20"): kinds = ["急诊"]
                case (.hospital, "30"), (.hospital, "32"): kinds = ["检查检验"]
                case (.hospital, _) where level?.code.hasPrefix("3") == true: kinds = ["普通门诊", "专家门诊"]
                default: kinds = ["普通门诊"]
                }
                for (n, serviceType) in kinds.enumerated() {
                    services.append(ServiceOffering(id: "\(dept.id)-s\(n + 1)", name: "\(subject.display)\(serviceType)", organization: dept.id,
                                                    location: site.id, specialty: subject, serviceType: serviceType))
                }
            }
            return DemoInstitution(facility: facility, site: site, departments: depts, services: services, district: district.code)
        }
        let tertiaryNames = ["康桥第一人民医院", "康桥中心医院", "康桥中医院", "康桥妇幼保健院"]
        for i in 0..<plan.tertiaryHospitals {
            let d = districts[i % districts.count]
            hospitals.append(institution(id: "h\(i + 1)", name: "\(city)\(tertiaryNames[i % tertiaryNames.count])", kind: .hospital,
                                         level: i == 0 ? .tertiaryA : HospitalLevel.named("31"), district: d, index: i,
                                         departments: Self.hospitalDepartments, random: &random))
        }
        for i in 0..<plan.secondaryHospitals {
            let d = districts[i % districts.count]
            hospitals.append(institution(id: "h\(plan.tertiaryHospitals + i + 1)", name: "\(d.name)康桥人民医院", kind: .hospital,
                                         level: i == 0 ? .secondaryA : HospitalLevel.named(random.chance(0.5) ? "21" : "22"), district: d, index: i,
                                         departments: Self.secondaryDepartments, random: &random))
        }
        for i in 0..<plan.primaryCareCentres {
            let d = districts[i % districts.count]
            let place = DemoStreets.neighbourhoods[i % DemoStreets.neighbourhoods.count]
            primaryCare.append(institution(id: "pc\(i + 1)", name: "\(d.name)\(place)卫生服务中心", kind: .primaryCare,
                                           level: random.chance(0.6) ? .primaryA : HospitalLevel.named("90"), district: d, index: i,
                                           departments: Self.primaryDepartments, random: &random))
        }
        for i in 0..<plan.pharmacies {
            let d = districts[i % districts.count]
            pharmacies.append(institution(id: "ph\(i + 1)", name: "康桥大药房\(d.name)\(i + 1)号店", kind: .pharmacy, level: nil, district: d,
                                          index: i, departments: [], random: &random))
        }
    }

    /// Every resource: the hierarchy first (parents before children), then sites and services.
    var resources: [JSON] {
        var out = authorities.map(\.json)
        for i in institutions { out.append(i.facility.json) }
        for i in institutions { out += i.departments.map(\.json) }
        for i in institutions { out.append(i.site.json) }
        for i in institutions { out += i.services.map(\.json) }
        return out
    }
}
