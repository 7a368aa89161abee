import Foundation

/// An axis-aligned WGS84 box, ordered as a GeoJSON "bbox" member (RFC 7946 §5): west, south, east, north.
/// Boxes never cross the antimeridian; city extents do not need that.
public struct BoundingBox: Hashable, Sendable {
    public var minLongitude: Double
    public var minLatitude: Double
    public var maxLongitude: Double
    public var maxLatitude: Double

    public init(minLongitude: Double, minLatitude: Double, maxLongitude: Double, maxLatitude: Double) {
        self.minLongitude = minLongitude
        self.minLatitude = minLatitude
        self.maxLongitude = maxLongitude
        self.maxLatitude = maxLatitude
    }

    /// The smallest box holding every coordinate; nil when there are none.
    public init?(coordinates: some Sequence<Coordinate>) {
        var iterator = coordinates.makeIterator()
        guard let first = iterator.next() else { return nil }
        var box = BoundingBox(
            minLongitude: first.longitude, minLatitude: first.latitude,
            maxLongitude: first.longitude, maxLatitude: first.latitude)
        while let c = iterator.next() { box.include(c) }
        self = box
    }

    /// Grows the box to cover `c`.
    public mutating func include(_ c: Coordinate) {
        if c.longitude < minLongitude { minLongitude = c.longitude }
        if c.longitude > maxLongitude { maxLongitude = c.longitude }
        if c.latitude < minLatitude { minLatitude = c.latitude }
        if c.latitude > maxLatitude { maxLatitude = c.latitude }
    }

    /// Edges count as inside.
    public func contains(_ c: Coordinate) -> Bool {
        c.longitude >= minLongitude && c.longitude <= maxLongitude
            && c.latitude >= minLatitude && c.latitude <= maxLatitude
    }

    /// True when the boxes share at least one point (touching edges intersect).
    public func intersects(_ other: BoundingBox) -> Bool {
        minLongitude <= other.maxLongitude && other.minLongitude <= maxLongitude
            && minLatitude <= other.maxLatitude && other.minLatitude <= maxLatitude
    }

    public func union(_ other: BoundingBox) -> BoundingBox {
        BoundingBox(
            minLongitude: Swift.min(minLongitude, other.minLongitude),
            minLatitude: Swift.min(minLatitude, other.minLatitude),
            maxLongitude: Swift.max(maxLongitude, other.maxLongitude),
            maxLatitude: Swift.max(maxLatitude, other.maxLatitude))
    }

    public var center: Coordinate {
        Coordinate(longitude: (minLongitude + maxLongitude) / 2, latitude: (minLatitude + maxLatitude) / 2)
    }

    /// Grows every side by at least `meters` on the sphere of radius `Geodesy.earthRadius`, clamped to WGS84 range.
    /// The longitude margin uses the latitude farthest from the equator so no point within `meters` is missed.
    public func expanded(by meters: Meters) -> BoundingBox {
        let dLat = meters.value / Geodesy.earthRadius * 180 / .pi
        let south = Swift.max(-90, minLatitude - dLat)
        let north = Swift.min(90, maxLatitude + dLat)
        let worstLatitude = Swift.max(abs(south), abs(north))
        let cosine = cos(worstLatitude * .pi / 180)
        // Near a pole any longitude can be within reach.
        let dLon = cosine > 1e-12 ? dLat / cosine : 360
        return BoundingBox(
            minLongitude: Swift.max(-180, minLongitude - dLon), minLatitude: south,
            maxLongitude: Swift.min(180, maxLongitude + dLon), maxLatitude: north)
    }

    /// Parses "minLon,minLat,maxLon,maxLat" (the order of RFC 7946 §5 and of OGC API "bbox" parameters).
    /// Spaces around values are ignored.
    public static func parse(_ text: String) throws(GeometryError) -> BoundingBox {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            throw GeometryError(
                "bbox must be 4 comma-separated numbers minLon,minLat,maxLon,maxLat; got \(parts.count) value\(parts.count == 1 ? "" : "s") in \"\(text)\"")
        }
        let names = ["minLon", "minLat", "maxLon", "maxLat"]
        var values: [Double] = []
        for (i, part) in parts.enumerated() {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { throw GeometryError("bbox \(names[i]) is empty in \"\(text)\"") }
            guard let v = Double(trimmed), !trimmed.hasPrefix("0x"), !trimmed.hasPrefix("-0x") else {
                throw GeometryError("bbox \(names[i]) \"\(trimmed)\" is not a number")
            }
            guard v.isFinite else { throw GeometryError("bbox \(names[i]) \"\(trimmed)\" is not a finite number") }
            values.append(v)
        }
        let box = BoundingBox(minLongitude: values[0], minLatitude: values[1], maxLongitude: values[2], maxLatitude: values[3])
        for (i, v) in values.enumerated() {
            let isLongitude = i % 2 == 0
            let limit = isLongitude ? 180.0 : 90.0
            if abs(v) > limit {
                var message = "bbox \(names[i]) \(NumberText.plain(v)) is out of WGS84 range [-\(Int(limit)), \(Int(limit))]"
                let lonLatSwapped = abs(values[0]) <= 90 && abs(values[1]) <= 180
                    && abs(values[2]) <= 90 && abs(values[3]) <= 180
                if !isLongitude && lonLatSwapped {
                    message += "; it looks like minLat,minLon,maxLat,maxLon, but the order is minLon,minLat,maxLon,maxLat"
                }
                throw GeometryError(message)
            }
        }
        if box.minLongitude > box.maxLongitude {
            throw GeometryError(
                "bbox minLon \(NumberText.plain(box.minLongitude)) is greater than maxLon \(NumberText.plain(box.maxLongitude))")
        }
        if box.minLatitude > box.maxLatitude {
            throw GeometryError(
                "bbox minLat \(NumberText.plain(box.minLatitude)) is greater than maxLat \(NumberText.plain(box.maxLatitude))")
        }
        return box
    }
}
