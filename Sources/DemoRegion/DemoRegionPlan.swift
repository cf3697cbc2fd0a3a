import ChinaReference

/// What `kangqiao demo` builds: one city with three districts, its hospitals, primary-care centres
/// and pharmacies, their staff, and the residents with their families and histories. The same plan
/// and seed always give the same region.
public struct DemoRegionPlan: Sendable {
    public var seed: UInt64 = 2026
    /// The prefecture whose divisions the region uses (so addresses and resident IDs carry real
    /// GB/T 2260 codes); the institutions and people are fictitious.
    public var cityCode = "440500"
    public var districtCount = 3
    public var tertiaryHospitals = 2
    public var secondaryHospitals = 3
    public var primaryCareCentres = 10
    public var pharmacies = 6
    public var residents = 5_000
    /// Residents a hospital registered again on its own (duplicates for the master index to find).
    public var duplicateRegistrations = 40
    /// The day the region's histories lead up to (fixed, so a seed gives the same data every run).
    public var referenceDate = "2026-11-01"
    /// The city centre, for the institutions' coordinates.
    public var centreLatitude = 23.3540
    public var centreLongitude = 116.6820

    public init() {}

    /// The region's districts: the first `districtCount` districts of the city.
    var districts: [AdministrativeDivisions.Division] {
        Array(AdministrativeDivisions.shared.children(of: cityCode).filter { $0.level == .county }.prefix(districtCount))
    }

    var cityName: String { AdministrativeDivisions.shared.division(cityCode)?.name ?? cityCode }
    var today: CivilDate { CivilDate(referenceDate) ?? CivilDate(year: 2026, month: 11, day: 1) }
}

/// Fictitious street names for addresses (not real streets of the city).
enum DemoStreets {
    static let names = [
        "康桥路", "迎宾路", "长青路", "东海路", "春晖路", "金霞路", "海滨路", "龙腾路", "文华路", "安康路", "育才路", "新华路",
        "振兴路", "和平路", "光明路", "幸福路", "朝阳路", "荣华路", "青云路", "润泽路", "锦绣路", "凤凰路", "明珠路", "翠苑路",
    ]
    static let neighbourhoods = ["康乐社区", "春华社区", "金湾社区", "海岸社区", "龙苑社区", "文昌社区", "新城社区", "锦园社区", "桥东社区", "桥西社区"]
}
