import Testing
@testable import GridModel

@Suite struct RepresentativePointTests {
    func strictlyInside(_ p: Polygon, _ point: Coordinate) -> Bool { p.locate(point) == .inside }

    @Test func convexUsesCentroid() {
        let square = Polygon(exterior: rectangle(116.3, 39.9, 116.31, 39.91))
        let point = square.representativePoint
        #expect(abs(point.longitude - 116.305) < 1e-12 && abs(point.latitude - 39.905) < 1e-12)
        #expect(square.centroid == point)
    }

    @Test func uShape() {
        // Centroid falls in the notch.
        let u = Polygon(exterior: ring([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (2, 2), (2, 10), (0, 10)]))
        #expect(!u.contains(u.centroid))
        #expect(strictlyInside(u, u.representativePoint))
    }

    @Test func cShape() {
        let cShape = Polygon(exterior: ring([(0, 0), (10, 0), (10, 1), (1, 1), (1, 9), (10, 9), (10, 10), (0, 10)]))
        #expect(!cShape.contains(cShape.centroid))
        #expect(strictlyInside(cShape, cShape.representativePoint))
    }

    @Test func holeAtCentroid() {
        let donut = Polygon(exterior: rectangle(0, 0, 10, 10), holes: [rectangle(3, 3, 7, 7)])
        #expect(!donut.contains(donut.centroid) || donut.locate(donut.centroid) != .inside)
        #expect(strictlyInside(donut, donut.representativePoint))
    }

    @Test func thinDiagonalSliver() {
        // A sliver a few centimetres wide along a diagonal, bent so its centroid is outside.
        let w = 0.0000005
        let bent = Polygon(exterior: ring([
            (116.30, 39.90), (116.31, 39.91), (116.32, 39.90), (116.32, 39.90 + w),
            (116.31, 39.91 + w), (116.30, 39.90 + w),
        ]))
        #expect(strictlyInside(bent, bent.representativePoint))
        let straight = Polygon(exterior: ring([(116.30, 39.90), (116.31, 39.91), (116.31, 39.91 + w), (116.30, 39.90 + w)]))
        #expect(strictlyInside(straight, straight.representativePoint))
    }

    @Test func vertexOnTheMiddleLine() {
        // A spike vertex exactly at mid-height must not break the scan line.
        let star = Polygon(exterior: ring([(0, 0), (4, 0), (4, 4), (3, 4), (1, 2), (3, 0.5), (0, 0.5), (0, 4), (-1, 4)]))
        #expect(strictlyInside(star, star.representativePoint))
    }

    @Test func multiPolygonUsesLargest() {
        let small = Polygon(exterior: rectangle(0, 0, 1, 1))
        let large = Polygon(exterior: rectangle(10, 10, 20, 20))
        let point = MultiPolygon([small, large]).representativePoint
        #expect(large.contains(point))
    }

    @Test func centroidOfRectangleWithOffCentreHole() {
        let p = Polygon(exterior: rectangle(0, 0, 4, 2), holes: [rectangle(2, 0.5, 3, 1.5)])
        // Outer: area 8 at (2, 1); hole: area 1 at (2.5, 1) → (16 − 2.5) / 7.
        #expect(abs(p.centroid.longitude - 13.5 / 7) < 1e-12)
        #expect(abs(p.centroid.latitude - 1) < 1e-12)
    }
}
