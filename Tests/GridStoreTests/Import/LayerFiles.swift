import Foundation
import GRDB
import GridModel
#if canImport(Glibc)
import Glibc
#endif

/// Planners' layer files written for the tests: polygon Shapefiles (.shp, .shx, .dbf with text fields in a
/// chosen charset, optional .prj and .cpg) and GeoPackages, following the ESRI Shapefile Technical Description
/// (1998) and OGC GeoPackage 1.3.
enum LayerFiles {
    /// One feature: rings of the polygon (exterior first) in the file's own coordinates, and its text attributes.
    struct Record {
        var rings: [[Coordinate]]
        var attributes: [String]
    }

    /// Text in `charset` (an iconv name such as GBK), or nil when iconv cannot encode it.
    static func encode(_ text: String, charset: String) -> [UInt8]? {
        if charset.uppercased() == "UTF-8" { return Array(text.utf8) }
        let converter = iconv_open(charset, "UTF-8")
        guard Int(bitPattern: converter) != -1 else { return nil }
        defer { iconv_close(converter) }
        var input = Array(text.utf8).map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: input.count * 4 + 8)
        var inputLeft = input.count, outputLeft = output.count
        let status = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                var inputPointer = inputBuffer.baseAddress, outputPointer = outputBuffer.baseAddress
                return iconv(converter, &inputPointer, &inputLeft, &outputPointer, &outputLeft)
            }
        }
        guard status != -1 else { return nil }
        return output.prefix(output.count - outputLeft).map { UInt8(bitPattern: $0) }
    }

    /// Writes BASE.shp, .shx and .dbf (and .prj / .cpg when given). Exterior rings go clockwise, holes
    /// counter-clockwise, as the format wants. `languageDriver` is the DBF byte 29 (0x4D: code page 936).
    static func writeShapefile(base: String, fields: [String], records: [Record], charset: String,
                               prj: String? = nil, cpg: String? = nil, languageDriver: UInt8 = 0) throws {
        var shp = Bytes(), shx = Bytes()
        var contents: [Bytes] = []
        var all = BoundingBox(coordinates: records.flatMap { $0.rings.flatMap { $0 } })!
        for record in records {
            var content = Bytes()
            let rings = record.rings.enumerated().map { index, ring in
                let clockwise = signedArea(ring) < 0
                return (index == 0) == clockwise ? ring : ring.reversed()
            }
            let box = BoundingBox(coordinates: rings.flatMap { $0 })!
            content.int32LE(5)
            for value in [box.minLongitude, box.minLatitude, box.maxLongitude, box.maxLatitude] { content.doubleLE(value) }
            content.int32LE(Int32(rings.count))
            content.int32LE(Int32(rings.reduce(0) { $0 + $1.count }))
            var start = 0
            for ring in rings { content.int32LE(Int32(start)); start += ring.count }
            for ring in rings { for c in ring { content.doubleLE(c.longitude); content.doubleLE(c.latitude) } }
            contents.append(content)
            all = all.union(box)
        }
        func header(_ out: inout Bytes, lengthInWords: Int) {
            out.int32BE(9994)
            for _ in 0..<5 { out.int32BE(0) }
            out.int32BE(Int32(lengthInWords))
            out.int32LE(1000)
            out.int32LE(5)
            for value in [all.minLongitude, all.minLatitude, all.maxLongitude, all.maxLatitude, 0, 0, 0, 0] { out.doubleLE(value) }
        }
        let shpWords = 50 + contents.reduce(0) { $0 + 4 + $1.bytes.count / 2 }
        header(&shp, lengthInWords: shpWords)
        header(&shx, lengthInWords: 50 + 4 * contents.count)
        var offsetWords = 50
        for (index, content) in contents.enumerated() {
            shx.int32BE(Int32(offsetWords))
            shx.int32BE(Int32(content.bytes.count / 2))
            shp.int32BE(Int32(index + 1))
            shp.int32BE(Int32(content.bytes.count / 2))
            shp.bytes += content.bytes
            offsetWords += 4 + content.bytes.count / 2
        }

        // DBF: character fields wide enough for the longest encoded value.
        let encoded = try records.map { record in
            try record.attributes.map { value -> [UInt8] in
                guard let bytes = encode(value, charset: charset) else { throw LayerFileError("cannot write \"\(value)\" in \(charset)") }
                return bytes
            }
        }
        let widths = fields.indices.map { column in max(1, encoded.map { $0[column].count }.max() ?? 1) }
        var dbf = Bytes()
        dbf.bytes += [0x03, 126, 12, 6]
        dbf.int32LE(Int32(records.count))
        dbf.int16LE(UInt16(32 + 32 * fields.count + 1))
        dbf.int16LE(UInt16(1 + widths.reduce(0, +)))
        dbf.bytes += [UInt8](repeating: 0, count: 17) + [languageDriver, 0, 0]
        for (field, width) in zip(fields, widths) {
            var name = Array(field.utf8.prefix(10))
            name += [UInt8](repeating: 0, count: 11 - name.count)
            dbf.bytes += name + [UInt8(ascii: "C"), 0, 0, 0, 0, UInt8(width), 0] + [UInt8](repeating: 0, count: 14)
        }
        dbf.bytes.append(0x0D)
        for values in encoded {
            dbf.bytes.append(UInt8(ascii: " "))
            for (value, width) in zip(values, widths) {
                dbf.bytes += value + [UInt8](repeating: UInt8(ascii: " "), count: width - value.count)
            }
        }
        dbf.bytes.append(0x1A)

        try Data(shp.bytes).write(to: URL(fileURLWithPath: base + ".shp"))
        try Data(shx.bytes).write(to: URL(fileURLWithPath: base + ".shx"))
        try Data(dbf.bytes).write(to: URL(fileURLWithPath: base + ".dbf"))
        if let prj { try Data(prj.utf8).write(to: URL(fileURLWithPath: base + ".prj")) }
        if let cpg { try Data(cpg.utf8).write(to: URL(fileURLWithPath: base + ".cpg")) }
    }

    /// A GeoPackage with one feature table of MultiPolygons in EPSG `srsID` (geometry blobs: the GeoPackage
    /// header, little-endian, no envelope, then WKB).
    static func writeGeoPackage(path: String, table: String, srsID: Int, fields: [String], records: [Record]) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
                    organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
                CREATE TABLE IF NOT EXISTS gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, description TEXT DEFAULT '',
                    last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
                CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
                    srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);
                """)
            try db.execute(sql: "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES ('EPSG:' || ?1, ?1, 'EPSG', ?1, 'undefined', NULL)", arguments: [srsID])
            try db.execute(sql: "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, 'features', ?, ?)",
                           arguments: [table, table, srsID])
            try db.execute(sql: "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'MULTIPOLYGON', ?, 0, 0)", arguments: [table, srsID])
            let columns = fields.map { "\"\($0)\" TEXT" }.joined(separator: ", ")
            try db.execute(sql: "CREATE TABLE \"\(table)\" (fid INTEGER PRIMARY KEY, geom BLOB, \(columns))")
            let placeholders = Array(repeating: "?", count: fields.count + 1).joined(separator: ", ")
            let names = (["geom"] + fields.map { "\"\($0)\"" }).joined(separator: ", ")
            for record in records {
                let polygon = try Polygon(exterior: record.rings[0], holes: Array(record.rings.dropFirst()))
                var blob = Bytes()
                blob.bytes += [0x47, 0x50, 0, 0x01]
                blob.int32LE(Int32(srsID))
                blob.bytes += Geometry.multiPolygon(MultiPolygon([polygon])).wkb()
                try db.execute(sql: "INSERT INTO \"\(table)\" (\(names)) VALUES (\(placeholders))",
                               arguments: StatementArguments([Data(blob.bytes)] + record.attributes))
            }
        }
    }

    static func signedArea(_ ring: [Coordinate]) -> Double {
        var sum = 0.0
        for (a, b) in zip(ring, ring.dropFirst()) { sum += a.longitude * b.latitude - b.longitude * a.latitude }
        return sum / 2
    }

    struct Bytes {
        var bytes: [UInt8] = []
        mutating func int32BE(_ v: Int32) { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
        mutating func int32LE(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        mutating func int16LE(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        mutating func doubleLE(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
    }

    struct LayerFileError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
