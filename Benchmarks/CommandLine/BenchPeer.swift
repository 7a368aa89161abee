import ArgumentParser
import Foundation
import GridAnalysis
import GridCommandLine
import GridModel
import GridStore

struct BenchPeer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "Solve ../shared/bench/peers' coverage task (node-snapped) and print its JSON line.",
        discussion: """
            Reads nodes.csv, edges.csv, origins.csv and facilities.csv from --data, runs the same exact
            multi-source search as `coverage` from the category's snapped nodes, and prints one JSON line in the
            harness's format; --out writes origin,node,households,dist_m,walk_min. Add it to the harness with
            EXTRA='communitygrid=/abs/path/communitygrid-bench peer' ./run_all.sh
            """)

    @Option(help: "Folder made by the harness's derive.py.") var data: String
    @Option(help: "Facility category.") var category: String
    @Option(help: "Per-origin CSV to write.") var out: String?
    @Option(help: "Cutoff in metres (default: 15 minutes at the profile's walking speed, the harness's 1080 m).") var cutoff: Double?
    @OptionGroup var profileOptions: ProfileOptions
    @Option(name: .customLong("isochrone-runs"), help: "Warm repeats of the harness's isochrone after the cold one (0: no isochrone).")
    var isochroneRuns: Int = 21

    func run() async throws {
        let rule = try profileOptions.load().reach
        let cutoff = self.cutoff ?? rule.distance(minutes: 15).value
        var times: [(String, Double)] = []
        var clock = Date()
        func lap(_ name: String) { times.append((name, Date().timeIntervalSince(clock))); clock = Date() }

        let nodes = try HarnessCSV(path: "\(data)/nodes.csv")
        let edges = try HarnessCSV(path: "\(data)/edges.csv")
        let origins = try HarnessCSV(path: "\(data)/origins.csv")
        let facilities = try HarnessCSV(path: "\(data)/facilities.csv")
        lap("read")

        var position: [Int64: Coordinate] = [:]
        let (idColumn, lonColumn, latColumn) = (try nodes.column("id"), try nodes.column("lon"), try nodes.column("lat"))
        position.reserveCapacity(nodes.rowCount)
        for row in 0..<nodes.rowCount {
            position[try nodes.int(row, idColumn)] = Coordinate(longitude: try nodes.double(row, lonColumn), latitude: try nodes.double(row, latColumn))
        }
        var builder = WalkingGraph.Builder(edgeCapacity: edges.rowCount, pointCapacity: edges.rowCount * 2)
        let (u, v, length) = (try edges.column("u"), try edges.column("v"), try edges.column("length_m"))
        for row in 0..<edges.rowCount {
            let a = try edges.int(row, u), b = try edges.int(row, v)
            guard let pa = position[a], let pb = position[b] else { throw StoreError.badInput("\(edges.path): row \(row + 1) names an unknown node") }
            builder.addEdge(id: Int64(row), sourceNode: a, targetNode: b, length: Meters(try edges.double(row, length)), geometry: [pa, pb])
        }
        let categoryColumn = try facilities.column("category"), facilityNode = try facilities.column("node")
        var sourceSet = Set<Int64>()
        for row in 0..<facilities.rowCount where facilities.string(row, categoryColumn) == category {
            sourceSet.insert(try facilities.int(row, facilityNode))
        }
        let sourceIDs = sourceSet.sorted()
        guard !sourceIDs.isEmpty else { throw StoreError.badInput("\(data)/facilities.csv: no facilities of category \(category)") }
        let (originID, originNode, originHouseholds) = (try origins.column("id"), try origins.column("node"), try origins.column("households"))
        let demand = try (0..<origins.rowCount).map {
            (id: origins.string($0, originID), node: try origins.int($0, originNode), households: try origins.int($0, originHouseholds))
        }
        lap("load")

        let graph = WalkingGraph(builder)
        lap("build")

        let sources = sourceIDs.compactMap { id in graph.nodeIndex(ofOSMNode: id).map { (facilityID: id, node: $0) } }
        let reached = try NearestFacilitySearch.nodeDistances(graph: graph, sourceNodes: sources, horizon: Meters(cutoff))
        lap("query")

        var covered = 0, households = 0, householdsCovered = 0, minutes = 0.0
        var lines = ["origin,node,households,dist_m,walk_min"]
        for origin in demand {
            households += Int(origin.households)
            let distance = graph.nodeIndex(ofOSMNode: origin.node).map { reached.distance[Int($0)] } ?? .infinity
            let ok = distance <= cutoff
            if ok { covered += 1; householdsCovered += Int(origin.households); minutes += rule.minutes(Meters(distance)) }
            if out != nil {
                lines.append("\(origin.id),\(origin.node),\(origin.households),"
                             + (ok ? String(format: "%.2f,%.2f", distance, rule.minutes(Meters(distance))) : ","))
            }
        }
        let isochrone = try isochroneRuns > 0 ? Self.isochrone(graph: graph, sources: sourceIDs, nodes: nodes, cutoff: cutoff,
                                                               rule: rule, warmRuns: isochroneRuns) : nil
        if let isochrone { times.append(("iso_hull", isochrone.coldSeconds)) }

        if let out { try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: out)) }
        let within = reached.distance.reduce(0) { $0 + ($1 <= cutoff ? 1 : 0) }
        var line: [String: Any] = [
            "peer": "communitygrid", "version": "0.1.0", "data": URL(fileURLWithPath: data).lastPathComponent, "category": category,
            "sources": sourceIDs.count, "origins": demand.count, "covered": covered, "households": households,
            "households_covered": householdsCovered,
            "share_households": households == 0 ? NSNull() : (Double(householdsCovered) / Double(households) * 10000).rounded() / 10000,
            "nodes_within": within, "graph_nodes": graph.nodeCount, "graph_edges": graph.edgeCount,
            "mean_walk_min_covered": covered == 0 ? NSNull() : (minutes / Double(covered) * 1000).rounded() / 1000,
            "times_s": Dictionary(times.map { ($0.0, ($0.1 * 10000).rounded() / 10000) }, uniquingKeysWith: { a, _ in a }),
        ]
        if let isochrone {
            // The harness's isochrone columns: the polygon is ours (network cut at the exact budget, 25 m off-network
            // allowance), not a concave hull; the key is the harness's.
            line["iso_source"] = isochrone.source
            line["iso_nodes"] = isochrone.reachedNodes
            line["iso_km2"] = (isochrone.areaSquareMeters / 1e6 * 10000).rounded() / 10000
            line["iso_ms_cold"] = (isochrone.coldSeconds * 1e5).rounded() / 100
            line["iso_ms_median"] = (isochrone.warmMilliseconds.median * 100).rounded() / 100
            line["iso_ms_p95"] = (isochrone.warmMilliseconds.p95 * 100).rounded() / 100
            line["iso_warm_runs"] = isochroneRuns
        }
        line["peak_rss_mb"] = (peakResidentMB() * 10).rounded() / 10
        // The harness reads lines that start with {"peer":
        let body = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        var text = String(decoding: body, as: UTF8.self)
        text = "{\"peer\":\"communitygrid\"," + text.dropFirst().replacingOccurrences(of: "\"peer\":\"communitygrid\",", with: "")
        print(text)
    }
}

extension BenchPeer {
    struct IsochroneTiming {
        var source: Int64
        var reachedNodes: Int
        var areaSquareMeters: Double
        var coldSeconds: Double
        var warmMilliseconds: (median: Double, p95: Double)
    }

    /// The harness's isochrone: from the source node nearest the mean node position (its `iso_source`, same
    /// metric and tie rule), the area within `cutoff` metres. Timed once cold (as the peers are, one per process),
    /// then `warmRuns` times with the workspace reused, as the server does.
    static func isochrone(graph: WalkingGraph, sources: [Int64], nodes: HarnessCSV, cutoff: Double, rule: ReachRule, warmRuns: Int) throws -> IsochroneTiming {
        let (lonColumn, latColumn) = (try nodes.column("lon"), try nodes.column("lat"))
        var sumLon = 0.0, sumLat = 0.0
        for row in 0..<nodes.rowCount {
            sumLon += try nodes.double(row, lonColumn); sumLat += try nodes.double(row, latColumn)
        }
        let cx = sumLon / Double(nodes.rowCount), cy = sumLat / Double(nodes.rowCount)
        var best: (id: Int64, node: Int32, key: Double)?
        for id in sources {  // ascending, so the first of equal keys wins, as Python's min does
            guard let node = graph.nodeIndex(ofOSMNode: id) else { continue }
            let c = graph.coordinate(ofNode: node)
            let key = ((c.longitude - cx) * 0.5) * ((c.longitude - cx) * 0.5) + (c.latitude - cy) * (c.latitude - cy)
            if best == nil || key < best!.key { best = (id, node, key) }
        }
        guard let best, let snap = graph.snapPoint(atNode: best.node) else {
            throw StoreError.badInput("no isochrone source: none of the category's nodes is on the graph")
        }
        let origin = Isochrone.PlacedOrigin(location: graph.coordinate(ofNode: best.node), snap: snap)
        let contours: [Isochrone.Contour] = [.meters(cutoff)]
        let options = Isochrone.Options(reach: rule)
        let workspace = IsochroneWorkspace()
        let clock = ContinuousClock()
        var started = clock.now
        let first = try Isochrone.run(graph: graph, origins: [origin], contours: contours, options: options, workspace: workspace)
        let cold = clock.now - started
        var warm: [Double] = []
        for _ in 0..<warmRuns {
            started = clock.now
            _ = try Isochrone.run(graph: graph, origins: [origin], contours: contours, options: options, workspace: workspace)
            warm.append(BenchIsochrone.milliseconds(clock.now - started))
        }
        return IsochroneTiming(source: best.id, reachedNodes: first.reachedNodes, areaSquareMeters: first.bands[0].areaSquareMeters,
                               coldSeconds: BenchIsochrone.milliseconds(cold) / 1000,
                               warmMilliseconds: (BenchIsochrone.quantile(warm, 0.5), BenchIsochrone.quantile(warm, 0.95)))
    }
}
