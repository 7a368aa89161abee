import Foundation
import GRDB
import GridAnalysis
import GridModel

/// The store's content in the shapes the analysis core takes. Reading is the only I/O here.
public enum AnalysisData {
    /// Changes whenever any layer changes (the per-layer versions of `DataVersions`), so caches of graphs and
    /// assignments can be reused until then.
    public static func version(_ store: Store) throws -> String {
        "layers-" + (try DataVersions.current(store).text)
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
        try store.read { db in try areas(db, sql: sql) }
    }

    static func areas(_ db: Database, sql: String) throws -> [Area] {
        try Row.fetchAll(db, sql: sql).map { row in
            let data: Data = row[2]
            guard let shape = try Geometry(wkb: [UInt8](data)).asMultiPolygon else {
                throw StoreError.corrupt("\(row[0] as String): geometry is not a polygon")
            }
            return Area(code: row[0], community: row[1], shape: shape)
        }
    }

    /// Buildings at their representative points, with their current grid and community (`BuildingPlaces`:
    /// the grid holding the point, lowest code where polygons overlap or share the boundary).
    public static func buildings(_ store: Store) throws -> [Coverage.Building] {
        try store.read { db in
            let places = try BuildingPlaces.derive(db)
            return try Row.fetchAll(db, sql: "SELECT id, X(point), Y(point), households FROM buildings ORDER BY id").map { row in
                let id: Int64 = row[0]
                let place = places[id]
                return Coverage.Building(id: id, point: Coordinate(longitude: row[1], latitude: row[2]), households: row[3],
                                         grid: place?.grid, community: place?.community)
            }
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
