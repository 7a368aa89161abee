import Foundation
import Testing
@testable import GridModel

@Suite struct ConstructionTests {
    @Test func lineStringNeedsTwoPositions() throws {
        #expect(throws: GeometryError("line string has fewer than 2 positions (1)")) { try LineString([c(0, 0)]) }
        let line = try LineString([c(116.3, 39.9), c(116.31, 39.9), c(116.31, 39.91)])
        let expected = Geodesy.distance(c(116.3, 39.9), c(116.31, 39.9)).value
            + Geodesy.distance(c(116.31, 39.9), c(116.31, 39.91)).value
        #expect(abs(line.length.value - expected) < 1e-9)
    }

    @Test func ringNeedsFourPositions() {
        #expect {
            try LinearRing([c(0, 0), c(1, 0), c(0, 0)])
        } throws: { ($0 as? GeometryError)?.message.contains("fewer than 4 positions (3)") == true }
    }

    @Test func ringMustBeClosed() {
        #expect(throws: GeometryError("ring is not closed (first position [116.3, 39.9] ≠ last [116.31, 39.9])")) {
            try LinearRing([c(116.3, 39.9), c(116.4, 39.9), c(116.4, 40), c(116.31, 39.9)])
        }
    }

    @Test func polygonFromCoordinatesNamesTheRing() {
        #expect {
            try Polygon(exterior: [c(0, 0), c(1, 0), c(1, 1), c(0, 0)], holes: [[c(0.1, 0.1), c(0.2, 0.1), c(0.2, 0.2)]])
        } throws: { ($0 as? GeometryError)?.message == "ring 1: ring has fewer than 4 positions (3)" }
    }
}

@Suite struct AreaTests {
    @Test func smallSquareAtLatitude40MatchesSphere() {
        let square = Polygon(exterior: rectangle(116, 40, 116.001, 40.001))
        let r = Geodesy.earthRadius
        let analytic = r * r * (0.001 * .pi / 180) * (sin(40.001 * .pi / 180) - sin(40 * .pi / 180))
        #expect(abs(square.areaSquareMeters - analytic) / analytic < 0.001)
        // Winding must not matter.
        let reversed = Polygon(exterior: square.exterior.reversed())
        #expect(reversed.areaSquareMeters == square.areaSquareMeters)
    }

    @Test func holesSubtract() {
        let outer = rectangle(116, 40, 116.01, 40.01)
        let hole = rectangle(116.002, 40.002, 116.004, 40.004)
        let full = Polygon(exterior: outer).areaSquareMeters
        let holed = Polygon(exterior: outer, holes: [hole]).areaSquareMeters
        #expect(abs(holed / full - 0.96) < 1e-9)
        let multi = MultiPolygon([Polygon(exterior: outer), Polygon(exterior: rectangle(117, 40, 117.01, 40.01))])
        #expect(abs(multi.areaSquareMeters - 2 * full) / full < 0.001)
    }
}

@Suite struct ContainsTests {
    let polygon = Polygon(exterior: rectangle(0, 0, 10, 10), holes: [rectangle(4, 4, 6, 6)])

    @Test func insideOutsideAndHoles() {
        #expect(polygon.contains(c(1, 1)))
        #expect(polygon.contains(c(7, 5)))
        #expect(!polygon.contains(c(5, 5)))
        #expect(!polygon.contains(c(11, 5)))
        #expect(!polygon.contains(c(-0.000001, 5)))
    }

    @Test func boundaryPointsCountAsInside() {
        #expect(polygon.contains(c(0, 5)))    // exterior edge
        #expect(polygon.contains(c(10, 10)))  // exterior vertex
        #expect(polygon.contains(c(4, 5)))    // hole edge
        #expect(polygon.contains(c(6, 6)))    // hole vertex
        let triangle = Polygon(exterior: ring([(116.3, 39.9), (116.4, 39.95), (116.3, 40)]))
        #expect(triangle.contains(c(116.35, 39.925)))  // on a diagonal edge
    }

    @Test func multiPolygonContains() {
        let m = MultiPolygon([polygon, Polygon(exterior: rectangle(20, 0, 21, 1))])
        #expect(m.contains(c(20.5, 0.5)) && m.contains(c(1, 1)) && !m.contains(c(5, 5)) && !m.contains(c(15, 0.5)))
        #expect(m.boundingBox == BoundingBox(minLongitude: 0, minLatitude: 0, maxLongitude: 21, maxLatitude: 10))
    }
}

@Suite struct OrientationTests {
    @Test func ringOrientation() {
        let ccw = rectangle(0, 0, 1, 1)
        #expect(ccw.isCounterClockwise)
        #expect(!ccw.reversed().isCounterClockwise)
        #expect(ccw.reversed().coordinates.first == ccw.reversed().coordinates.last)
        // Far from the origin the sign must still be right.
        #expect(rectangle(116.3, 39.9, 116.3000001, 39.9000001).isCounterClockwise)
    }

    @Test func orientedRFC7946() {
        let wrong = Polygon(exterior: rectangle(0, 0, 10, 10).reversed(), holes: [rectangle(4, 4, 6, 6)])
        let fixed = wrong.orientedRFC7946()
        #expect(fixed.exterior.isCounterClockwise)
        #expect(fixed.holes.allSatisfy { !$0.isCounterClockwise })
        #expect(fixed.orientedRFC7946() == fixed)
        let multi = MultiPolygon([wrong]).orientedRFC7946()
        #expect(multi.polygons == [fixed])
    }
}

@Suite struct GeometryTests {
    @Test func typeNamesAndBoxes() throws {
        let line = try LineString([c(0, 0), c(2, 1)])
        let square = Polygon(exterior: rectangle(0, 0, 1, 1))
        let cases: [(Geometry, String)] = [
            (.point(c(1, 2)), "Point"), (.multiPoint([c(1, 2)]), "MultiPoint"), (.lineString(line), "LineString"),
            (.multiLineString([line]), "MultiLineString"), (.polygon(square), "Polygon"),
            (.multiPolygon(MultiPolygon([square])), "MultiPolygon"),
        ]
        for (g, name) in cases { #expect(g.typeName == name) }
        #expect(Geometry.point(c(1, 2)).boundingBox == BoundingBox(minLongitude: 1, minLatitude: 2, maxLongitude: 1, maxLatitude: 2))
        #expect(Geometry.multiLineString([line]).boundingBox == BoundingBox(minLongitude: 0, minLatitude: 0, maxLongitude: 2, maxLatitude: 1))
        #expect(Geometry.multiPolygon(MultiPolygon([])).boundingBox == nil)
        #expect(Geometry.multiPoint([]).boundingBox == nil)
        #expect(Geometry.polygon(square).asMultiPolygon == MultiPolygon([square]))
        #expect(Geometry.lineString(line).asMultiPolygon == nil)
    }
}
