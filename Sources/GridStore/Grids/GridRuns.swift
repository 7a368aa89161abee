import Foundation
import GRDB
import GridAnalysis
import GridModel

/// Grid reassignment runs: computed as a dry run and stored as a record (parameters, metrics, new grids, and the
/// building diff); `apply` replaces the grids of the run's communities in one transaction, `revert` restores them.
/// SQLite's WAL journal makes each a single atomic step, so a kill -9 leaves the store before or after it.
public enum GridRuns {
    /// What a run is asked: the same names in the HTTP body, the run documents, the command line's JSON and the
    /// stored record (`Field`).
    public struct Parameters: Sendable, Codable, Equatable {
        /// Community codes; empty = all.
        public var communities: [String] = []
        /// Fewest and most households per grid.
        public var minimum = 300
        public var maximum = 500
        /// Number of grids instead of the range-derived count.
        public var gridCount: Int?
        /// Start from the current plan (false: from scratch).
        public var fromCurrent = true
        /// Weight of stability against compactness, 0…1.
        public var stability = 0.7
        /// `network_edges.highway` classes grids should not cross (`primary`, `secondary`, `trunk`…); nil or empty = none.
        /// Optional so that runs stored before it existed still decode.
        public var barriers: [String]?
        public init() {}

        /// The run vocabulary: each parameter's one name outside Swift.
        public enum Field: String, CodingKey, CaseIterable, Sendable {
            case communities, minimum = "min", maximum = "max", gridCount = "grid_count", fromCurrent = "from_current", stability, barriers
        }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Field.self)
            try container.encode(communities, forKey: .communities)
            try container.encode(minimum, forKey: .minimum)
            try container.encode(maximum, forKey: .maximum)
            try container.encodeIfPresent(gridCount, forKey: .gridCount)
            try container.encode(fromCurrent, forKey: .fromCurrent)
            try container.encode(stability, forKey: .stability)
            try container.encodeIfPresent(barriers, forKey: .barriers)
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Field.self)
            communities = try container.decodeIfPresent([String].self, forKey: .communities) ?? []
            minimum = try container.decode(Int.self, forKey: .minimum)
            maximum = try container.decode(Int.self, forKey: .maximum)
            gridCount = try container.decodeIfPresent(Int.self, forKey: .gridCount)
            fromCurrent = try container.decodeIfPresent(Bool.self, forKey: .fromCurrent) ?? true
            stability = try container.decodeIfPresent(Double.self, forKey: .stability) ?? 0.7
            barriers = try container.decodeIfPresent([String].self, forKey: .barriers)
        }
    }

    /// What the barriers did in a run.
    public struct BarrierReport: Sendable, Codable {
        public var classes: [String]
        /// Barrier edges (network edges of those classes) near the communities.
        public var networkEdges: Int
        /// Building adjacencies crossing a barrier, and those kept because a block alone could not be in range.
        public var adjacenciesCut: Int
        public var adjacenciesRestored: Int
        /// Grids whose buildings lie on more than one side of a barrier: in the current plan, and in the new one.
        public var currentGridsSpanning: Int
        public var gridsSpanning: Int

        public init(classes: [String], networkEdges: Int, adjacenciesCut: Int, adjacenciesRestored: Int, currentGridsSpanning: Int,
                    gridsSpanning: Int) {
            self.classes = classes; self.networkEdges = networkEdges; self.adjacenciesCut = adjacenciesCut
            self.adjacenciesRestored = adjacenciesRestored; self.currentGridsSpanning = currentGridsSpanning; self.gridsSpanning = gridsSpanning
        }
    }

    /// A register row of a building above the maximum: such rows are planned as separate units.
    public struct RegisterMove: Sendable, Hashable {
        public var register: Int64
        public var building: Int64
        public var unit: String?
        public var floor: Int?
        public var households: Int
        public var from: String?
        public var to: String
        public var buildingName: String? = nil
        public var buildingSourceID: String? = nil
        public var buildingLabel: String { BuildingLabel.text(id: building, name: buildingName, sourceID: buildingSourceID) }

        public init(register: Int64, building: Int64, unit: String?, floor: Int?, households: Int, from: String?, to: String,
                    buildingName: String? = nil, buildingSourceID: String? = nil) {
            self.register = register; self.building = building; self.unit = unit; self.floor = floor; self.households = households
            self.from = from; self.to = to; self.buildingName = buildingName; self.buildingSourceID = buildingSourceID
        }
    }

    public struct CommunityReport: Sendable, Codable {
        public var community: String
        public var buildings: Int
        public var households: Int
        public var grids: Int
        public var components: Int
        public var warnings: [String]

        public init(community: String, buildings: Int, households: Int, grids: Int, components: Int, warnings: [String]) {
            self.community = community; self.buildings = buildings; self.households = households; self.grids = grids
            self.components = components; self.warnings = warnings
        }
    }

    public struct Metrics: Sendable, Codable {
        public var summary: GridMetrics.Summary
        public var polsbyPopperMean: Double
        public var buildingsMoved: Int
        public var seconds: Double
        public var communities: [CommunityReport]
        /// Set when the run had barriers (absent in older runs).
        public var barriers: BarrierReport?

        public init(summary: GridMetrics.Summary, polsbyPopperMean: Double, buildingsMoved: Int, seconds: Double, communities: [CommunityReport],
                    barriers: BarrierReport?) {
            self.summary = summary; self.polsbyPopperMean = polsbyPopperMean; self.buildingsMoved = buildingsMoved; self.seconds = seconds
            self.communities = communities; self.barriers = barriers
        }
    }

    public struct ProposedGrid: Sendable {
        public var code: String
        public var name: String
        public var community: String
        public var households: Int
        public var buildings: Int
        public var area: Double
        public var polsbyPopper: Double
        public var shape: MultiPolygon

        public init(code: String, name: String, community: String, households: Int, buildings: Int, area: Double, polsbyPopper: Double,
                    shape: MultiPolygon) {
            self.code = code; self.name = name; self.community = community; self.households = households; self.buildings = buildings
            self.area = area; self.polsbyPopper = polsbyPopper; self.shape = shape
        }
    }

    public struct Move: Sendable, Hashable {
        public var building: Int64
        public var households: Int
        public var from: String?
        public var to: String
        /// The building as a planner finds it: its name when it has one, and its source id (OSM `w123`, a feature id).
        public var name: String? = nil
        public var sourceID: String? = nil
        public var label: String { BuildingLabel.text(id: building, name: name, sourceID: sourceID) }

        public init(building: Int64, households: Int, from: String?, to: String, name: String? = nil, sourceID: String? = nil) {
            self.building = building; self.households = households; self.from = from; self.to = to; self.name = name; self.sourceID = sourceID
        }
    }

    /// A building named for people: `building 12 "东升大厦" (w33457835)`; the name when it has one, always the store id.
    public enum BuildingLabel {
        public static func text(id: Int64, name: String?, sourceID: String?) -> String {
            let named = name.flatMap { $0.isEmpty ? nil : " \"\($0)\"" } ?? ""
            return "building \(id)\(named)" + (sourceID.map { " (\($0))" } ?? "")
        }
    }

    public struct Run: Sendable {
        public var id: Int64
        public var createdAt: String
        public var status: String
        public var parameters: Parameters
        public var metrics: Metrics
        public var warnings: [String]
    }

    // MARK: records

    static func fingerprint(_ db: Database, communities: [String]) throws -> String {
        let list = communities.map { "'\($0.filter(\.isNumber))'" }.joined(separator: ",")
        return try String.fetchAll(db, sql: """
            SELECT code || ':' || printf('%.3f', area_m2) || ':' || coalesce(ST_NPoints(geom), 0) FROM grids
            WHERE community_code IN (\(list)) ORDER BY code
            """).joined(separator: ";")
    }

    /// Stores a computed plan as a dry run in one transaction, with the fingerprint of the grids it replaces.
    /// `id`: a run id reserved with `GridRunRequests.reserve`, or nil for the next free one.
    public static func save(store: Store, id reservedID: Int64?, parameters: Parameters, communities: [String], metrics: Metrics,
                            warnings: [String], grids: [ProposedGrid], moves: [Move], registerMoves: [RegisterMove] = []) throws -> Run {
        let encoder = JSONEncoder.sorted
        let parametersJSON = String(decoding: try encoder.encode(parameters), as: UTF8.self)
        let metricsJSON = String(decoding: try encoder.encode(metrics), as: UTF8.self)
        let warningsJSON = String(decoding: try encoder.encode(warnings), as: UTF8.self)
        let communitiesJSON = String(decoding: try encoder.encode(communities), as: UTF8.self)
        let created = ISO8601DateFormatter().string(from: Date())
        let id = try store.write { db in
            try db.execute(sql: """
                INSERT INTO grid_runs (id, created_at, parameters, status, communities, base_fingerprint, seconds, metrics, warnings)
                VALUES (?, ?, ?, 'dry_run', ?, ?, ?, ?, ?)
                """, arguments: [try reservedID ?? GridRunRequests.nextID(db), created, parametersJSON, communitiesJSON, try fingerprint(db, communities: communities),
                                 metrics.seconds, metricsJSON, warningsJSON])
            let run = db.lastInsertedRowID
            try GridRunVersions.record(db, run: run)
            let grid = try db.makeStatement(sql: """
                INSERT INTO grid_run_grids (run_id, code, name, community_code, households, buildings, area_m2, polsby_popper, geom)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, CastToMultiPolygon(GeomFromWKB(?, 4326)))
                """)
            for g in grids {
                guard !g.shape.polygons.isEmpty else {
                    throw StoreError.corrupt("grid \(g.code) of the plan has no area (community \(g.community))")
                }
                try grid.execute(arguments: [run, g.code, g.name, g.community, g.households, g.buildings, g.area, g.polsbyPopper,
                                             Data(Geometry.multiPolygon(g.shape).wkb())])
            }
            let move = try db.makeStatement(sql: "INSERT INTO grid_run_buildings (run_id, building_id, households, from_grid, to_grid) VALUES (?, ?, ?, ?, ?)")
            for m in moves { try move.execute(arguments: [run, m.building, m.households, m.from, m.to]) }
            let row = try db.makeStatement(sql: """
                INSERT INTO grid_run_register (run_id, register_id, building_id, unit, floor, households, from_grid, to_grid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for m in registerMoves { try row.execute(arguments: [run, m.register, m.building, m.unit, m.floor, m.households, m.from, m.to]) }
            return run
        }
        return Run(id: id, createdAt: created, status: "dry_run", parameters: parameters, metrics: metrics, warnings: warnings)
    }

    public static func list(store: Store) throws -> [Run] {
        try store.read { db in try Row.fetchAll(db, sql: "SELECT * FROM grid_runs ORDER BY id").map(decode) }
    }

    public static func get(store: Store, id: Int64) throws -> Run {
        try store.read { db in try load(db, id) }
    }

    static func load(_ db: Database, _ id: Int64) throws -> Run {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM grid_runs WHERE id = ?", arguments: [id]) else {
            throw StoreError.badInput("RUN \(id): no such grid run (see `grids runs`)")
        }
        return try decode(row)
    }

    static func decode(_ row: Row) throws -> Run {
        let decoder = JSONDecoder()
        return Run(id: row["id"], createdAt: row["created_at"], status: row["status"],
                   parameters: try decoder.decode(Parameters.self, from: Data((row["parameters"] as String).utf8)),
                   metrics: try decoder.decode(Metrics.self, from: Data((row["metrics"] as String).utf8)),
                   warnings: try decoder.decode([String].self, from: Data((row["warnings"] as String).utf8)))
    }

    public static func moves(store: Store, id: Int64) throws -> [Move] {
        try store.read { db in
            _ = try load(db, id)
            return try Row.fetchAll(db, sql: """
                SELECT m.building_id, m.households, m.from_grid, m.to_grid, b.name, b.source_id FROM grid_run_buildings m
                LEFT JOIN buildings b ON b.id = m.building_id
                WHERE m.run_id = ? AND m.from_grid IS NOT m.to_grid ORDER BY m.building_id
                """, arguments: [id]).map { Move(building: $0[0], households: $0[1], from: $0[2], to: $0[3], name: $0[4], sourceID: $0[5]) }
        }
    }

    /// Register rows of split buildings that change grid in the run.
    public static func registerMoves(store: Store, id: Int64) throws -> [RegisterMove] {
        try store.read { db in
            _ = try load(db, id)
            return try Row.fetchAll(db, sql: """
                SELECT m.register_id, m.building_id, m.unit, m.floor, m.households, m.from_grid, m.to_grid, b.name, b.source_id
                FROM grid_run_register m LEFT JOIN buildings b ON b.id = m.building_id
                WHERE m.run_id = ? AND m.from_grid IS NOT m.to_grid ORDER BY m.building_id, m.register_id
                """, arguments: [id]).map {
                RegisterMove(register: $0[0], building: $0[1], unit: $0[2], floor: $0[3], households: $0[4], from: $0[5], to: $0[6],
                             buildingName: $0[7], buildingSourceID: $0[8])
            }
        }
    }

    public static func proposedGrids(store: Store, id: Int64) throws -> [ProposedGrid] {
        try store.read { db in
            _ = try load(db, id)
            return try Row.fetchAll(db, sql: """
                SELECT code, name, community_code, households, buildings, area_m2, polsby_popper, AsBinary(geom) FROM grid_run_grids
                WHERE run_id = ? ORDER BY code
                """, arguments: [id]).map { row in
                let data: Data = row[7]
                return ProposedGrid(code: row[0], name: row[1], community: row[2], households: row[3], buildings: row[4], area: row[5],
                                    polsbyPopper: row[6], shape: try Geometry(wkb: [UInt8](data)).asMultiPolygon ?? MultiPolygon([]))
            }
        }
    }

    static func communities(_ db: Database, _ id: Int64) throws -> [String] {
        let text = try String.fetchOne(db, sql: "SELECT communities FROM grid_runs WHERE id = ?", arguments: [id]) ?? "[]"
        return try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

    /// The two changes a stored run makes to the grids. Both check the run's status and that the grids of its
    /// communities are those the run last saw, then rewrite them in one transaction.
    public enum Change: String, Sendable, CaseIterable {
        /// Replaces the grids of the run's communities by the run's grids, keeping the old ones for `revert`.
        case apply
        /// Restores the grids an applied run replaced.
        case revert

        /// The status a run must have, and the one it gets.
        var from: String { self == .apply ? "dry_run" : "applied" }
        public var to: String { self == .apply ? "applied" : "reverted" }
        /// The stored fingerprint the grids must still match.
        var fingerprintColumn: String { self == .apply ? "base_fingerprint" : "applied_fingerprint" }
        var refusal: String {
            self == .apply ? "the grids of its communities changed since it was computed; run rebalance again"
                : "the grids changed after it was applied; revert the later change first"
        }
    }

    /// Makes `change` to the grids; refused (a user error naming the run) when the run's status does not allow it or
    /// the grids changed since. SQLite's WAL journal makes it one atomic step, so a kill -9 leaves it before or after.
    public static func perform(_ change: Change, store: Store, id: Int64) throws {
        try store.write { db in
            let run = try load(db, id)
            guard run.status == change.from else {
                throw StoreError.badInput("RUN \(id) is \(run.status); only \(change == .apply ? "a dry" : "an applied") run can be \(change.to)")
            }
            let communities = try communities(db, id)
            let recorded = try String.fetchOne(db, sql: "SELECT \(change.fingerprintColumn) FROM grid_runs WHERE id = ?", arguments: [id]) ?? ""
            guard try fingerprint(db, communities: communities) == recorded else { throw StoreError.badInput("RUN \(id): \(change.refusal)") }
            let list = communities.map { "'\($0.filter(\.isNumber))'" }.joined(separator: ",")
            let time = ISO8601DateFormatter().string(from: Date())
            switch change {
            case .apply: try apply(db, id: id, communities: list, at: time)
            case .revert: try revert(db, id: id, communities: list, at: time)
            }
            try db.execute(sql: "UPDATE grid_runs SET status = ?, \(change.to)_at = ? WHERE id = ?", arguments: [change.to, time, id])
            if change == .apply {
                try db.execute(sql: "UPDATE grid_runs SET applied_fingerprint = ? WHERE id = ?", arguments: [try fingerprint(db, communities: communities), id])
            }
            try BuildingPlaces.refreshIfNeeded(db)
        }
    }

    public static func apply(store: Store, id: Int64) throws { try perform(.apply, store: store, id: id) }

    public static func revert(store: Store, id: Int64) throws { try perform(.revert, store: store, id: id) }

    private static func apply(_ db: Database, id: Int64, communities list: String, at time: String) throws {
        // The codes being replaced are in the register before they are retired.
        try GridCodes.recordUnregistered(db, since: nil)
        try GridCodes.checkNew(db, run: id, communities: list)
        try db.execute(sql: """
            INSERT INTO grid_run_previous (run_id, code, name, community_code, source, area_m2, geom)
            SELECT ?, code, name, community_code, source, area_m2, geom FROM grids WHERE community_code IN (\(list))
            """, arguments: [id])
        try db.execute(sql: "DELETE FROM grids WHERE community_code IN (\(list))")
        try db.execute(sql: """
            INSERT INTO grids (code, name, community_code, source, area_m2, geom)
            SELECT code, name, community_code, 'grid-run:' || run_id, area_m2, geom FROM grid_run_grids WHERE run_id = ?
            """, arguments: [id])
        // Register rows placed apart from their building: the old placements in these communities are kept for revert.
        try db.execute(sql: """
            INSERT INTO grid_run_previous_register (run_id, register_id, grid_code)
            SELECT ?, register_id, grid_code FROM register_grids WHERE substr(grid_code, 1, 12) IN (\(list))
            """, arguments: [id])
        try db.execute(sql: "DELETE FROM register_grids WHERE substr(grid_code, 1, 12) IN (\(list))")
        try db.execute(sql: """
            INSERT OR REPLACE INTO register_grids (register_id, grid_code)
            SELECT r.register_id, r.to_grid FROM grid_run_register r JOIN grid_run_buildings b ON b.run_id = r.run_id AND b.building_id = r.building_id
            WHERE r.run_id = ? AND r.to_grid <> b.to_grid
            """, arguments: [id])
        try GridCodes.applied(db, run: id, communities: list, at: time)
    }

    private static func revert(_ db: Database, id: Int64, communities list: String, at time: String) throws {
        try db.execute(sql: "DELETE FROM grids WHERE community_code IN (\(list))")
        try db.execute(sql: """
            INSERT INTO grids (code, name, community_code, source, area_m2, geom)
            SELECT code, name, community_code, source, area_m2, geom FROM grid_run_previous WHERE run_id = ?
            """, arguments: [id])
        try db.execute(sql: "DELETE FROM grid_run_previous WHERE run_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM register_grids WHERE substr(grid_code, 1, 12) IN (\(list))")
        try db.execute(sql: """
            INSERT OR REPLACE INTO register_grids (register_id, grid_code)
            SELECT p.register_id, p.grid_code FROM grid_run_previous_register p JOIN household_register r ON r.id = p.register_id WHERE p.run_id = ?
            """, arguments: [id])
        try db.execute(sql: "DELETE FROM grid_run_previous_register WHERE run_id = ?", arguments: [id])
        try GridCodes.reverted(db, run: id, at: time)
    }
}
