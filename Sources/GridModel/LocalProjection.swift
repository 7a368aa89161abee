import Foundation

/// Equirectangular projection around an origin, in metres (x east, y north) on a sphere of radius
/// `Geodesy.earthRadius`. Distortion stays well under 0.1 % across a city, which is all it is used for.
public struct LocalProjection: Sendable {
    public let origin: Coordinate
    private let metersPerDegreeY: Double
    private let metersPerDegreeX: Double

    public init(origin: Coordinate) {
        self.origin = origin
        metersPerDegreeY = Geodesy.earthRadius * .pi / 180
        // Keep the scale positive at the poles so unproject stays finite.
        metersPerDegreeX = Swift.max(metersPerDegreeY * cos(origin.latitude * .pi / 180), 1e-9)
    }

    public func project(_ c: Coordinate) -> (x: Double, y: Double) {
        ((c.longitude - origin.longitude) * metersPerDegreeX, (c.latitude - origin.latitude) * metersPerDegreeY)
    }

    public func unproject(x: Double, y: Double) -> Coordinate {
        Coordinate(longitude: origin.longitude + x / metersPerDegreeX, latitude: origin.latitude + y / metersPerDegreeY)
    }
}
