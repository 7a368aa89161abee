import Foundation
import GridAnalysis
import GridModel
import GridStore

/// A grid reassignment run: checks the parameters, plans each community (its buildings' cells from GEOS through
/// the store, the partition search of `GridPartition`, codes and names for the new grids) and stores the plan
/// as a dry run (`GridRuns`), which `GridRuns.perform(.apply)` then makes the grids.
public enum GridRebalance {
    public typealias Parameters = GridRuns.Parameters

    /// Checks that need no store, in the order a person reads the parameters.
    public static func check(_ parameters: Parameters) throws(RunParameterError) {
        guard parameters.minimum >= 1, parameters.maximum >= parameters.minimum else {
            throw RunParameterError(.range(minimum: parameters.minimum, maximum: parameters.maximum))
        }
        guard (0...1).contains(parameters.stability) else { throw RunParameterError(.stability(parameters.stability)) }
        if let count = parameters.gridCount, count < 1 { throw RunParameterError(.gridCount(count)) }
        // OSM highway classes are ASCII; the OpenAPI document gives the same pattern.
        for name in parameters.barriers ?? [] where name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            throw RunParameterError(.barrier(name))
        }
    }

    /// Every check the run makes before it plans: the parameters, then the communities against the store.
    /// Returns the communities to plan, in code order.
    @discardableResult
    public static func validate(_ parameters: Parameters, store: Store) throws -> [GridReports.Community] {
        try check(parameters)
        let all = try GridReports.communities(store)
        guard !all.isEmpty else { throw RunParameterError(.noCommunities) }
        let known = Set(all.map(\.code))
        if let unknown = parameters.communities.first(where: { !known.contains($0) }) { throw RunParameterError(.unknownCommunity(unknown)) }
        return parameters.communities.isEmpty ? all : all.filter { parameters.communities.contains($0.code) }
    }

    /// Computes a plan and stores it as a dry run; returns the stored run.
    /// `id` is a run id reserved with `GridRunRequests.reserve` (the HTTP API answers with it before the plan exists).
    public static func run(store: Store, parameters: Parameters, id reservedID: Int64? = nil, beforeSave: () -> Void = {}) throws -> GridRuns.Run {
        let communities = try validate(parameters, store: store)
        let started = Date()
        var plan = try Plan(store: store, parameters: parameters)
        for community in communities { try plan.add(community) }
        let (metrics, warnings) = plan.finish(communities: communities, seconds: { Date().timeIntervalSince(started) })
        beforeSave()
        return try GridRuns.save(store: store, id: reservedID, parameters: parameters, communities: communities.map(\.code), metrics: metrics,
                                 warnings: warnings, grids: plan.proposed, moves: plan.moves, registerMoves: plan.registerMoves)
    }

    /// A run's plan as it grows community by community, with what the metrics are summarised from.
    struct Plan {
        let store: Store
        let parameters: Parameters
        let barrierClasses: [String]
        // What the store holds for every community.
        let allCommunities: [GridReports.Community]
        let assignment: GridReports.Assignment
        /// Per community code, its buildings (indexes in `assignment.buildings`, ascending): each
        /// building in the lowest-code community holding its point, found once for the run.
        let members: [String: [Int]]
        let totalHouseholds: Int
        let registers: [Int64: [GridUnits.RegisterRow]]
        let overrides: [Int64: String]
        let barrierLines: [GridUnits.BarrierLine]
        let prefixes: [String: String]
        let currentGrids: [String: [GridCodes.Current]]
        var usedCodes: GridCodes.UsedCodes

        var proposed: [GridRuns.ProposedGrid] = []
        var moves: [GridRuns.Move] = []
        var registerMoves: [GridRuns.RegisterMove] = []
        var reports: [GridRuns.CommunityReport] = []
        var warnings: [String] = []
        var barrierReport: GridRuns.BarrierReport?
        // The summary's inputs over all communities: units, their labels, current and matched grids, adjacency.
        var allHouseholds: [Int] = [], allLabels: [Int] = [], allInitial: [Int] = [], allOrigin: [Int] = [], allEdges: [(Int, Int)] = []
        var labelBase = 0, initialBase = 0

        init(store: Store, parameters: Parameters) throws {
            self.store = store
            self.parameters = parameters
            barrierClasses = Array(Set(parameters.barriers ?? [])).sorted()
            allCommunities = try GridReports.communities(store)
            let communityLocator = PolygonLocator(allCommunities.map(\.shape))
            assignment = try GridReports.assign(store)
            var members = [[Int]](repeating: [], count: allCommunities.count)
            for (b, building) in assignment.buildings.enumerated() {
                if let c = communityLocator.first(containing: building.point) { members[c].append(b) }
            }
            self.members = Dictionary(uniqueKeysWithValues: zip(allCommunities.map(\.code), members))
            totalHouseholds = assignment.buildings.reduce(0) { $0 + $1.households }
            registers = try GridUnits.registers(store, above: parameters.maximum)
            overrides = try GridUnits.overrides(store)
            barrierLines = try GridUnits.barrierLines(store, classes: barrierClasses)
            prefixes = try GridCodes.prefixes(store)
            currentGrids = try GridCodes.current(store)
            usedCodes = try GridCodes.used(store)
            if !barrierClasses.isEmpty {
                barrierReport = GridRuns.BarrierReport(classes: barrierClasses, networkEdges: 0, adjacenciesCut: 0, adjacenciesRestored: 0,
                                                       currentGridsSpanning: 0, gridsSpanning: 0)
                if barrierLines.isEmpty { warnings.append("no network edge of class \(barrierClasses.joined(separator: ", ")): no barriers") }
            }
        }

        mutating func add(_ community: GridReports.Community) throws {
            let members = self.members[community.code] ?? []
            let prefix = prefixes[community.code] ?? community.code
            guard !members.isEmpty else { return try addEmpty(community, prefix: prefix) }
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
                let share = Double(buildings.reduce(0) { $0 + $1.households }) / Double(max(totalHouseholds, 1))
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
                proposed.append(GridRuns.ProposedGrid(code: codes[g], name: identities[g].name, community: community.code,
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
                    registerMoves.append(GridRuns.RegisterMove(register: row.id, building: buildings[unit.building].id, unit: row.unit, floor: row.floor,
                                                               households: row.households, from: unit.current, to: to))
                }
            }
            for (b, building) in buildings.enumerated() {
                moves.append(GridRuns.Move(building: building.id, households: followers[b], from: currentCodes[b], to: buildingGrid[b]))
            }
            var localWarnings = Self.oversizedWarnings(solution: solution, units: units, buildings: buildings, codes: codes,
                                                       buildingGrid: buildingGrid, gridBuildings: gridBuildings, maximum: parameters.maximum)
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
            reports.append(GridRuns.CommunityReport(community: community.code, buildings: buildings.count, households: households.reduce(0, +),
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

        /// The search's warnings with units named by store ids, and one per building above the maximum: planned as its
        /// register rows, or a grid of its own (the search's warning of such a building is replaced by this one).
        static func oversizedWarnings(solution: GridPartition.Result, units: [GridUnits.Unit], buildings: [GridReports.Building], codes: [String],
                                      buildingGrid: [String], gridBuildings: [Set<Int>], maximum: Int) -> [String] {
            var warnings = solution.typedWarnings.compactMap { warning -> String? in
                if case .buildingAboveMaximum(let unit, _, _) = warning, units[unit].register == nil { return nil }
                return warning.text { units[$0].describe(buildings) }
            }
            for (b, building) in buildings.enumerated() where building.households > maximum {
                let parts = units.filter { $0.building == b }
                if parts.count > 1 {
                    let grids = Set(units.indices.filter { units[$0].building == b }.map { codes[solution.labels[$0]] }).sorted()
                    warnings.append("building \(building.id) has \(building.households) households, above the maximum \(maximum): its \(parts.count) register rows are planned separately (grids \(grids.joined(separator: ", ")))")
                } else if let g = codes.firstIndex(of: buildingGrid[b]) {
                    let why = building.registerRows == 0 ? "no register rows to split it by" : "a single register row"
                    let alone = gridBuildings[g].count == 1 ? "it is a grid of its own" : "its grid also holds \(gridBuildings[g].count - 1) other buildings"
                    warnings.append("building \(building.id) has \(building.households) households, above the maximum \(maximum), and \(why): \(alone) (\(buildingGrid[b]))")
                }
            }
            return warnings
        }

        /// An empty community still needs one grid covering it.
        mutating func addEmpty(_ community: GridReports.Community, prefix: String) throws {
            let shape = community.shape
            let identity = try GridCodes.identify(store: store, prefix: prefix, communityName: community.name, shapes: [shape], byHouseholds: [-1],
                                                  current: currentGrids[community.code] ?? [], used: &usedCodes)[0]
            proposed.append(GridRuns.ProposedGrid(code: identity.code, name: identity.name, community: community.code, households: 0, buildings: 0,
                                                  area: shape.areaSquareMeters, polsbyPopper: GridMetrics.polsbyPopper(shape), shape: shape))
            reports.append(GridRuns.CommunityReport(community: community.code, buildings: 0, households: 0, grids: 1, components: 0,
                                                    warnings: ["no buildings: one grid covers the community"]))
            warnings.append("\(community.code): no buildings: one grid covers the community")
        }

        /// The run's metrics and warnings once every community is planned.
        func finish(communities: [GridReports.Community], seconds: () -> Double) -> (GridRuns.Metrics, [String]) {
            var warnings = warnings
            // What is stored is what is reported: a grid is contiguous when its stored polygon is one polygon.
            for grid in proposed where grid.shape.polygons.count > 1 {
                let parts = communities.first { $0.code == grid.community }?.shape.polygons.count ?? 1
                let areas = grid.shape.polygons.map { String(format: "%.0f", $0.areaSquareMeters) }.joined(separator: ", ")
                let why = parts > 1
                    ? "the community itself is in \(parts) parts, and a part whose cells touch no other cell goes to the grid nearest it"
                    : "a piece of the community touching no other cell goes to the grid nearest it"
                warnings.append("\(grid.community): grid \(grid.code) is \(grid.shape.polygons.count) polygons (\(areas) m²): \(why)")
            }
            var summary = GridMetrics.summarize(households: allHouseholds, labels: allLabels, count: labelBase, edges: allEdges, initial: allInitial,
                                                origin: allOrigin, minimum: parameters.minimum, maximum: parameters.maximum)
            summary.grids += proposed.filter { $0.buildings == 0 }.count
            summary.contiguous = proposed.filter { $0.shape.polygons.count == 1 }.count
            let metrics = GridRuns.Metrics(
                summary: summary, polsbyPopperMean: proposed.isEmpty ? 0 : proposed.reduce(0) { $0 + $1.polsbyPopper } / Double(proposed.count),
                buildingsMoved: moves.filter { $0.from != $0.to }.count, seconds: seconds(), communities: reports, barriers: barrierReport)
            return (metrics, warnings)
        }
    }
}
