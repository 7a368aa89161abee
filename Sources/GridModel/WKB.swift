/// Well-Known Binary, 2D, as defined by OGC Simple Features Access part 1 (06-103r4 §8.2) and ISO 19125-1:
/// what Spatialite's AsBinary() returns and GeomFromWKB() accepts.
extension Geometry {
    /// Reads either byte order (byte 0 = XDR big-endian, 1 = NDR little-endian) and types 1…6.
    /// Z/M variants (ISO 1000+/2000+/3000+ codes or EWKB flag bits), GeometryCollection, unknown codes,
    /// truncated input and trailing bytes are errors.
    public init(wkb: [UInt8]) throws(GeometryError) {
        var reader = WKBReader(bytes: wkb)
        let geometry = try reader.readGeometry(expected: nil, context: "geometry")
        if reader.offset != wkb.count {
            throw GeometryError("WKB has \(wkb.count - reader.offset) trailing bytes after the geometry ending at offset \(reader.offset)")
        }
        self = geometry
    }

    /// Little-endian (NDR) WKB. Rings keep their stored orientation.
    public func wkb() -> [UInt8] {
        var writer = WKBWriter()
        writer.write(self)
        return writer.bytes
    }
}

private enum WKBType: UInt32 {
    case point = 1, lineString, polygon, multiPoint, multiLineString, multiPolygon, geometryCollection

    var name: String {
        switch self {
        case .point: "Point"
        case .lineString: "LineString"
        case .polygon: "Polygon"
        case .multiPoint: "MultiPoint"
        case .multiLineString: "MultiLineString"
        case .multiPolygon: "MultiPolygon"
        case .geometryCollection: "GeometryCollection"
        }
    }
}

private struct WKBReader {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private func need(_ count: Int, _ what: @autoclosure () -> String) throws(GeometryError) {
        if bytes.count - offset < count {
            throw GeometryError(
                "WKB is truncated: \(what()) needs \(count) bytes at offset \(offset) but only \(bytes.count - offset) remain")
        }
    }

    private mutating func uint32(_ bigEndian: Bool, _ what: @autoclosure () -> String) throws(GeometryError) -> UInt32 {
        try need(4, what())
        var v: UInt32 = 0
        for i in 0..<4 {
            let b = UInt32(bytes[offset + (bigEndian ? i : 3 - i)])
            v = v << 8 | b
        }
        offset += 4
        return v
    }

    private mutating func double(_ bigEndian: Bool) -> Double {
        var v: UInt64 = 0
        for i in 0..<8 {
            v = v << 8 | UInt64(bytes[offset + (bigEndian ? i : 7 - i)])
        }
        offset += 8
        return Double(bitPattern: v)
    }

    private mutating func coordinates(_ bigEndian: Bool, _ context: @autoclosure () -> String) throws(GeometryError) -> [Coordinate] {
        let count = Int(try uint32(bigEndian, "\(context()) point count"))
        try need(count * 16, "\(context()) with \(count) points")
        var result: [Coordinate] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try coordinate(bigEndian, context())) }
        return result
    }

    private mutating func coordinate(_ bigEndian: Bool, _ context: @autoclosure () -> String) throws(GeometryError) -> Coordinate {
        try need(16, "\(context()) coordinate")
        let at = offset
        let c = Coordinate(longitude: double(bigEndian), latitude: double(bigEndian))
        guard c.longitude.isFinite, c.latitude.isFinite else {
            if c.longitude.isNaN && c.latitude.isNaN {
                throw GeometryError("WKB \(context()) is empty (NaN coordinates at offset \(at)); empty points are not supported")
            }
            throw GeometryError("WKB \(context()) has a non-finite coordinate at offset \(at)")
        }
        return c
    }

    private mutating func count(_ bigEndian: Bool, _ what: @autoclosure () -> String, minimumBytesEach: Int) throws(GeometryError) -> Int {
        let n = Int(try uint32(bigEndian, "\(what()) count"))
        // Reject impossible counts before allocating for them.
        try need(n * minimumBytesEach, "\(n) \(what())")
        return n
    }

    private mutating func header(_ context: @autoclosure () -> String) throws(GeometryError) -> (bigEndian: Bool, type: WKBType) {
        try need(1, "\(context()) byte order")
        let order = bytes[offset]
        guard order <= 1 else {
            throw GeometryError(
                "WKB \(context()) byte order at offset \(offset) is \(order); expected 0 (big-endian) or 1 (little-endian)")
        }
        offset += 1
        let bigEndian = order == 0
        let typeOffset = offset
        let code = try uint32(bigEndian, "\(context()) type")
        let flags = code & 0xF000_0000
        if flags != 0 {
            let base = WKBType(rawValue: code & 0x0FFF_FFFF)?.name ?? "type \(code & 0x0FFF_FFFF)"
            var parts: [String] = []
            if code & 0x8000_0000 != 0 { parts.append("Z") }
            if code & 0x4000_0000 != 0 { parts.append("M") }
            if code & 0x2000_0000 != 0 { parts.append("SRID") }
            if !parts.isEmpty {
                throw GeometryError(
                    "WKB \(context()) at offset \(typeOffset) is EWKB \(base) with \(parts.joined(separator: ", ")) flags; only plain 2D WKB (types 1–6) is supported")
            }
            throw GeometryError("WKB \(context()) at offset \(typeOffset) has unknown geometry type \(code)")
        }
        let dimension = code / 1000, baseCode = code % 1000
        guard let type = WKBType(rawValue: baseCode), dimension <= 3 else {
            throw GeometryError("WKB \(context()) at offset \(typeOffset) has unknown geometry type \(code)")
        }
        if dimension > 0 {
            let suffix = ["", "Z", "M", "ZM"][Int(dimension)]
            throw GeometryError(
                "WKB \(context()) at offset \(typeOffset) is \(type.name) \(suffix) (type \(code)); only 2D geometries are supported")
        }
        if type == .geometryCollection {
            throw GeometryError("WKB \(context()) at offset \(typeOffset): GeometryCollection is not supported")
        }
        return (bigEndian, type)
    }

    private mutating func polygon(_ bigEndian: Bool, _ context: @autoclosure () -> String) throws(GeometryError) -> Polygon {
        let ringCount = try count(bigEndian, "\(context()) rings", minimumBytesEach: 4)
        guard ringCount > 0 else { throw GeometryError("WKB \(context()) has no rings; empty polygons are not supported") }
        var rings: [LinearRing] = []
        rings.reserveCapacity(ringCount)
        for r in 0..<ringCount {
            let ringContext = "\(context()) ring \(r)"
            let cs = try coordinates(bigEndian, ringContext)
            do { rings.append(try LinearRing(cs)) } catch { throw GeometryError("WKB \(ringContext): \(error.message)") }
        }
        return Polygon(exterior: rings[0], holes: Array(rings.dropFirst()))
    }

    private mutating func lineString(_ bigEndian: Bool, _ context: @autoclosure () -> String) throws(GeometryError) -> LineString {
        let cs = try coordinates(bigEndian, context())
        do throws(GeometryError) { return try LineString(cs) } catch { throw GeometryError("WKB \(context()): \(error.message)") }
    }

    /// Reads one geometry; in multi-geometries every element carries its own byte order and type.
    mutating func readGeometry(expected: WKBType?, context: @autoclosure () -> String) throws(GeometryError) -> Geometry {
        let (bigEndian, type) = try header(context())
        if let expected, type != expected {
            throw GeometryError("WKB \(context()) has type \(type.name); expected \(expected.name)")
        }
        switch type {
        case .point:
            return .point(try coordinate(bigEndian, context()))
        case .lineString:
            return .lineString(try lineString(bigEndian, context()))
        case .polygon:
            return .polygon(try polygon(bigEndian, context()))
        case .multiPoint:
            let n = try count(bigEndian, "\(context()) points", minimumBytesEach: 21)
            var points: [Coordinate] = []
            points.reserveCapacity(n)
            for i in 0..<n {
                guard case .point(let c) = try readGeometry(expected: .point, context: "MultiPoint element \(i)") else { continue }
                points.append(c)
            }
            return .multiPoint(points)
        case .multiLineString:
            let n = try count(bigEndian, "\(context()) line strings", minimumBytesEach: 9)
            var lines: [LineString] = []
            lines.reserveCapacity(n)
            for i in 0..<n {
                guard case .lineString(let l) = try readGeometry(expected: .lineString, context: "MultiLineString element \(i)") else { continue }
                lines.append(l)
            }
            return .multiLineString(lines)
        case .multiPolygon:
            let n = try count(bigEndian, "\(context()) polygons", minimumBytesEach: 9)
            var polygons: [Polygon] = []
            polygons.reserveCapacity(n)
            for i in 0..<n {
                guard case .polygon(let p) = try readGeometry(expected: .polygon, context: "MultiPolygon element \(i)") else { continue }
                polygons.append(p)
            }
            return .multiPolygon(MultiPolygon(polygons))
        case .geometryCollection:
            throw GeometryError("WKB \(context()): GeometryCollection is not supported")
        }
    }
}

private struct WKBWriter {
    var bytes: [UInt8] = []

    mutating func uint32(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    mutating func double(_ v: Double) {
        let bits = v.bitPattern
        for shift in stride(from: UInt64(0), to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> shift)) }
    }

    private static func size(of g: Geometry) -> Int {
        func polygon(_ p: Polygon) -> Int { 9 + (p.holes.count + 1) * 4 + 16 * p.holes.reduce(p.exterior.coordinates.count) { $0 + $1.coordinates.count } }
        return switch g {
        case .point: 21
        case .multiPoint(let cs): 9 + 21 * cs.count
        case .lineString(let l): 9 + 16 * l.coordinates.count
        case .multiLineString(let ls): 9 + ls.reduce(0) { $0 + 9 + 16 * $1.coordinates.count }
        case .polygon(let p): polygon(p)
        case .multiPolygon(let m): 9 + m.polygons.reduce(0) { $0 + polygon($1) }
        }
    }

    mutating func header(_ type: WKBType) {
        bytes.append(1)
        uint32(type.rawValue)
    }

    mutating func coordinate(_ c: Coordinate) {
        double(c.longitude)
        double(c.latitude)
    }

    mutating func points(_ cs: [Coordinate]) {
        uint32(UInt32(cs.count))
        for c in cs { coordinate(c) }
    }

    mutating func polygon(_ p: Polygon) {
        header(.polygon)
        uint32(UInt32(1 + p.holes.count))
        points(p.exterior.coordinates)
        for h in p.holes { points(h.coordinates) }
    }

    mutating func write(_ g: Geometry) {
        bytes.reserveCapacity(Self.size(of: g))
        switch g {
        case .point(let c):
            header(.point)
            coordinate(c)
        case .multiPoint(let cs):
            header(.multiPoint)
            uint32(UInt32(cs.count))
            for c in cs { header(.point); coordinate(c) }
        case .lineString(let l):
            header(.lineString)
            points(l.coordinates)
        case .multiLineString(let ls):
            header(.multiLineString)
            uint32(UInt32(ls.count))
            for l in ls { header(.lineString); points(l.coordinates) }
        case .polygon(let p):
            polygon(p)
        case .multiPolygon(let m):
            header(.multiPolygon)
            uint32(UInt32(m.polygons.count))
            for p in m.polygons { polygon(p) }
        }
    }
}
