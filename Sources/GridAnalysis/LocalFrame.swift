import Foundation
import GridModel

/// Metres per degree of latitude on the sphere of radius `Geodesy.earthRadius`.
let metersPerDegree = Geodesy.earthRadius * Double.pi / 180

/// Equirectangular projection (plate carrée scaled by cos φ₀) centred on a reference point, in metres.
/// Linear in longitude and latitude, so interpolating a segment in degrees and in metres agree.
struct LocalFrame {
    let longitude0: Double
    let latitude0: Double
    let kx: Double
    let ky: Double

    init(center: Coordinate) {
        longitude0 = center.longitude
        latitude0 = center.latitude
        ky = metersPerDegree
        // Positive even at the poles so the frame never degenerates.
        kx = max(metersPerDegree * cos(center.latitude * .pi / 180), 1e-9)
    }

    @inline(__always) func x(_ longitude: Double) -> Double { (longitude - longitude0) * kx }
    @inline(__always) func y(_ latitude: Double) -> Double { (latitude - latitude0) * ky }
}

/// Haversine length of a polyline, in metres.
func polylineLength(_ points: UnsafeBufferPointer<Coordinate>) -> Double {
    guard points.count > 1 else { return 0 }
    var total = 0.0
    for i in 1..<points.count { total += Geodesy.distance(points[i - 1], points[i]).value }
    return total
}
