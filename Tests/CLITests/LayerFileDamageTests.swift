import Foundation
import GRDB
import Testing

/// Shapefiles and GeoPackages whose declared counts or offsets exceed their bytes: Spatialite's readers trust
/// those figures and crashed the import (signal 11). Each is written here, imported through the binary on a copy
/// of the demo store, and must be refused with exit 1 naming the file and the place, the store unchanged.
@Suite("Damaged layer files", .serialized)
struct LayerFileDamageTests {
    func expectRefused(_ path: String, _ command: [String], mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        try expectImportRefused(path, command, mentioning: words, sourceLocation: sourceLocation)
    }

    static func int32LE(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    static func int32BE(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func doubleLE(_ value: Double) -> [UInt8] { withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }

    /// One square polygon record at the demo district; `points` is the count the record declares.
    static func polygonRecord(points declared: Int32) -> [UInt8] {
        let ring: [(Double, Double)] = [(116.462, 39.932), (116.462, 39.933), (116.463, 39.933), (116.463, 39.932), (116.462, 39.932)]
        var content = int32LE(5)
        for value in [116.462, 39.932, 116.463, 39.933] { content += doubleLE(value) }
        content += int32LE(1) + int32LE(declared) + int32LE(0)
        for (lon, lat) in ring { content += doubleLE(lon) + doubleLE(lat) }
        return content
    }

    /// BASE.shp, .shx and .dbf (one text field CODE) with one polygon record; `shxOffset` overrides the index entry.
    static func writeShapefile(base: String, record: [UInt8], shxOffset: Int32? = nil) throws {
        func header(words: Int32) -> [UInt8] {
            int32BE(9994) + [UInt8](repeating: 0, count: 20) + int32BE(words) + int32LE(1000) + int32LE(5)
                + [116.0, 39.0, 117.0, 40.0, 0, 0, 0, 0].flatMap(doubleLE)
        }
        let shp = header(words: Int32(50 + 4 + record.count / 2)) + int32BE(1) + int32BE(Int32(record.count / 2)) + record
        let shx = header(words: 54) + int32BE(shxOffset ?? 50) + int32BE(Int32(record.count / 2))
        var dbf: [UInt8] = [3, 126, 1, 1] + int32LE(1) + [65, 0, 13, 0] + [UInt8](repeating: 0, count: 20)
        dbf += Array("CODE".utf8) + [UInt8](repeating: 0, count: 7) + [UInt8(ascii: "C"), 0, 0, 0, 0, 12, 0] + [UInt8](repeating: 0, count: 14)
        dbf += [0x0D, UInt8(ascii: " ")] + Array("110105001001".utf8) + [0x1A]
        try Data(shp).write(to: URL(fileURLWithPath: base + ".shp"))
        try Data(shx).write(to: URL(fileURLWithPath: base + ".shx"))
        try Data(dbf).write(to: URL(fileURLWithPath: base + ".dbf"))
    }

    @Test("GeoPackage polygon blob declaring 2147483647 rings: refused naming feature 0 and the count (it crashed Spatialite)")
    func geoPackageRingCount() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("rings.gpkg")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
                    organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
                INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, 'undefined', NULL);
                CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, description TEXT DEFAULT '',
                    last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
                INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('communities', 'features', 'communities', 4326);
                CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
                    srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);
                INSERT INTO gpkg_geometry_columns VALUES ('communities', 'geom', 'POLYGON', 4326, 0, 0);
                CREATE TABLE communities (fid INTEGER PRIMARY KEY, geom BLOB, code TEXT, name TEXT);
                """)
            let blob: [UInt8] = [0x47, 0x50, 0, 0x01] + Self.int32LE(4326) + [1] + Self.int32LE(3) + Self.int32LE(.max) + [UInt8](repeating: 0, count: 8)
            try db.execute(sql: "INSERT INTO communities (geom, code, name) VALUES (?, '110105001001', '红庙北里社区')", arguments: [Data(blob)])
        }
        try expectRefused(path, ["gpkg", "--layer", "communities"], mentioning: ["rings.gpkg", "feature 0", "2147483647 rings"])
    }

    @Test("Shapefile record declaring 2147483647 points: refused naming the .shp and record 1 (it crashed Spatialite)")
    func shapefilePointCount() throws {
        let directory = try TemporaryDirectory()
        let base = directory.path("points")
        try Self.writeShapefile(base: base, record: Self.polygonRecord(points: .max))
        try expectRefused(base + ".shp", ["shapefile", "--layer", "communities"], mentioning: ["points.shp", "record 1", "2147483647 points"])
    }

    @Test("Shapefile index pointing past the .shp: refused naming the .shx and record 1")
    func shapefileIndexOffset() throws {
        let directory = try TemporaryDirectory()
        let base = directory.path("offset")
        try Self.writeShapefile(base: base, record: Self.polygonRecord(points: 5), shxOffset: 0x0FFF_FFFF)
        try expectRefused(base + ".shp", ["shapefile", "--layer", "communities"], mentioning: ["offset.shx", "record 1", "outside the .shp"])
    }

    @Test("the same Shapefile undamaged imports: the checks refuse only damage")
    func soundShapefile() throws {
        let directory = try TemporaryDirectory()
        let base = directory.path("sound")
        try Self.writeShapefile(base: base, record: Self.polygonRecord(points: 5))
        let db = try DemoStore.copy(named: "s.sqlite", in: directory.url).path
        let result = try Launch.run(["--db", db, "import", "shapefile", base + ".shp", "--layer", "communities", "--map", "code=CODE"])
        #expect(result.status == 0 && !result.signalled, "\(result.summary): \(result.stderr.suffix(600))")
    }
}

/// An OSM building multipolygon whose only outer way has no node, or one: it trapped on an empty footprint.
@Suite("OSM multipolygon without a ring")
struct OSMEmptyOuterTests {
    @Test("a building relation whose outer way has 0 or 1 nodes imports with a warning naming the relation", arguments: ["", "<nd ref=\"1\"/>"])
    func emptyOuter(_ members: String) throws {
        let directory = try TemporaryDirectory()
        let db = try DemoStore.copy(named: "s.sqlite", in: directory.url).path
        let path = directory.path("empty-outer.osm")
        try """
            <?xml version="1.0" encoding="UTF-8"?>
            <osm version="0.6">
            <node id="1" lat="39.93" lon="116.46"/>
            <way id="5">\(members)<tag k="building" v="apartments"/></way>
            <relation id="9"><member type="way" ref="5" role="outer"/><tag k="type" v="multipolygon"/><tag k="building" v="yes"/></relation>
            </osm>
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Launch.run(["--db", db, "import", "osm", path])
        #expect(!result.signalled && result.status == 0, "\(result.summary): \(result.stderr.suffix(600))")
        #expect((result.stdout + result.stderr).contains("relation 9"), "\(result.stdout) \(result.stderr)")
    }
}

extension LayerFileDamageTests {
    @Test("DBF header claiming 65535-byte records: refused naming the .dbf (it crashed Spatialite)")
    func dbfRecordLength() throws {
        let directory = try TemporaryDirectory()
        let base = directory.path("records")
        try Self.writeShapefile(base: base, record: Self.polygonRecord(points: 5))
        var dbf = try [UInt8](Data(contentsOf: URL(fileURLWithPath: base + ".dbf")))
        dbf[10] = 0xFF
        dbf[11] = 0xFF
        try Data(dbf).write(to: URL(fileURLWithPath: base + ".dbf"))
        try expectRefused(base + ".shp", ["shapefile", "--layer", "communities"], mentioning: ["records.dbf", "65535 bytes"])
    }
}
