import Foundation
@testable import GridAnalysis
import GridModel
import GridServices
@testable import GridStore
import Testing

/// The coverage search settles final labels in bands and labels dead ends after the queue empties; both only change
/// the order in which the same offers are made. On real networks every node's label and every building's answer must
/// be bit for bit those of the plain search: one heap in (distance, facility rank) order relaxing every arc.
@Suite("Coverage searches give the plain search's labels bit for bit", .enabled(if: SharedData.available, SharedData.skipReason))
struct SearchOrderExactTests {
    /// The plain search: a node settled in (distance, rank) order relaxes every arc, dead ends included.
    static func plainRun(_ ws: SearchWorkspace, _ graph: WalkingGraph, horizon: Double) {
        let labels = ws.labels, generation = ws.generation
        var heap = ws.heap
        defer { ws.heap = heap }
        while heap.count > 0 {
            let top = heap.pop()
            let u = Int(top.node)
            let settled = labels[u]
            if settled.distance != top.key || settled.rank != top.rank { continue }
            for a in Int(graph.arcStart[u])..<Int(graph.arcStart[u + 1]) {
                let arc = graph.arcs[a]
                let key = top.key + arc.weight
                if key > horizon { continue }
                let v = Int(arc.target)
                let label = labels[v]
                if label.stamp == generation && !(key < label.distance || (key == label.distance && top.rank < label.rank)) { continue }
                labels[v] = NodeLabel(distance: key, rank: top.rank, stamp: generation)
                heap.push(HeapEntry(key: key, rank: top.rank, node: arc.target))
            }
        }
    }

    struct Label: Equatable {
        var distanceBits: UInt64
        var rank: Int32
    }

    /// Every node's label after a search: nil where unreached.
    static func labels(_ ws: SearchWorkspace, _ graph: WalkingGraph) -> [Label?] {
        (0..<graph.nodeCount).map { ws.isReached($0) ? Label(distanceBits: ws.distance($0).bitPattern, rank: ws.rank($0)) : nil }
    }

    enum Way: CaseIterable { case plain, chosen, heap, bands }

    /// Seeds `sources`, searches one way, and returns every node's label and every target's answer.
    static func search(_ way: Way, graph: WalkingGraph, sources: [NearestFacilitySearch.Source], targets: [SnapPoint?], horizon: Double,
                       workspace ws: SearchWorkspace) throws -> (labels: [Label?], rank: [Int32], distance: [UInt64])? {
        ws.begin(nodeCount: graph.nodeCount)
        let seeded = try NearestFacilitySearch.seed(graph: graph, sources: sources, workspace: ws, limit: horizon)
        switch way {
        case .plain: plainRun(ws, graph, horizon: horizon)
        case .chosen: try ws.run(graph, horizon: horizon, isCancelled: { false })
        case .heap:
            try ws.runWithHeap(graph, horizon: horizon, isCancelled: { false })
            ws.labelDeadEnds(graph, horizon: horizon)
        case .bands:
            guard let layout = BandQueue.Layout(horizon: horizon, arcWeights: graph.searchedArcWeights) else { return nil }
            try ws.runInBands(graph, horizon: horizon, layout: layout, isCancelled: { false })
            ws.labelDeadEnds(graph, horizon: horizon)
        }
        let columns = try NearestFacilitySearch.evaluate(graph: graph, targets: targets, workspace: ws, seeded: seeded, limit: horizon)
        return (labels(ws, graph), columns.rank, columns.distance.map(\.bitPattern))
    }

    @Test("every category of gb50180 and wider horizons, on four real networks", arguments: [
        "dense_monaco_2021-04-19.osm.pbf", "cn_beijing_haidian_wudaokou_2017.osm", "cn_shenzhen_longgang_2019.osm", "dense_helsinki_centre_2019.osm.pbf",
    ])
    func realNetworks(file: String) throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path(file))
        let profile = LifeCircleProfile.gb50180
        let network = try WalkingNetwork.load(temporary.store, rule: profile.reach)
        let graph = network.graph
        let buildings = try AnalysisData.buildings(temporary.store)
        let targets = profile.reach.place(buildings.map(\.point), on: network.snapper)
        let snaps = profile.reach.place(network.facilities.map(\.location), on: network.snapper)
        #expect(!graph.deadEnds.isEmpty, "\(file): a real network has dead ends")
        let ws = SearchWorkspace()
        var compared = 0, inBands = 0, answered = 0
        for category in profile.categories {
            let sources = network.facilities.indices.compactMap { f in
                network.facilities[f].category == category ? snaps[f].map { NearestFacilitySearch.Source(facilityID: network.facilities[f].id, snap: $0) } : nil
            }
            // The profile's horizon, a wider one, and every junction as a source (a tie at almost every node).
            var cases = [(sources, profile.horizon(for: category).value), (sources, 2500.0)]
            if category == profile.categories.first {
                let everywhere = (0..<Int32(graph.nodeCount)).compactMap { n in graph.snapPoint(atNode: n).map { NearestFacilitySearch.Source(facilityID: Int64(n % 7), snap: $0) } }
                cases.append((everywhere, 400))
            }
            for (sources, horizon) in cases where !sources.isEmpty {
                let plain = try #require(try Self.search(.plain, graph: graph, sources: sources, targets: targets, horizon: horizon, workspace: ws))
                for way in Way.allCases.dropFirst() {
                    guard let got = try Self.search(way, graph: graph, sources: sources, targets: targets, horizon: horizon, workspace: ws) else { continue }
                    if way == .bands { inBands += 1 }
                    let labelsDiffer = zip(plain.labels, got.labels).filter { $0 != $1 }.count
                    let answersDiffer = targets.indices.filter { plain.rank[$0] != got.rank[$0] || (plain.rank[$0] >= 0 && plain.distance[$0] != got.distance[$0]) }.count
                    #expect(labelsDiffer == 0 && answersDiffer == 0, "\(file) \(category) horizon \(horizon) \(way): \(labelsDiffer) labels, \(answersDiffer) answers differ")
                    compared += 1
                }
                answered += plain.rank.filter { $0 >= 0 }.count
            }
        }
        #expect(compared > 0 && answered > 0, "\(file): \(compared) searches compared, \(answered) answers")
        #expect(inBands > 0, "\(file): the band search served")
    }
}
