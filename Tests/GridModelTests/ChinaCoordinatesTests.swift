import Foundation
import Testing
@testable import GridModel

@Suite struct ChinaCoordinatesTests {
    /// Expected values from a separate Python script that writes out the published GCJ-02 formulas (Krasovsky
    /// a = 6378245 m, ee = 0.00669342162296594323) and Baidu's GCJ-02 → BD-09 formula; the PyPI package
    /// `eviltransform` 0.1.1 agrees with it within 1.1e-7° (about 1 cm: it uses a = 6378137 m instead).
    struct Reference: Sendable, CustomTestStringConvertible {
        let name: String
        let wgs84: Coordinate
        let gcj02: Coordinate
        let bd09: Coordinate
        var testDescription: String { name }
    }

    static let references: [Reference] = [
        Reference(
            name: "Tiananmen", wgs84: c(116.397455, 39.909187),
            gcj02: c(116.40369862585906, 39.910590510518055), bd09: c(116.4100711703736, 39.91692977802912)),
        Reference(
            name: "Wudaokou", wgs84: c(116.337742, 39.992894),
            gcj02: c(116.34390888993363, 39.99422737904127), bd09: c(116.35054482013655, 39.999891975088445)),
        Reference(
            name: "The Bund", wgs84: c(121.490317, 31.241701),
            gcj02: c(121.49478401849832, 31.23971630256491), bd09: c(121.5013911805164, 31.24536967664268)),
        Reference(
            name: "Shenzhen", wgs84: c(114.057868, 22.543099),
            gcj02: c(114.06298196110272, 22.540381757783795), bd09: c(114.06953196673828, 22.546040412882437)),
        Reference(
            name: "Ürümqi", wgs84: c(87.617733, 43.792818),
            gcj02: c(87.62058226041898, 43.79404257315041), bd09: c(87.62701457775465, 43.80016425959228)),
    ]

    static func expectClose(_ a: Coordinate, _ b: Coordinate, within degrees: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(abs(a.longitude - b.longitude) <= degrees, "longitude \(a.longitude) vs \(b.longitude)", sourceLocation: sourceLocation)
        #expect(abs(a.latitude - b.latitude) <= degrees, "latitude \(a.latitude) vs \(b.latitude)", sourceLocation: sourceLocation)
    }

    @Test(arguments: references) func forwardMatchesReference(_ reference: Reference) {
        Self.expectClose(CoordinateReferenceSystem.gcj02.fromWGS84(reference.wgs84), reference.gcj02, within: 1e-9)
        Self.expectClose(CoordinateReferenceSystem.bd09.fromWGS84(reference.wgs84), reference.bd09, within: 1e-9)
        Self.expectClose(ChinaCoordinates.gcj02ToBD09(reference.gcj02), reference.bd09, within: 1e-9)
    }

    @Test(arguments: references) func inverseRecoversReference(_ reference: Reference) {
        Self.expectClose(CoordinateReferenceSystem.gcj02.toWGS84(reference.gcj02), reference.wgs84, within: 1e-9)
        Self.expectClose(CoordinateReferenceSystem.bd09.toWGS84(reference.bd09), reference.wgs84, within: 1e-9)
        Self.expectClose(ChinaCoordinates.bd09ToGCJ02(reference.bd09), reference.gcj02, within: 1e-9)
    }

    /// The GCJ-02 offset is a few hundred metres in cities; a sign slip would show as a kilometre or zero.
    @Test func offsetHasTheKnownSize() {
        let tiananmen = Self.references[0]
        let offset = Geodesy.distance(tiananmen.wgs84, tiananmen.gcj02).value
        #expect((400...700).contains(offset))
    }

    /// Every half degree from 73° E to 135° E and 18° N to 53° N: both directions, for both systems.
    @Test func roundTripsAgreeAcrossChina() {
        var worst = 0.0
        var count = 0
        for lonStep in 0...124 {
            for latStep in 0...70 {
                let wgs84 = c(73 + 0.5 * Double(lonStep) + 0.123, 18 + 0.5 * Double(latStep) + 0.0456)
                for system in [CoordinateReferenceSystem.gcj02, .bd09] {
                    let there = system.fromWGS84(wgs84)
                    worst = max(worst, Geodesy.distance(system.toWGS84(there), wgs84).value)
                    // The other way round: treat the same numbers as a position in the offset system.
                    worst = max(worst, Geodesy.distance(system.fromWGS84(system.toWGS84(wgs84)), wgs84).value)
                    count += 1
                }
            }
        }
        #expect(count == 125 * 71 * 2)
        #expect(worst < 0.001, "worst round trip \(worst) m")
    }

    @Test func bd09InverseImprovesOnThePublishedApproximation() {
        // The published BD-09 → GCJ-02 formula alone misses by up to about 0.2 m; the iteration must not.
        let gcj02 = c(121.49478401849832, 31.23971630256491)
        let back = ChinaCoordinates.bd09ToGCJ02(ChinaCoordinates.gcj02ToBD09(gcj02))
        #expect(Geodesy.distance(back, gcj02).value < 1e-4)
    }

    @Test(arguments: [c(-0.1276, 51.5072), c(-74.006, 40.7128), c(151.2093, -33.8688), c(71.9, 40), c(139.69, 35.69), c(116.4, 56)])
    func gcj02PassesThroughOutsideChina(_ position: Coordinate) {
        #expect(ChinaCoordinates.isOutsideChina(position))
        #expect(CoordinateReferenceSystem.gcj02.fromWGS84(position) == position)
        #expect(CoordinateReferenceSystem.gcj02.toWGS84(position) == position)
        // BD-09 is Baidu's shift of GCJ-02 everywhere, and still round-trips.
        let bd09 = CoordinateReferenceSystem.bd09.fromWGS84(position)
        #expect(bd09 == ChinaCoordinates.gcj02ToBD09(position))
        #expect(Geodesy.distance(CoordinateReferenceSystem.bd09.toWGS84(bd09), position).value < 1e-4)
    }

    @Test func boxEdgesCountAsChina() {
        #expect(!ChinaCoordinates.isOutsideChina(c(72.004, 0.8293)))
        #expect(!ChinaCoordinates.isOutsideChina(c(137.8347, 55.8271)))
        #expect(ChinaCoordinates.isOutsideChina(c(72.003, 30)))
        #expect(ChinaCoordinates.isOutsideChina(c(100, 55.8272)))
    }

    @Test func wgs84SystemsAreTheIdentity() {
        let p = c(116.397455, 39.909187)
        #expect(CoordinateReferenceSystem.allCases.filter(\.isWGS84Equivalent) == [.crs84, .epsg4326, .epsg4490])
        for system in [CoordinateReferenceSystem.crs84, .epsg4326, .epsg4490] {
            #expect(system.fromWGS84(p) == p)
            #expect(system.toWGS84(p) == p)
        }
    }
}

@Suite struct CoordinateReferenceSystemTests {
    @Test func urisRoundTrip() {
        for system in CoordinateReferenceSystem.allCases {
            #expect(CoordinateReferenceSystem(uri: system.uri) == system)
        }
        #expect(CoordinateReferenceSystem.crs84.uri == "http://www.opengis.net/def/crs/OGC/1.3/CRS84")
        #expect(CoordinateReferenceSystem.epsg4326.uri == "http://www.opengis.net/def/crs/EPSG/0/4326")
        #expect(CoordinateReferenceSystem.epsg4490.uri == "http://www.opengis.net/def/crs/EPSG/0/4490")
        #expect(CoordinateReferenceSystem.gcj02.uri == "urn:communitygrid:crs:gcj02")
        #expect(CoordinateReferenceSystem.bd09.uri == "urn:communitygrid:crs:bd09")
    }

    @Test func ogcURNsAreAccepted() {
        #expect(CoordinateReferenceSystem(uri: "urn:ogc:def:crs:OGC:1.3:CRS84") == .crs84)
        #expect(CoordinateReferenceSystem(uri: "urn:ogc:def:crs:EPSG::4326") == .epsg4326)
        #expect(CoordinateReferenceSystem(uri: "urn:ogc:def:crs:EPSG::4490") == .epsg4490)
    }

    @Test(arguments: ["", "EPSG:3857", "http://www.opengis.net/def/crs/EPSG/0/3857", "gcj02", "HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84"])
    func unknownURIsAreRefused(_ uri: String) {
        #expect(CoordinateReferenceSystem(uri: uri) == nil)
    }

    @Test func epsg4326AndCGCS2000AreLatitudeFirst() {
        let p = c(116.397455, 39.909187)
        #expect(CoordinateReferenceSystem.epsg4326.axisOrdered(p) == [39.909187, 116.397455])
        #expect(CoordinateReferenceSystem.epsg4490.axisOrdered(p) == [39.909187, 116.397455])
        for system in [CoordinateReferenceSystem.crs84, .gcj02, .bd09] {
            #expect(!system.latitudeFirst)
            #expect(system.axisOrdered(p) == [116.397455, 39.909187])
        }
        for system in CoordinateReferenceSystem.allCases {
            let values = system.axisOrdered(p)
            #expect(system.coordinate(axisOrderedFirst: values[0], second: values[1]) == p)
        }
    }

    @Test func outputGeometrySwapsAxesForEPSG4326() throws {
        let line = Geometry.lineString(try LineString([c(116.39, 39.90), c(116.40, 39.91)]))
        #expect(GeoJSON.encode(CoordinateReferenceSystem.epsg4326.geometryForOutput(fromWGS84: line))
            == GeoJSON.encode(.lineString(try LineString([c(39.90, 116.39), c(39.91, 116.40)]))))
        #expect(CoordinateReferenceSystem.crs84.geometryForOutput(fromWGS84: line) == line)
        #expect(CoordinateReferenceSystem.gcj02.geometryForOutput(fromWGS84: line) == CoordinateReferenceSystem.gcj02.fromWGS84(line))
    }

    @Test func geometryTransformKeepsStructure() throws {
        let exterior = rectangle(116.30, 39.90, 116.40, 39.98)
        let hole = rectangle(116.33, 39.93, 116.35, 39.95).reversed()
        let polygon = Polygon(exterior: exterior, holes: [hole])
        let geometry = Geometry.multiPolygon(MultiPolygon([polygon, Polygon(exterior: rectangle(116.5, 39.8, 116.6, 39.85))]))
        let system = CoordinateReferenceSystem.gcj02
        guard case .multiPolygon(let converted) = system.fromWGS84(geometry) else {
            Issue.record("type changed")
            return
        }
        #expect(converted.polygons.count == 2)
        let first = converted.polygons[0]
        #expect(first.holes.count == 1)
        #expect(first.exterior.coordinates == exterior.coordinates.map { system.fromWGS84($0) })
        #expect(first.holes[0].coordinates == hole.coordinates.map { system.fromWGS84($0) })
        #expect(first.exterior.coordinates.first == first.exterior.coordinates.last)
        // Valid rings still: the checked initialiser accepts them.
        _ = try LinearRing(first.exterior.coordinates)

        let back = system.toWGS84(Geometry.multiPolygon(converted))
        guard case .multiPolygon(let restored) = back else {
            Issue.record("type changed")
            return
        }
        for (a, b) in zip(restored.polygons[0].exterior.coordinates, exterior.coordinates) {
            #expect(Geodesy.distance(a, b).value < 1e-4)
        }

        let tiananmen = ChinaCoordinatesTests.references[0]
        #expect(CoordinateReferenceSystem.bd09.fromWGS84(Geometry.point(tiananmen.wgs84))
            == .point(CoordinateReferenceSystem.bd09.fromWGS84(tiananmen.wgs84)))
        #expect(system.fromWGS84(Geometry.multiPoint([])) == .multiPoint([]))
    }

    @Test func wgs84EnvelopeHoldsEveryConvertedPoint() {
        let box = BoundingBox(minLongitude: 116.30, minLatitude: 39.85, maxLongitude: 116.45, maxLatitude: 40.00)
        // Ten times denser than the envelope's own samples, so the wiggles between them are caught.
        let edge = (0...3000).map { Double($0) / 3000 }
        var points: [Coordinate] = []
        for t in edge {
            let lon = box.minLongitude + 0.15 * t, lat = box.minLatitude + 0.15 * t
            points += [c(lon, box.minLatitude), c(lon, box.maxLatitude), c(box.minLongitude, lat), c(box.maxLongitude, lat)]
        }
        for system in [CoordinateReferenceSystem.gcj02, .bd09] {
            let envelope = system.wgs84Envelope(of: box)
            let outside = points.map { system.toWGS84($0) }.filter { !envelope.contains($0) }
            #expect(outside.isEmpty, "\(system): \(outside.count) points outside")
            // Tight as well: about a centimetre at most beyond the box of the dense samples.
            let tight = BoundingBox(coordinates: points.map { system.toWGS84($0) })!
            #expect(tight.minLongitude - envelope.minLongitude < 1e-7 && envelope.maxLatitude - tight.maxLatitude < 1e-7)
            // The box moved by the offset: about 0.006° west for GCJ-02 near Beijing.
            #expect(envelope.minLongitude < box.minLongitude - 0.005)
        }
        #expect(CoordinateReferenceSystem.epsg4326.wgs84Envelope(of: box) == box)
    }
}
