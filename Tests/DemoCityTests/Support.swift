import Foundation
import DemoCity
import GridModel
// The helpers every test target shares (SharedData, TemporaryDirectory, Python), in every file here.
@_exported import TestSupport

/// Generated once; District is an immutable value.
let demo = District.generate(.demo)

func tagValue(_ tags: [(String, String)], _ key: String) -> String? {
    tags.first { $0.0 == key }?.1
}

/// Shoelace area in square degrees (positive for counter-clockwise rings); ratios are all the tests need.
func signedArea(_ ring: [Coordinate]) -> Double {
    var sum = 0.0
    for k in 0..<(ring.count - 1) {
        sum += ring[k].longitude * ring[k + 1].latitude - ring[k + 1].longitude * ring[k].latitude
    }
    return sum / 2
}

struct Box {
    var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
    init(_ points: [Coordinate]) {
        for p in points {
            minX = min(minX, p.longitude); maxX = max(maxX, p.longitude)
            minY = min(minY, p.latitude); maxY = max(maxY, p.latitude)
        }
    }
    func overlapArea(_ o: Box) -> Double {
        max(0, min(maxX, o.maxX) - max(minX, o.minX)) * max(0, min(maxY, o.maxY) - max(minY, o.minY))
    }
    var area: Double { (maxX - minX) * (maxY - minY) }
}

/// Facility category read from tags alone, the way an importer would.
func category(of tags: [(String, String)]) -> String? {
    let amenity = tagValue(tags, "amenity"), shop = tagValue(tags, "shop")
    if amenity == "clinic" || tagValue(tags, "healthcare") == "clinic" { return "clinic" }
    if amenity == "pharmacy" { return "pharmacy" }
    if amenity == "school" { return "school" }
    if amenity == "kindergarten" { return "kindergarten" }
    if amenity == "social_facility" && tagValue(tags, "social_facility") == "nursing_home" { return "nursing_home" }
    if amenity == "marketplace" { return "marketplace" }
    if amenity == "community_centre" { return "community_centre" }
    if let shop, ["supermarket", "convenience", "greengrocer"].contains(shop) { return shop }
    if tagValue(tags, "highway") == "bus_stop" { return "bus_stop" }
    if tagValue(tags, "railway") == "subway_entrance" { return "subway_entrance" }
    return nil
}

/// Local metres from the district's south-west corner.
func metres(_ c: Coordinate, _ d: District) -> (x: Double, y: Double) {
    let ky = 180 / (Double.pi * Geodesy.earthRadius)
    let kx = ky / cos(d.southWest.latitude * .pi / 180)
    return ((c.longitude - d.southWest.longitude) / kx, (c.latitude - d.southWest.latitude) / ky)
}
