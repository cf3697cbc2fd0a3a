/// The national immunization programme's schedule for children (国家免疫规划疫苗儿童免疫程序, 2021):
/// which vaccine dose is due at which age. The public-health workflow plans and checks doses from it;
/// the demo region vaccinates its children by it.
public struct ImmunizationSchedule: Sendable {
    public struct Dose: Sendable, Hashable {
        /// The programme's abbreviation, also the code in the vaccine catalogue (`HepB`, `MMR`).
        public let vaccine: String
        public let vaccineName: String
        public let disease: String
        public let doseNumber: Int
        /// Age at which the dose is due, in months (0: at birth).
        public let ageMonths: Int
        public let route: String
        public let amount: String
        /// Doses sharing a group are alternatives (live or inactivated JE, HepA): a child gets one series.
        public let alternativeGroup: String?
    }

    public let doses: [Dose]

    public static let nip2021 = ImmunizationSchedule(rows: ReferenceFile.rows("nip-schedule-2021"))

    init(rows: [[Substring]]) {
        doses = rows.compactMap { r in
            guard r.count >= 8, let dose = Int(r[3]), let age = Int(r[4]) else { return nil }
            return Dose(vaccine: String(r[0]), vaccineName: String(r[1]), disease: String(r[2]), doseNumber: dose, ageMonths: age,
                        route: String(r[5]), amount: String(r[6]), alternativeGroup: r[7].isEmpty ? nil : String(r[7]))
        }
    }

    /// The doses due by `ageMonths`, taking from each alternative group only the series named in
    /// `choosing` (group → vaccine abbreviation; the inactivated series when not named).
    public func due(byAgeMonths ageMonths: Int, choosing: [String: String] = [:]) -> [Dose] {
        var firstOfGroup: [String: String] = [:]
        for d in doses { if let g = d.alternativeGroup, firstOfGroup[g] == nil { firstOfGroup[g] = d.vaccine } }
        return doses.filter { d in
            guard d.ageMonths <= ageMonths else { return false }
            guard let g = d.alternativeGroup else { return true }
            return d.vaccine == (choosing[g] ?? firstOfGroup[g])
        }
    }
}
