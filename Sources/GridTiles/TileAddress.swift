import Foundation
import GridModel

/// A tile of the WebMercatorQuad tile matrix set (OGC 17-083r4, annex D.1; the XYZ scheme of web maps):
/// zoom `z` has 2^z × 2^z tiles, column `x` from 180° W eastwards, row `y` from 85.0511° N southwards.
public struct TileAddress: Hashable, Sendable, CustomStringConvertible {
    public let z: Int
    public let x: Int
    public let y: Int

    /// The deepest zoom served: at 24 a tile is under 3 m wide, finer than any building outline needs.
    public static let maximumZoom = 24

    /// Nil when the zoom is outside 0…`maximumZoom` or the column or row outside 0..<2^z.
    public init?(z: Int, x: Int, y: Int) {
        guard (0...Self.maximumZoom).contains(z) else { return nil }
        let count = 1 << z
        guard (0..<count).contains(x), (0..<count).contains(y) else { return nil }
        self.z = z; self.x = x; self.y = y
    }

    public var description: String { "\(z)/\(y)/\(x)" }

    /// Tiles across the world at this zoom.
    public var matrixSize: Double { Double(1 << z) }

    /// The tile's box in longitude and latitude, grown on every side by `buffer` of the tile's width.
    public func bounds(buffer: Double = 0) -> BoundingBox {
        let n = matrixSize
        let west = WebMercator.longitude(worldX: (Double(x) - buffer) / n)
        let east = WebMercator.longitude(worldX: (Double(x + 1) + buffer) / n)
        let north = WebMercator.latitude(worldY: (Double(y) - buffer) / n)
        let south = WebMercator.latitude(worldY: (Double(y + 1) + buffer) / n)
        return BoundingBox(minLongitude: max(-180, west), minLatitude: south, maxLongitude: min(180, east), maxLatitude: north)
    }
}

/// Spherical Web Mercator (EPSG:3857) in "world" units: x and y in [0, 1] over the square of the world,
/// y growing southwards as on a screen.
public enum WebMercator {
    /// The latitude where the square world ends: atan(sinh(π)).
    public static let maximumLatitude = 85.051_128_779_806_59

    public static func worldX(longitude: Double) -> Double { (longitude + 180) / 360 }

    /// Latitudes beyond ±`maximumLatitude` are clamped to the edge of the world.
    public static func worldY(latitude: Double) -> Double {
        let clamped = min(max(latitude, -maximumLatitude), maximumLatitude)
        let sine = sin(clamped * .pi / 180)
        return 0.5 - log((1 + sine) / (1 - sine)) / (4 * .pi)
    }

    public static func longitude(worldX: Double) -> Double { worldX * 360 - 180 }

    public static func latitude(worldY: Double) -> Double {
        let clamped = min(max(worldY, 0), 1)
        return atan(sinh(.pi * (1 - 2 * clamped))) * 180 / .pi
    }
}
