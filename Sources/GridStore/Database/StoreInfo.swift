import Foundation
import GRDB
import GridModel

/// `info`: what a store holds.
public struct StoreInfo: Sendable {
    public var path: String
    public var counts: [(name: String, value: Int)]
    public var facilitiesByCategory: [(category: String, count: Int)]
    public var bbox: BoundingBox?
    public var spatialMetadata: Int
    public var geometryColumns: [(table: String, column: String, indexed: Bool)]
    public var imports: [(file: String, format: String, layer: String?, finishedAt: String, warnings: Int)]
    public var households = HouseholdSources()
    /// Register rows whose building is no longer in the store, per source id they referred to.
    public var detachedRegister: [(sourceID: String, rows: Int, file: String)] = []

    public static func read(_ store: Store) throws -> StoreInfo {
        try store.read { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            let counts: [(String, Int)] = [
                ("communities", try count("SELECT count(*) FROM communities")),
                ("grids", try count("SELECT count(*) FROM grids")),
                ("buildings", try count("SELECT count(*) FROM buildings")),
                ("households", try count("SELECT coalesce(sum(households), 0) FROM buildings")),
                ("facilities", try count("SELECT count(*) FROM facilities")),
                ("network_edges", try count("SELECT count(*) FROM network_edges")),
                ("network_length_m", Int(try Double.fetchOne(db, sql: "SELECT coalesce(sum(length_m), 0) FROM network_edges") ?? 0)),
                ("household_register_rows", try count("SELECT count(*) FROM household_register")),
                ("household_register_detached", try count("SELECT count(*) FROM household_register WHERE building_id IS NULL")),
            ]
            let categories = try Row.fetchAll(db, sql: "SELECT category, count(*) FROM facilities GROUP BY category ORDER BY category")
                .map { (category: $0[0] as String, count: $0[1] as Int) }
            var bbox: BoundingBox?
            for (table, column) in [("communities", "geom"), ("buildings", "footprint"), ("network_edges", "geom"), ("facilities", "geom")] {
                if let row = try Row.fetchOne(db, sql: "SELECT MbrMinX(e), MbrMinY(e), MbrMaxX(e), MbrMaxY(e) FROM (SELECT Extent(\(column)) AS e FROM \(table))"),
                   let minX = row[0] as Double?, let minY = row[1] as Double?, let maxX = row[2] as Double?, let maxY = row[3] as Double? {
                    let box = BoundingBox(minLongitude: minX, minLatitude: minY, maxLongitude: maxX, maxLatitude: maxY)
                    bbox = bbox.map { $0.union(box) } ?? box
                }
            }
            let columns = try Row.fetchAll(db, sql: "SELECT f_table_name, f_geometry_column, spatial_index_enabled FROM geometry_columns ORDER BY 1, 2")
                .map { (table: $0[0] as String, column: $0[1] as String, indexed: ($0[2] as Int) == 1) }
            let imports = try Row.fetchAll(db, sql: "SELECT file, format, layer, finished_at, warning_count FROM import_log ORDER BY id")
                .map { (file: $0[0] as String, format: $0[1] as String, layer: $0[2] as String?, finishedAt: $0[3] as String, warnings: $0[4] as Int) }
            var info = StoreInfo(
                path: "", counts: counts, facilitiesByCategory: categories, bbox: bbox,
                spatialMetadata: try Int.fetchOne(db, sql: "SELECT CheckSpatialMetadata()") ?? 0,
                geometryColumns: columns, imports: imports)
            info.households = try HouseholdSources.read(db, source: nil)
            info.detachedRegister = try Row.fetchAll(db, sql: """
                SELECT building_source || ' ' || building_source_id, count(*), min(source) FROM household_register
                WHERE building_id IS NULL GROUP BY building_source, building_source_id ORDER BY 1
                """).map { (sourceID: $0[0] as String, rows: $0[1] as Int, file: $0[2] as String) }
            return info
        }.with(path: store.path)
    }

    func with(path: String) -> StoreInfo { var copy = self; copy.path = path; return copy }

    public var json: [String: Any] {
        var object: [String: Any] = ["path": path, "spatial_metadata": spatialMetadata]
        for (name, value) in counts { object[name] = value }
        object["facilities_by_category"] = Dictionary(facilitiesByCategory.map { ($0.category, $0.count) }, uniquingKeysWith: { a, _ in a })
        object["bbox"] = bbox.map { [$0.minLongitude, $0.minLatitude, $0.maxLongitude, $0.maxLatitude] } ?? NSNull()
        object["geometry_columns"] = geometryColumns.map { ["table": $0.table, "column": $0.column, "spatial_index": $0.indexed] }
        object.merge(households.json) { a, _ in a }
        object["detached_register"] = detachedRegister.map { ["building": $0.sourceID, "rows": $0.rows, "file": $0.file] as [String: Any] }
        object["imports"] = imports.map {
            ["file": $0.file, "format": $0.format, "layer": $0.layer as Any? ?? NSNull(), "finished_at": $0.finishedAt, "warnings": $0.warnings]
        }
        return object
    }
}
