import Foundation
import GRDB
import GridAnalysis
import GridModel

/// `grids assign | check | stats`: read-only reports on the stored grids.
public enum GridReports {
    public struct Community: Sendable {
        public var code: String
        public var name: String
        public var shape: MultiPolygon
    }

    public struct Building: Sendable {
        public var id: Int64
        public var point: Coordinate
        public var households: Int
        public var registerRows: Int
    }

    public static func communities(_ store: Store) throws -> [Community] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT code, name, AsBinary(geom) FROM communities ORDER BY code").map { row in
                let data: Data = row[2]
                guard let shape = try Geometry(wkb: [UInt8](data)).asMultiPolygon else {
                    throw StoreError.corrupt("community \(row[0] as String): geometry is not a polygon")
                }
                return Community(code: row[0], name: row[1], shape: shape)
            }
        }
    }

    public static func grids(_ store: Store) throws -> [GridAssignment.Grid] {
        try AnalysisData.grids(store).map { GridAssignment.Grid(code: $0.code, community: $0.community, shape: $0.shape) }
    }

    public static func buildings(_ store: Store) throws -> [Building] {
        try store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT b.id, X(b.point), Y(b.point), b.households,
                       (SELECT count(*) FROM household_register r WHERE r.building_id = b.id)
                FROM buildings b WHERE b.point IS NOT NULL ORDER BY b.id
                """).map { Building(id: $0[0], point: Coordinate(longitude: $0[1], latitude: $0[2]), households: $0[3], registerRows: $0[4]) }
        }
    }

    public struct Assignment: Sendable {
        public var buildings: [Building]
        public var results: [GridAssignment.Result]
        public var ambiguous: [GridAssignment.Result] { results.filter { $0.status == .ambiguous } }
        public var outside: [GridAssignment.Result] { results.filter { $0.status == .outside } }
    }

    /// Every building (and with it its register rows) to the grid holding its representative point.
    public static func assign(_ store: Store) throws -> Assignment {
        let buildings = try buildings(store)
        let results = GridAssignment.assign(points: buildings.map { ($0.id, $0.point) }, grids: try grids(store))
        return Assignment(buildings: buildings, results: results)
    }

    public struct Problem: Sendable {
        public enum Kind: String, Sendable { case invalid, overlap, gap, outsideCommunity = "outside_community", noCommunity = "no_community" }
        public var kind: Kind
        public var grids: [String]
        public var community: String?
        public var areaSquareMeters: Double
        public var geometry: Geometry?
        public var reason: String?
    }

    /// Topology of the stored grids, by GEOS through Spatialite: invalid polygons, overlapping pairs (found through
    /// the R-tree), parts of a community no grid covers, and parts of a grid outside its community. Pieces below
    /// `tolerance` m² are floating-point slivers and are not reported.
    public static func check(_ store: Store, tolerance: Double = 1) throws -> [Problem] {
        guard tolerance >= 0, tolerance.isFinite else { throw StoreError.badInput("--tolerance must be a non-negative number of m²") }
        return try store.read { db in
            var problems: [Problem] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT code, coalesce(ST_IsValidReason(geom), 'unreadable'), AsBinary(geom), community_code FROM grids
                WHERE ST_IsValid(geom) IS NOT 1 ORDER BY code
                """) {
                let geometry = (row[2] as Data?).flatMap { try? Geometry(wkb: [UInt8]($0)) }
                problems.append(Problem(kind: .invalid, grids: [row[0]], community: row[3], areaSquareMeters: geometry?.asMultiPolygon?.areaSquareMeters ?? 0,
                                        geometry: geometry, reason: row[1]))
            }
            let valid = "ST_IsValid(%@.geom) = 1"
            let pieces: [(Problem.Kind, String)] = [
                (.overlap, """
                    SELECT a.code || ',' || b.code, a.community_code, AsBinary(CollectionExtract(ST_Intersection(a.geom, b.geom), 3))
                    FROM grids a JOIN grids b ON b.id IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'grids' AND f_geometry_column = 'geom' AND search_frame = a.geom)
                    WHERE a.code < b.code AND \(String(format: valid, "a")) AND \(String(format: valid, "b")) AND ST_Intersects(a.geom, b.geom) = 1
                    ORDER BY a.code, b.code
                    """),
                (.gap, """
                    SELECT '', code, AsBinary(CollectionExtract(CASE WHEN covered IS NULL THEN geom ELSE ST_Difference(geom, covered) END, 3))
                    FROM (SELECT c.code, c.geom, (SELECT ST_Union(g.geom) FROM grids g WHERE g.community_code = c.code AND \(String(format: valid, "g"))) AS covered
                          FROM communities c) ORDER BY code
                    """),
                (.outsideCommunity, """
                    SELECT g.code, g.community_code, AsBinary(CollectionExtract(ST_Difference(g.geom, c.geom), 3))
                    FROM grids g JOIN communities c ON c.code = g.community_code WHERE \(String(format: valid, "g")) ORDER BY g.code
                    """),
                (.noCommunity, """
                    SELECT g.code, g.community_code, AsBinary(g.geom) FROM grids g
                    WHERE NOT EXISTS (SELECT 1 FROM communities c WHERE c.code = g.community_code) ORDER BY g.code
                    """),
            ]
            for (kind, sql) in pieces {
                for row in try Row.fetchAll(db, sql: sql) {
                    guard let data = row[2] as Data?, let shape = try Geometry(wkb: [UInt8](data)).asMultiPolygon, !shape.polygons.isEmpty else { continue }
                    let area = shape.areaSquareMeters
                    guard area > tolerance || kind == .noCommunity else { continue }
                    let codes = (row[0] as String).split(separator: ",").map(String.init)
                    problems.append(Problem(kind: kind, grids: codes, community: row[1], areaSquareMeters: area, geometry: .multiPolygon(shape), reason: nil))
                }
            }
            return problems
        }
    }

    public struct GridStats: Sendable {
        public var code: String
        public var community: String?
        public var households: Int
        public var buildings: Int
        public var registerRows: Int
        public var areaSquareMeters: Double
        public var polsbyPopper: Double
        /// Households − target (the middle of the range).
        public var balance: Int
        public var inRange: Bool
        /// A worker's round through the grid's buildings over the walking network (GridTour: nearest neighbour + 2-opt on
        /// walking distances between the buildings' snapped points); straight lines where the store has no network.
        public var tourMeters: Double
        /// The same round's legs walked in a straight line because the network does not join their ends.
        public var tourStraightLegs: Int
        /// Nearest-neighbour round in straight lines (GridMetrics.tourLength), for comparison.
        public var straightTourMeters: Double
    }

    /// `walkingTours: false` skips the network rounds (`tourMeters` is then the straight-line round).
    public static func stats(_ store: Store, minimum: Int, maximum: Int, walkingTours: Bool = true) throws -> (grids: [GridStats], assignment: Assignment) {
        guard minimum >= 0, maximum >= minimum else { throw StoreError.badInput("--min/--max: need 0 ≤ min ≤ max (got \(minimum), \(maximum))") }
        let grids = try grids(store)
        let assignment = try assign(store)
        var members: [String: [Int]] = [:]
        for (i, result) in assignment.results.enumerated() { if let grid = result.grid { members[grid, default: []].append(i) } }
        // Register rows a run placed apart from their building count in their own grid.
        var extraHouseholds: [String: Int] = [:], extraRows: [String: Int] = [:]
        let buildingGrid = Dictionary(uniqueKeysWithValues: zip(assignment.buildings.map(\.id), assignment.results.map(\.grid)))
        for row in try store.read({ try GridUnits.placedRows($0) }) {
            guard let home = buildingGrid[row.building] ?? nil, home != row.grid else { continue }
            extraHouseholds[home, default: 0] -= row.households; extraRows[home, default: 0] -= 1
            extraHouseholds[row.grid, default: 0] += row.households; extraRows[row.grid, default: 0] += 1
        }
        let target = (minimum + maximum) / 2
        let edgeCount = try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM network_edges") ?? 0 }
        let hasNetwork = walkingTours && edgeCount > 0
        let graph = hasNetwork ? try AnalysisData.graph(store) : nil
        let snapper = graph.map { EdgeSnapper(graph: $0) }
        let workspace = SearchWorkspace()
        let stats = try grids.sorted { $0.code < $1.code }.map { grid in
            let indices = members[grid.code] ?? []
            let households = indices.reduce(0) { $0 + assignment.buildings[$1].households } + extraHouseholds[grid.code, default: 0]
            let points = indices.map { assignment.buildings[$0].point }
            let straight = GridMetrics.tourLength(points)
            var walking: GridTour.Result?
            if let graph, let snapper {
                walking = try GridTour.walking(points: points, snaps: snapper.snap(points), graph: graph, workspace: workspace)
            }
            return GridStats(
                code: grid.code, community: grid.community, households: households, buildings: indices.count,
                registerRows: indices.reduce(0) { $0 + assignment.buildings[$1].registerRows } + extraRows[grid.code, default: 0],
                areaSquareMeters: grid.shape.areaSquareMeters, polsbyPopper: GridMetrics.polsbyPopper(grid.shape),
                balance: households - target, inRange: (minimum...maximum).contains(households),
                tourMeters: walking?.length.value ?? straight, tourStraightLegs: walking?.straightLegs ?? 0, straightTourMeters: straight)
        }
        return (stats, assignment)
    }
}
