import GridModel

extension Isochrone.Result {
    /// Largest contour first; `output` converts each WGS84 polygon for the writer (another CRS's coordinates).
    public func featureCollection(output: (Geometry) -> Geometry = { $0 }) -> String {
        let features = bands.reversed().map { band -> String in
            let unit: String = switch band.contour {
            case .minutes: "minutes"
            case .meters: "meters"
            }
            let facilities = Dictionary(uniqueKeysWithValues: band.facilities.map { ($0.key, JSONValue.number(Double($0.value))) })
            return GeoJSON.encodeFeature(id: nil, geometry: output(.multiPolygon(band.geometry)), properties: [
                ("contour", .number(band.contour.value)),
                ("unit", .string(unit)),
                // Convenience for map clients that only draw time contours.
                ("minutes", band.contour.isMinutes ? .number(band.contour.value) : .null),
                ("distance_m", .number((band.distance.value * 100).rounded() / 100)),
                ("area_m2", .number((band.areaSquareMeters * 10).rounded() / 10)),
                ("households", .number(Double(band.households))),
                ("buildings", .number(Double(band.buildings))),
                ("facilities", .object(facilities)),
                ("reach_factor", .number((band.reachFactor * 10000).rounded() / 10000)),
            ])
        }
        return "{\"type\":\"FeatureCollection\",\"features\":[" + features.joined(separator: ",\n") + "]}"
    }
}

extension Isochrone.Contour {
    var isMinutes: Bool {
        if case .minutes = self { return true }
        return false
    }
}
