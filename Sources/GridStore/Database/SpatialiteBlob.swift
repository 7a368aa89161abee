import GridModel

/// Spatialite's own geometry BLOB ("BLOB-Geometry": 0x00, endian, SRID, MBR, 0x7C, class, coordinates, 0xFE),
/// written here byte for byte as `GeomFromWKB(…, srid)` and `MakePoint(x, y, srid)` store it, so a bulk import
/// binds finished geometries instead of having SQL parse WKB row by row. XY only, little-endian.
struct SpatialiteBlobWriter {
    /// The last geometry written; reused, so a million rows cost no allocation each.
    private(set) var bytes: [UInt8] = []
    let srid: Int32

    init(srid: Int32 = 4326) {
        self.srid = srid
        bytes.reserveCapacity(4096)
    }

    private static let pointClass: Int32 = 1, lineStringClass: Int32 = 2, polygonClass: Int32 = 3, multiPolygonClass: Int32 = 6
    private static let start: UInt8 = 0x00, littleEndian: UInt8 = 0x01, mbrEnd: UInt8 = 0x7C, entity: UInt8 = 0x69, end: UInt8 = 0xFE

    mutating func point(_ position: Coordinate) {
        header(minX: position.longitude, minY: position.latitude, maxX: position.longitude, maxY: position.latitude,
               class: Self.pointClass)
        append(position)
        bytes.append(Self.end)
    }

    mutating func lineString(_ coordinates: [Coordinate]) {
        let box = Self.bounds(coordinates)
        header(minX: box.minX, minY: box.minY, maxX: box.maxX, maxY: box.maxY, class: Self.lineStringClass)
        append(coordinates)
        bytes.append(Self.end)
    }

    mutating func multiPolygon(_ multiPolygon: MultiPolygon) {
        var box = (minX: Double.infinity, minY: Double.infinity, maxX: -Double.infinity, maxY: -Double.infinity)
        func include(_ ring: LinearRing) {
            let ringBox = Self.bounds(ring.coordinates)
            box = (min(box.minX, ringBox.minX), min(box.minY, ringBox.minY), max(box.maxX, ringBox.maxX), max(box.maxY, ringBox.maxY))
        }
        // Holes lie inside their exterior, but Spatialite's MBR spans every point: so does this one.
        for polygon in multiPolygon.polygons {
            include(polygon.exterior)
            polygon.holes.forEach(include)
        }
        header(minX: box.minX, minY: box.minY, maxX: box.maxX, maxY: box.maxY, class: Self.multiPolygonClass)
        append(Int32(multiPolygon.polygons.count))
        for polygon in multiPolygon.polygons {
            bytes.append(Self.entity)
            append(Self.polygonClass)
            append(Int32(1 + polygon.holes.count))
            append(polygon.exterior.coordinates)
            for hole in polygon.holes { append(hole.coordinates) }
        }
        bytes.append(Self.end)
    }

    private static func bounds(_ coordinates: [Coordinate]) -> (minX: Double, minY: Double, maxX: Double, maxY: Double) {
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        for position in coordinates {
            minX = min(minX, position.longitude); maxX = max(maxX, position.longitude)
            minY = min(minY, position.latitude); maxY = max(maxY, position.latitude)
        }
        return (minX, minY, maxX, maxY)
    }

    private mutating func header(minX: Double, minY: Double, maxX: Double, maxY: Double, class geometryClass: Int32) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(Self.start)
        bytes.append(Self.littleEndian)
        append(srid)
        append(minX); append(minY); append(maxX); append(maxY)
        bytes.append(Self.mbrEnd)
        append(geometryClass)
    }

    private mutating func append(_ coordinates: [Coordinate]) {
        append(Int32(coordinates.count))
        for position in coordinates { append(position) }
    }

    private mutating func append(_ position: Coordinate) {
        append(position.longitude)
        append(position.latitude)
    }

    private mutating func append(_ value: Int32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func append(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
