import Foundation
import GRDB
import GridAnalysis
import GridModel

/// The store's content in the shapes the analysis core takes. Reading is the only I/O here.
public enum AnalysisData {
    /// Changes whenever an import or a grid change lands, so caches of graphs and assignments can be reused until then.
    public static func version(_ store: Store) throws -> String {
        try store.read { db in
            let log = try Int.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM import_log") ?? 0
            let edges = try Int.fetchOne(db, sql: "SELECT count(*) FROM network_edges") ?? 0
            return "import-\(log)-edges-\(edges)"
        }
    }

    public static func graph(_ store: Store) throws -> WalkingGraph {
        let builder = try store.read { db in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM network_edges") ?? 0
            var builder = WalkingGraph.Builder(edgeCapacity: count, pointCapacity: count * 4)
            let rows = try Row.fetchCursor(db, sql: "SELECT id, source_node, target_node, length_m, AsBinary(geom) FROM network_edges ORDER BY id")
            while let row = try rows.next() {
                let data: Data = row[4]
                guard case .lineString(let line) = try Geometry(wkb: [UInt8](data)) else {
                    throw StoreError.corrupt("network_edges \(row[0] as Int64): geometry is not a LINESTRING")
                }
                builder.addEdge(id: row[0], sourceNode: row[1], targetNode: row[2], length: Meters(row[3]), geometry: line.coordinates)
            }
            return builder
        }
        // Built outside the read closure: consuming a captured builder inside a closure is unsafe.
        return WalkingGraph(builder)
    }

    public struct Area: Sendable {
        public var code: String
        public var community: String?
        public var shape: MultiPolygon
    }

    public static func grids(_ store: Store) throws -> [Area] {
        try areas(store, sql: "SELECT code, community_code, AsBinary(geom) FROM grids ORDER BY code")
    }

    public static func communities(_ store: Store) throws -> [Area] {
        try areas(store, sql: "SELECT code, NULL, AsBinary(geom) FROM communities ORDER BY code")
    }

    static func areas(_ store: Store, sql: String) throws -> [Area] {
        try store.read { db in
            try Row.fetchAll(db, sql: sql).map { row in
                let data: Data = row[2]
                guard let shape = try Geometry(wkb: [UInt8](data)).asMultiPolygon else {
                    throw StoreError.corrupt("\(row[0] as String): geometry is not a polygon")
                }
                return Area(code: row[0], community: row[1], shape: shape)
            }
        }
    }

    /// Buildings at their representative points, with the grid and community holding each point
    /// (lowest code where polygons overlap or share the boundary).
    public static func buildings(_ store: Store) throws -> [Coverage.Building] {
        let grids = try grids(store), communities = try communities(store)
        let gridLocator = PolygonLocator(grids.map(\.shape))
        let communityLocator = PolygonLocator(communities.map(\.shape))
        let rows = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, X(point), Y(point), households FROM buildings ORDER BY id")
                .map { (id: $0[0] as Int64, point: Coordinate(longitude: $0[1], latitude: $0[2]), households: $0[3] as Int) }
        }
        return rows.map { row in
            let grid = gridLocator.first(containing: row.point).map { grids[$0] }
            let community = grid?.community ?? communityLocator.first(containing: row.point).map { communities[$0].code }
            return Coverage.Building(id: row.id, point: row.point, households: row.households, grid: grid?.code, community: community)
        }
    }

    public static func facilities(_ store: Store) throws -> [Coverage.Facility] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, category, X(geom), Y(geom) FROM facilities ORDER BY id")
                .map { Coverage.Facility(id: $0[0], category: $0[1], location: Coordinate(longitude: $0[2], latitude: $0[3])) }
        }
    }
}

/// Building footprints by id, for maps of per-building results.
public enum BuildingFootprints {
    public static func load(_ store: Store) throws -> [Int64: MultiPolygon] {
        try store.read { db in
            var result: [Int64: MultiPolygon] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT id, AsBinary(footprint) FROM buildings")
            while let row = try rows.next() {
                if let data = row[1] as Data?, let shape = try Geometry(wkb: [UInt8](data)).asMultiPolygon { result[row[0]] = shape }
            }
            return result
        }
    }
}
