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
            // A city's millions of edges are read in place from the stored blobs; anything but the plain case goes
            // through Spatialite's WKB and the full reader.
            let rows = try StoredRows(db, sql: "SELECT id, source_node, target_node, length_m, geom FROM network_edges ORDER BY id")
            var shape: [Coordinate] = []
            try rows.forEach { row in
                let id = try row.int64(0, "network_edges id")
                if !SpatialiteBlob.line(row.blob(4), into: &shape) {
                    shape = try storedLine(db, edge: id)
                }
                let source = try row.int64(1, "network_edges \(id) source_node")
                let target = try row.int64(2, "network_edges \(id) target_node")
                let length = try row.double(3, "network_edges \(id) length_m")
                builder.addEdge(id: id, sourceNode: source, targetNode: target, length: Meters(length), geometry: shape)
            }
            return builder
        }
        // Built outside the read closure: consuming a captured builder inside a closure is unsafe.
        return WalkingGraph(builder)
    }

    /// An edge's shape as Spatialite reads it: `AsBinary`, in place when plain, else through the full reader.
    static func storedLine(_ db: Database, edge id: Int64) throws -> [Coordinate] {
        guard let data = try Data.fetchOne(db, sql: "SELECT AsBinary(geom) FROM network_edges WHERE id = ?", arguments: [id]) else {
            throw StoreError.corrupt("network_edges \(id): geometry is not a LINESTRING")
        }
        var shape: [Coordinate] = []
        if plainLine(data, into: &shape) { return shape }
        guard case .lineString(let line) = try Geometry(wkb: [UInt8](data)) else {
            throw StoreError.corrupt("network_edges \(id): geometry is not a LINESTRING")
        }
        return line.coordinates
    }

    /// The positions of WKB holding a little-endian 2D LineString of two or more finite positions and nothing after it
    /// (what AsBinary writes for a network edge), read into `shape`; false for anything else, which `Geometry(wkb:)`
    /// reads or refuses with its reason.
    static func plainLine(_ data: Data, into shape: inout [Coordinate]) -> Bool {
        data.withUnsafeBytes { raw in
            guard raw.count >= 9, raw[0] == 1, UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 1, as: UInt32.self)) == 2 else { return false }
            let count = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 5, as: UInt32.self)))
            guard count >= 2, raw.count == 9 + 16 * count else { return false }
            shape.removeAll(keepingCapacity: true)
            for i in 0..<count {
                let x = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 9 + 16 * i, as: UInt64.self)))
                let y = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 17 + 16 * i, as: UInt64.self)))
                guard x.isFinite, y.isFinite else { return false }
                shape.append(Coordinate(longitude: x, latitude: y))
            }
            return true
        }
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
            // The stored places are what `derive` gives for the current layers: read with the buildings when current
            // (a city's million points are then not located again), derived here when older (a reader cannot write).
            if try Bool.fetchOne(db, sql: "SELECT \(BuildingPlaces.currentSQL)") == true {
                var buildings: [Coverage.Building] = []
                buildings.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM buildings") ?? 0)
                let rows = try StoredRows(db, sql: """
                    SELECT b.id, b.point, b.households, p.grid_code, p.community_code
                    FROM buildings b LEFT JOIN building_places p ON p.building_id = b.id ORDER BY b.id
                    """)
                try rows.forEach { row in
                    let id = try row.int64(0, "buildings id")
                    let point = try SpatialiteBlob.point(row.blob(1)) ?? storedPoint(db, building: id)
                    let households = try row.int64(2, "buildings \(id) households")
                    buildings.append(Coverage.Building(id: id, point: point, households: Int(households), grid: row.text(3), community: row.text(4)))
                }
                return buildings
            }
            let places = try BuildingPlaces.derive(db)
            return try Row.fetchAll(db, sql: "SELECT id, X(point), Y(point), households FROM buildings ORDER BY id").map { row in
                let id: Int64 = row[0]
                let place = places[id]
                return Coverage.Building(id: id, point: Coordinate(longitude: row[1], latitude: row[2]), households: row[3],
                                         grid: place?.grid, community: place?.community)
            }
        }
    }

    /// A building's representative point as Spatialite reads it (`X()`, `Y()`), for a blob that is not the plain case.
    static func storedPoint(_ db: Database, building id: Int64) throws -> Coordinate {
        guard let row = try Row.fetchOne(db, sql: "SELECT X(point), Y(point) FROM buildings WHERE id = ?", arguments: [id]),
              let longitude = row[0] as Double?, let latitude = row[1] as Double? else {
            throw StoreError.corrupt("buildings \(id): point is not a POINT")
        }
        return Coordinate(longitude: longitude, latitude: latitude)
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
