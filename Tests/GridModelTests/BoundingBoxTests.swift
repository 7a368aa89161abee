import Testing
@testable import GridModel

@Suite struct BoundingBoxTests {
    @Test func parsesValidText() throws {
        let box = try BoundingBox.parse(" 116.3, 39.8 ,116.5,40.0")
        #expect(box == BoundingBox(minLongitude: 116.3, minLatitude: 39.8, maxLongitude: 116.5, maxLatitude: 40))
    }

    @Test(arguments: [
        ("116.3,39.8,116.5", "got 3 values"),
        ("116.3,39.8,116.5,40,1", "got 5 values"),
        ("", "got 1 value"),
        ("116.3,abc,116.5,40", "minLat \"abc\" is not a number"),
        ("116.3,39.8,,40", "maxLon is empty"),
        ("nan,39.8,116.5,40", "not a finite number"),
        ("0x10,39.8,116.5,40", "not a number"),
        ("116.5,39.8,116.3,40", "minLon 116.5 is greater than maxLon 116.3"),
        ("116.3,40.1,116.5,40", "minLat 40.1 is greater than maxLat 40"),
        ("116.3,39.8,181,40", "maxLon 181 is out of WGS84 range [-180, 180]"),
        ("39.8,116.3,40,116.5", "looks like minLat,minLon,maxLat,maxLon"),
    ])
    func parseErrors(text: String, expected: String) {
        #expect {
            _ = try BoundingBox.parse(text)
        } throws: { error in
            (error as? GeometryError)?.message.contains(expected) == true
        }
    }

    @Test func errorMessageIsClear() {
        #expect(throws: GeometryError("bbox maxLat 91 is out of WGS84 range [-90, 90]")) {
            try BoundingBox.parse("100,2,120,91")
        }
    }

    @Test func containsIsInclusiveAndIntersectsTouching() {
        let a = BoundingBox(minLongitude: 0, minLatitude: 0, maxLongitude: 1, maxLatitude: 1)
        #expect(a.contains(c(0, 0)) && a.contains(c(1, 1)) && a.contains(c(0.5, 1)))
        #expect(!a.contains(c(1.0000001, 0.5)))
        let touching = BoundingBox(minLongitude: 1, minLatitude: 1, maxLongitude: 2, maxLatitude: 2)
        let apart = BoundingBox(minLongitude: 1.1, minLatitude: 0, maxLongitude: 2, maxLatitude: 1)
        #expect(a.intersects(touching))
        #expect(!a.intersects(apart))
        #expect(a.union(apart) == BoundingBox(minLongitude: 0, minLatitude: 0, maxLongitude: 2, maxLatitude: 1))
    }

    @Test func fromCoordinates() {
        #expect(BoundingBox(coordinates: [Coordinate]()) == nil)
        let box = BoundingBox(coordinates: [c(3, -1), c(-2, 5), c(0, 0)])
        #expect(box == BoundingBox(minLongitude: -2, minLatitude: -1, maxLongitude: 3, maxLatitude: 5))
    }

    @Test func expandedCoversTheDistance() {
        let box = BoundingBox(minLongitude: 116.3, minLatitude: 39.9, maxLongitude: 116.4, maxLatitude: 40)
        let grown = box.expanded(by: Meters(500))
        // Points 500 m beyond each side must be inside, at the worst latitude too.
        let north = Geodesy.distance(c(116.35, 40), c(116.35, grown.maxLatitude)).value
        #expect(abs(north - 500) < 0.01)
        let east = Geodesy.distance(c(116.4, 40), c(grown.maxLongitude, 40)).value
        #expect(east >= 499.99)
        #expect(grown.minLongitude < box.minLongitude && grown.minLatitude < box.minLatitude)
        let clamped = BoundingBox(minLongitude: 179.99, minLatitude: 89.99, maxLongitude: 180, maxLatitude: 90)
            .expanded(by: Meters(10_000))
        #expect(clamped.maxLatitude == 90 && clamped.maxLongitude == 180)
    }
}

@Suite struct LocalProjectionTests {
    @Test func roundTripAndScale() {
        let p = LocalProjection(origin: c(116.4, 39.9))
        let xy = p.project(c(116.41, 39.91))
        let back = p.unproject(x: xy.x, y: xy.y)
        #expect(abs(back.longitude - 116.41) < 1e-12 && abs(back.latitude - 39.91) < 1e-12)
        let distance = (xy.x * xy.x + xy.y * xy.y).squareRoot()
        let haversine = Geodesy.distance(c(116.4, 39.9), c(116.41, 39.91)).value
        #expect(abs(distance - haversine) / haversine < 0.001)
        #expect(p.project(p.origin) == (x: 0, y: 0))
    }
}
