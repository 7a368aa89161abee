import ArgumentParser
import DemoCity
import Foundation
import GridAnalysis
import GridModel
import GridStore

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: the peer harness task, and coverage on generated cities.",
        subcommands: [BenchPeer.self, BenchCoverage.self, BenchIsochrone.self, BenchDistricting.self])
}

/// glibc's malloc_trim: returns freed heap pages to the system (not exported by the Glibc module).
@_silgen_name("malloc_trim")
func releaseFreeMemory(_ pad: Int) -> Int32

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

/// The harness's CSV files: a header row, plain fields (no quotes). Parsed on bytes with field offsets,
/// numbers read in place (strtod): the files reach 100,000 lines and reading them is most of a run.
struct HarnessCSV {
    let path: String
    let header: [String]
    let rowCount: Int
    private let bytes: [UInt8]
    /// Start offset of every field, row-major; a field ends at the next ',' or line end.
    private let starts: [Int32]
    private let lines: [Int32]

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.badInput("\(path): file not found") }
        self.path = path
        var bytes = [UInt8](data)
        bytes.append(0)
        var position = 0
        func lineEnd(_ from: Int) -> Int {
            var i = from
            while i < bytes.count - 1 && bytes[i] != 0x0A { i += 1 }
            return i
        }
        let headerEnd = lineEnd(0)
        var headerText = String(decoding: bytes[0..<headerEnd], as: UTF8.self)
        if headerText.hasSuffix("\r") { headerText.removeLast() }
        header = headerText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !header.isEmpty else { throw StoreError.badInput("\(path): empty") }
        let width = header.count
        var starts: [Int32] = [], lines: [Int32] = []
        starts.reserveCapacity(bytes.count / 8)
        position = headerEnd + 1
        var line = 2
        while position < bytes.count - 1 {
            let end = lineEnd(position)
            var contentEnd = end
            if contentEnd > position && bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            if contentEnd > position {
                var fields = 1
                starts.append(Int32(position))
                for i in position..<contentEnd where bytes[i] == 0x2C {
                    fields += 1
                    starts.append(Int32(i + 1))
                }
                guard fields == width else { throw StoreError.badInput("\(path) line \(line): \(fields) fields, header has \(width)") }
                lines.append(Int32(line))
            }
            position = end + 1
            line += 1
        }
        self.bytes = bytes
        self.starts = starts
        self.lines = lines
        rowCount = lines.count
    }

    func column(_ name: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else { throw StoreError.badInput("\(path): no column \(name)") }
        return index
    }

    private func fail(_ row: Int, _ column: Int, _ what: String) -> StoreError {
        .badInput("\(path) line \(lines[row]): \"\(string(row, column))\" is not \(what)")
    }

    func string(_ row: Int, _ column: Int) -> String {
        let start = Int(starts[row * header.count + column])
        var end = start
        while bytes[end] != 0x2C && bytes[end] != 0x0A && bytes[end] != 0x0D && bytes[end] != 0 { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    func int(_ row: Int, _ column: Int) throws -> Int64 {
        var i = Int(starts[row * header.count + column])
        var negative = false
        if bytes[i] == 0x2D { negative = true; i += 1 }
        var value: Int64 = 0, digits = 0
        while bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(bytes[i] - 0x30))
            guard !o1 && !o2 else { throw fail(row, column, "a 64-bit integer") }
            value = sum; digits += 1; i += 1
        }
        guard digits > 0, [0x2C, 0x0A, 0x0D, 0].contains(bytes[i]) else { throw fail(row, column, "an integer") }
        return negative ? -value : value
    }

    private static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    func double(_ row: Int, _ column: Int) throws -> Double {
        let start = Int(starts[row * header.count + column])
        // Clinger's fast path: up to 15 digits and 22 decimals, mantissa ÷ 10^k is correctly rounded, as strtod is.
        var i = start, negative = false
        if bytes[i] == 0x2D { negative = true; i += 1 }
        var mantissa: Int64 = 0, digits = 0, decimals = 0, seenPoint = false
        while true {
            let c = bytes[i]
            if c >= 0x30 && c <= 0x39 {
                mantissa = mantissa * 10 + Int64(c - 0x30); digits += 1
                if seenPoint { decimals += 1 }
            } else if c == 0x2E && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            if digits > 15 { break }
            i += 1
        }
        if digits > 0 && digits <= 15 && decimals <= 22 && [0x2C, 0x0A, 0x0D, 0].contains(bytes[i]) {
            let value = Double(mantissa) / Self.powersOfTen[decimals]
            return negative ? -value : value
        }
        return try bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress! + start).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(base, &end)
            guard let end, end != UnsafeMutablePointer(mutating: base), [0x2C, 0x0A, 0x0D, 0].contains(UInt8(bitPattern: end.pointee)), value.isFinite
            else { throw fail(row, column, "a number") }
            return value
        }
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
