import Foundation
/// A WGS84 position, longitude first as in GeoJSON (RFC 7946 §3.1.1).
public struct Coordinate: Hashable, Sendable {
    public var longitude: Double
    public var latitude: Double

    public init(longitude: Double, latitude: Double) {
        self.longitude = longitude
        self.latitude = latitude
    }

    /// True when both values are finite and inside [-180, 180] × [-90, 90].
    public var isValidWGS84: Bool {
        longitude.isFinite && latitude.isFinite
            && (-180...180).contains(longitude) && (-90...90).contains(latitude)
    }
}

/// A distance or length in metres.
public struct Meters: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: Double
    public init(_ value: Double) { self.value = value }
    public static func < (a: Meters, b: Meters) -> Bool { a.value < b.value }
    public static func + (a: Meters, b: Meters) -> Meters { Meters(a.value + b.value) }
    public static func - (a: Meters, b: Meters) -> Meters { Meters(a.value - b.value) }
    public static let zero = Meters(0)
    public var description: String { "\(value) m" }
}

/// A duration in seconds.
public struct Seconds: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: Double
    public init(_ value: Double) { self.value = value }
    public static func < (a: Seconds, b: Seconds) -> Bool { a.value < b.value }
    public var description: String { "\(value) s" }
}

/// Great-circle measures on the sphere used by the peer benchmarks (mean radius 6,371,008.8 m).
public enum Geodesy {
    public static let earthRadius = 6_371_008.8

    /// Haversine distance in metres.
    public static func distance(_ a: Coordinate, _ b: Coordinate) -> Meters {
        let p1 = a.latitude * .pi / 180, p2 = b.latitude * .pi / 180
        let dp = p2 - p1, dl = (b.longitude - a.longitude) * .pi / 180
        let s = sin(dp / 2), t = sin(dl / 2)
        let h = s * s + cos(p1) * cos(p2) * t * t
        return Meters(2 * earthRadius * asin(min(1, h.squareRoot())))
    }
}
