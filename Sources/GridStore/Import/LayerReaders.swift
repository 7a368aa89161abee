import Foundation
import GRDB
import GridModel

/// A planner's layer read from its file, positions already in WGS84.
struct LayerReading {
    var features: [Feature]
    /// The system the file's positions were read in, and what said so (`--crs`, the `crs` member, the `.prj`…).
    var system: CoordinateSystem
    var systemSource: String
    var warnings: [(kind: String, message: String)] = []
}

/// What the readers need besides the file: the `--crs` given, and how to explain positions that are in metres.
struct LayerReadContext {
    var path: String
    var explicitSystem: CoordinateSystem?
    var encoding: String?
    var table: String?
    var layerName: String
    /// Builds the error for a position that is not WGS84 degrees while no system was named.
    /// `middle`: the centre of the box around all the file's positions, for placing the whole layer.
    var projectedPositions: (_ position: Coordinate, _ featureIndex: Int, _ middle: Coordinate) -> StoreError

    func fail(_ index: Int, _ message: String) -> StoreError { .badInput("\(path): feature \(index): \(message)") }

    /// A feature's geometry from the WKB Spatialite handed back (nil: the feature has none).
    func geometry(_ wkb: Data?, feature index: Int) throws -> Geometry? {
        guard let wkb else { return nil }
        do { return try Geometry(wkb: [UInt8](wkb)) } catch { throw fail(index, "geometry: \(error)") }
    }

    /// An SQL identifier in double quotes, for column and table names read from the file.
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// The transform for `system`, its failure naming the file and what named the system.
    func transform(_ system: CoordinateSystem, namedBy source: String) throws -> CoordinateTransform {
        do { return try CoordinateTransform(system) } catch let error as StoreError {
            throw StoreError.badInput("\(path): \(system) (from the \(source)): \(error)")
        }
    }

    /// Positions outside WGS84 while no system was named: projected metres get the likely system, the rest the
    /// same hints the GeoJSON reader gives.
    func checkDegrees(_ geometry: Geometry, _ index: Int, middle: @autoclosure () -> Coordinate) throws {
        var outside: Coordinate?
        _ = geometry.mappingCoordinates { c in
            if outside == nil, !(abs(c.longitude) <= 180 && abs(c.latitude) <= 90) { outside = c }
            return c
        }
        guard let c = outside else { return }
        if abs(c.longitude) > 1000 || abs(c.latitude) > 1000 { throw projectedPositions(c, index, middle()) }
        let text = positionText(c)
        if abs(c.latitude) <= 180 && abs(c.longitude) <= 90 {
            throw fail(index, "position \(text) is outside WGS84 range; it looks like [latitude, longitude] (x must be the longitude)")
        }
        throw fail(index, "position \(text) is outside WGS84 range (longitude −180…180, latitude −90…90)")
    }

    /// Converts every feature's geometry from `system` to WGS84 (positions checked when the system is WGS84).
    func toWGS84(_ features: [Feature], from system: CoordinateSystem?, namedBy source: String) throws -> [Feature] {
        guard let system, !system.isWGS84Equivalent else {
            func middle() -> Coordinate {
                var box: BoundingBox?
                for feature in features {
                    _ = feature.geometry?.mappingCoordinates { c in
                        if box == nil { box = BoundingBox(coordinates: [c]) } else { box!.include(c) }
                        return c
                    }
                }
                return box.map { Coordinate(longitude: ($0.minLongitude + $0.maxLongitude) / 2, latitude: ($0.minLatitude + $0.maxLatitude) / 2) }
                    ?? Coordinate(longitude: 0, latitude: 0)
            }
            for (index, feature) in features.enumerated() { if let g = feature.geometry { try checkDegrees(g, index, middle: middle()) } }
            return features
        }
        let transform = try transform(system, namedBy: source)
        var result = features
        for (index, feature) in features.enumerated() {
            guard let geometry = feature.geometry else { continue }
            guard let converted = transform.toWGS84(geometry) else {
                throw fail(index, "a position cannot be converted from \(system) (\(transform.name)) to WGS84: it lies outside the system's area")
            }
            // Converted positions are degrees; only the range is left to check.
            try checkDegrees(converted, index, middle: Coordinate(longitude: 0, latitude: 0))
            result[index].geometry = converted
        }
        return result
    }
}

// MARK: - GeoJSON

enum GeoJSONLayerReader {
    /// The `crs` member names the system when there is one (the 2008 GeoJSON form: `{"type":"name",
    /// "properties":{"name":"urn:ogc:def:crs:EPSG::4527"}}`, or `{"type":"EPSG","properties":{"code":4527}}`).
    static func read(_ data: Data, _ context: LayerReadContext) throws -> LayerReading {
        let root: JSONValue
        do {
            let parsed = try GeoJSON.parseDocument(data)
            // NaN or Infinity would not survive re-encoding: let the decoder name where they are.
            if parsed.sawNonFinite { _ = try GeoJSON.decodeFeatureCollection(data) }
            root = parsed.value
        } catch {
            throw StoreError.badInput("\(context.path): \(error)")
        }
        var warnings: [(kind: String, message: String)] = []
        var declared: CoordinateSystem?
        var declaredName: String?
        if case .object(let top) = root, let crs = top["crs"], crs != .null {
            declaredName = crsName(crs)
            guard let name = declaredName else {
                throw StoreError.badInput("\(context.path): the top-level \"crs\" member is not a named coordinate system; remove it and name the system with --crs CODE")
            }
            guard let system = CoordinateSystem(code: name) else {
                throw StoreError.badInput("\(context.path): the top-level \"crs\" member names \"\(name)\", which is neither an EPSG code nor gcj02/bd09; name the system with --crs CODE")
            }
            declared = system
        }
        let system: CoordinateSystem?
        let source: String
        if let explicit = context.explicitSystem {
            system = explicit
            source = "--crs"
            if let declared, declared != explicit {
                warnings.append(("--crs differs from the file's crs member", "the file's crs member names \(declared); read as \(explicit) (--crs)"))
            }
        } else if let declared {
            system = declared
            source = "file's crs member"
        } else {
            system = nil
            source = "GeoJSON default"
        }
        // The positions are converted in the JSON itself, so the decoder then checks the WGS84 result as it checks
        // any file; the crs member it has honoured goes.
        var tree = root
        if case .object(var top) = tree {
            top["crs"] = nil
            if let system, !system.isWGS84Equivalent, case .array(var features)? = top["features"] {
                let transform = try context.transform(system, namedBy: source)
                for index in features.indices {
                    guard case .object(var feature) = features[index], case .object(var geometry)? = feature["geometry"],
                          let coordinates = geometry["coordinates"] else { continue }
                    var failed: Coordinate?
                    geometry["coordinates"] = convertPositions(coordinates) { c in
                        if let wgs84 = transform.toWGS84(c) { return wgs84 }
                        if failed == nil { failed = c }
                        return c
                    }
                    if let failed {
                        throw context.fail(index, "position \(positionText(failed)) cannot be converted from \(system) (\(transform.name)) to WGS84: it lies outside the system's area")
                    }
                    feature["geometry"] = .object(geometry)
                    features[index] = .object(feature)
                }
                top["features"] = .array(features)
            } else if system == nil, case .array(let features)? = top["features"] {
                var first: (position: Coordinate, index: Int)?
                var box: BoundingBox?
                for (index, item) in features.enumerated() {
                    guard case .object(let feature) = item, case .object(let geometry)? = feature["geometry"],
                          let coordinates = geometry["coordinates"] else { continue }
                    _ = convertPositions(coordinates) { c in
                        if first == nil, abs(c.longitude) > 1000 || abs(c.latitude) > 1000 { first = (c, index) }
                        if box == nil { box = BoundingBox(coordinates: [c]) } else { box!.include(c) }
                        return c
                    }
                }
                if let first, let box {
                    let middle = Coordinate(longitude: (box.minLongitude + box.maxLongitude) / 2, latitude: (box.minLatitude + box.maxLatitude) / 2)
                    throw context.projectedPositions(first.position, first.index, middle)
                }
            }
            tree = .object(top)
        }
        let features: [Feature]
        do {
            // Re-encoding keeps every number (shortest round-trip form); untouched input is decoded as it came.
            features = try GeoJSON.decodeFeatureCollection(tree == root ? data : Data(GeoJSON.encode(tree).utf8))
        } catch {
            throw StoreError.badInput("\(context.path): \(error)")
        }
        return LayerReading(features: features, system: system ?? .wgs84, systemSource: source, warnings: warnings)
    }

    static func crsName(_ value: JSONValue) -> String? {
        guard case .object(let crs) = value, case .object(let properties)? = crs["properties"] else { return nil }
        switch crs["type"] {
        case .string("name"): return properties["name"]?.stringValue
        case .string("EPSG"), .string("epsg"): return properties["code"]?.stringValue.map { "EPSG:\($0)" }
        default: return nil
        }
    }

    /// Applies `transform` to every position (an array of 2 or 3 numbers) nested in `value`; anything else is
    /// left for the decoder to report.
    static func convertPositions(_ value: JSONValue, _ transform: (Coordinate) -> Coordinate) -> JSONValue {
        guard case .array(let items) = value else { return value }
        if (items.count == 2 || items.count == 3), case .number(let x) = items[0], case .number(let y) = items[1] {
            guard x.isFinite, y.isFinite else { return value }
            let converted = transform(Coordinate(longitude: x, latitude: y))
            var result = items
            result[0] = .number(converted.longitude)
            result[1] = .number(converted.latitude)
            return .array(result)
        }
        return .array(items.map { convertPositions($0, transform) })
    }
}

// MARK: - Shapefile

/// Shapefiles through Spatialite's own reader (the VirtualShape virtual table) on a scratch in-memory
/// connection, so nothing of the file touches the store until the import's transaction.
enum ShapefileLayerReader {
    /// Charsets the DBF may be in (names as iconv spells them).
    static let encodings: [String: String] = [
        "utf-8": "UTF-8", "utf8": "UTF-8", "gbk": "GBK", "cp936": "GBK", "936": "GBK", "ms936": "GBK",
        "gb18030": "GB18030", "gb2312": "GBK", "ansi 936": "GBK", "cp1252": "CP1252", "1252": "CP1252",
        "iso-8859-1": "ISO-8859-1", "latin1": "ISO-8859-1", "big5": "BIG5", "cp950": "BIG5", "950": "BIG5",
    ]

    static func read(_ context: LayerReadContext) throws -> LayerReading {
        var base = context.path
        if base.lowercased().hasSuffix(".shp") { base = String(base.dropLast(4)) }
        func sibling(_ suffix: String) -> String? {
            for candidate in [base + "." + suffix, base + "." + suffix.uppercased()] where FileManager.default.fileExists(atPath: candidate) {
                return candidate
            }
            return nil
        }
        guard let shp = sibling("shp") else { throw StoreError.badInput("\(context.path): file not found or not readable") }
        guard let shx = sibling("shx") else { throw StoreError.badInput("\(shp): the index file \(base).shx is missing (a Shapefile is .shp, .shx and .dbf)") }
        guard let dbfPath = sibling("dbf"), let dbf = FileManager.default.contents(atPath: dbfPath) else {
            throw StoreError.badInput("\(shp): the attribute file \(base).dbf is missing (a Shapefile is .shp, .shx and .dbf)")
        }
        guard dbf.count >= 32 else { throw StoreError.badInput("\(dbfPath): not a DBF file (\(dbf.count) bytes)") }
        guard let shpBytes = FileManager.default.contents(atPath: shp), let shxBytes = FileManager.default.contents(atPath: shx) else {
            throw StoreError.badInput("\(shp): file not found or not readable")
        }
        if let problem = BinaryGeometryChecks.shapefileProblem(shp: [UInt8](shpBytes), shx: [UInt8](shxBytes), shpName: shp, shxName: shx) {
            throw StoreError.badInput(problem)
        }
        let recordCount = Int(dbf[4]) | Int(dbf[5]) << 8 | Int(dbf[6]) << 16 | Int(dbf[7]) << 24
        let headerLength = Int(dbf[8]) | Int(dbf[9]) << 8
        // Spatialite's DBF reader trusts the header's record length: it must match the fields and the file.
        let recordLength = Int(dbf[10]) | Int(dbf[11]) << 8
        var fieldsLength = 1, descriptor = 32
        while descriptor + 32 <= min(headerLength, dbf.count), dbf[descriptor] != 0x0D {
            fieldsLength += Int(dbf[descriptor + 16])
            descriptor += 32
        }
        guard recordLength == fieldsLength, headerLength <= dbf.count, recordCount <= (dbf.count - headerLength) / max(recordLength, 1) else {
            throw StoreError.badInput("\(dbfPath): header damaged: \(recordCount) records of \(recordLength) bytes after a \(headerLength)-byte header (fields: \(fieldsLength) bytes a record) do not fit in \(dbf.count) bytes")
        }

        // The charset: --encoding, else the .cpg, else the DBF's language driver byte, else UTF-8 when the
        // records are valid UTF-8 and GB18030 (which holds GBK) when not.
        var charset: String
        var charsetSource: String
        if let given = context.encoding {
            guard let name = encodings[given.lowercased()] else {
                throw StoreError.badInput("--encoding: unknown charset \"\(given)\" (UTF-8, GBK, GB18030, CP936, BIG5, CP1252, ISO-8859-1)")
            }
            (charset, charsetSource) = (name, "--encoding")
        } else if let cpg = sibling("cpg"), let text = FileManager.default.contents(atPath: cpg).map({ String(decoding: $0, as: UTF8.self) }) {
            let given = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let name = encodings[given.lowercased()] else {
                throw StoreError.badInput("\(cpg): unknown charset \"\(given)\"; name the DBF's charset with --encoding (UTF-8, GBK, GB18030)")
            }
            (charset, charsetSource) = (name, ".cpg")
        } else if dbf[29] == 0x4D || dbf[29] == 0x7A {
            (charset, charsetSource) = ("GBK", "DBF language driver")
        } else {
            let records = headerLength < dbf.count ? dbf[headerLength...] : Data()[...]
            let isUTF8 = String(validating: records, as: UTF8.self) != nil
            (charset, charsetSource) = (isUTF8 ? "UTF-8" : "GB18030", "detected")
        }
        if charset == "UTF-8", headerLength < dbf.count, String(validating: dbf[headerLength...], as: UTF8.self) == nil {
            throw StoreError.badInput("\(dbfPath): the attributes are not valid UTF-8 (charset from \(charsetSource)); name the DBF's charset with --encoding GBK or GB18030")
        }

        var declared: CoordinateSystem?
        if let prj = sibling("prj"), let wkt = FileManager.default.contents(atPath: prj).map({ String(decoding: $0, as: UTF8.self) }),
           !wkt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            declared = CoordinateSystem.fromWKT(wkt)
            if declared == nil, context.explicitSystem == nil {
                throw StoreError.badInput("\(prj): the coordinate system it describes has no EPSG code PROJ recognises; name it with --crs CODE")
            }
        }
        var warnings: [(kind: String, message: String)] = []
        if let declared, let explicit = context.explicitSystem, declared != explicit {
            warnings.append(("--crs differs from the .prj", "the .prj names \(declared); read as \(explicit) (--crs)"))
        }

        let scratch = try DatabaseQueue()
        let features: [Feature]
        do {
            features = try read(scratch, base: base, charset: charset, context)
        } catch let error as DatabaseError {
            throw StoreError.badInput("\(shp): Spatialite cannot read it as a Shapefile: \(error.message ?? "\(error.resultCode)")")
        }
        if features.count != recordCount {
            throw StoreError.badInput("\(shp): the DBF holds \(recordCount) records but only \(features.count) could be read: the .shp or .shx is damaged, or the DBF is not \(charset) (charset from \(charsetSource); name it with --encoding)")
        }
        let system = context.explicitSystem ?? declared
        let source = context.explicitSystem != nil ? "--crs" : declared != nil ? ".prj" : "no .prj"
        let converted = try context.toWGS84(features, from: system, namedBy: source)
        return LayerReading(features: converted, system: system ?? .wgs84, systemSource: source, warnings: warnings)
    }

    /// The records through `VirtualShape` (geometry as 2D WKB, attributes by DBF field).
    static func read(_ scratch: DatabaseQueue, base: String, charset: String, _ context: LayerReadContext) throws -> [Feature] {
        try scratch.inDatabase { db in
            try Store.loadSpatialite(db)
            let quoted = base.replacingOccurrences(of: "'", with: "''")
            try db.execute(sql: "CREATE VIRTUAL TABLE temp.shapefile USING VirtualShape('\(quoted)', '\(charset)', -1)")
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(shapefile)").map { $0["name"] as String }
            let attributes = columns.filter { $0 != "PKUID" && $0 != "Geometry" }
            var sql = "SELECT AsBinary(CastToXY(Geometry))"
            for name in attributes { sql += ", " + LayerReadContext.quoted(name) }
            sql += " FROM shapefile ORDER BY PKUID"
            var features: [Feature] = []
            for (index, row) in try Row.fetchAll(db, sql: sql).enumerated() {
                let geometry = try context.geometry(row[0] as Data?, feature: index)
                var properties: [String: JSONValue] = [:]
                for (offset, name) in attributes.enumerated() {
                    let value = GeoJSONExporter.jsonValue(row[offset + 1] as DatabaseValue)
                    // DBF has no null: a blank field is an absent value.
                    if case .string(let text) = value, text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                    properties[name] = value
                }
                features.append(Feature(id: nil, geometry: geometry, properties: properties))
            }
            return features
        }
    }
}

// MARK: - GeoPackage

/// GeoPackage feature tables: the file is opened read-only as plain SQLite, the geometry blobs decoded by
/// Spatialite (`GeomFromGPB`), the system taken from `gpkg_spatial_ref_sys`.
enum GeoPackageLayerReader {
    static func read(_ context: LayerReadContext) throws -> LayerReading {
        guard FileManager.default.isReadableFile(atPath: context.path) else {
            throw StoreError.badInput("\(context.path): file not found or not readable")
        }
        if let encoding = context.encoding, encoding.lowercased() != "utf-8" {
            throw StoreError.badInput("--encoding: a GeoPackage is always UTF-8, got \(encoding)")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.prepareDatabase { db in try Store.loadSpatialite(db) }
        let file: DatabaseQueue
        do { file = try DatabaseQueue(path: context.path, configuration: configuration) } catch {
            throw StoreError.badInput("\(context.path): not a GeoPackage (cannot open it as SQLite)")
        }
        let path = context.path
        let read: ([Feature], CoordinateSystem?, String)
        do {
            read = try self.read(file, context)
        } catch let error as DatabaseError {
            throw StoreError.badInput("\(path): cannot read it as a GeoPackage: \(error.message ?? "\(error.resultCode)")")
        }
        let (features, declared, table) = read
        var warnings: [(kind: String, message: String)] = []
        if let declared, let explicit = context.explicitSystem, declared != explicit {
            warnings.append(("--crs differs from the table's spatial reference", "table \(table) names \(declared); read as \(explicit) (--crs)"))
        }
        let system = context.explicitSystem ?? declared
        let source = context.explicitSystem != nil ? "--crs" : declared != nil ? "table's spatial reference" : "undefined spatial reference"
        let converted = try context.toWGS84(features, from: system, namedBy: source)
        return LayerReading(features: converted, system: system ?? .wgs84, systemSource: source, warnings: warnings)
    }

    /// The chosen table's features (geometry as 2D WKB, every other column an attribute) and its system.
    static func read(_ file: DatabaseQueue, _ context: LayerReadContext) throws -> ([Feature], CoordinateSystem?, String) {
        let path = context.path
        return try file.read { db in
            let tables: [String]
            do {
                tables = try String.fetchAll(db, sql: "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name")
            } catch {
                throw StoreError.badInput("\(path): not a GeoPackage (no gpkg_contents table)")
            }
            let table: String
            if let wanted = context.table {
                guard tables.contains(wanted) else {
                    throw StoreError.badInput("\(path): --table: no feature table \"\(wanted)\" (tables: \(tables.joined(separator: ", ")))")
                }
                table = wanted
            } else if tables.contains(context.layerName) {
                table = context.layerName
            } else if tables.count == 1 {
                table = tables[0]
            } else {
                throw StoreError.badInput("\(path): \(tables.isEmpty ? "no feature tables" : "several feature tables (\(tables.joined(separator: ", ")))"); name one with --table")
            }
            guard let column = try Row.fetchOne(db, sql: "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?", arguments: [table]) else {
                throw StoreError.badInput("\(path): table \(table) has no entry in gpkg_geometry_columns")
            }
            let geometryColumn: String = column[0], srsID: Int = column[1]
            var declared: CoordinateSystem?
            if srsID > 0, let srs = try Row.fetchOne(db, sql: "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?", arguments: [srsID]) {
                if (srs[0] as String?)?.uppercased() == "EPSG", let code = srs[1] as Int? {
                    declared = CoordinateSystem(epsg: code)
                } else if let wkt = srs[2] as String? {
                    declared = CoordinateSystem.fromWKT(wkt)
                }
                if declared == nil, context.explicitSystem == nil {
                    throw StoreError.badInput("\(path): table \(table): spatial reference \(srsID) has no EPSG code PROJ recognises; name the system with --crs CODE")
                }
            }
            let quoted = LayerReadContext.quoted
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(quoted(table)))").map { $0["name"] as String }
            let attributes = columns.filter { $0 != geometryColumn }
            // Spatialite trusts the blob's counts: each is checked here first.
            let blobs = try Row.fetchCursor(db, sql: "SELECT \(quoted(geometryColumn)) FROM \(quoted(table)) ORDER BY rowid")
            var blobIndex = 0
            while let row = try blobs.next() {
                defer { blobIndex += 1 }
                guard let blob = row[0] as Data? else { continue }
                if let problem = BinaryGeometryChecks.geoPackageProblem([UInt8](blob)) { throw context.fail(blobIndex, "geometry: \(problem)") }
            }
            var sql = "SELECT AsBinary(CastToXY(GeomFromGPB(\(quoted(geometryColumn)))))"
            for name in attributes { sql += ", \(quoted(name))" }
            sql += " FROM \(quoted(table)) ORDER BY rowid"
            var features: [Feature] = []
            for (index, row) in try Row.fetchAll(db, sql: sql).enumerated() {
                let geometry = try context.geometry(row[0] as Data?, feature: index)
                var properties: [String: JSONValue] = [:]
                for (offset, name) in attributes.enumerated() {
                    properties[name] = GeoJSONExporter.jsonValue(row[offset + 1] as DatabaseValue)
                }
                features.append(Feature(id: nil, geometry: geometry, properties: properties))
            }
            return (features, declared, table)
        }
    }
}

/// A position as it appears in an error: `[x, y]` with up to 6 decimals.
func positionText(_ c: Coordinate) -> String {
    "[\(GeoJSON.formatCoordinate(c.longitude, precision: 6)), \(GeoJSON.formatCoordinate(c.latitude, precision: 6))]"
}
