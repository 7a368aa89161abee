import Foundation
import GRDB
import GridModel
import GridStore
import Testing

@Suite("Coordinate systems through PROJ")
struct CoordinateSystemTests {
    @Test("--crs codes: EPSG codes in their spellings, gcj02 and bd09; 4326 and 4490 are WGS84 as they are")
    func codes() {
        #expect(CoordinateSystem(code: "EPSG:4527") == .epsg(4527))
        #expect(CoordinateSystem(code: "epsg:3857") == .epsg(3857))
        #expect(CoordinateSystem(code: "urn:ogc:def:crs:EPSG::4547") == .epsg(4547))
        #expect(CoordinateSystem(code: "urn:ogc:def:crs:EPSG:6.6:32650") == .epsg(32650))
        #expect(CoordinateSystem(code: "http://www.opengis.net/def/crs/EPSG/0/4490") == .cgcs2000)
        #expect(CoordinateSystem(code: "EPSG:4326") == .wgs84)
        #expect(CoordinateSystem(code: "urn:ogc:def:crs:OGC:1.3:CRS84") == .wgs84)
        #expect(CoordinateSystem(code: "gcj02") == .gcj02)
        #expect(CoordinateSystem(code: "GCJ-02") == .gcj02)
        #expect(CoordinateSystem(code: "urn:communitygrid:crs:bd09") == .bd09)
        #expect(CoordinateSystem(code: "EPSG:") == nil)
        #expect(CoordinateSystem(code: "EPSG:45x7") == nil)
        #expect(CoordinateSystem(code: "mars") == nil)
        #expect(CoordinateSystem.cgcs2000.isWGS84Equivalent && !CoordinateSystem.epsg(4527).isWGS84Equivalent)
        #expect(throws: StoreError.self) { try CoordinateTransform(.epsg(999_999)) }
        // A geocentric system is not a map's.
        #expect(throws: StoreError.self) { try CoordinateTransform(.epsg(4978)) }
    }

    @Test("axis order is longitude/easting first for EPSG:4490, the Gauss–Krüger zones (northing first in EPSG) and 3857")
    func axisOrder() throws {
        let point = Coordinate(longitude: 117, latitude: 40)
        let zone39 = try #require(try CoordinateTransform(.epsg(4527)).fromWGS84(point))
        // On the central meridian 117° E the easting is the false easting with the zone prefix.
        #expect(abs(zone39.longitude - 39_500_000) < 0.001)
        #expect((4_400_000...4_500_000).contains(zone39.latitude))
        let mercator = try #require(try CoordinateTransform(.epsg(3857)).fromWGS84(Coordinate(longitude: 116.3, latitude: 39.99)))
        // Web Mercator is the sphere of radius 6,378,137 m: x = Rλ, y = R ln tan(π/4 + φ/2).
        let radius = 6_378_137.0
        #expect(abs(mercator.longitude - radius * 116.3 * .pi / 180) < 0.001)
        #expect(abs(mercator.latitude - radius * log(tan(.pi / 4 + 39.99 * .pi / 360))) < 0.001)
        let geographic = try #require(try CoordinateTransform(.epsg(4490)).toWGS84(point))
        #expect(geographic == point)
    }

    @Test("Gauss–Krüger zones with and without prefix, 3° and 6°, and UTM agree where they should")
    func zones() throws {
        let point = Coordinate(longitude: 116.3268, latitude: 39.9925)
        func project(_ code: Int) throws -> Coordinate { try #require(try CoordinateTransform(.epsg(code)).fromWGS84(point)) }
        let threeWithPrefix = try project(4527), threeWithout = try project(4548)
        let sixWithPrefix = try project(4498), sixWithout = try project(4509)
        #expect(abs(threeWithPrefix.longitude - threeWithout.longitude - 39_000_000) < 0.001)
        #expect(abs(sixWithPrefix.longitude - sixWithout.longitude - 20_000_000) < 0.001)
        // 117° E is the central meridian of both a 3° and a 6° zone: the same projection.
        #expect(abs(threeWithout.longitude - sixWithout.longitude) < 0.001 && abs(threeWithout.latitude - sixWithout.latitude) < 0.001)
        // UTM 50N is the same transverse Mercator scaled by 0.9996 (on an ellipsoid 0.1 mm from CGCS2000's).
        let utm = try project(32650)
        #expect(abs((utm.longitude - 500_000) - 0.9996 * (threeWithout.longitude - 500_000)) < 0.01)
        #expect(abs(utm.latitude - 0.9996 * threeWithout.latitude) < 0.01)
    }

    @Test("round trips through every kind of system return positions to 1 mm, in both directions")
    func roundTrips() throws {
        let systems: [CoordinateSystem] = [.wgs84, .cgcs2000, .gcj02, .bd09, .epsg(4527), .epsg(4548), .epsg(4498), .epsg(3857), .epsg(32650), .epsg(4547), .epsg(4526)]
        for system in systems {
            let transform = try CoordinateTransform(system)
            for lon in stride(from: 113.9, through: 114.1, by: 0.05) {
                for lat in stride(from: 22.5, through: 22.7, by: 0.05) where system != .epsg(4527) && system != .epsg(4548) && system != .epsg(4498) {
                    try check(transform, Coordinate(longitude: lon, latitude: lat))
                }
            }
            for lon in stride(from: 116.2, through: 116.5, by: 0.05) {
                for lat in stride(from: 39.8, through: 40.1, by: 0.05) where system != .epsg(4547) && system != .epsg(4526) {
                    try check(transform, Coordinate(longitude: lon, latitude: lat))
                }
            }
        }
        func check(_ transform: CoordinateTransform, _ wgs84: Coordinate) throws {
            let there = try #require(transform.fromWGS84(wgs84))
            let back = try #require(transform.toWGS84(there))
            #expect(Geodesy.distance(back, wgs84).value < 0.001, "\(transform.system) at \(wgs84)")
            // The file's own numbers, read and written again.
            let again = try #require(transform.fromWGS84(back))
            let error = transform.isGeographic
                ? Geodesy.distance(transform.toWGS84(again)!, transform.toWGS84(there)!).value
                : ((again.longitude - there.longitude) * (again.longitude - there.longitude)
                    + (again.latitude - there.latitude) * (again.latitude - there.latitude)).squareRoot()
            #expect(error < 0.001, "\(transform.system) at \(wgs84)")
        }
    }
}
