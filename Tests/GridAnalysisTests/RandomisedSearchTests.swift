import GridAnalysis
import GridModel
import Testing

@Suite("Randomised searches against brute force")
struct RandomisedSearchTests {
    static func expectSame(_ got: [NearestFacilitySearch.Answer?], _ expected: [BruteForce.Answer?],
                           sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == expected.count, sourceLocation: sourceLocation)
        var mismatches = 0
        for (g, e) in zip(got, expected) {
            let same: Bool
            switch (g, e) {
            case (nil, nil): same = true
            case let (g?, e?): same = g.facilityID == e.facilityID && abs(g.distance.value - e.distance) <= 1e-6
            default: same = false
            }
            if !same {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("got \(String(describing: g)), expected \(String(describing: e))", sourceLocation: sourceLocation)
                }
            }
        }
        #expect(mismatches == 0, sourceLocation: sourceLocation)
    }

    @Test(arguments: [(UInt64(21), 40), (22, 150), (23, 500), (24, 1200), (25, 2000)])
    func snappedSearchMatchesBruteForce(seed: UInt64, nodes: Int) throws {
        let input = RandomNetwork.make(nodes: nodes, seed: seed)
        let g = WalkingGraph(edges: input)
        let edges = BruteForce.inGraphOrder(input, g)
        let snapper = EdgeSnapper(graph: g)
        var rng = SeededGenerator(seed: seed &* 31)
        func randomSnap() -> SnapPoint {
            while true {
                if let s = snapper.snap(RandomNetwork.point(nodes: nodes, using: &rng), maxDistance: Meters(60)) { return s }
            }
        }
        let big: Int64 = 1 << 33
        let facilityCount = 3 + nodes / 100
        var sources = (0..<facilityCount).map { _ in
            NearestFacilitySearch.Source(facilityID: big + Int64.random(in: 10...Int64(10 + 2 * facilityCount), using: &rng),
                                         snap: randomSnap())
        }
        // Co-located facilities with other ids (exact ties), one on a junction, one at an edge's far end.
        sources.append(.init(facilityID: sources[0].facilityID - 1, snap: sources[0].snap))
        sources.append(.init(facilityID: sources[1].facilityID + 1, snap: sources[1].snap))
        let node = Int32.random(in: 0..<Int32(g.nodeCount), using: &rng)
        if let p = g.snapPoint(atNode: node) { sources.append(.init(facilityID: big + 3, snap: p)) }
        let e = Int32.random(in: 0..<Int32(g.edgeCount), using: &rng)
        sources.append(.init(facilityID: big + 4, snap: SnapPoint(edge: e, offset: g.length(ofEdge: e), offNetwork: Meters(7),
                                                               location: g.geometry(ofEdge: e).last!)))

        var targets: [SnapPoint?] = (0..<300).map { _ in
            snapper.snap(RandomNetwork.point(nodes: nodes, using: &rng), maxDistance: Meters(60))
        }
        #expect(targets.contains { $0 == nil })
        // Targets sharing an edge with a source, and one exactly at a source.
        for s in sources.prefix(6) {
            let length = g.length(ofEdge: s.snap.edge).value
            targets.append(SnapPoint(edge: s.snap.edge, offset: Meters(Double.random(in: 0...length, using: &rng)),
                                     offNetwork: Meters(Double.random(in: 0...30, using: &rng)), location: s.snap.location))
        }
        targets.append(sources[2].snap)

        let workspace = SearchWorkspace()
        for horizon in [350.0, 1080.0, .infinity] {
            let got = try NearestFacilitySearch.run(graph: g, sources: sources, targets: targets, horizon: Meters(horizon),
                                                    workspace: workspace)
            let expected = BruteForce.nearest(edges: edges, sources: sources, targets: targets, horizon: horizon)
            Self.expectSame(got, expected)
            if horizon == .infinity {
                // Everything in the facilities' components is found.
                #expect(got.contains { $0 != nil })
            }
        }
    }

    @Test(arguments: [(UInt64(31), 60), (32, 700), (33, 2000)])
    func nodeSearchMatchesBruteForce(seed: UInt64, nodes: Int) throws {
        let edges = RandomNetwork.make(nodes: nodes, seed: seed)
        let g = WalkingGraph(edges: edges)
        var rng = SeededGenerator(seed: seed)
        var sources: [(Int64, Int64)] = (0..<(2 + nodes / 80)).map { _ in
            let e = edges.randomElement(using: &rng)!
            return (Int64.random(in: 100...130, using: &rng), Bool.random(using: &rng) ? e.sourceNode : e.targetNode)
        }
        sources.append((sources[0].0 + 1, sources[0].1))
        sources.append((sources[0].0 - 1, sources[0].1))
        for horizon in [500.0, .infinity] {
            let got = try NearestFacilitySearch.nodeDistances(
                graph: g, sourceNodes: sources.map { ($0.0, g.nodeIndex(ofOSMNode: $0.1)!) }, horizon: Meters(horizon))
            let expected = BruteForce.nodeNearest(edges: edges, sources: sources, horizon: horizon)
            var mismatches = 0
            for n in 0..<Int32(g.nodeCount) {
                let want = expected[g.osmNodeID(at: n)]
                let d = got.distance[Int(n)], f = got.facility[Int(n)]
                let ok = want.map { f == $0.facilityID && abs(d - $0.distance) <= 1e-6 } ?? (d == .infinity && f == -1)
                if !ok { mismatches += 1 }
            }
            #expect(mismatches == 0)
        }
    }

    @Test func snappedNodeDistancesAgreeWithTargetsOnNodes() throws {
        let nodes = 800
        let edges = RandomNetwork.make(nodes: nodes, seed: 41)
        let g = WalkingGraph(edges: edges)
        let snapper = EdgeSnapper(graph: g, onlyLargestComponent: true)
        var rng = SeededGenerator(seed: 41)
        var sources: [NearestFacilitySearch.Source] = []
        while sources.count < 8 {
            if let s = snapper.snap(RandomNetwork.point(nodes: nodes, using: &rng)) {
                sources.append(.init(facilityID: Int64(sources.count % 5), snap: s))
            }
        }
        let workspace = SearchWorkspace()
        let byNode = try NearestFacilitySearch.nodeDistances(graph: g, sources: sources, horizon: Meters(900), workspace: workspace)
        let targets = (0..<Int32(g.nodeCount)).map { g.snapPoint(atNode: $0) }
        let answers = try NearestFacilitySearch.run(graph: g, sources: sources, targets: targets, horizon: Meters(900),
                                                    workspace: workspace)
        for n in 0..<g.nodeCount where targets[n] != nil {
            if let a = answers[n] {
                #expect(abs(a.distance.value - byNode.distance[n]) <= 1e-9)
                #expect(a.facilityID == byNode.facility[n])
            } else {
                #expect(byNode.distance[n] == .infinity)
            }
        }
    }

    @Test func workspaceServesGraphsOfDifferentSizes() throws {
        let workspace = SearchWorkspace()
        for (seed, nodes) in [(UInt64(51), 900), (52, 100), (53, 1600)] {
            let edges = RandomNetwork.make(nodes: nodes, seed: seed)
            let g = WalkingGraph(edges: edges)
            let source = g.nodeIndex(ofOSMNode: edges[0].sourceNode)!
            let reused = try NearestFacilitySearch.nodeDistances(graph: g, sourceNodes: [(1, source)], horizon: Meters(700),
                                                                 workspace: workspace)
            let fresh = try NearestFacilitySearch.nodeDistances(graph: g, sourceNodes: [(1, source)], horizon: Meters(700))
            #expect(reused.distance == fresh.distance)
            #expect(reused.facility == fresh.facility)
        }
    }
}
