import Foundation

/// The coordinate reference systems positions can be read or written in: the two OGC names of WGS84, CGCS2000,
/// and the two offset systems of Chinese web maps. Identifiers follow OGC API - Features Part 2 (OGC 18-058r1).
public enum CoordinateReferenceSystem: String, CaseIterable, Sendable {
    /// WGS84, longitude first: the GeoJSON default (RFC 7946 §4).
    case crs84
    /// WGS84 with the EPSG axis order, latitude first.
    case epsg4326
    /// CGCS2000, latitude first. Its frame and ellipsoid agree with WGS84 well within the 0.5 m this product
    /// works to, so positions are taken as WGS84 unchanged.
    case epsg4490
    /// GCJ-02, the obfuscated "Mars" datum that AMap, Tencent and other Chinese web maps use; longitude first.
    case gcj02
    /// BD-09, Baidu's further offset of GCJ-02; longitude first.
    case bd09

    /// The identifier used in `crs`, `bbox-crs` and `Content-Crs`. GCJ-02 and BD-09 have no EPSG or OGC
    /// code, so they get this product's own URNs; these are stable and never reused for anything else.
    public var uri: String {
        switch self {
        case .crs84: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
        case .epsg4326: "http://www.opengis.net/def/crs/EPSG/0/4326"
        case .epsg4490: "http://www.opengis.net/def/crs/EPSG/0/4490"
        case .gcj02: "urn:communitygrid:crs:gcj02"
        case .bd09: "urn:communitygrid:crs:bd09"
        }
    }

    /// Accepts `uri` and, for the OGC and EPSG systems, their OGC URN spellings (`urn:ogc:def:crs:EPSG::4326`).
    public init?(uri: String) {
        switch uri {
        case "urn:ogc:def:crs:OGC:1.3:CRS84": self = .crs84
        case "urn:ogc:def:crs:EPSG::4326": self = .epsg4326
        case "urn:ogc:def:crs:EPSG::4490": self = .epsg4490
        default:
            guard let match = Self.allCases.first(where: { $0.uri == uri }) else { return nil }
            self = match
        }
    }

    /// True when positions are written latitude first: EPSG defines 4326 and 4490 that way, and OGC API -
    /// Features Part 2 requires servers to honour it (only CRS84 and GeoJSON are longitude first).
    public var latitudeFirst: Bool {
        switch self {
        case .epsg4326, .epsg4490: true
        case .crs84, .gcj02, .bd09: false
        }
    }

    /// The position in WGS84 converted into this system (longitude and latitude keep their names).
    public func fromWGS84(_ coordinate: Coordinate) -> Coordinate {
        switch self {
        case .crs84, .epsg4326, .epsg4490: coordinate
        case .gcj02: ChinaCoordinates.wgs84ToGCJ02(coordinate)
        case .bd09: ChinaCoordinates.gcj02ToBD09(ChinaCoordinates.wgs84ToGCJ02(coordinate))
        }
    }

    /// A position given in this system, back in WGS84.
    public func toWGS84(_ coordinate: Coordinate) -> Coordinate {
        switch self {
        case .crs84, .epsg4326, .epsg4490: coordinate
        case .gcj02: ChinaCoordinates.gcj02ToWGS84(coordinate)
        case .bd09: ChinaCoordinates.gcj02ToWGS84(ChinaCoordinates.bd09ToGCJ02(coordinate))
        }
    }

    public func fromWGS84(_ geometry: Geometry) -> Geometry {
        geometry.mappingCoordinates { fromWGS84($0) }
    }

    public func toWGS84(_ geometry: Geometry) -> Geometry {
        geometry.mappingCoordinates { toWGS84($0) }
    }

    /// True for the systems whose positions are WGS84 values as they are (whatever their axis order).
    public var isWGS84Equivalent: Bool {
        switch self {
        case .crs84, .epsg4326, .epsg4490: true
        case .gcj02, .bd09: false
        }
    }

    /// Decimal places for writing positions: all these systems are in degrees, and 7 places keep about 1 cm.
    public var precision: Int { 7 }

    /// The box in WGS84 that holds the given box of this system. The offsets wiggle (BD-09's by tens of metres every
    /// 0.12°), so the edges are sampled every 0.0005° at most (4096 samples an edge for country-sized boxes)
    /// and the result is widened by the most a curve can bulge between samples: h²/8 times the offsets'
    /// largest second derivative, under 1.2 °/°² across China. For a city that is a few millimetres.
    public func wgs84Envelope(of box: BoundingBox) -> BoundingBox {
        if isWGS84Equivalent { return box }
        let width = box.maxLongitude - box.minLongitude, height = box.maxLatitude - box.minLatitude
        let steps = max(8, min(4096, Int((max(width, height) / 0.0005).rounded(.up))))
        var samples: [Coordinate] = []
        samples.reserveCapacity(4 * (steps + 1))
        for i in 0...steps {
            let t = Double(i) / Double(steps)
            let lon = box.minLongitude + t * width, lat = box.minLatitude + t * height
            samples += [
                Coordinate(longitude: lon, latitude: box.minLatitude), Coordinate(longitude: lon, latitude: box.maxLatitude),
                Coordinate(longitude: box.minLongitude, latitude: lat), Coordinate(longitude: box.maxLongitude, latitude: lat),
            ]
        }
        var envelope = BoundingBox(coordinates: samples.map { toWGS84($0) })!
        let spacing = max(width, height) / Double(steps)
        let bulge = 0.15 * spacing * spacing
        envelope.minLongitude -= bulge
        envelope.minLatitude -= bulge
        envelope.maxLongitude += bulge
        envelope.maxLatitude += bulge
        return envelope
    }

    /// The two values of a position in this system's axis order: `[latitude, longitude]` for EPSG:4326 and
    /// EPSG:4490, `[longitude, latitude]` otherwise. The input is already in this system (see `fromWGS84`).
    public func axisOrdered(_ coordinate: Coordinate) -> [Double] {
        latitudeFirst ? [coordinate.latitude, coordinate.longitude] : [coordinate.longitude, coordinate.latitude]
    }

    /// The position whose two values, in this system's axis order, are `first` and `second`
    /// (for reading a `bbox` given with `bbox-crs`).
    public func coordinate(axisOrderedFirst first: Double, second: Double) -> Coordinate {
        latitudeFirst ? Coordinate(longitude: second, latitude: first) : Coordinate(longitude: first, latitude: second)
    }

    /// The geometry converted from WGS84 and ready for a writer that puts each `Coordinate` down as
    /// `[longitude, latitude]` (such as `GeoJSON.encode`): for latitude-first systems the two values of every
    /// position are swapped, so the output is `[latitude, longitude]`. The result only makes sense as output.
    public func geometryForOutput(fromWGS84 geometry: Geometry) -> Geometry {
        let swapsAxes = latitudeFirst
        return geometry.mappingCoordinates { wgs84 in
            let converted = fromWGS84(wgs84)
            return swapsAxes ? Coordinate(longitude: converted.latitude, latitude: converted.longitude) : converted
        }
    }
}

/// The published transforms between WGS84, GCJ-02 and BD-09.
///
/// GCJ-02 adds to WGS84 an offset of a few hundred metres given by two trigonometric polynomials in the
/// distance from (105° E, 35° N), scaled to degrees on the Krasovsky 1940 ellipsoid. It is defined only for
/// China, taken as the usual box 72.004–137.8347° E, 0.8293–55.8271° N: positions outside it are GCJ-02 and
/// WGS84 alike and pass through unchanged (the box also holds some of China's neighbours; the maps that use
/// GCJ-02 treat it the same way). BD-09 shifts GCJ-02 once more by a small rotation and scaling about the
/// origin and a fixed translation; Baidu's formula applies everywhere, so it is not limited to the box.
///
/// Neither offset has a closed-form inverse. The inverses here solve forward(x) = y by fixed-point iteration
/// (the offsets vary slowly with position, so each round shrinks the error more than tenfold; five rounds
/// suffice across China) until a step is below 1e-10° (about 10 µm), at most 20 rounds: round trips agree
/// to well under a millimetre.
/// Within a few hundred metres of the box edges GCJ-02 jumps, and there the inverse is only as good as the
/// jump allows.
public enum ChinaCoordinates {
    /// Semi-major axis (m) and first eccentricity squared of the Krasovsky 1940 ellipsoid.
    static let krasovskySemiMajorAxis = 6_378_245.0
    static let krasovskyEccentricitySquared = 0.00669342162296594323
    /// Baidu's constant: π scaled by 3000/180.
    static let baiduPi = Double.pi * 3000 / 180

    static let inverseTolerance = 1e-10
    static let inverseIterationLimit = 20

    /// True outside the box where GCJ-02 applies (edges count as inside).
    public static func isOutsideChina(_ c: Coordinate) -> Bool {
        !(72.004...137.8347).contains(c.longitude) || !(0.8293...55.8271).contains(c.latitude)
    }

    public static func wgs84ToGCJ02(_ wgs84: Coordinate) -> Coordinate {
        if isOutsideChina(wgs84) { return wgs84 }
        let x = wgs84.longitude - 105, y = wgs84.latitude - 35
        // The polynomials give metres-like values; convert them to degrees with the meridian and parallel radii.
        let latitudeRadians = wgs84.latitude * .pi / 180
        let sinLatitude = sin(latitudeRadians)
        let w = 1 - krasovskyEccentricitySquared * sinLatitude * sinLatitude
        let meridianRadius = krasovskySemiMajorAxis * (1 - krasovskyEccentricitySquared) / (w * w.squareRoot())
        let parallelRadius = krasovskySemiMajorAxis / w.squareRoot() * cos(latitudeRadians)
        let latitudeOffset = latitudePolynomial(x, y) * 180 / (meridianRadius * .pi)
        let longitudeOffset = longitudePolynomial(x, y) * 180 / (parallelRadius * .pi)
        return Coordinate(longitude: wgs84.longitude + longitudeOffset, latitude: wgs84.latitude + latitudeOffset)
    }

    public static func gcj02ToWGS84(_ gcj02: Coordinate) -> Coordinate {
        invert(wgs84ToGCJ02, at: gcj02, from: gcj02)
    }

    public static func gcj02ToBD09(_ gcj02: Coordinate) -> Coordinate {
        let x = gcj02.longitude, y = gcj02.latitude
        let radius = (x * x + y * y).squareRoot() + 0.00002 * sin(y * baiduPi)
        let angle = atan2(y, x) + 0.000003 * cos(x * baiduPi)
        return Coordinate(longitude: radius * cos(angle) + 0.0065, latitude: radius * sin(angle) + 0.006)
    }

    public static func bd09ToGCJ02(_ bd09: Coordinate) -> Coordinate {
        // Baidu's published inverse is off by up to about 0.2 m; it is only the starting guess.
        let x = bd09.longitude - 0.0065, y = bd09.latitude - 0.006
        let radius = (x * x + y * y).squareRoot() - 0.00002 * sin(y * baiduPi)
        let angle = atan2(y, x) - 0.000003 * cos(x * baiduPi)
        let guess = Coordinate(longitude: radius * cos(angle), latitude: radius * sin(angle))
        return invert(gcj02ToBD09, at: bd09, from: guess)
    }

    /// Solves forward(x) = target by x ← x + (target − forward(x)), which converges because forward is the
    /// identity plus an offset that varies slowly.
    static func invert(_ forward: (Coordinate) -> Coordinate, at target: Coordinate, from start: Coordinate) -> Coordinate {
        var x = start
        for _ in 0..<inverseIterationLimit {
            let image = forward(x)
            let dLon = target.longitude - image.longitude, dLat = target.latitude - image.latitude
            x.longitude += dLon
            x.latitude += dLat
            if abs(dLon) < inverseTolerance && abs(dLat) < inverseTolerance { break }
        }
        return x
    }

    /// The latitude polynomial of GCJ-02, in x = longitude − 105, y = latitude − 35.
    static func latitudePolynomial(_ x: Double, _ y: Double) -> Double {
        var value = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * abs(x).squareRoot()
        value += (20 * sin(6 * x * .pi) + 20 * sin(2 * x * .pi)) * 2 / 3
        value += (20 * sin(y * .pi) + 40 * sin(y / 3 * .pi)) * 2 / 3
        value += (160 * sin(y / 12 * .pi) + 320 * sin(y * .pi / 30)) * 2 / 3
        return value
    }

    /// The longitude polynomial of GCJ-02, in x = longitude − 105, y = latitude − 35.
    static func longitudePolynomial(_ x: Double, _ y: Double) -> Double {
        var value = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * abs(x).squareRoot()
        value += (20 * sin(6 * x * .pi) + 20 * sin(2 * x * .pi)) * 2 / 3
        value += (20 * sin(x * .pi) + 40 * sin(x / 3 * .pi)) * 2 / 3
        value += (150 * sin(x / 12 * .pi) + 300 * sin(x / 30 * .pi)) * 2 / 3
        return value
    }
}

extension Geometry {
    /// The same geometry with `transform` applied to every position. Rings stay closed because equal
    /// positions map to equal positions.
    public func mappingCoordinates(_ transform: (Coordinate) -> Coordinate) -> Geometry {
        func line(_ l: LineString) -> LineString {
            // Same count as a valid line string, so this cannot fail.
            do { return try LineString(l.coordinates.map(transform)) } catch { preconditionFailure(error.message) }
        }
        func ring(_ r: LinearRing) -> LinearRing { LinearRing(unchecked: r.coordinates.map(transform)) }
        func polygon(_ p: Polygon) -> Polygon { Polygon(exterior: ring(p.exterior), holes: p.holes.map(ring)) }
        switch self {
        case .point(let c): return .point(transform(c))
        case .multiPoint(let cs): return .multiPoint(cs.map(transform))
        case .lineString(let l): return .lineString(line(l))
        case .multiLineString(let ls): return .multiLineString(ls.map(line))
        case .polygon(let p): return .polygon(polygon(p))
        case .multiPolygon(let m): return .multiPolygon(MultiPolygon(m.polygons.map(polygon)))
        }
    }
}
