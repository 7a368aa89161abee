import Foundation
import GRDB
import GridAnalysis
import GridModel

/// Grid reassignment runs: computed as a dry run and stored as a record (parameters, metrics, new grids, and the
/// building diff); `apply` replaces the grids of the run's communities in one transaction, `revert` restores them.
/// SQLite's WAL journal makes each a single atomic step, so a kill -9 leaves the store before or after it.
public enum GridRuns {
    public struct Parameters: Sendable, Codable {
        /// Community codes; empty = all.
        public var communities: [String] = []
        public var minimum = 300
        public var maximum = 500
        public var gridCount: Int?
        public var fromCurrent = true
        public var stability = 0.7
        /// `network_edges.highway` classes grids should not cross (`primary`, `secondary`, `trunk`…); nil or empty = none.
        /// Optional so that runs stored before it existed still decode.
        public var barriers: [String]?
        public init() {}
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
    }

    public struct CommunityReport: Sendable, Codable {
        public var community: String
        public var buildings: Int
        public var households: Int
        public var grids: Int
        public var components: Int
        public var warnings: [String]
    }

    public struct Metrics: Sendable, Codable {
        public var summary: GridMetrics.Summary
        public var polsbyPopperMean: Double
        public var buildingsMoved: Int
        public var seconds: Double
        public var communities: [CommunityReport]
        /// Set when the run had barriers (absent in older runs).
        public var barriers: BarrierReport?
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

    // MARK: computing a run

    /// Computes a plan and stores it as a dry run; returns the stored run.
    /// `id` is a run id reserved with `GridRunRequests.reserve` (the HTTP API answers with it before the plan exists).
    public static func rebalance(store: Store, parameters: Parameters, id reservedID: Int64? = nil) throws -> Run {
        guard parameters.minimum >= 1, parameters.maximum >= parameters.minimum else {
            throw StoreError.badInput("--min/--max: need 1 ≤ min ≤ max (got \(parameters.minimum), \(parameters.maximum))")
        }
        guard (0...1).contains(parameters.stability) else { throw StoreError.badInput("--stability must lie in [0, 1] (got \(parameters.stability))") }
        if let count = parameters.gridCount, count < 1 { throw StoreError.badInput("--grids must be at least 1 (got \(count))") }
        let barrierClasses = Array(Set(parameters.barriers ?? [])).sorted()
        for name in barrierClasses where name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            throw StoreError.badInput("--barriers: \"\(name)\" is not a highway class (letters, digits and _; e.g. primary,secondary,trunk)")
        }
        let started = Date()
        let allCommunities = try GridReports.communities(store)
        let known = Set(allCommunities.map(\.code))
        for code in parameters.communities where !known.contains(code) {
            throw StoreError.badInput("--community \(code): no such community in the store")
        }
        let communities = parameters.communities.isEmpty ? allCommunities : allCommunities.filter { parameters.communities.contains($0.code) }
        guard !communities.isEmpty else { throw StoreError.badInput("the store has no communities; import them first") }
        let assignment = try GridReports.assign(store)
        let registers = try GridUnits.registers(store, above: parameters.maximum)
        let overrides = try GridUnits.overrides(store)
        let barrierLines = try GridUnits.barrierLines(store, classes: barrierClasses)
        let communityLocator = PolygonLocator(allCommunities.map(\.shape))
        let attributes = try store.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT code, admin_code || street_code || community_code FROM communities")
                .map { ($0[0] as String, $0[1] as String) })
        }

        let currentGrids = try GridCodes.current(store)
        var usedCodes = try GridCodes.used(store)
        var proposed: [ProposedGrid] = []
        var moves: [Move] = []
        var registerMoves: [RegisterMove] = []
        var reports: [CommunityReport] = []
        var warnings: [String] = []
        var barrierReport = barrierClasses.isEmpty ? nil
            : BarrierReport(classes: barrierClasses, networkEdges: 0, adjacenciesCut: 0, adjacenciesRestored: 0, currentGridsSpanning: 0, gridsSpanning: 0)
        if !barrierClasses.isEmpty && barrierLines.isEmpty {
            warnings.append("no network edge of class \(barrierClasses.joined(separator: ", ")): no barriers")
        }
        var allHouseholds: [Int] = [], allLabels: [Int] = [], allInitial: [Int] = [], allOrigin: [Int] = [], allEdges: [(Int, Int)] = []
        var labelBase = 0, initialBase = 0

        for community in communities {
            let index = allCommunities.firstIndex { $0.code == community.code }!
            let members = assignment.buildings.indices.filter { communityLocator.first(containing: assignment.buildings[$0].point) == index }
            let prefix = attributes[community.code] ?? community.code
            guard !members.isEmpty else {
                // An empty community still needs one grid covering it.
                let shape = community.shape
                let identity = try GridCodes.identify(store: store, prefix: prefix, communityName: community.name, shapes: [shape], byHouseholds: [-1],
                                                      current: currentGrids[community.code] ?? [], used: &usedCodes)[0]
                proposed.append(ProposedGrid(code: identity.code, name: identity.name,
                                             community: community.code, households: 0, buildings: 0, area: shape.areaSquareMeters,
                                             polsbyPopper: GridMetrics.polsbyPopper(shape), shape: shape))
                reports.append(CommunityReport(community: community.code, buildings: 0, households: 0, grids: 1, components: 0,
                                               warnings: ["no buildings: one grid covers the community"]))
                warnings.append("\(community.code): no buildings: one grid covers the community")
                continue
            }
            let buildings = members.map { assignment.buildings[$0] }
            let currentCodes = members.map { assignment.results[$0].grid }
            let projection = LocalProjection(origin: community.shape.boundingBox.center)
            // Planning units: a building, or each register row of a building above the maximum.
            let units = GridUnits.units(buildings: buildings, grids: currentCodes, registers: registers, overrides: overrides, projection: projection)
            let gridCodes = Array(Set(units.compactMap(\.current))).sorted()
            let codeIndex = Dictionary(uniqueKeysWithValues: gridCodes.enumerated().map { ($1, $0) })
            let current = units.map { $0.current.flatMap { codeIndex[$0] } ?? -1 }
            let initial = parameters.fromCurrent ? current : Array(repeating: -1, count: units.count)
            let xy = units.map { projection.project($0.point) }
            let households = units.map(\.households)
            var barrierCut: [LineString] = []
            var nearLines: [[(x: Double, y: Double)]] = []
            if !barrierClasses.isEmpty {
                let box = community.shape.boundingBox
                let near = barrierLines.filter { $0.box.intersects(box) }
                barrierCut = near.map(\.line)
                nearLines = near.map { $0.line.coordinates.map { projection.project($0) } }
                barrierReport?.networkEdges += near.count
            }
            // The cells come first: they are the grid polygons after, so contiguity is judged on them (units whose cells
            // share boundary), and the search weighs the grids' true Polsby–Popper. With barriers the cells are computed
            // per block the barrier lines cut the community into, so a grid on one side of a road keeps its polygon there.
            let cells = try GridCells.clipped(store, community: community.shape, points: units.map(\.point), barriers: barrierCut)
            let tiling = GridCells.tiling(cells, projection: projection)
            var edges = GridCells.adjacency(points: units.map(\.point), tiling: tiling, x: xy.map(\.x), y: xy.map(\.y))
            var block: [Int]?
            if !barrierClasses.isEmpty {
                let crossing = GridBarriers.crossing(edges: edges, x: xy.map(\.x), y: xy.map(\.y), lines: nearLines)
                let plan = GridBarriers.plan(households: households, edges: edges, crossing: crossing,
                                             minimum: parameters.minimum, maximum: parameters.maximum)
                edges = plan.edges
                block = plan.block
                barrierReport?.adjacenciesCut += plan.cut.count
                barrierReport?.adjacenciesRestored += plan.restored.count
                barrierReport?.currentGridsSpanning += GridBarriers.spanning(labels: current.map { $0 < 0 ? gridCodes.count : $0 },
                                                                             count: gridCodes.count, block: plan.block).count
            }
            var problem = GridPartition.Problem(
                households: households, x: xy.map(\.x), y: xy.map(\.y), edges: edges, initial: initial,
                minimum: parameters.minimum, maximum: parameters.maximum, gridCount: nil, stability: parameters.stability,
                tiling: tiling)
            if let count = parameters.gridCount {
                // A count for all communities is shared by households.
                let share = Double(buildings.reduce(0) { $0 + $1.households }) / Double(max(assignment.buildings.reduce(0) { $0 + $1.households }, 1))
                problem.gridCount = parameters.communities.count == 1 ? count : max(1, Int((Double(count) * share).rounded()))
            }
            let solution = GridPartition.solve(problem)
            let shapes = try GridCells.dissolve(store, cells: cells, labels: solution.labels, count: solution.gridCount)
            var gridHouseholds = [Int](repeating: 0, count: solution.gridCount)
            var gridBuildings = [Set<Int>](repeating: [], count: solution.gridCount)
            for (u, g) in solution.labels.enumerated() { gridHouseholds[g] += units[u].households; gridBuildings[g].insert(units[u].building) }
            // Identity: a planned grid continuing one of the community's current grids keeps its code and name.
            let own = currentGrids[community.code] ?? []
            let ownIndex = Dictionary(uniqueKeysWithValues: own.enumerated().map { ($1.code, $0) })
            let byHouseholds = GridMetrics.matchOrigins(labels: solution.labels, count: solution.gridCount,
                                                        initial: units.map { $0.current.flatMap { ownIndex[$0] } ?? -1 }, households: households)
            let identities = try GridCodes.identify(store: store, prefix: prefix, communityName: community.name, shapes: shapes,
                                                    byHouseholds: byHouseholds, current: own, used: &usedCodes)
            let codes = identities.map(\.code)
            for g in 0..<solution.gridCount {
                proposed.append(ProposedGrid(code: codes[g], name: identities[g].name, community: community.code,
                                             households: gridHouseholds[g], buildings: gridBuildings[g].count, area: shapes[g].areaSquareMeters,
                                             polsbyPopper: GridMetrics.polsbyPopper(shapes[g]), shape: shapes[g]))
            }
            // A building goes to the grid of the unit at its point (its first); split rows going elsewhere are listed too.
            var buildingGrid = [String](repeating: "", count: buildings.count)
            var followers = [Int](repeating: 0, count: buildings.count)
            for (u, unit) in units.enumerated() where unit.atPoint { buildingGrid[unit.building] = codes[solution.labels[u]] }
            for (u, unit) in units.enumerated() {
                let to = codes[solution.labels[u]]
                if to == buildingGrid[unit.building] { followers[unit.building] += unit.households }
                if let row = unit.register {
                    registerMoves.append(RegisterMove(register: row.id, building: buildings[unit.building].id, unit: row.unit, floor: row.floor,
                                                      households: row.households, from: unit.current, to: to))
                }
            }
            for (b, building) in buildings.enumerated() {
                moves.append(Move(building: building.id, households: followers[b], from: currentCodes[b], to: buildingGrid[b]))
            }
            var localWarnings = solution.warnings.compactMap { text -> String? in
                // Whole buildings above the maximum get their own warning below.
                if let match = text.firstMatch(of: #/^building (\d+) alone/#), units[Int(match.1)!].register == nil { return nil }
                // Unit indices → store ids.
                return text.replacing(#/building (\d+) /#) { match in units[Int(match.1)!].describe(buildings) + " " }
            }
            for (b, building) in buildings.enumerated() where building.households > parameters.maximum {
                let parts = units.filter { $0.building == b }
                if parts.count > 1 {
                    let grids = Set(units.indices.filter { units[$0].building == b }.map { codes[solution.labels[$0]] }).sorted()
                    localWarnings.append("building \(building.id) has \(building.households) households, above the maximum \(parameters.maximum): its \(parts.count) register rows are planned separately (grids \(grids.joined(separator: ", ")))")
                } else {
                    let why = building.registerRows == 0 ? "no register rows to split it by" : "a single register row"
                    let g = codes.firstIndex(of: buildingGrid[b])!
                    let alone = gridBuildings[g].count == 1 ? "it is a grid of its own" : "its grid also holds \(gridBuildings[g].count - 1) other buildings"
                    localWarnings.append("building \(building.id) has \(building.households) households, above the maximum \(parameters.maximum), and \(why): \(alone) (\(buildingGrid[b]))")
                }
            }
            if let block {
                let spanning = GridBarriers.spanning(labels: solution.labels, count: solution.gridCount, block: block)
                barrierReport?.gridsSpanning += spanning.count
                for g in spanning {
                    let sides = Set(solution.labels.indices.filter { solution.labels[$0] == g }.map { block[$0] }).count
                    localWarnings.append("grid \(codes[g]) spans a barrier (\(barrierClasses.joined(separator: ", "))): it joins \(sides) blocks, as a block alone could not be in range")
                }
            }
            warnings += localWarnings.map { "\(community.code): \($0)" }
            if solution.components > 1 {
                let why = barrierClasses.isEmpty ? "" : " (separated by barriers where each side can be in range alone)"
                warnings.append("\(community.code): \(solution.components) disconnected parts\(why), grids planned per part")
            }
            reports.append(CommunityReport(community: community.code, buildings: buildings.count, households: households.reduce(0, +),
                                           grids: solution.gridCount, components: solution.components, warnings: localWarnings))
            allHouseholds += problem.households
            allLabels += solution.labels.map { $0 + labelBase }
            // Moves are counted against the current plan even for a run from scratch.
            let origin = GridMetrics.matchOrigins(labels: solution.labels, count: solution.gridCount, initial: current, households: problem.households)
            allInitial += current.map { $0 < 0 ? -1 : $0 + initialBase }
            allOrigin += origin.map { $0 < 0 ? -1 : $0 + initialBase }
            allEdges += edges.map { ($0.0 + allHouseholds.count - problem.households.count, $0.1 + allHouseholds.count - problem.households.count) }
            labelBase += solution.gridCount
            initialBase += gridCodes.count
        }
        // What is stored is what is reported: a grid is contiguous when its stored polygon is one polygon.
        for grid in proposed where grid.shape.polygons.count > 1 {
            let community = communities.first { $0.code == grid.community }!
            let areas = grid.shape.polygons.map { String(format: "%.0f", $0.areaSquareMeters) }.joined(separator: ", ")
            let why = community.shape.polygons.count > 1
                ? "the community itself is in \(community.shape.polygons.count) parts, and a part whose cells touch no other cell goes to the grid nearest it"
                : "a piece of the community touching no other cell goes to the grid nearest it"
            warnings.append("\(grid.community): grid \(grid.code) is \(grid.shape.polygons.count) polygons (\(areas) m²): \(why)")
        }
        var summary = GridMetrics.summarize(households: allHouseholds, labels: allLabels, count: labelBase, edges: allEdges, initial: allInitial,
                                            origin: allOrigin, minimum: parameters.minimum, maximum: parameters.maximum)
        let empty = proposed.filter { $0.buildings == 0 }.count
        summary.grids += empty
        summary.contiguous = proposed.filter { $0.shape.polygons.count == 1 }.count
        let metrics = Metrics(
            summary: summary, polsbyPopperMean: proposed.isEmpty ? 0 : proposed.reduce(0) { $0 + $1.polsbyPopper } / Double(proposed.count),
            buildingsMoved: moves.filter { $0.from != $0.to }.count, seconds: Date().timeIntervalSince(started), communities: reports,
            barriers: barrierReport)
        return try save(store: store, id: reservedID, parameters: parameters, communities: communities.map(\.code), metrics: metrics,
                        warnings: warnings, grids: proposed, moves: moves, registerMoves: registerMoves)
    }

    // MARK: records

    static func fingerprint(_ db: Database, communities: [String]) throws -> String {
        let list = communities.map { "'\($0.filter(\.isNumber))'" }.joined(separator: ",")
        return try String.fetchAll(db, sql: """
            SELECT code || ':' || printf('%.3f', area_m2) || ':' || coalesce(ST_NPoints(geom), 0) FROM grids
            WHERE community_code IN (\(list)) ORDER BY code
            """).joined(separator: ";")
    }

    static func save(store: Store, id reservedID: Int64?, parameters: Parameters, communities: [String], metrics: Metrics, warnings: [String],
                     grids: [ProposedGrid], moves: [Move], registerMoves: [RegisterMove] = []) throws -> Run {
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

    /// Replaces the grids of the run's communities by the run's grids, keeping the old ones for `revert`. Refused when
    /// the grids changed since the run was computed.
    public static func apply(store: Store, id: Int64) throws {
        try store.write { db in
            let run = try load(db, id)
            guard run.status == "dry_run" else { throw StoreError.badInput("RUN \(id) is \(run.status); only a dry run can be applied") }
            let communities = try communities(db, id)
            let base = try String.fetchOne(db, sql: "SELECT base_fingerprint FROM grid_runs WHERE id = ?", arguments: [id]) ?? ""
            guard try fingerprint(db, communities: communities) == base else {
                throw StoreError.badInput("RUN \(id): the grids of its communities changed since it was computed; run rebalance again")
            }
            let list = communities.map { "'\($0.filter(\.isNumber))'" }.joined(separator: ",")
            let time = ISO8601DateFormatter().string(from: Date())
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
            try db.execute(sql: "UPDATE grid_runs SET status = 'applied', applied_at = ?, applied_fingerprint = ? WHERE id = ?",
                           arguments: [time, try fingerprint(db, communities: communities), id])
            try BuildingPlaces.refreshIfNeeded(db)
        }
    }

    /// Restores the grids an applied run replaced. Refused when the grids changed since it was applied.
    public static func revert(store: Store, id: Int64) throws {
        try store.write { db in
            let run = try load(db, id)
            guard run.status == "applied" else { throw StoreError.badInput("RUN \(id) is \(run.status); only an applied run can be reverted") }
            let communities = try communities(db, id)
            let applied = try String.fetchOne(db, sql: "SELECT applied_fingerprint FROM grid_runs WHERE id = ?", arguments: [id]) ?? ""
            guard try fingerprint(db, communities: communities) == applied else {
                throw StoreError.badInput("RUN \(id): the grids changed after it was applied; revert the later change first")
            }
            let list = communities.map { "'\($0.filter(\.isNumber))'" }.joined(separator: ",")
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
            let time = ISO8601DateFormatter().string(from: Date())
            try GridCodes.reverted(db, run: id, at: time)
            try db.execute(sql: "UPDATE grid_runs SET status = 'reverted', reverted_at = ? WHERE id = ?", arguments: [time, id])
            try BuildingPlaces.refreshIfNeeded(db)
        }
    }
}
