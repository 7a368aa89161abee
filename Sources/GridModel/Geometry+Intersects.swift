extension Geometry {
    /// Whether the geometry and the closed box share at least one point (OGC API Features' `bbox` rule),
    /// computed in degrees: boxes are small enough that planar tests match the geodesic answer.
    public func intersects(_ box: BoundingBox) -> Bool {
        switch self {
        case .point(let c): box.contains(c)
        case .multiPoint(let cs): cs.contains { box.contains($0) }
        case .lineString(let l): Self.path(l.coordinates, touches: box)
        case .multiLineString(let ls): ls.contains { Self.path($0.coordinates, touches: box) }
        case .polygon(let p): Self.polygon(p, touches: box)
        case .multiPolygon(let m): m.polygons.contains { Self.polygon($0, touches: box) }
        }
    }

    static func polygon(_ p: Polygon, touches box: BoundingBox) -> Bool {
        guard p.boundingBox.intersects(box) else { return false }
        if path(p.exterior.coordinates, touches: box) || p.holes.contains(where: { path($0.coordinates, touches: box) }) {
            return true
        }
        // No boundary crosses the box: either the box lies wholly inside the polygon, or they are apart.
        return p.contains(box.center)
    }

    static func path(_ cs: [Coordinate], touches box: BoundingBox) -> Bool {
        guard let first = cs.first else { return false }
        if box.contains(first) { return true }
        for (a, b) in zip(cs, cs.dropFirst()) where segment(a, b, touches: box) { return true }
        return false
    }

    /// Liang–Barsky clipping: the part of segment ab inside the box is non-empty.
    static func segment(_ a: Coordinate, _ b: Coordinate, touches box: BoundingBox) -> Bool {
        if box.contains(a) || box.contains(b) { return true }
        let dx = b.longitude - a.longitude, dy = b.latitude - a.latitude
        var t0 = 0.0, t1 = 1.0
        let checks = [(-dx, a.longitude - box.minLongitude), (dx, box.maxLongitude - a.longitude),
                      (-dy, a.latitude - box.minLatitude), (dy, box.maxLatitude - a.latitude)]
        for (p, q) in checks {
            if p == 0 {
                if q < 0 { return false }
            } else {
                let r = q / p
                if p < 0 { if r > t1 { return false }; if r > t0 { t0 = r } }
                else { if r < t0 { return false }; if r < t1 { t1 = r } }
            }
        }
        return t0 <= t1
    }
}
