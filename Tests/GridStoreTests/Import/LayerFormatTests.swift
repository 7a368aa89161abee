import Foundation
import GRDB
import GridModel
import GridStore
import Testing

@Suite("Shapefile and GeoPackage import")
struct LayerFormatTests {
    /// A square of `size` degrees at (lon, lat), counter-clockwise, in the system of `transform`.
    static func square(_ lon: Double, _ lat: Double, _ size: Double, _ transform: CoordinateTransform) -> [Coordinate] {
        [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size), (lon, lat)].map {
            transform.fromWGS84(Coordinate(longitude: $0.0, latitude: $0.1))!
        }
    }

    static let esriZone39 = """
        PROJCS["CGCS2000_3_Degree_GK_Zone_39",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",\
        SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],\
        PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",39500000.0],PARAMETER["False_Northing",0.0],\
        PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]
        """

    /// The stored outline of a community or grid, as WGS84 positions.
    static func stored(_ temporary: TemporaryStore, _ table: String, _ code: String) throws -> (name: String, area: MultiPolygon)? {
        try temporary.store.read { db in
            try Row.fetchOne(db, sql: "SELECT name, AsBinary(geom) FROM \(table) WHERE code = ?", arguments: [code]).map {
                ($0[0] as String, try Geometry(wkb: [UInt8]($0[1] as Data)).asMultiPolygon!)
            }
        }
    }

    /// Largest distance in metres from a position of `expected` to the nearest position of `area`.
    static func largestOffset(_ area: MultiPolygon, _ expected: [Coordinate]) -> Double {
        let positions = area.polygons.flatMap { $0.exterior.coordinates + $0.holes.flatMap(\.coordinates) }
        return expected.map { c in positions.map { Geodesy.distance($0, c).value }.min() ?? .infinity }.max() ?? .infinity
    }

    @Test("a GBK Shapefile in Gauss–Krüger zone 39 (.prj in ESRI's WKT, .cpg GBK): Chinese names intact, positions to 1 cm")
    func gbkShapefile() throws {
        let temporary = try TemporaryStore()
        let zone39 = try CoordinateTransform(.epsg(4527))
        let base = temporary.directory.appendingPathComponent("社区").path
        try LayerFiles.writeShapefile(
            base: base, fields: ["CODE", "NAME"],
            records: [.init(rings: [Self.square(116.30, 39.98, 0.01, zone39)], attributes: ["110108001001", "五道口社区"]),
                      .init(rings: [Self.square(116.31, 39.98, 0.01, zone39)], attributes: ["110108001002", "华清嘉园社区"])],
            charset: "GBK", prj: Self.esriZone39, cpg: "GBK")
        let summary = try LayerImporter.run(store: temporary.store, path: base + ".shp", format: .shapefile, layer: .communities)
        #expect(summary.count("communities inserted") == 2)
        #expect(summary.coordinateSystem == "EPSG:4527 (.prj)")
        let community = try #require(try Self.stored(temporary, "communities", "110108001002"))
        #expect(community.name == "华清嘉园社区")
        let expected = Self.square(116.31, 39.98, 0.01, try CoordinateTransform(.wgs84))
        #expect(Self.largestOffset(community.area, expected) < 0.01)
    }

    @Test("DBF charset: detected as GB18030 without .cpg, --encoding over a wrong .cpg, a wrong .cpg refused with the fix")
    func charsets() throws {
        let temporary = try TemporaryStore()
        let wgs84 = try CoordinateTransform(.wgs84)
        let records: [LayerFiles.Record] = [.init(rings: [Self.square(116.30, 39.98, 0.01, wgs84)], attributes: ["110108001001", "学院路街道"])]
        let detected = temporary.directory.appendingPathComponent("detected").path
        try LayerFiles.writeShapefile(base: detected, fields: ["CODE", "NAME"], records: records, charset: "GB18030")
        _ = try LayerImporter.run(store: temporary.store, path: detected + ".shp", format: .shapefile, layer: .communities)
        #expect(try Self.stored(temporary, "communities", "110108001001")?.name == "学院路街道")

        let wrong = temporary.directory.appendingPathComponent("wrong").path
        try LayerFiles.writeShapefile(base: wrong, fields: ["CODE", "NAME"],
                                      records: [.init(rings: records[0].rings, attributes: ["110108001001", "清华园街道"])],
                                      charset: "GBK", cpg: "UTF-8")
        let before = try temporary.fingerprint()
        #expect {
            _ = try LayerImporter.run(store: temporary.store, path: wrong + ".shp", format: .shapefile, layer: .communities)
        } throws: { error in
            let text = "\(error)"
            return text.contains("wrong.dbf") && text.contains("not valid UTF-8") && text.contains("--encoding GBK")
        }
        #expect(try temporary.fingerprint() == before)
        _ = try LayerImporter.run(store: temporary.store, path: wrong + ".shp", format: .shapefile, layer: .communities,
                                  options: .init(encoding: "GBK"))
        #expect(try Self.stored(temporary, "communities", "110108001001")?.name == "清华园街道")
        #expect(throws: StoreError.self) {
            _ = try LayerImporter.run(store: temporary.store, path: wrong + ".shp", format: .shapefile, layer: .communities,
                                      options: .init(encoding: "EBCDIC"))
        }
    }

    @Test("buildings from a Shapefile with --map; facilities from a GeoPackage in Web Mercator; a missing .shx refused")
    func buildingsAndFacilities() throws {
        let temporary = try TemporaryStore()
        let zone39 = try CoordinateTransform(.epsg(4527))
        let base = temporary.directory.appendingPathComponent("buildings").path
        try LayerFiles.writeShapefile(
            base: base, fields: ["BID", "HH", "FLOORS", "KIND"],
            records: [.init(rings: [Self.square(116.300, 39.980, 0.0003, zone39)], attributes: ["b1", "120", "18", "apartments"]),
                      .init(rings: [Self.square(116.301, 39.980, 0.0003, zone39)], attributes: ["b2", "", "6", "residential"])],
            charset: "UTF-8", prj: Self.esriZone39)
        let mapping = try GeoJSONImporter.propertyMapping("id=BID,households=HH,levels=FLOORS,type=KIND", layer: .buildings)
        let summary = try LayerImporter.run(store: temporary.store, path: base + ".shp", format: .shapefile, layer: .buildings,
                                            options: .init(mapping: mapping))
        #expect(summary.count("buildings") == 2)
        let rows = try temporary.store.read { db in
            try Row.fetchAll(db, sql: "SELECT source_id, households, households_source, levels FROM buildings ORDER BY source_id")
                .map { "\($0[0] as String):\($0[1] as Int):\($0[2] as String):\($0[3] as Double)" }
        }
        #expect(rows.count == 2 && rows[0] == "b1:120:imported:18.0" && rows[1].hasPrefix("b2:") && rows[1].contains(":estimated:6.0"))

        let mercator = try CoordinateTransform(.epsg(3857))
        let package = temporary.directory.appendingPathComponent("facilities.gpkg").path
        try LayerFiles.writeGeoPackage(path: package, table: "poi", srsID: 3857, fields: ["category", "name"],
                                       records: [.init(rings: [Self.square(116.302, 39.981, 0.0004, mercator)], attributes: ["school", "五道口小学"])])
        let facilities = try LayerImporter.run(store: temporary.store, path: package, format: .gpkg, layer: .facilities)
        #expect(facilities.count("facilities: school") == 1)
        #expect(facilities.coordinateSystem == "EPSG:3857 (table's spatial reference)")
        let school = try temporary.store.read { db in
            try Row.fetchOne(db, sql: "SELECT X(geom), Y(geom), name FROM facilities").map { ($0[0] as Double, $0[1] as Double, $0[2] as String) }
        }
        #expect(school.map { (116.302...116.3024).contains($0.0) && (39.981...39.9814).contains($0.1) && $0.2 == "五道口小学" } == true)

        try FileManager.default.removeItem(atPath: base + ".shx")
        let before = try temporary.fingerprint()
        #expect { _ = try LayerImporter.run(store: temporary.store, path: base + ".shp", format: .shapefile, layer: .buildings) } throws: {
            "\($0)".contains("buildings.shx is missing")
        }
        #expect(try temporary.fingerprint() == before)
    }

    @Test("a GeoPackage's table: the one named like the layer, else the only one, else --table")
    func geoPackageTables() throws {
        let temporary = try TemporaryStore()
        let zone39 = try CoordinateTransform(.epsg(4527))
        let package = temporary.directory.appendingPathComponent("plan.gpkg").path
        try LayerFiles.writeGeoPackage(path: package, table: "社区边界", srsID: 4527, fields: ["code", "name"],
                                       records: [.init(rings: [Self.square(116.30, 39.98, 0.01, zone39)], attributes: ["110108001001", "五道口社区"])])
        try LayerFiles.writeGeoPackage(path: package, table: "other", srsID: 4527, fields: ["code", "name"], records: [])
        let before = try temporary.fingerprint()
        #expect { _ = try LayerImporter.run(store: temporary.store, path: package, format: .gpkg, layer: .communities) } throws: {
            "\($0)".contains("several feature tables") && "\($0)".contains("--table")
        }
        #expect(try temporary.fingerprint() == before)
        _ = try LayerImporter.run(store: temporary.store, path: package, format: .gpkg, layer: .communities, options: .init(table: "社区边界"))
        let community = try #require(try Self.stored(temporary, "communities", "110108001001"))
        #expect(Self.largestOffset(community.area, Self.square(116.30, 39.98, 0.01, try CoordinateTransform(.wgs84))) < 0.01)
    }

    @Test("damaged files are bad input naming the file, never a crash, and leave the store unchanged")
    func damagedFiles() throws {
        let temporary = try TemporaryStore()
        let wgs84 = try CoordinateTransform(.wgs84)
        let base = temporary.directory.appendingPathComponent("cut").path
        try LayerFiles.writeShapefile(base: base, fields: ["CODE"], records: [.init(rings: [Self.square(116.30, 39.98, 0.01, wgs84)], attributes: ["110108001001"])],
                                      charset: "UTF-8")
        let before = try temporary.fingerprint()
        // The .shp cut inside its only record; the .dbf cut inside its header.
        let shp = try Data(contentsOf: URL(fileURLWithPath: base + ".shp"))
        try shp.prefix(120).write(to: URL(fileURLWithPath: base + ".shp"))
        #expect { _ = try LayerImporter.run(store: temporary.store, path: base + ".shp", format: .shapefile, layer: .communities) } throws: {
            ($0 as? StoreError)?.isUserError == true && "\($0)".contains("cut.")
        }
        try Data([0x03, 1, 2]).write(to: URL(fileURLWithPath: base + ".dbf"))
        #expect { _ = try LayerImporter.run(store: temporary.store, path: base + ".shp", format: .shapefile, layer: .communities) } throws: {
            ($0 as? StoreError)?.isUserError == true && "\($0)".contains("cut.dbf")
        }
        let notPackage = try temporary.file("notes.gpkg", "not a GeoPackage at all")
        #expect { _ = try LayerImporter.run(store: temporary.store, path: notPackage, format: .gpkg, layer: .communities) } throws: {
            ($0 as? StoreError)?.isUserError == true && "\($0)".contains("notes.gpkg")
        }
        #expect(try temporary.fingerprint() == before)
    }

    @Test("household register: lon/lat columns in a named system are converted before matching")
    func householdsWithCRS() throws {
        let temporary = try TemporaryStore()
        let wgs84 = try CoordinateTransform(.wgs84)
        let base = temporary.directory.appendingPathComponent("b").path
        try LayerFiles.writeShapefile(base: base, fields: ["id"], records: [.init(rings: [Self.square(116.300, 39.980, 0.0003, wgs84)], attributes: ["b1"])],
                                      charset: "UTF-8")
        _ = try LayerImporter.run(store: temporary.store, path: base + ".shp", format: .shapefile, layer: .buildings)
        let inside = try #require(try CoordinateTransform(.gcj02).fromWGS84(Coordinate(longitude: 116.30015, latitude: 39.98015)))
        let csv = "lon,lat,households\n\(inside.longitude),\(inside.latitude),42\n"
        let path = try temporary.file("register.csv", csv)
        let before = try temporary.fingerprint()
        // Read as WGS84 the GCJ-02 point lies hundreds of metres away, in no building.
        #expect(throws: StoreError.self) { _ = try HouseholdRegisterImporter.run(store: temporary.store, path: path) }
        #expect(try temporary.fingerprint() == before)
        _ = try HouseholdRegisterImporter.run(store: temporary.store, path: path, options: .init(crs: .gcj02))
        #expect(try temporary.store.read { try Int.fetchOne($0, sql: "SELECT households FROM buildings WHERE source_id = 'b1'") } == 42)
    }
}
