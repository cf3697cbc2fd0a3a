import FHIRCore
import Foundation

/// Location `near` (search.html#special, R4 `Location-near`): `near=latitude|longitude|distance|units`.
/// A position is indexed as two number rows (`near:latitude`, `near:longitude`); a search is a
/// bounding box that the number index answers, then the distance itself, computed in SQL on the
/// local flat-earth projection (within 0.5 % of the great-circle distance up to a few hundred km,
/// which is the scale of a region) so that paging and counts stay exact on both backends.
public enum GeoDistance {
    public static let parameter = "near"
    static let latitudeParam = "near:latitude"
    static let longitudeParam = "near:longitude"
    /// The distance used when a search gives none (the spec leaves it to the server).
    public static let defaultKilometres = 10.0
    /// Mean length of one degree of latitude on the WGS84 ellipsoid.
    static let kilometresPerDegree = 111.195

    /// Adds the index rows of a `Location.position` value.
    static func index(_ position: JSON, param: String, into rows: inout SearchIndexRows) {
        guard let lat = position["latitude"]?.numberValue?.doubleValue, let lon = position["longitude"]?.numberValue?.doubleValue,
            (-90...90).contains(lat), (-180...180).contains(lon)
        else { return }
        rows.numbers.append(.init(param: param + ":latitude", value: lat))
        rows.numbers.append(.init(param: param + ":longitude", value: lon))
    }

    /// Parses one `near` value into a predicate.
    static func predicate(param: String, _ value: String) throws -> IndexPredicate {
        let parts = value.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count >= 2, let lat = Double(parts[0]), let lon = Double(parts[1]), (-90...90).contains(lat), (-180...180).contains(lon) else {
            throw FHIRError.badRequest("near must be latitude|longitude[|distance[|units]] in decimal degrees, not '\(value)'", expression: [param])
        }
        var kilometres = defaultKilometres
        if parts.count >= 3, !parts[2].isEmpty {
            guard let d = Double(parts[2]), d >= 0 else { throw FHIRError.badRequest("the distance in near '\(value)' is not a number", expression: [param]) }
            let unit = parts.count >= 4 && !parts[3].isEmpty ? parts[3] : "km"
            switch unit {
            case "km": kilometres = d
            case "m": kilometres = d / 1000
            case "[mi_i]", "mi": kilometres = d * 1.609344
            default: throw FHIRError.badRequest("near distance unit '\(unit)' is not one of km, m, [mi_i]", expression: [param])
            }
        }
        return .near(param: param, latitude: lat, longitude: lon, kilometres: kilometres)
    }
}

extension SQLSearchBuilder {
    mutating func nearCondition(param: String, latitude: Double, longitude: Double, kilometres: Double, on r: String) -> String {
        let a = alias("g")
        let b = alias("g")
        let degrees = kilometres / GeoDistance.kilometresPerDegree
        // A degree of longitude shrinks with cos(latitude); near the poles the box is every longitude.
        let shrink = max(cos(latitude * .pi / 180), 1e-6)
        let lonSpan = min(degrees / shrink, 360)
        let la = bind(.double(latitude)), lo = bind(.double(longitude))
        let conditions = [
            "\(a).param = \(bind(.text(param + ":latitude")))",
            "\(a).value >= \(bind(.double(latitude - degrees))) AND \(a).value <= \(bind(.double(latitude + degrees)))",
            "\(b).value >= \(bind(.double(longitude - lonSpan))) AND \(b).value <= \(bind(.double(longitude + lonSpan)))",
            "((\(a).value - \(la)) * (\(a).value - \(la)) + (\(b).value - \(lo)) * (\(b).value - \(lo)) * \(bind(.double(shrink * shrink)))) <= \(bind(.double(degrees * degrees)))",
        ]
        return "\(r).rid IN (SELECT \(a).rid FROM idx_number \(a) JOIN idx_number \(b) ON \(b).rid = \(a).rid AND \(b).param = \(bind(.text(param + ":longitude"))) WHERE "
            + conditions.joined(separator: " AND ") + ")"
    }
}
