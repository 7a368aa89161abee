import ArgumentParser
import DemoCity
import Foundation
import GridAnalysis
import GridCommandLine
import GridModel
import GridStore

struct BenchCoverage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Coverage of every default-profile category on a generated city of about N network nodes.",
        discussion: "Phases are timed separately; the city is generated and turned into network, buildings and facilities by the import's own rules first.")

    @Option(help: "Target network nodes (the generator lands within a few per cent).") var nodes: Int = 1_000_000
    @Option(help: "Generator seed.") var seed: UInt64 = 1
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        var clock = Date()
        var times: [(String, Double)] = []
        func lap(_ name: String) { times.append((name, Date().timeIntervalSince(clock))); clock = Date() }

        let (builder, buildings, facilities) = Self.derive(nodes: nodes, seed: seed)
        let peakAfterGeneration = peakResidentMB()
        lap("generate + derive")
        // The generator's objects are gone; hand their memory back and restart the peak, so that the
        // figure below is what the analysis itself needs (graph input, graph, index, searches, results).
        _ = releaseFreeMemory(0)
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        // Handed over: the builder's arrays go as soon as the graph has copied them.
        let graph = WalkingGraph(consume builder)
        lap("graph")
        let snapper = EdgeSnapper(graph: graph)
        lap("snap index")
        let result = try Coverage.run(graph: graph, snapper: snapper, buildings: buildings, facilities: facilities, profile: .gb50180)
        lap("coverage (snap + \(result.categories.count) searches)")
        let summary = result.summary
        let report: [String: Any] = [
            "target_nodes": nodes, "graph_nodes": graph.nodeCount, "graph_edges": graph.edgeCount, "buildings": buildings.count,
            "facilities": facilities.count, "categories": result.categories,
            "shares": summary.levels.indices.map { (summary.share(level: $0) * 10000).rounded() / 10000 },
            "times_s": Dictionary(times.map { ($0.0, ($0.1 * 1000).rounded() / 1000) }, uniquingKeysWith: { a, _ in a }),
            "peak_rss_mb_generation": peakAfterGeneration.rounded(), "peak_rss_mb_analysis": peakResidentMB().rounded(),
            "graph_mb": (Double(graph.approximateByteCount) / 1_048_576).rounded(),
        ]
        if json { try Console.printJSON(report); return }
        print("city: \(graph.nodeCount) junctions, \(graph.edgeCount) edges, \(buildings.count) buildings, \(facilities.count) facilities")
        for (name, seconds) in times { print("  " + name.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: " %7.3f s", seconds)) }
        print(String(format: "  analysis %.3f s; peak RSS %.0f MB during the analysis (%.0f MB while generating); graph %.0f MB",
                     times.dropFirst().reduce(0) { $0 + $1.1 }, peakResidentMB(), peakAfterGeneration,
                     Double(graph.approximateByteCount) / 1_048_576))
    }

    /// Generates the city and derives what an import would store, keeping only that.
    static func derive(nodes: Int, seed: UInt64) -> (WalkingGraph.Builder, [Coverage.Building], [Coverage.Facility]) {
        let district = District.generate(.city(targetNetworkNodes: nodes, seed: seed))
        var data = OSMData()
        data.reserveNodes(district.nodes.count)
        for node in district.nodes {
            data.addNode(id: node.id, longitude: node.coordinate.longitude, latitude: node.coordinate.latitude,
                         tags: OSMTags(node.tags.map { (key: $0.0, value: $0.1) }))
        }
        data.ways = district.ways.map { OSMWay(id: $0.id, nodeIDs: $0.nodeIDs, tags: OSMTags($0.tags.map { (key: $0.0, value: $0.1) })) }
        data.relations = district.relations.map { relation in
            OSMRelation(id: relation.id, members: relation.members.map {
                OSMMember(kind: $0.type == .node ? .node : $0.type == .way ? .way : .relation, ref: $0.ref, role: $0.role)
            }, tags: OSMTags(relation.tags.map { (key: $0.0, value: $0.1) }))
        }
        let extract = OSMExtractor.extract(data, rules: .default)
        let buildings = extract.buildings.enumerated().map { Coverage.Building(id: Int64($0 + 1), point: $1.point, households: $1.households) }
        let facilities = extract.facilities.enumerated().map { Coverage.Facility(id: Int64($0 + 1), category: $1.category, location: $1.location) }
        let pointCount = extract.edges.reduce(0) { $0 + $1.line.coordinates.count }
        var builder = WalkingGraph.Builder(edgeCapacity: extract.edges.count, pointCapacity: pointCount)
        for (index, edge) in extract.edges.enumerated() {
            builder.addEdge(id: Int64(index + 1), sourceNode: edge.sourceNode, targetNode: edge.targetNode, length: edge.length, geometry: edge.line.coordinates)
        }
        return (builder, buildings, facilities)
    }
}
