import Foundation
import GRDB
import GridModel
import GridStore
import Synchronization
import Testing

/// Wudaokou (Beijing, OSM 2017): the same 4 × 4 grids written in every coordinate system a planner's file comes in.
@Suite("Planners' layers on real data: coordinate systems", .enabled(if: SharedData.available, SharedData.skipReason))
struct LayerCRSRealDataTests {
    static let (x0, y0, x1, y1) = (116.3075, 39.9895, 116.3320, 40.0130)

    struct Grid {
        var code: String
        var name: String
        /// Counter-clockwise, closed, WGS84.
        var ring: [Coordinate]
    }

    /// 4 × 4 grids tiling the community; inner corners moved by up to a fifth of a cell so no edge is straight
    /// along a parallel or meridian.
    static let grids: [Grid] = {
        let n = 4
        func corner(_ i: Int, _ j: Int) -> Coordinate {
            var lon = x0 + (x1 - x0) * Double(j) / Double(n), lat = y0 + (y1 - y0) * Double(i) / Double(n)
            if (1..<n).contains(i) && (1..<n).contains(j) {
                lon += (x1 - x0) / Double(n) * 0.2 * sin(Double(3 * i + 7 * j))
                lat += (y1 - y0) / Double(n) * 0.2 * cos(Double(5 * i + 2 * j))
            }
            return Coordinate(longitude: lon, latitude: lat)
        }
        var grids: [Grid] = []
        for i in 0..<n {
            for j in 0..<n {
                let ring = [corner(i, j), corner(i, j + 1), corner(i + 1, j + 1), corner(i + 1, j), corner(i, j)]
                grids.append(Grid(code: String(format: "110108001001%03d", i * n + j + 1), name: "五道口第\(i * n + j + 1)网格", ring: ring))
            }
        }
        return grids
    }()

    /// Buildings from OSM and the community from a WGS84 GeoJSON file.
    static func wudaokou() throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("cn_beijing_haidian_wudaokou_2017.osm"))
        let community = """
            {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"110108001001","name":"五道口社区"},
             "geometry":{"type":"Polygon","coordinates":[[[\(x0),\(y0)],[\(x1),\(y0)],[\(x1),\(y1)],[\(x0),\(y1)],[\(x0),\(y0)]]]}}]}
            """
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("community.geojson", community), layer: .communities)
        return temporary
    }

    static func rings(in system: CoordinateSystem) throws -> [[Coordinate]] {
        let transform = try CoordinateTransform(system)
        return try grids.map { grid in try grid.ring.map { try #require(transform.fromWGS84($0)) } }
    }

    /// The grids as GeoJSON in `system` (10 decimals: positions to 0.01 mm), with a `crs` member when `declared`.
    static func geojson(in system: CoordinateSystem, declared: Bool) throws -> String {
        let features = try zip(grids, rings(in: system)).map { grid, ring in
            Feature(id: nil, geometry: .polygon(try Polygon(exterior: ring)),
                    properties: ["code": .string(grid.code), "name": .string(grid.name)])
        }
        var text = GeoJSON.encodeFeatureCollection(features, precision: 10)
        if declared {
            text = text.replacingOccurrences(
                of: #"{"type":"FeatureCollection","#,
                with: #"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"\#(system.urn)"}},"#)
        }
        return text
    }

    /// .prj files as Spatialite writes them (with the EPSG authority) or as ESRI software does (without).
    static let projections: [CoordinateSystem: String] = [
        .cgcs2000: #"GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]]"#,
        .epsg(4527): LayerFormatTests.esriZone39,
        .epsg(3857): #"PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],EXTENSION["PROJ4","+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs"],AUTHORITY["EPSG","3857"]]"#,
    ]

    /// The grids as a Shapefile in `system` with a GBK DBF (and .cpg), and a .prj when one is known.
    static func shapefile(_ temporary: TemporaryStore, in system: CoordinateSystem) throws -> String {
        let base = temporary.directory.appendingPathComponent("grids-\(system.description.replacingOccurrences(of: ":", with: "-"))").path
        try LayerFiles.writeShapefile(
            base: base, fields: ["CODE", "NAME"],
            records: zip(grids, try rings(in: system)).map { .init(rings: [$1], attributes: [$0.code, $0.name]) },
            charset: "GBK", prj: projections[system], cpg: "GBK")
        return base + ".shp"
    }

    /// Largest distance (m) between a stored grid's positions and the reference's, both ways; and whether names match.
    static func offsetFromReference(_ temporary: TemporaryStore) throws -> (metres: Double, names: Bool) {
        var worst = 0.0, names = true
        for grid in grids {
            let stored = try #require(try LayerFormatTests.stored(temporary, "grids", grid.code))
            names = names && stored.name == grid.name
            let positions = stored.area.polygons.flatMap(\.exterior.coordinates)
            worst = max(worst, LayerFormatTests.largestOffset(stored.area, grid.ring))
            worst = max(worst, LayerFormatTests.largestOffset(MultiPolygon([try Polygon(exterior: grid.ring)]), positions))
        }
        return (worst, names)
    }

    @Test("the same grids in WGS84, GCJ-02, BD-09, EPSG:4490, 4527 and 3857, as GeoJSON and as GBK Shapefile, store the same geometry within 1 cm")
    func sameGeometry() throws {
        let temporary = try Self.wudaokou()
        let cases: [(String, LayerImporter.Format, CoordinateSystem, declared: Bool)] = [
            ("GeoJSON WGS84", .geojson, .wgs84, false), ("GeoJSON GCJ-02 --crs", .geojson, .gcj02, false),
            ("GeoJSON BD-09 crs member", .geojson, .bd09, true), ("GeoJSON EPSG:4490 crs member", .geojson, .cgcs2000, true),
            ("GeoJSON EPSG:4527 crs member", .geojson, .epsg(4527), true), ("GeoJSON EPSG:3857 --crs", .geojson, .epsg(3857), false),
            ("Shapefile WGS84", .shapefile, .wgs84, true), ("Shapefile GCJ-02 --crs", .shapefile, .gcj02, false),
            ("Shapefile BD-09 --crs", .shapefile, .bd09, false), ("Shapefile EPSG:4490 .prj", .shapefile, .cgcs2000, true),
            ("Shapefile EPSG:4527 ESRI .prj", .shapefile, .epsg(4527), true), ("Shapefile EPSG:3857 .prj", .shapefile, .epsg(3857), true),
        ]
        for (label, format, system, declared) in cases {
            // Start from other grids, so each case has to move every grid to the reference.
            try temporary.store.write { db in try db.execute(sql: "DELETE FROM grids") }
            let path = format == .geojson
                ? try temporary.file("grids.geojson", Self.geojson(in: system, declared: declared))
                : try Self.shapefile(temporary, in: system)
            let options = LayerImporter.Options(crs: declared || system == .wgs84 ? nil : system)
            let summary = try LayerImporter.run(store: temporary.store, path: path, format: format, layer: .grids, options: options)
            #expect(summary.count("grids inserted") == 16, "\(label)")
            #expect(summary.warnings.total == 0, "\(label): \(summary.warnings.examples)")
            let (offset, names) = try Self.offsetFromReference(temporary)
            print(String(format: "wudaokou grids, %@: largest offset from the WGS84 reference %.6f m", label, offset))
            #expect(offset < 0.01, "\(label)")
            #expect(names, "\(label)")
        }
    }

    @Test("misplaced grids are refused with the reading that fits and the command to re-run; the store is unchanged")
    func misplacedRefused() throws {
        let temporary = try Self.wudaokou()
        let before = try temporary.fingerprint()
        func refusal(_ path: String, _ format: LayerImporter.Format = .geojson) throws -> String {
            var message = ""
            #expect(throws: StoreError.self) {
                do { _ = try LayerImporter.run(store: temporary.store, path: path, format: format, layer: .grids) } catch {
                    message = "\(error)"
                    throw error
                }
            }
            #expect(try temporary.fingerprint() == before)
            print("refused: \(message)")
            return message
        }
        let gcj = try temporary.file("gcj.geojson", Self.geojson(in: .gcj02, declared: false))
        let gcjMessage = try refusal(gcj)
        #expect(gcjMessage.contains("as GCJ-02 shifted back") && gcjMessage.contains("import geojson \(gcj) --layer grids --crs gcj02"))
        let bdMessage = try refusal(try Self.shapefile(temporary, in: .bd09), .shapefile)
        #expect(bdMessage.contains("--crs bd09") && bdMessage.contains("import shapefile"))
        let zoned = try refusal(try temporary.file("gk.geojson", Self.geojson(in: .epsg(4527), declared: false)))
        #expect(zoned.contains("likely EPSG:4527") && zoned.contains("--crs EPSG:4527") && zoned.contains("ogr2ogr -s_srs EPSG:4527 -t_srs EPSG:4326"))
        // Without the zone prefix the store's longitude names the zone.
        let unprefixed = try refusal(try temporary.file("gk-no-prefix.geojson", Self.geojson(in: .epsg(4548), declared: false)))
        #expect(unprefixed.contains("likely EPSG:4548") && unprefixed.contains("--crs EPSG:4548"))

        let kept = try LayerImporter.run(store: temporary.store, path: gcj, format: .geojson, layer: .grids, options: .init(acceptMisaligned: true))
        #expect(kept.count("grids inserted") == 16)
        let logged = try temporary.store.read { db in
            try String.fetchOne(db, sql: "SELECT warnings FROM import_log WHERE format = 'geojson' AND layer = 'grids' ORDER BY id DESC LIMIT 1")
        }
        #expect(logged?.contains("the layer misses the store's buildings") == true)
    }

    @Test("round trips: import with --crs X, export with --crs X gives the file's positions back to 1 mm, and imports again")
    func roundTrips() throws {
        let temporary = try Self.wudaokou()
        for system in [CoordinateSystem.epsg(4527), .epsg(4548), .epsg(3857), .cgcs2000, .gcj02, .bd09, .epsg(32650)] {
            let input = try Self.rings(in: system)
            let path = try temporary.file("in.geojson", Self.geojson(in: system, declared: false))
            _ = try LayerImporter.run(store: temporary.store, path: path, format: .geojson, layer: .grids, options: .init(crs: system))
            let text = Mutex("")
            try GeoJSONExporter.export(store: temporary.store, layer: .grids, bbox: nil, crs: system) { chunk in text.withLock { $0 += chunk } }
            let exported = text.withLock { $0 }
            #expect(exported.contains(#""crs":{"type":"name","properties":{"name":"\#(system.urn)"}}"#))
            // Read the numbers as they are (no conversion), matched by grid code.
            guard case .object(let top) = try GeoJSON.parseDocument(Data(exported.utf8)).value, case .array(let features)? = top["features"] else {
                Issue.record("export is not a FeatureCollection")
                return
            }
            let transform = try CoordinateTransform(system)
            var worst = 0.0
            for item in features {
                guard case .object(let feature) = item, let code = feature["properties"]?["code"]?.stringValue,
                      let index = Self.grids.firstIndex(where: { $0.code == code }),
                      case .array(let polygons)? = feature["geometry"]?["coordinates"] else { continue }
                for position in polygons.flatMap({ $0.arrayValue ?? [] }).flatMap({ $0.arrayValue ?? [] }) {
                    guard let values = position.arrayValue, values.count >= 2, let x = values[0].doubleValue, let y = values[1].doubleValue else { continue }
                    let nearest = input[index].map { c -> Double in
                        if transform.isGeographic {
                            let metresPerDegree = 111_320.0
                            return ((c.longitude - x) * metresPerDegree * cos(c.latitude * .pi / 180)).magnitude
                                + ((c.latitude - y) * metresPerDegree).magnitude
                        }
                        return ((c.longitude - x) * (c.longitude - x) + (c.latitude - y) * (c.latitude - y)).squareRoot()
                    }.min()!
                    worst = max(worst, nearest)
                }
            }
            print(String(format: "wudaokou grids round trip %@: largest difference %.6f m", system.description, worst))
            #expect(features.count == 16 && worst < 0.001, "\(system)")
            // The export names its system, so it imports again as it is.
            try temporary.store.write { db in try db.execute(sql: "DELETE FROM grids") }
            _ = try LayerImporter.run(store: temporary.store, path: try temporary.file("out.geojson", exported), format: .geojson, layer: .grids)
            #expect(try Self.offsetFromReference(temporary).metres < 0.01, "\(system)")
        }
    }
}
