import Foundation
import GridAnalysis
import GridModel
import Testing

/// The whole coverage pipeline on a street lattice: build, index, snap buildings, eight facility categories.
/// The default run is small; `COMMUNITYGRID_LARGE=1` runs about a million junctions and prints rough timings
/// (meaningful only in a release build: `swift test -c release`).
@Suite("Large network timing")
struct LargeNetworkTimingTests {
    static let large = ProcessInfo.processInfo.environment["COMMUNITYGRID_LARGE"] == "1"

    /// side × side junctions 100 m apart; every east–west street, half of the north–south links; each edge
    /// bent through one shape point 3 m off its middle; edges shuffled as a store might return them.
    static func lattice(side: Int, seed: UInt64) -> [NetworkEdge] {
        var rng = SeededGenerator(seed: seed)
        var edges: [NetworkEdge] = []
        edges.reserveCapacity(side * side * 3 / 2)
        func osm(_ x: Int, _ y: Int) -> Int64 { 4_000_000_000 + Int64(y * side + x) * 3 }
        func add(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) {
            let a = AsciiNetwork.at(east: Double(x0) * 100, south: Double(y0) * 100)
            let b = AsciiNetwork.at(east: Double(x1) * 100, south: Double(y1) * 100)
            let bend = Double.random(in: -3...3, using: &rng)
            let m = AsciiNetwork.at(east: Double(x0 + x1) * 50 + (y0 == y1 ? 0 : bend),
                                    south: Double(y0 + y1) * 50 + (y0 == y1 ? bend : 0))
            let length = Geodesy.distance(a, m).value + Geodesy.distance(m, b).value
            edges.append(NetworkEdge(id: Int64(edges.count + 1), sourceNode: osm(x0, y0), targetNode: osm(x1, y1),
                                     length: Meters(length), geometry: [a, m, b]))
        }
        for y in 0..<side {
            for x in 0..<side {
                if x + 1 < side { add(x, y, x + 1, y) }
                if y + 1 < side && Bool.random(using: &rng) { add(x, y, x, y + 1) }
            }
        }
        edges.shuffle(using: &rng)
        return edges
    }

    struct Figures {
        var nodes = 0, edges = 0
        var build = 0.0, builderFill = 0.0, builderBuild = 0.0
        var index = 0.0, snap = 0.0, snappedPoints = 0
        var searches: [Double] = []
        var fullSearch = 0.0, covered = 0
        var graphBytes = 0, indexBytes = 0
        /// Growth of the peak resident set during each step, in bytes (Linux only; 0 elsewhere).
        var buildPeak = 0, indexPeak = 0, searchPeak = 0
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// A field of /proc/self/status in bytes, 0 when unavailable.
    static func status(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kb * 1024
    }

    /// Restarts peak tracking (writing 5 to clear_refs resets VmHWM) and returns the current resident set.
    static func startPeak() -> Int {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        return status("VmRSS")
    }

    static func pipeline(side: Int, buildings: Int) throws -> Figures {
        var f = Figures()
        let edges = lattice(side: side, seed: 2018)
        let clock = ContinuousClock()
        f.build = seconds(clock.measure { _ = WalkingGraph(edges: edges) })

        // The store's path: flat arrays through a builder handed over to the graph.
        var builder = WalkingGraph.Builder()
        f.builderFill = seconds(clock.measure {
            builder = WalkingGraph.Builder(edgeCapacity: edges.count, pointCapacity: 3 * edges.count)
            for e in edges { builder.addEdge(e) }
        })
        var base = startPeak()
        let started = clock.now
        let graph = WalkingGraph(consume builder)   // handed over, so its arrays go as soon as they are copied
        f.builderBuild = seconds(clock.now - started)
        f.buildPeak = max(0, status("VmHWM") - base)
        f.nodes = graph.nodeCount
        f.edges = graph.edgeCount
        f.graphBytes = graph.approximateByteCount

        base = startPeak()
        var snapper: EdgeSnapper!
        f.index = seconds(clock.measure { snapper = EdgeSnapper(graph: graph) })
        f.indexPeak = max(0, status("VmHWM") - base)
        f.indexBytes = snapper.approximateByteCount

        var rng = SeededGenerator(seed: 50180)
        let extent = Double(side - 1) * 100
        func randomPoint() -> Coordinate {
            AsciiNetwork.at(east: Double.random(in: 0...extent, using: &rng), south: Double.random(in: 0...extent, using: &rng))
        }
        let buildingPoints = (0..<buildings).map { _ in randomPoint() }
        var targets: [SnapPoint?] = []
        f.snap = seconds(clock.measure { targets = snapper.snap(buildingPoints) })
        f.snappedPoints = targets.count

        base = startPeak()
        let workspace = SearchWorkspace()
        for category in 0..<8 {
            let sources = (0..<20).compactMap { i in
                snapper.snap(randomPoint()).map { NearestFacilitySearch.Source(facilityID: Int64(category * 100 + i), snap: $0) }
            }
            var answers: [NearestFacilitySearch.Answer?] = []
            f.searches.append(seconds(try clock.measure {
                answers = try NearestFacilitySearch.run(graph: graph, sources: sources, targets: targets,
                                                        horizon: Meters(1080), workspace: workspace)
            }))
            f.covered += answers.lazy.filter { $0 != nil }.count
            #expect(answers.allSatisfy { $0 == nil || $0!.distance.value <= 1080 })
        }
        let sourceNodes = (0..<20).map { (Int64($0), Int32.random(in: 0..<Int32(graph.nodeCount), using: &rng)) }
        var full: (distance: [Double], facility: [Int64]) = ([], [])
        f.fullSearch = seconds(try clock.measure {
            full = try NearestFacilitySearch.nodeDistances(graph: graph, sourceNodes: sourceNodes, horizon: Meters(.infinity),
                                                           workspace: workspace)
        })
        f.searchPeak = max(0, status("VmHWM") - base)
        // The lattice is connected: every junction gets a distance.
        #expect(full.distance.allSatisfy { $0.isFinite })
        return f
    }

    @Test func smallLatticePipeline() throws {
        let f = try Self.pipeline(side: 60, buildings: 2000)
        #expect(f.nodes == 3600)
        #expect(f.snappedPoints == 2000)
        #expect(f.covered > 0)
    }

    @Test(.enabled(if: large)) func millionJunctionTimings() throws {
        let f = try Self.pipeline(side: 1000, buildings: 100_000)
        let ms = { (s: Double) in String(format: "%.1f ms", s * 1000) }
        let mib = { (b: Int) in "\(b >> 20) MiB" }
        print("""
            [GridAnalysis timing] \(f.nodes) nodes, \(f.edges) edges
              graph build from [NetworkEdge]  \(ms(f.build))
              graph build from Builder       \(ms(f.builderBuild)) (filling it \(ms(f.builderFill))), peak +\(mib(f.buildPeak))
              snap index build               \(ms(f.index)), peak +\(mib(f.indexPeak))
              snap \(f.snappedPoints) points           \(ms(f.snap))
              8 × run(20 sources, \(f.snappedPoints) targets, 1080 m): \(f.searches.map(ms).joined(separator: ", "))
                total \(ms(f.searches.reduce(0, +))), covered target answers \(f.covered)
              nodeDistances 20 sources, no horizon (all nodes): \(ms(f.fullSearch)); searches peak +\(mib(f.searchPeak))
              graph arrays \(mib(f.graphBytes)), snapping index \(mib(f.indexBytes))
            """)
    }
}
