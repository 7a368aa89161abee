import Foundation
import GRDB
import GridModel

/// `export LAYER [--bbox …] [--crs CODE]`: an RFC 7946 FeatureCollection, streamed feature by feature. In another
/// coordinate system the collection names it in a `crs` member (the 2008 GeoJSON form, which `import` honours)
/// and positions carry 9 decimals of a degree or 4 of a metre, so a round trip returns them to 0.1 mm.
public enum GeoJSONExporter {
    public enum Layer: String, CaseIterable, Sendable {
        case communities, grids, buildings, facilities, network
    }

    struct Shape {
        var table: String
        var geometryColumn: String
        /// Columns as (property name, SQL expression), in output order.
        var properties: [(String, String)]
    }

    static func shape(of layer: Layer) -> Shape {
        switch layer {
        case .communities:
            Shape(table: "communities", geometryColumn: "geom", properties: [
                ("code", "code"), ("name", "name"), ("admin_code", "admin_code"), ("street_code", "street_code"),
                ("community_code", "community_code"), ("area_m2", "round(area_m2, 1)"),
            ])
        case .grids:
            Shape(table: "grids", geometryColumn: "geom", properties: [
                ("code", "code"), ("name", "name"), ("community", "community_code"), ("area_m2", "round(area_m2, 1)"),
            ])
        case .buildings:
            Shape(table: "buildings", geometryColumn: "footprint", properties: [
                ("source_id", "source_id"), ("type", "building_type"), ("name", "name"), ("levels", "levels"),
                ("levels_estimated", "levels_estimated"), ("households", "households"),
                ("households_source", "households_source"), ("area_m2", "round(area_m2, 1)"),
            ])
        case .facilities:
            Shape(table: "facilities", geometryColumn: "geom", properties: [
                ("category", "category"), ("name", "name"), ("source_id", "source_id"), ("capacity", "capacity"),
            ])
        case .network:
            Shape(table: "network_edges", geometryColumn: "geom", properties: [
                ("source_node", "source_node"), ("target_node", "target_node"), ("length_m", "round(length_m, 2)"),
                ("highway", "highway"), ("osm_way_id", "osm_way_id"),
            ])
        }
    }

    /// Writes the collection through `write` in chunks; returns the number of features.
    @discardableResult
    public static func export(
        store: Store, layer: Layer, bbox: BoundingBox?, crs: CoordinateSystem? = nil, write: @escaping @Sendable (String) -> Void
    ) throws -> Int {
        let shape = shape(of: layer)
        let target = crs.flatMap { $0 == .wgs84 ? nil : $0 }
        if let target { _ = try CoordinateTransform(target) }  // an unknown code fails before any output
        var sql = "SELECT id, AsBinary(\(shape.geometryColumn)) AS wkb"
        for (_, expression) in shape.properties { sql += ", \(expression)" }
        sql += " FROM \(shape.table)"
        var arguments: StatementArguments = []
        if let bbox {
            sql += """
                 WHERE rowid IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = ? AND f_geometry_column = ?
                                 AND search_frame = BuildMbr(?, ?, ?, ?, 4326))
                   AND MbrIntersects(\(shape.geometryColumn), BuildMbr(?, ?, ?, ?, 4326))
                """
            let frame: [any DatabaseValueConvertible] = [bbox.minLongitude, bbox.minLatitude, bbox.maxLongitude, bbox.maxLatitude]
            arguments = StatementArguments([shape.table, shape.geometryColumn] + frame + frame)
        }
        sql += " ORDER BY id"
        let query = sql, args = arguments
        return try store.read { db in
            // PROJ contexts stay on the thread that uses them.
            let output = try target.map { system in (system, try CoordinateTransform(system)) }
            var buffer = "{\"type\":\"FeatureCollection\","
            if let (system, _) = output {
                buffer += "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"\(system.urn)\"}},"
            }
            buffer += "\"features\":["
            var count = 0
            let rows = try Row.fetchCursor(db, sql: query, arguments: args)
            while let row = try rows.next() {
                let id: Int64 = row[0]
                var geometry: Geometry? = try (row[1] as Data?).map { try Geometry(wkb: [UInt8]($0)) }
                if let (system, transform) = output, let stored = geometry {
                    guard let converted = transform.fromWGS84(stored) else {
                        throw StoreError.badInput("export: \(layer.rawValue) feature \(id) lies outside the area of \(system) (\(transform.name))")
                    }
                    geometry = converted
                }
                var properties: [(String, JSONValue)] = []
                for (offset, (name, _)) in shape.properties.enumerated() {
                    properties.append((name, jsonValue(row[offset + 2] as DatabaseValue)))
                }
                if count > 0 { buffer += "," }
                buffer += GeoJSON.encodeFeature(
                    id: .number(Double(id)), geometry: geometry, properties: properties, precision: output?.1.precision ?? 7)
                count += 1
                if buffer.utf8.count > 1 << 16 { write(buffer); buffer = "" }
            }
            buffer += "]}\n"
            write(buffer)
            return count
        }
    }

    static func jsonValue(_ value: DatabaseValue) -> JSONValue {
        switch value.storage {
        case .null: .null
        case .int64(let number): .number(Double(number))
        case .double(let number): .number(number)
        case .string(let text): .string(text)
        case .blob: .null
        }
    }
}
