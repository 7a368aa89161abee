import Foundation

/// A GeoJSON LineString (RFC 7946 §3.1.4): two or more positions.
public struct LineString: Hashable, Sendable {
    public let coordinates: [Coordinate]

    public init(_ coordinates: [Coordinate]) throws(GeometryError) {
        guard coordinates.count >= 2 else {
            throw GeometryError("line string has fewer than 2 positions (\(coordinates.count))")
        }
        self.coordinates = coordinates
    }

    /// Sum of haversine segment lengths.
    public var length: Meters {
        var total = 0.0
        for i in 1..<coordinates.count { total += Geodesy.distance(coordinates[i - 1], coordinates[i]).value }
        return Meters(total)
    }

    public var boundingBox: BoundingBox { BoundingBox(coordinates: coordinates)! }
}

/// A closed ring (RFC 7946 §3.1.6): at least four positions, the first equal to the last.
public struct LinearRing: Hashable, Sendable {
    public let coordinates: [Coordinate]

    public init(_ coordinates: [Coordinate]) throws(GeometryError) {
        guard coordinates.count >= 4 else {
            throw GeometryError("ring has fewer than 4 positions (\(coordinates.count))")
        }
        guard coordinates.first == coordinates.last else {
            throw GeometryError(
                "ring is not closed (first position \(NumberText.position(coordinates.first!)) ≠ last \(NumberText.position(coordinates.last!)))")
        }
        self.coordinates = coordinates
    }

    /// For rings already known to be valid.
    init(unchecked coordinates: [Coordinate]) { self.coordinates = coordinates }

    /// Shoelace sum in degrees, positive when counter-clockwise (x = longitude, y = latitude).
    /// Offsets from the first vertex keep precision for coordinates far from (0, 0).
    var signedDegreeArea: Double {
        let o = coordinates[0]
        var twice = 0.0
        var px = 0.0, py = 0.0
        for c in coordinates.dropFirst() {
            let x = c.longitude - o.longitude, y = c.latitude - o.latitude
            twice += px * y - x * py
            px = x; py = y
        }
        return twice / 2
    }

    public var isCounterClockwise: Bool { signedDegreeArea > 0 }

    public func reversed() -> LinearRing { LinearRing(unchecked: coordinates.reversed()) }

    public var boundingBox: BoundingBox { BoundingBox(coordinates: coordinates)! }

    enum Location { case inside, outside, boundary }

    /// Crossing-number test with an explicit boundary check (within about a micrometre).
    func locate(_ p: Coordinate) -> Location {
        let x = p.longitude, y = p.latitude
        var inside = false
        var a = coordinates[0]
        for i in 1..<coordinates.count {
            let b = coordinates[i]
            if Self.isOnSegment(x, y, a, b) { return .boundary }
            if (a.latitude > y) != (b.latitude > y) {
                let crossX = a.longitude + (y - a.latitude) * (b.longitude - a.longitude) / (b.latitude - a.latitude)
                if x < crossX { inside.toggle() }
            }
            a = b
        }
        return inside ? .inside : .outside
    }

    private static let tolerance = 1e-11

    private static func isOnSegment(_ x: Double, _ y: Double, _ a: Coordinate, _ b: Coordinate) -> Bool {
        let t = tolerance
        if x < Swift.min(a.longitude, b.longitude) - t || x > Swift.max(a.longitude, b.longitude) + t
            || y < Swift.min(a.latitude, b.latitude) - t || y > Swift.max(a.latitude, b.latitude) + t
        {
            return false
        }
        let dx = b.longitude - a.longitude, dy = b.latitude - a.latitude
        let cross = dx * (y - a.latitude) - dy * (x - a.longitude)
        return abs(cross) <= t * (dx * dx + dy * dy).squareRoot() + .leastNormalMagnitude
    }
}

/// A GeoJSON Polygon (RFC 7946 §3.1.6): one exterior ring and any number of holes.
public struct Polygon: Hashable, Sendable {
    public let exterior: LinearRing
    public let holes: [LinearRing]

    public init(exterior: LinearRing, holes: [LinearRing] = []) {
        self.exterior = exterior
        self.holes = holes
    }

    /// Builds the rings too; errors name the ring ("ring 0" is the exterior).
    public init(exterior: [Coordinate], holes: [[Coordinate]] = []) throws(GeometryError) {
        var rings: [LinearRing] = []
        for (i, ring) in ([exterior] + holes).enumerated() {
            do { rings.append(try LinearRing(ring)) } catch { throw GeometryError("\(i == 0 ? "exterior " : "")ring \(i): \(error.message)") }
        }
        self.init(exterior: rings[0], holes: Array(rings.dropFirst()))
    }

    public var boundingBox: BoundingBox { exterior.boundingBox }

    /// |exterior| − Σ|holes|, shoelace in a `LocalProjection` at the centre of the bounding box.
    public var areaSquareMeters: Double {
        // The projection only scales each axis, so the degree area times both scales is the projected area.
        let projection = LocalProjection(origin: boundingBox.center)
        let unitX = projection.project(Coordinate(longitude: projection.origin.longitude + 1, latitude: projection.origin.latitude)).x
        let unitY = projection.project(Coordinate(longitude: projection.origin.longitude, latitude: projection.origin.latitude + 1)).y
        var degrees = abs(exterior.signedDegreeArea)
        for hole in holes { degrees -= abs(hole.signedDegreeArea) }
        return degrees * unitX * unitY
    }

    enum Location { case inside, outside, boundary }

    func locate(_ c: Coordinate) -> Location {
        guard boundingBox.contains(c) else { return .outside }
        switch exterior.locate(c) {
        case .outside: return .outside
        case .boundary: return .boundary
        case .inside: break
        }
        for hole in holes {
            switch hole.locate(c) {
            case .inside: return .outside
            case .boundary: return .boundary
            case .outside: continue
            }
        }
        return .inside
    }

    /// Inside the exterior and not strictly inside a hole; boundary points count as inside.
    public func contains(_ c: Coordinate) -> Bool { locate(c) != .outside }

    /// Area centroid (holes subtracted). Computed in degrees: the equirectangular projection is affine,
    /// so this equals the centroid in a local projection. Falls back to the vertex mean for zero area.
    public var centroid: Coordinate {
        let o = exterior.coordinates[0]
        var area = 0.0, sx = 0.0, sy = 0.0
        for (index, ring) in ([exterior] + holes).enumerated() {
            var a = 0.0, x = 0.0, y = 0.0
            var px = ring.coordinates[0].longitude - o.longitude
            var py = ring.coordinates[0].latitude - o.latitude
            for c in ring.coordinates.dropFirst() {
                let cx = c.longitude - o.longitude, cy = c.latitude - o.latitude
                let cross = px * cy - cx * py
                a += cross
                x += (px + cx) * cross
                y += (py + cy) * cross
                px = cx; py = cy
            }
            // Exterior adds, holes subtract, whatever their winding.
            let sign: Double = (index == 0) == (a >= 0) ? 1 : -1
            area += sign * a; sx += sign * x; sy += sign * y
        }
        if abs(area) <= 1e-20 {
            let ring = exterior.coordinates.dropLast()
            let n = Double(ring.count)
            return Coordinate(
                longitude: ring.reduce(0) { $0 + $1.longitude } / n,
                latitude: ring.reduce(0) { $0 + $1.latitude } / n)
        }
        return Coordinate(longitude: o.longitude + sx / (3 * area), latitude: o.latitude + sy / (3 * area))
    }

    /// A point strictly inside: the centroid when it is, otherwise the midpoint of the widest interior
    /// interval on a horizontal scan line placed between vertex latitudes near the middle (the method of
    /// GEOS InteriorPointArea). Degenerate polygons return the centroid.
    public var representativePoint: Coordinate {
        let c = centroid
        if locate(c) == .inside { return c }
        let box = boundingBox
        let middle = (box.minLatitude + box.maxLatitude) / 2
        // Nearest vertex latitudes at or below and above the middle; the scan line sits halfway so it meets no vertex.
        var below = box.minLatitude, above = box.maxLatitude
        let rings = [exterior] + holes
        for ring in rings {
            for v in ring.coordinates {
                let y = v.latitude
                if y <= middle { if y > below { below = y } } else if y < above { above = y }
            }
        }
        let scanY = (below + above) / 2
        guard scanY > box.minLatitude, scanY < box.maxLatitude else { return c }
        var crossings: [Double] = []
        for ring in rings {
            var a = ring.coordinates[0]
            for b in ring.coordinates.dropFirst() {
                if (a.latitude < scanY) != (b.latitude < scanY) {
                    crossings.append(a.longitude + (scanY - a.latitude) * (b.longitude - a.longitude) / (b.latitude - a.latitude))
                }
                a = b
            }
        }
        crossings.sort()
        var bestWidth = -1.0, bestX = c.longitude
        var i = 0
        while i + 1 < crossings.count {
            let width = crossings[i + 1] - crossings[i]
            if width > bestWidth {
                bestWidth = width
                bestX = (crossings[i] + crossings[i + 1]) / 2
            }
            i += 2
        }
        return bestWidth > 0 ? Coordinate(longitude: bestX, latitude: scanY) : c
    }

    /// Exterior counter-clockwise, holes clockwise: the right-hand rule of RFC 7946 §3.1.6.
    public func orientedRFC7946() -> Polygon {
        Polygon(
            exterior: exterior.isCounterClockwise ? exterior : exterior.reversed(),
            holes: holes.map { $0.isCounterClockwise ? $0.reversed() : $0 })
    }
}

/// A GeoJSON MultiPolygon (RFC 7946 §3.1.7).
public struct MultiPolygon: Hashable, Sendable {
    public let polygons: [Polygon]

    public init(_ polygons: [Polygon]) { self.polygons = polygons }

    public var areaSquareMeters: Double { polygons.reduce(0) { $0 + $1.areaSquareMeters } }

    /// Precondition: at least one polygon.
    public var boundingBox: BoundingBox {
        precondition(!polygons.isEmpty, "bounding box of an empty MultiPolygon")
        return polygons.dropFirst().reduce(polygons[0].boundingBox) { $0.union($1.boundingBox) }
    }

    public func contains(_ c: Coordinate) -> Bool { polygons.contains { $0.contains(c) } }

    /// The representative point of the largest polygon. Precondition: at least one polygon.
    public var representativePoint: Coordinate {
        precondition(!polygons.isEmpty, "representative point of an empty MultiPolygon")
        var best = polygons[0], bestArea = best.areaSquareMeters
        for p in polygons.dropFirst() {
            let a = p.areaSquareMeters
            if a > bestArea { best = p; bestArea = a }
        }
        return best.representativePoint
    }

    public func orientedRFC7946() -> MultiPolygon { MultiPolygon(polygons.map { $0.orientedRFC7946() }) }
}
