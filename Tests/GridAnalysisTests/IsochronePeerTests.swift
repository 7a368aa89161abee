import Foundation
import GridAnalysis
import GridModel
import Testing

/// The isochrone on the peer harness's real data (../shared/bench/peers), against its networkx peer: same
/// graph, same source node (`iso_source`), 1080 m. The peer's polygon is osmnx-style: the edges between
/// reached nodes buffered by 25 m and unioned. Ours differs on purpose (edges cut at the exact budget
/// instead of dropped or kept whole; the allowance paid out of the budget left), so the areas agree only
/// within a stated margin, while the reached node sets must agree exactly.
@Suite("Isochrone against the networkx peer", .serialized)
struct IsochronePeerTests {
    static let shared = SharedData.root
    static let harness = SharedData.folder("bench/peers")

    static let python = Python.has("osmium, networkx, shapely, scipy, numpy")

    static let ready = FileManager.default.fileExists(atPath: harness.appendingPathComponent("derive.py").path)
        && SharedData.available && python

    static func python(_ arguments: [String]) throws -> String {
        let result = try Processes.run("/usr/bin/env", ["python3"] + arguments)
        #expect(result.status == 0, "python3 \(arguments)")
        return result.stdout
    }

    /// The harness's graph: nodes.csv (id, lon, lat) and edges.csv (u, v, length_m), straight edges.
    static func graph(_ folder: String) throws -> WalkingGraph {
        func rows(_ name: String) throws -> (header: [String], rows: [[Substring]]) {
            let text = try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
            let lines = text.split(whereSeparator: \.isNewline)
            return (lines[0].split(separator: ",").map(String.init), lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) })
        }
        let nodes = try rows("nodes.csv"), edges = try rows("edges.csv")
        let (id, lon, lat) = (nodes.header.firstIndex(of: "id")!, nodes.header.firstIndex(of: "lon")!, nodes.header.firstIndex(of: "lat")!)
        var position: [Int64: Coordinate] = [:]
        for row in nodes.rows { position[Int64(row[id])!] = Coordinate(longitude: Double(row[lon])!, latitude: Double(row[lat])!) }
        let (u, v, length) = (edges.header.firstIndex(of: "u")!, edges.header.firstIndex(of: "v")!, edges.header.firstIndex(of: "length_m")!)
        var builder = WalkingGraph.Builder(edgeCapacity: edges.rows.count, pointCapacity: 2 * edges.rows.count)
        for (k, row) in edges.rows.enumerated() {
            let a = Int64(row[u])!, b = Int64(row[v])!
            builder.addEdge(id: Int64(k), sourceNode: a, targetNode: b, length: Meters(Double(row[length])!),
                            geometry: [position[a]!, position[b]!])
        }
        return WalkingGraph(builder)
    }

    /// Derived data per city, made once per run under one folder, removed when the test process exits.
    static let folders = Folders()
    final class Folders: @unchecked Sendable {
        private var made: [String: String] = [:]
        private let lock = NSLock()
        static let root = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-iso-peer-\(UUID().uuidString)")
        func folder(_ city: String, _ pbf: String) throws -> String {
            lock.lock(); defer { lock.unlock() }
            if let folder = made[city] { return folder }
            if made.isEmpty { atexit { try? FileManager.default.removeItem(at: Folders.root) } }
            let folder = Self.root.appendingPathComponent(city).path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = try IsochronePeerTests.python([harness.appendingPathComponent("derive.py").path,
                                               SharedData.path(pbf), folder])
            made[city] = folder
            return folder
        }
    }

    /// Li and Andorra take longer to derive: set COMMUNITYGRID_PEERS_ALL=1 to include them.
    static let all = ProcessInfo.processInfo.environment["COMMUNITYGRID_PEERS_ALL"] == "1"

    static let cases: [(city: String, pbf: String, category: String)] = [
        ("hel", "dense_helsinki_centre_2019.osm.pbf", "grocery"),
        ("hel", "dense_helsinki_centre_2019.osm.pbf", "pharmacy"),
    ] + (all ? [
        ("spo", "dense_sao_paulo_centre_2020.osm.pbf", "rail_station"),
        ("li", "bench_liechtenstein_2015-07-27.osm.pbf", "school"),
        ("ad", "bench_andorra_2021-04-13.osm.pbf", "pharmacy"),
    ] : [])

    /// Our area is within this share of the peer's 25 m edge buffer. Measured: hel grocery +1.0 %, hel pharmacy
    /// +1.2 %, spo rail_station +3.8 %, li school +2.4 %, ad pharmacy +0.2 % (ours adds the partial edges at the
    /// rim, which the buffer drops, and rounds the tips, which the buffer does not).
    static let areaMargin = 0.05

    @Test("same reached nodes as networkx; area within 5 % of its 25 m edge buffer; valid and nested",
          .enabled(if: ready, "needs ../shared/bench/peers, ../shared/geodata and python3 with osmium, networkx, shapely, scipy, numpy"),
          arguments: cases.indices)
    func againstNetworkx(_ index: Int) throws {
        let (city, pbf, category) = Self.cases[index]
        let folder = try Self.folders.folder(city, pbf)
        let line = try Self.python([Self.harness.appendingPathComponent("peer_networkx.py").path, "--data", folder, "--category", category])
        let peer = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let source = try #require((peer["iso_source"] as? NSNumber)?.int64Value)
        let peerNodes = try #require(peer["iso_nodes"] as? Int)
        let peerArea = try #require((peer["iso_buffer_km2"] as? NSNumber)?.doubleValue) * 1e6

        let g = try Self.graph(folder)
        let node = try #require(g.nodeIndex(ofOSMNode: source))
        let snap = try #require(g.snapPoint(atNode: node))
        let origin = Isochrone.PlacedOrigin(location: g.coordinate(ofNode: node), snap: snap)
        let workspace = IsochroneWorkspace()
        let clock = ContinuousClock()
        let started = clock.now
        let result = try Isochrone.run(graph: g, origins: [origin], contours: [.meters(360), .meters(720), .meters(1080)],
                                       workspace: workspace)
        let elapsed = clock.now - started
        let band = result.bands[2]
        let ratio = band.areaSquareMeters / peerArea
        // The 1080 m contour alone, timed as the peers' isochrone column is (best of five, warm workspace).
        var best = Duration.seconds(1)
        for _ in 0..<5 {
            let started = clock.now
            _ = try Isochrone.run(graph: g, origins: [origin], contours: [.meters(1080)], workspace: workspace)
            best = min(best, clock.now - started)
        }
        print(String(format: "%@:%@ node %lld: %d nodes reached (networkx %d); area %.4f km² vs networkx 25 m buffer %.4f km² (%+.1f %%); 3 contours %@, 1080 m alone %@ (debug builds are slow)",
                     city, category, source, result.reachedNodes, peerNodes, band.areaSquareMeters / 1e6, peerArea / 1e6,
                     (ratio - 1) * 100, "\(elapsed)", "\(best)"))
        #expect(result.reachedNodes == peerNodes)
        #expect(abs(ratio - 1) <= Self.areaMargin, "area \(band.areaSquareMeters) m² vs \(peerArea) m²")
        for (k, b) in result.bands.enumerated() {
            #expect(IsochroneTests.problems(b.geometry).isEmpty, "\(b.contour): \(IsochroneTests.problems(b.geometry).prefix(3))")
            if k > 0 {
                let outer = RingIndex(b.geometry)
                let inner = result.bands[k - 1].geometry
                let vertices = inner.polygons.flatMap { ([$0.exterior] + $0.holes).flatMap(\.coordinates) }
                #expect(vertices.allSatisfy { b.geometry.contains($0) || outer.contains($0) })
            }
        }
        // Every node networkx reaches within 1080 m lies inside the 1080 m polygon.
        let distances = try NearestFacilitySearch.nodeDistances(graph: g, sourceNodes: [(1, node)], horizon: Meters(1080)).distance
        let rings = RingIndex(band.geometry)
        let outside = (0..<Int32(g.nodeCount)).filter { distances[Int($0)] <= 1080 && !rings.contains(g.coordinate(ofNode: $0)) }
        #expect(outside.isEmpty, "\(outside.count) reached nodes outside")
    }
}
