import Testing
@testable import GridModel

/// An independent big-endian (XDR) writer, so the reader is checked against bytes it did not produce.
private struct BigEndianWKB {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    mutating func f64(_ v: Double) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v.bitPattern >> UInt64(s))) } }
    mutating func head(_ type: UInt32) { bytes.append(0); u32(type) }
    mutating func points(_ cs: [Coordinate]) { u32(UInt32(cs.count)); for p in cs { f64(p.longitude); f64(p.latitude) } }
    mutating func polygon(_ p: Polygon) {
        head(3)
        u32(UInt32(1 + p.holes.count))
        points(p.exterior.coordinates)
        for h in p.holes { points(h.coordinates) }
    }
    mutating func write(_ g: Geometry) {
        switch g {
        case .point(let p): head(1); f64(p.longitude); f64(p.latitude)
        case .multiPoint(let ps): head(4); u32(UInt32(ps.count)); for p in ps { head(1); f64(p.longitude); f64(p.latitude) }
        case .lineString(let l): head(2); points(l.coordinates)
        case .multiLineString(let ls): head(5); u32(UInt32(ls.count)); for l in ls { head(2); points(l.coordinates) }
        case .polygon(let p): polygon(p)
        case .multiPolygon(let m): head(6); u32(UInt32(m.polygons.count)); for p in m.polygons { polygon(p) }
        }
    }
}

let sampleGeometries: [Geometry] = {
    let line = try! LineString([c(116.3, 39.9), c(116.31, 39.905), c(116.32, 39.9)])
    let line2 = try! LineString([c(-0.5, 51.5), c(-0.4, 51.6)])
    let holed = Polygon(exterior: rectangle(116.3, 39.9, 116.4, 40), holes: [rectangle(116.32, 39.92, 116.33, 39.93).reversed()])
    let plain = Polygon(exterior: rectangle(117, 40, 117.1, 40.1))
    return [
        .point(c(116.391_234_5, 39.907_654_3)),
        .multiPoint([c(1, 2), c(-3.5, -4.25)]),
        .multiPoint([]),
        .lineString(line),
        .multiLineString([line, line2]),
        .polygon(holed),
        .multiPolygon(MultiPolygon([holed, plain])),
        .multiPolygon(MultiPolygon([])),
    ]
}()

@Suite struct WKBTests {
    @Test func knownPointHex() throws {
        let wkb = Geometry.point(c(1, 2)).wkb()
        #expect(hexString(wkb) == "0101000000000000000000F03F0000000000000040")
        #expect(try Geometry(wkb: hexBytes("0101000000000000000000F03F0000000000000040")) == .point(c(1, 2)))
        #expect(try Geometry(wkb: hexBytes("00000000013FF00000000000004000000000000000")) == .point(c(1, 2)))
    }

    @Test(arguments: sampleGeometries)
    func littleEndianRoundTrip(geometry: Geometry) throws {
        #expect(try Geometry(wkb: geometry.wkb()) == geometry)
    }

    @Test(arguments: sampleGeometries)
    func bigEndianInput(geometry: Geometry) throws {
        var writer = BigEndianWKB()
        writer.write(geometry)
        #expect(try Geometry(wkb: writer.bytes) == geometry)
        #expect(try Geometry(wkb: writer.bytes).wkb() == geometry.wkb())
    }

    @Test func mixedByteOrderInsideMulti() throws {
        // Each element of a multi-geometry has its own byte order.
        var be = BigEndianWKB()
        be.write(.point(c(3, 4)))
        let bytes: [UInt8] = [1, 4, 0, 0, 0, 2, 0, 0, 0] + Geometry.point(c(1, 2)).wkb() + be.bytes
        #expect(try Geometry(wkb: bytes) == .multiPoint([c(1, 2), c(3, 4)]))
    }

    @Test(arguments: [
        ("01E9030000000000000000F03F00000000000000400000000000000840", "Point Z (type 1001)"),
        ("01D1070000000000000000F03F00000000000000400000000000000840", "Point M (type 2001)"),
        ("01B90B0000", "Point ZM (type 3001)"),
        ("0101000080000000000000F03F0000000000000040", "EWKB Point with Z flags"),
        ("0101000020E6100000000000000000F03F0000000000000040", "EWKB Point with SRID flags"),
        ("0107000000", "GeometryCollection is not supported"),
        ("0108000000", "unknown geometry type 8"),
        ("0100000000", "unknown geometry type 0"),
        ("0201000000", "byte order at offset 0 is 2"),
        ("", "truncated"),
        ("0101000000000000000000F03F", "truncated: geometry coordinate needs 16 bytes at offset 5 but only 8 remain"),
        ("0102000000FFFFFF0F", "truncated"),
        ("0101000000000000000000F03F000000000000004000", "1 trailing bytes"),
        ("0102000000010000000000000000000000000000000000F03F", "fewer than 2 positions (1)"),
        ("0101000000000000000000F87F000000000000F87F", "empty points are not supported"),
        ("01040000000100000001020000000200000000000000000000000000000000000000000000000000F03F000000000000F03F", "MultiPoint element 0 has type LineString; expected Point"),
    ])
    func readErrors(hex: String, expected: String) {
        #expect {
            try Geometry(wkb: hexBytes(hex))
        } throws: { error in
            let message = (error as? GeometryError)?.message ?? ""
            return message.contains(expected) && message.hasPrefix("WKB")
        }
    }

    @Test func unclosedRingError() {
        var be = BigEndianWKB()
        be.head(3); be.u32(1); be.points([c(0, 0), c(1, 0), c(1, 1), c(0, 1)])
        #expect(throws: GeometryError("WKB geometry ring 0: ring is not closed (first position [0, 0] ≠ last [0, 1])")) {
            try Geometry(wkb: be.bytes)
        }
    }
}
