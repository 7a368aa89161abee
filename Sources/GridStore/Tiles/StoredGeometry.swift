import GridModel

/// A stored Spatialite geometry BLOB read in place, as a tile needs it: the geometry `AsBinary` followed by
/// `Geometry(wkb:)` gives, without Spatialite converting it to WKB row by row.
///
/// Only the plain case is read here: little endian, two dimensions, not compressed, classes 1–6 (point, line string,
/// polygon and their multi forms, with at least one element), every position finite and every ring and line as
/// `LinearRing` and `LineString` accept them; Spatialite's `AsBinary` writes such a blob with the blob's own class and
/// positions. Anything else answers nil, and the caller asks Spatialite for the WKB instead, so every blob reads, and
/// fails, as before.
enum StoredGeometry {
    /// Start, byte order, SRID, MBR, MBR end: the class follows.
    private static let header = 39

    static func geometry(_ raw: UnsafeRawBufferPointer) -> Geometry? {
        guard raw.count > header + 5, raw[0] == 0x00, raw[1] == 0x01, raw[38] == 0x7C, raw[raw.count - 1] == 0xFE else { return nil }
        var reader = Reader(raw: raw, offset: header)
        guard let geometry = reader.geometry(), reader.offset == raw.count - 1 else { return nil }
        return geometry
    }

    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var offset: Int

        mutating func count() -> Int? {
            guard raw.count - offset >= 4 else { return nil }
            let value = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            offset += 4
            return Int(value)
        }

        mutating func positions(_ count: Int) -> [Coordinate]? {
            guard count >= 0, (raw.count - offset) / 16 >= count else { return nil }
            var result: [Coordinate] = []
            result.reserveCapacity(count)
            for _ in 0..<count {
                let x = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                let y = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
                guard x.isFinite, y.isFinite else { return nil }
                result.append(Coordinate(longitude: x, latitude: y))
                offset += 16
            }
            return result
        }

        mutating func line() -> LineString? {
            guard let count = count(), let positions = positions(count) else { return nil }
            return try? LineString(positions)
        }

        mutating func polygon() -> Polygon? {
            guard let rings = count(), rings > 0, rings <= (raw.count - offset) / 4 else { return nil }
            var read: [LinearRing] = []
            read.reserveCapacity(rings)
            for _ in 0..<rings {
                guard let count = count(), let positions = positions(count), let ring = try? LinearRing(positions) else { return nil }
                read.append(ring)
            }
            return Polygon(exterior: read[0], holes: Array(read.dropFirst()))
        }

        /// An element of a multi geometry: the entity mark, then its class, which must be `expected`.
        mutating func element(_ expected: UInt32) -> Bool {
            guard raw.count - offset >= 5, raw[offset] == 0x69 else { return false }
            offset += 1
            return count() == Int(expected)
        }

        mutating func geometry() -> Geometry? {
            guard let geometryClass = count() else { return nil }
            switch geometryClass {
            case 1:
                guard let position = positions(1) else { return nil }
                return .point(position[0])
            case 2:
                return line().map(Geometry.lineString)
            case 3:
                return polygon().map(Geometry.polygon)
            case 4, 5, 6:
                guard let elements = count(), elements > 0, elements <= (raw.count - offset) / 5 else { return nil }
                switch geometryClass {
                case 4:
                    var points: [Coordinate] = []
                    points.reserveCapacity(elements)
                    for _ in 0..<elements {
                        guard element(1), let position = positions(1) else { return nil }
                        points.append(position[0])
                    }
                    return .multiPoint(points)
                case 5:
                    var lines: [LineString] = []
                    lines.reserveCapacity(elements)
                    for _ in 0..<elements {
                        guard element(2), let line = line() else { return nil }
                        lines.append(line)
                    }
                    return .multiLineString(lines)
                default:
                    var polygons: [Polygon] = []
                    polygons.reserveCapacity(elements)
                    for _ in 0..<elements {
                        guard element(3), let polygon = polygon() else { return nil }
                        polygons.append(polygon)
                    }
                    return .multiPolygon(MultiPolygon(polygons))
                }
            default:
                return nil
            }
        }
    }
}
