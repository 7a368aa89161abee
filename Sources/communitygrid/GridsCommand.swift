import ArgumentParser
import Foundation
import GridAnalysis
import GridCommandLine
import GridModel
import GridServices
import GridStore

/// `grids assign|check|stats|rebalance|runs|show|apply|revert`.
struct GridsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grids",
        abstract: "Grid assignment, topology checks, statistics and reassignment runs.",
        subcommands: [GridsAssignCommand.self, GridsCheckCommand.self, GridsStatsCommand.self, GridsRebalanceCommand.self,
                      GridsRunsCommand.self, GridsShowCommand.self, GridsApplyCommand.self, GridsRevertCommand.self])
}

struct GridsAssignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Assign every building (and its register rows) to the grid holding its representative point.",
        discussion: "A point on a shared boundary or in overlapping grids goes to the lowest grid code and is reported; a point in no grid is reported with the nearest grid.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "JSON output: every building.") var json = false

    func run() async throws {
        let assignment = try GridReports.assign(try store.open())
        let byID = Dictionary(uniqueKeysWithValues: assignment.buildings.map { ($0.id, $0) })
        if json {
            try Console.printJSON([
                "buildings": assignment.results.map { r -> [String: Any] in
                    let b = byID[r.buildingID]!
                    return ["id": r.buildingID, "households": b.households, "register_rows": b.registerRows, "grid": r.grid as Any? ?? NSNull(),
                            "status": r.status.rawValue, "candidates": r.candidates, "nearest_grid": r.nearestGrid as Any? ?? NSNull(),
                            "nearest_m": r.nearestDistance.map { ($0.value * 100).rounded() / 100 } as Any? ?? NSNull()]
                },
                "ambiguous": assignment.ambiguous.count, "outside": assignment.outside.count,
            ])
            return
        }
        let inside = assignment.results.filter { $0.status == .inside }.count
        print("\(assignment.results.count) buildings: \(inside) in one grid, \(assignment.ambiguous.count) on a shared boundary or overlap, \(assignment.outside.count) in no grid")
        for r in assignment.ambiguous { print("building \(r.buildingID): in \(r.candidates.joined(separator: ", ")) → \(r.grid ?? "")") }
        for r in assignment.outside {
            print(String(format: "building %lld: in no grid; nearest %@ at %.1f m", r.buildingID, r.nearestGrid ?? "-", r.nearestDistance?.value ?? 0))
        }
    }
}

struct GridsCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Overlaps, gaps, grids crossing their community's boundary, invalid polygons.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Ignore pieces smaller than this many m² (floating-point slivers).") var tolerance: Double = 1
    @Flag(help: "GeoJSON FeatureCollection of the problems.") var json = false

    func run() async throws {
        let problems = try GridReports.check(try store.open(), tolerance: tolerance)
        if json {
            let features = problems.map { p in
                GeoJSON.encodeFeature(id: nil, geometry: p.geometry, properties: [
                    ("problem", .string(p.kind.rawValue)), ("grids", .array(p.grids.map(JSONValue.string))),
                    ("community", p.community.map(JSONValue.string) ?? .null), ("area_m2", .number((p.areaSquareMeters * 100).rounded() / 100)),
                    ("reason", p.reason.map(JSONValue.string) ?? .null),
                ])
            }
            print("{\"type\":\"FeatureCollection\",\"features\":[" + features.joined(separator: ",\n") + "]}")
            return
        }
        print(problems.isEmpty ? "no problems: grids are valid, do not overlap, cover their communities and stay inside them" : "\(problems.count) problems")
        for p in problems {
            print(String(format: "%@  %@  community %@  %.1f m²%@", p.kind.rawValue, p.grids.joined(separator: ","), p.community ?? "-",
                         p.areaSquareMeters, p.reason.map { "  \($0)" } ?? ""))
        }
    }
}

struct GridsStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Per grid: households, buildings, area, balance against the target, and a worker's round.",
        discussion: """
            The round is a closed tour through the grid's buildings over the walking network (metres): shortest walking \
            distances between the buildings' snapped points, nearest neighbour then 2-opt. Legs the network does not join are \
            walked in a straight line and counted; `straight m` is the straight-line nearest-neighbour round.
            """)
    @OptionGroup var store: StoreOptions
    @Option(help: "Lower bound of households per grid.") var min = 300
    @Option(help: "Upper bound of households per grid.") var max = 500
    @Flag(help: "JSON output.") var json = false

    func run() async throws {
        let (grids, assignment) = try GridReports.stats(try store.open(), minimum: min, maximum: max)
        if json {
            try Console.printJSON([
                "min": min, "max": max, "target": (min + max) / 2,
                "grids": grids.map { g -> [String: Any] in
                    ["code": g.code, "community": g.community as Any? ?? NSNull(), "households": g.households, "buildings": g.buildings,
                     "register_rows": g.registerRows, "area_m2": (g.areaSquareMeters * 10).rounded() / 10, "balance": g.balance,
                     "in_range": g.inRange, "polsby_popper": (g.polsbyPopper * 1000).rounded() / 1000, "tour_m": g.tourMeters.rounded(),
                     "tour_straight_legs": g.tourStraightLegs, "straight_tour_m": g.straightTourMeters.rounded()]
                },
                "unassigned_buildings": assignment.outside.count,
            ])
            return
        }
        print("grid             community      househ. bldgs  area m²     balance  PP     tour m  straight m")
        for g in grids {
            print(String(format: "%@  %@  %7d %5d  %10.0f  %+7d  %.3f  %7.0f  %7.0f%@%@", g.code, g.community ?? "-", g.households, g.buildings,
                         g.areaSquareMeters, g.balance, g.polsbyPopper, g.tourMeters, g.straightTourMeters,
                         g.tourStraightLegs > 0 ? "  \(g.tourStraightLegs) legs off the network" : "", g.inRange ? "" : "  out of range"))
        }
        print("\(grids.filter(\.inRange).count) of \(grids.count) grids in [\(min), \(max)]; \(assignment.outside.count) buildings in no grid")
    }
}

struct GridsRebalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebalance", abstract: "Compute a reassignment run (a dry run until applied) and print its id and metrics.",
        discussion: """
            Each building's cell (its Voronoi cell clipped to the community, in one piece) is computed first; grids are sets \
            of buildings whose cells share boundary, balanced by households with as few moves as the stability weight asks, \
            and compact by the Polsby–Popper of their cells. The cells dissolved per grid are the new grid polygons: one \
            polygon each (a grid that is not is named with the reason), tiling the community. A grid continuing a current \
            grid (one-to-one, by households kept, else by area) keeps its code and name; a new grid takes the next sequence \
            number its community never used (reading order); retired codes are never reused.
            """)
    @OptionGroup var store: StoreOptions
    @Option(help: "Only this community (12-digit code); repeatable. Default: all.") var community: [String] = []
    @Option(help: "Lower bound of households per grid.") var min = 300
    @Option(help: "Upper bound of households per grid.") var max = 500
    @Option(help: "Number of grids instead of the range-derived count.") var grids: Int?
    @Flag(help: "Start from scratch instead of the current plan.") var fromScratch = false
    @Option(help: "Weight of stability against compactness, 0…1.") var stability = 0.7
    @Option(help: "Highway classes of the walking network grids should not cross, comma-separated (e.g. primary,secondary,trunk).")
    var barriers: String?
    @Flag(help: "JSON output.") var json = false

    func run() async throws {
        var parameters = GridRuns.Parameters()
        parameters.communities = community; parameters.minimum = min; parameters.maximum = max
        parameters.gridCount = grids; parameters.fromCurrent = !fromScratch; parameters.stability = stability
        if let barriers {
            parameters.barriers = barriers.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let run: GridRuns.Run
        do {
            run = try GridRebalance.run(store: try store.open(), parameters: parameters)
        } catch let error as RunParameterError {
            throw ValidationError(error.message { Self.flags[$0] ?? $0.rawValue })
        }
        try GridsShowCommand.show(run, moves: nil, json: json)
    }

    /// The run vocabulary's names as this command's flags.
    static let flags: [GridRuns.Parameters.Field: String] = [
        .communities: "--community", .minimum: "--min", .maximum: "--max", .gridCount: "--grids", .fromCurrent: "--from-scratch",
        .stability: "--stability", .barriers: "--barriers",
    ]
}

struct GridsRunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List reassignment runs.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "JSON output.") var json = false

    func run() async throws {
        let store = try self.store.open()
        let runs = try GridRuns.list(store: store)
        // A dry run computed on older data is marked stale, naming the layers changed since.
        let freshness = try runs.map { try GridRunVersions.freshness(store: store, id: $0.id) }
        if json {
            try Console.printJSON(zip(runs, freshness).map { run, fresh in
                var object = GridsShowCommand.object(run)
                if let fresh { object["stale"] = fresh.isStale; object["changed_since"] = fresh.changedLayers }
                return object
            })
            return
        }
        for (run, fresh) in zip(runs, freshness) {
            let s = run.metrics.summary
            print("run \(run.id)  \(run.createdAt)  \(run.status)  \(s.grids) grids  \(s.inRange) in range  \(s.householdsMoved) households moved"
                  + (fresh.map { "  \($0.label)" } ?? ""))
        }
    }
}

struct GridsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A run's parameters, metrics and diff.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Run id.") var run: Int64
    @Flag(help: "JSON output.") var json = false

    func run() async throws {
        let store = try self.store.open()
        try Self.show(try GridRuns.get(store: store, id: run), moves: try GridRuns.moves(store: store, id: run),
                      registerMoves: try GridRuns.registerMoves(store: store, id: run), json: json)
    }

    static func object(_ run: GridRuns.Run) -> [String: Any] {
        let s = run.metrics.summary
        return [
            "id": run.id, "created_at": run.createdAt, "status": run.status,
            "parameters": parameters(run.parameters),
            "metrics": ["grids": s.grids, "households": s.households, "households_min": s.householdsMin, "households_max": s.householdsMax,
                        "households_std": (s.householdsStd * 10).rounded() / 10, "in_range": s.inRange, "share_in_range": s.shareInRange,
                        "feasible": s.feasible, "contiguous": s.contiguous, "polsby_popper_mean": (run.metrics.polsbyPopperMean * 1000).rounded() / 1000,
                        "households_moved": s.householdsMoved, "buildings_moved": run.metrics.buildingsMoved,
                        "seconds": (run.metrics.seconds * 1000).rounded() / 1000] as [String: Any],
            "communities": run.metrics.communities.map { ["community": $0.community, "buildings": $0.buildings, "households": $0.households,
                                                          "grids": $0.grids, "components": $0.components, "warnings": $0.warnings] as [String: Any] },
            "barriers": run.metrics.barriers.map { b -> Any in
                ["classes": b.classes, "network_edges": b.networkEdges, "adjacencies_cut": b.adjacenciesCut,
                 "adjacencies_restored": b.adjacenciesRestored, "current_grids_spanning": b.currentGridsSpanning,
                 "grids_spanning": b.gridsSpanning] as [String: Any]
            } ?? NSNull(),
            "warnings": run.warnings,
        ]
    }

    /// The parameters in the run vocabulary, as the HTTP API and the stored run name them; every one present.
    static func parameters(_ parameters: GridRuns.Parameters) -> [String: Any] {
        let values: [GridRuns.Parameters.Field: Any] = [
            .communities: parameters.communities, .minimum: parameters.minimum, .maximum: parameters.maximum,
            .gridCount: parameters.gridCount as Any? ?? NSNull(), .fromCurrent: parameters.fromCurrent, .stability: parameters.stability,
            .barriers: parameters.barriers ?? [],
        ]
        return Dictionary(uniqueKeysWithValues: values.map { ($0.key.rawValue, $0.value) })
    }

    static func show(_ run: GridRuns.Run, moves: [GridRuns.Move]?, registerMoves: [GridRuns.RegisterMove] = [], json: Bool) throws {
        if json {
            var object = object(run)
            if let moves {
                object["moves"] = moves.map {
                    ["building": $0.building, "name": $0.name as Any? ?? NSNull(), "source_id": $0.sourceID as Any? ?? NSNull(),
                     "households": $0.households, "from": $0.from as Any? ?? NSNull(), "to": $0.to] as [String: Any]
                }
                object["register_moves"] = registerMoves.map {
                    ["register_row": $0.register, "building": $0.building, "name": $0.buildingName as Any? ?? NSNull(),
                     "source_id": $0.buildingSourceID as Any? ?? NSNull(), "unit": $0.unit as Any? ?? NSNull(), "floor": $0.floor as Any? ?? NSNull(),
                     "households": $0.households, "from": $0.from as Any? ?? NSNull(), "to": $0.to] as [String: Any]
                }
            }
            try Console.printJSON(object)
            return
        }
        let s = run.metrics.summary
        print("run \(run.id) (\(run.status))")
        print(String(format: "%d grids, households per grid %d–%d (std %.1f), %d in [%d, %d] (%.0f %%), %d feasible, %d contiguous",
                     s.grids, s.householdsMin, s.householdsMax, s.householdsStd, s.inRange, run.parameters.minimum, run.parameters.maximum,
                     s.shareInRange * 100, s.feasible, s.contiguous))
        print(String(format: "Polsby-Popper mean %.3f; %d households moved (%.1f %%) in %d buildings; %.2f s", run.metrics.polsbyPopperMean,
                     s.householdsMoved, s.households == 0 ? 0 : Double(s.householdsMoved) / Double(s.households) * 100, run.metrics.buildingsMoved,
                     run.metrics.seconds))
        if let b = run.metrics.barriers {
            print("barriers \(b.classes.joined(separator: ",")): \(b.networkEdges) network edges, \(b.adjacenciesCut) building adjacencies cut "
                  + "(\(b.adjacenciesRestored) kept to keep a block in range); grids spanning a barrier: \(b.currentGridsSpanning) now, \(b.gridsSpanning) planned")
        }
        for warning in run.warnings { print("warning: \(warning)") }
        if let moves {
            for m in moves { print("\(m.label), \(m.households) households: \(m.from ?? "none") → \(m.to)") }
            for m in registerMoves {
                let place = [m.unit.map { "unit \($0)" }, m.floor.map { "floor \($0)" }].compactMap { $0 }.joined(separator: " ")
                print("register row \(m.register)\(place.isEmpty ? "" : " (\(place))") of \(m.buildingLabel), \(m.households) households: \(m.from ?? "none") → \(m.to)")
            }
        }
    }
}

/// `apply` and `revert`: one change of the grids by a stored run (`GridRuns.Change`).
protocol GridsChangeCommand: AsyncParsableCommand {
    static var change: GridRuns.Change { get }
    var arguments: GridsChangeArguments { get }
}

struct GridsChangeArguments: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Argument(help: "Run id.") var run: Int64
    @Flag(help: "JSON output.") var json = false
}

extension GridsChangeCommand {
    func run() async throws {
        let store = try arguments.store.open(), id = arguments.run
        try GridRuns.perform(Self.change, store: store, id: id)
        if arguments.json { try Console.printJSON(GridsShowCommand.object(try GridRuns.get(store: store, id: id))) } else { print("run \(id) \(Self.change.to)") }
    }
}

struct GridsApplyCommand: GridsChangeCommand {
    static let configuration = CommandConfiguration(commandName: "apply", abstract: "Replace the grids by a run's grids, in one transaction.")
    static let change = GridRuns.Change.apply
    @OptionGroup var arguments: GridsChangeArguments
}

struct GridsRevertCommand: GridsChangeCommand {
    static let configuration = CommandConfiguration(commandName: "revert", abstract: "Restore the grids an applied run replaced.")
    static let change = GridRuns.Change.revert
    @OptionGroup var arguments: GridsChangeArguments
}
