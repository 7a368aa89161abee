import Foundation
import GRDB
import GridModel

/// `import osm`: reads the whole file first, then writes everything in one transaction.
public enum OSMImporter {
    /// Replaces the store's OSM-derived network, buildings and facilities (a store holds one OSM base)
    /// unless `append` is set. Register rows follow their building by source id (`w123`); rows whose building
    /// is no longer in the file are kept detached and reported.
    public static func run(
        store: Store, path: String, rules: ImportRules = .default, append: Bool = false,
        progress: (@Sendable (String) -> Void)? = nil
    ) throws -> ImportSummary {
        let started = Date()
        let format = try OSMReader.sniff(path: path)
        let data = try OSMReader.read(path: path) { nodes, ways, relations in
            progress?("reading \(path): \(nodes) nodes, \(ways) ways, \(relations) relations")
        }
        progress?(String(format: "read %d nodes, %d ways, %d relations in %.2f s; deriving network, buildings and facilities",
                         data.nodeCount, data.ways.count, data.relations.count, Date().timeIntervalSince(started)))
        let extract = OSMExtractor.extract(data, rules: rules)
        progress?(String(format: "derived in %.2f s; writing %d edges, %d buildings, %d facilities",
                         Date().timeIntervalSince(started), extract.edges.count, extract.buildings.count, extract.facilities.count))
        let source = "osm"
        /// A row the store refuses is reported as the OSM object it came from, without SQL.
        @Sendable func row(_ place: @autoclosure () -> String, _ insert: () throws -> Void) throws {
            do { try insert() } catch let error as DatabaseError { throw ImportFailure.rowRefused(error, file: path, place: place()) }
        }
        var summary: ImportSummary
        do {
        summary = try store.write { db in
            var summary = ImportSummary(
                file: path, format: "osm (\(format.rawValue))", layer: nil, counts: extract.counts,
                warnings: extract.warnings, seconds: 0)
            let registerAtStake = try RegisterRows.attachedRows(db, source: source)
            if !append {
                // Buildings go with their register rows detached (ON DELETE SET NULL), to be re-attached below.
                for table in ["network_edges", "buildings", "facilities"] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE source = ?", arguments: [source])
                    if db.changesCount > 0 { summary.changes.append(.init(table, "replaced", db.changesCount)) }
                }
            }
            try BulkLoad.run(db, tables: ["network_edges", "buildings", "facilities"]) {
            let edge = try db.makeStatement(sql: """
                INSERT INTO network_edges (source_node, target_node, length_m, highway, osm_way_id, source, geom)
                VALUES (?, ?, ?, ?, ?, ?, GeomFromWKB(?, 4326))
                """)
            for item in extract.edges {
                try row("way \(item.osmWayID) (edge from node \(item.sourceNode) to \(item.targetNode))") {
                    try edge.execute(arguments: [
                        item.sourceNode, item.targetNode, item.length.value, item.highway, item.osmWayID, source,
                        Data(Geometry.lineString(item.line).wkb()),
                    ])
                }
            }
            let building = try db.makeStatement(sql: """
                INSERT INTO buildings (source, source_id, building_type, name, levels, levels_estimated, households,
                                       households_source, households_basis, area_m2, footprint, point)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'estimated', ?, ?, GeomFromWKB(?, 4326), MakePoint(?, ?, 4326))
                ON CONFLICT (source, source_id) DO NOTHING
                """)
            for item in extract.buildings {
                try row("building \(item.sourceID)") {
                    try building.execute(arguments: [
                        source, item.sourceID, item.buildingType, item.name, item.levels, item.levelsEstimated,
                        item.households, item.householdsBasis.rawValue, item.areaSquareMeters,
                        Data(Geometry.multiPolygon(item.footprint).wkb()),
                        item.point.longitude, item.point.latitude,
                    ])
                }
            }
            let facility = try db.makeStatement(sql: """
                INSERT INTO facilities (category, name, source, source_id, capacity, geom)
                VALUES (?, ?, ?, ?, ?, MakePoint(?, ?, 4326))
                ON CONFLICT (source, source_id, category) DO NOTHING
                """)
            for item in extract.facilities {
                try row("facility \(item.sourceID) (\(item.category))") {
                    try facility.execute(arguments: [
                        item.category, item.name, source, item.sourceID, item.capacity,
                        item.location.longitude, item.location.latitude,
                    ])
                }
            }
            }
            let register = try RegisterRows.reconcile(db, source: source, warnings: &summary.warnings)
            if registerAtStake > 0 || register.reattached > 0 {
                summary.changes.append(.init("household_register", "rows re-attached", register.reattached))
            }
            if register.detached > 0 {
                summary.changes.append(.init("household_register", "rows kept detached (building gone)", register.detached))
            }
            summary.households = try HouseholdSources.read(db, source: source)
            summary.seconds = Date().timeIntervalSince(started)
            try summary.log(in: db, startedAt: started)
            return summary
        }
        } catch let error as DatabaseError {
            throw ImportFailure.storeFailed(error, file: path)
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }
}
