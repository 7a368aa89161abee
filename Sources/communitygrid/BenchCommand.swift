import ArgumentParser
import DemoCity
import Foundation
import GridAnalysis
import GridModel
import GridStore

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: the peer harness task, and coverage on generated cities.",
        subcommands: [BenchPeer.self, BenchCoverage.self])
}

/// Peak resident memory of this process so far (Linux VmHWM), in MB.
func peakResidentMB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

struct BenchPeer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "Solve ../shared/bench/peers' coverage task (node-snapped) and print its JSON line.",
        discussion: """
            Reads nodes.csv, edges.csv, origins.csv and facilities.csv from --data, runs the same exact
            multi-source search as `coverage` from the category's snapped nodes, and prints one JSON line in the
            harness's format; --out writes origin,node,households,dist_m,walk_min. Add it to the harness with
            EXTRA='communitygrid=/abs/path/communitygrid bench peer' ./run_all.sh
            """)

    @Option(help: "Folder made by the harness's derive.py.") var data: String
    @Option(help: "Facility category.") var category: String
    @Option(help: "Per-origin CSV to write.") var out: String?
    @Option(help: "Cutoff in metres.") var cutoff: Double = 1080

    func run() async throws {
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
        position.reserveCapacity(nodes.rows.count)
        for row in nodes.rows { position[try row.int(idColumn)] = Coordinate(longitude: try row.double(lonColumn), latitude: try row.double(latColumn)) }
        var builder = WalkingGraph.Builder(edgeCapacity: edges.rows.count, pointCapacity: edges.rows.count * 2)
        let (u, v, length) = (try edges.column("u"), try edges.column("v"), try edges.column("length_m"))
        for (index, row) in edges.rows.enumerated() {
            let a = try row.int(u), b = try row.int(v)
            guard let pa = position[a], let pb = position[b] else { throw StoreError.badInput("edges.csv line \(index + 2): unknown node") }
            builder.addEdge(id: Int64(index), sourceNode: a, targetNode: b, length: Meters(try row.double(length)), geometry: [pa, pb])
        }
        let categoryColumn = try facilities.column("category"), facilityNode = try facilities.column("node")
        let sourceIDs = Set(try facilities.rows.filter { $0.field(categoryColumn) == category }.map { try $0.int(facilityNode) }).sorted()
        guard !sourceIDs.isEmpty else { throw StoreError.badInput("\(data)/facilities.csv: no facilities of category \(category)") }
        let (originID, originNode, originHouseholds) = (try origins.column("id"), try origins.column("node"), try origins.column("households"))
        let demand = try origins.rows.map { (id: $0.field(originID), node: try $0.int(originNode), households: try $0.int(originHouseholds)) }
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
            if ok { covered += 1; householdsCovered += Int(origin.households); minutes += distance / 1.2 / 60 }
            if out != nil {
                lines.append("\(origin.id),\(origin.node),\(origin.households),"
                             + (ok ? String(format: "%.2f,%.2f", distance, distance / 1.2 / 60) : ","))
            }
        }
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
        line["peak_rss_mb"] = (peakResidentMB() * 10).rounded() / 10
        // The harness reads lines that start with {"peer":
        let body = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        var text = String(decoding: body, as: UTF8.self)
        text = "{\"peer\":\"communitygrid\"," + text.dropFirst().replacingOccurrences(of: "\"peer\":\"communitygrid\",", with: "")
        print(text)
    }
}

/// The harness's CSV files: a header row, plain fields (no quotes), read as bytes.
struct HarnessCSV {
    struct Row {
        let fields: [Substring]
        let line: Int
        let file: String
        func field(_ i: Int) -> String { String(fields[i]) }
        func int(_ i: Int) throws -> Int64 {
            guard let value = Int64(fields[i]) else { throw StoreError.badInput("\(file) line \(line): \"\(fields[i])\" is not an integer") }
            return value
        }
        func double(_ i: Int) throws -> Double {
            guard let value = Double(fields[i]) else { throw StoreError.badInput("\(file) line \(line): \"\(fields[i])\" is not a number") }
            return value
        }
    }

    let header: [String]
    let rows: [Row]
    let path: String

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.badInput("\(path): file not found") }
        self.path = path
        // Bytes, not Characters: "\r\n" is one Character in Swift, and the harness writes CRLF.
        var lines: [Substring] = []
        let text = String(decoding: data, as: UTF8.self)
        var start = text.utf8.startIndex
        for index in text.utf8.indices where text.utf8[index] == 0x0A {
            var end = index
            if end > start, text.utf8[text.utf8.index(before: end)] == 0x0D { end = text.utf8.index(before: end) }
            if end > start { lines.append(text[start..<end]) }
            start = text.utf8.index(after: index)
        }
        if start < text.utf8.endIndex { lines.append(text[start...]) }
        guard !lines.isEmpty else { throw StoreError.badInput("\(path): empty") }
        header = lines.removeFirst().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let width = header.count
        rows = try lines.enumerated().map { index, line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == width else { throw StoreError.badInput("\(path) line \(index + 2): \(fields.count) fields, header has \(width)") }
            return Row(fields: fields, line: index + 2, file: path)
        }
    }

    func column(_ name: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else { throw StoreError.badInput("\(path): no column \(name)") }
        return index
    }
}

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

        let (edges, buildings, facilities) = Self.derive(nodes: nodes, seed: seed)
        let peakAfterGeneration = peakResidentMB()
        lap("generate + derive")
        var builder = WalkingGraph.Builder(edgeCapacity: edges.count, pointCapacity: edges.count * 3)
        for (index, edge) in edges.enumerated() {
            builder.addEdge(id: Int64(index + 1), sourceNode: edge.sourceNode, targetNode: edge.targetNode, length: edge.length, geometry: edge.line.coordinates)
        }
        let graph = WalkingGraph(builder)
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
            "peak_rss_mb_after_generation": peakAfterGeneration.rounded(), "peak_rss_mb": peakResidentMB().rounded(),
            "graph_mb": (Double(graph.approximateByteCount) / 1_048_576).rounded(),
        ]
        if json { try Console.printJSON(report); return }
        print("city: \(graph.nodeCount) junctions, \(graph.edgeCount) edges, \(buildings.count) buildings, \(facilities.count) facilities")
        for (name, seconds) in times { print(String(format: "  %-36@ %7.3f s", name, seconds)) }
        print(String(format: "  peak RSS %.0f MB (after generation %.0f MB); graph %.0f MB", peakResidentMB(), peakAfterGeneration,
                     Double(graph.approximateByteCount) / 1_048_576))
    }

    /// Generates the city and derives what an import would store, keeping only that.
    static func derive(nodes: Int, seed: UInt64) -> ([OSMExtract.Edge], [Coverage.Building], [Coverage.Facility]) {
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
        return (extract.edges, buildings, facilities)
    }
}
