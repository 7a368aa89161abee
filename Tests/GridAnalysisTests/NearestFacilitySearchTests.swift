import GridAnalysis
import GridModel
import Testing

@Suite("Nearest facility on small maps")
struct NearestFacilitySearchTests {
    static let net = AsciiNetwork("""
        A---B---C
        |       |
        D-------E
        """)

    /// Node distances as a table keyed by letter: (distance, facility).
    static func table(_ net: AsciiNetwork, _ facilities: [(Int64, Character)], horizon: Double = .infinity)
        throws -> [Character: (Double, Int64)] {
        let g = net.graph()
        let result = try NearestFacilitySearch.nodeDistances(
            graph: g, sourceNodes: facilities.map { ($0.0, net.node($0.1, in: g)) }, horizon: Meters(horizon))
        var table: [Character: (Double, Int64)] = [:]
        for letter in net.nodeIDs.keys {
            let n = Int(net.node(letter, in: g))
            table[letter] = (result.distance[n], result.facility[n])
        }
        return table
    }

    static func expectTable(_ got: [Character: (Double, Int64)], _ expected: [Character: (Double, Int64)],
                            sourceLocation: SourceLocation = #_sourceLocation) {
        for (letter, (d, f)) in expected {
            let (gd, gf) = got[letter]!
            #expect(gd == d && gf == f, "node \(letter): got \(gd) m via \(gf), expected \(d) m via \(f)",
                    sourceLocation: sourceLocation)
        }
    }

    @Test func distanceTableFromTwoFacilities() throws {
        Self.expectTable(try Self.table(Self.net, [(7, "A"), (3, "E")]),
                         ["A": (0, 7), "B": (100, 7), "C": (100, 3), "D": (100, 7), "E": (0, 3)])
    }

    @Test func givenLengthsDecide() throws {
        let net = AsciiNetwork("""
            A---B---C
            |       |
            D-------E
            """, lengths: ["AD": 260, "BC": 30])
        // D: via A 260, via E 200 → E; B: via A 100, via C–E 130 → A.
        Self.expectTable(try Self.table(net, [(7, "A"), (3, "E")]),
                         ["A": (0, 7), "B": (100, 7), "C": (100, 3), "D": (200, 3), "E": (0, 3)])
    }

    @Test func equalDistancesGoToLowestFacilityID() throws {
        Self.expectTable(try Self.table(Self.net, [(5, "A"), (2, "C")]),
                         ["B": (100, 2), "D": (100, 5), "E": (100, 2)])
        // Two facilities on one junction.
        Self.expectTable(try Self.table(Self.net, [(9, "A"), (4, "A")]), ["A": (0, 4), "E": (300, 4)])
        // Order of the sources does not matter.
        Self.expectTable(try Self.table(Self.net, [(2, "C"), (5, "A")]), ["B": (100, 2)])
    }

    @Test func horizonCutsNodeDistances() throws {
        let table = try Self.table(Self.net, [(1, "A")], horizon: 200)
        Self.expectTable(table, ["A": (0, 1), "B": (100, 1), "C": (200, 1), "D": (100, 1), "E": (.infinity, -1)])
    }

    @Test func buildingOnEdgeReachesFacilityOnNode() throws {
        let g = Self.net.graph()
        let snapper = EdgeSnapper(graph: g)
        let building = try #require(snapper.snap(AsciiNetwork.at(east: 50, south: 10)))
        let facility = try #require(g.snapPoint(atNode: Self.net.node("E", in: g)))
        let answers = try NearestFacilitySearch.run(
            graph: g, sources: [.init(facilityID: 31, snap: facility)], targets: [building], horizon: Meters(1000))
        // 10 m to the street, 50 m to B, B–C–E 200 m.
        let answer = try #require(answers[0])
        #expect(answer.facilityID == 31)
        #expect(abs(answer.distance.value - 260) < 1e-6)
    }

    @Test func facilityExactlyOnNodeAgreesWithNodeSearch() throws {
        let g = Self.net.graph()
        let snapper = EdgeSnapper(graph: g)
        // Snapped from the junction's own position: lands at an edge end.
        let atC = try #require(snapper.snap(Self.net.coordinate("C")))
        #expect(atC.offset == .zero || atC.offset == g.length(ofEdge: atC.edge))
        let targets = "ABCDE".map { g.snapPoint(atNode: Self.net.node($0, in: g)) }
        let answers = try NearestFacilitySearch.run(
            graph: g, sources: [.init(facilityID: 8, snap: atC)], targets: targets, horizon: Meters(.infinity))
        let nodes = try NearestFacilitySearch.nodeDistances(
            graph: g, sourceNodes: [(8, Self.net.node("C", in: g))], horizon: Meters(.infinity))
        for (i, letter) in "ABCDE".enumerated() {
            #expect(answers[i]?.distance.value == nodes.distance[Int(Self.net.node(letter, in: g))])
            #expect(answers[i]?.facilityID == 8)
        }
        #expect(answers.map { $0!.distance.value } == [200, 100, 0, 300, 100])
    }

    @Test func sameEdgeUsesDirectDistance() throws {
        let g = Self.net.graph()
        let snapper = EdgeSnapper(graph: g)
        let facility = try #require(snapper.snap(AsciiNetwork.at(east: 20, south: -5)))
        let building = try #require(snapper.snap(AsciiNetwork.at(east: 70, south: 10)))
        #expect(facility.edge == building.edge)
        let sources = [NearestFacilitySearch.Source(facilityID: 4, snap: facility)]
        // 5 + 50 + 10, not via A (5 + 20 + 70 + 10) or B.
        let answer = try #require(try NearestFacilitySearch.run(graph: g, sources: sources, targets: [building],
                                                               horizon: Meters(500))[0])
        #expect(abs(answer.distance.value - 65) < 1e-6)
        // The horizon is inclusive.
        let exact = try NearestFacilitySearch.run(graph: g, sources: sources, targets: [building], horizon: answer.distance)
        #expect(exact[0] == answer)
        let short = try NearestFacilitySearch.run(graph: g, sources: sources, targets: [building],
                                                  horizon: Meters(answer.distance.value - 0.01))
        #expect(short[0] == nil)
    }

    @Test func sameEdgeButShorterAroundTheBlock() throws {
        // A long, winding A–B (stored 1000 m) loses to the way round through D–E–C.
        let net = AsciiNetwork("""
            A---B---C
            |       |
            D-------E
            """, lengths: ["AB": 1000])
        let g = net.graph()
        let ab = net.edge("AB", in: g)
        let facility = SnapPoint(edge: ab, offset: Meters(10), offNetwork: Meters(3), location: net.coordinate("A"))
        let building = SnapPoint(edge: ab, offset: Meters(990), offNetwork: Meters(4), location: net.coordinate("B"))
        let answer = try NearestFacilitySearch.run(graph: g, sources: [.init(facilityID: 1, snap: facility)],
                                                   targets: [building], horizon: Meters(.infinity))[0]
        // 3 + 10 (to A) + A–D–E–C–B 500 + 10 + 4 = 527 < 3 + 980 + 4.
        #expect(answer == .init(facilityID: 1, distance: Meters(527)))
    }

    @Test func otherComponentIsUnreachable() throws {
        let net = AsciiNetwork("A---B   F---G")
        let g = net.graph()
        let snapper = EdgeSnapper(graph: g)
        let facility = try #require(snapper.snap(AsciiNetwork.at(east: 10, south: 5)))
        let near = try #require(snapper.snap(AsciiNetwork.at(east: 90, south: 5)))
        let island = try #require(snapper.snap(AsciiNetwork.at(east: 250, south: 5)))
        let answers = try NearestFacilitySearch.run(
            graph: g, sources: [.init(facilityID: 1, snap: facility)], targets: [near, island, nil], horizon: Meters(.infinity))
        #expect(answers[0] != nil)
        #expect(answers[1] == nil)
        #expect(answers[2] == nil)
        let nodes = try NearestFacilitySearch.nodeDistances(
            graph: g, sourceNodes: [(1, net.node("A", in: g))], horizon: Meters(.infinity))
        #expect(nodes.distance[Int(net.node("F", in: g))] == .infinity)
        #expect(nodes.facility[Int(net.node("G", in: g))] == -1)
    }

    @Test func tiesBetweenSnappedFacilities() throws {
        let g = Self.net.graph()
        // Exact values so the two distances tie bit for bit: 4 + 70 each way to B.
        let left = SnapPoint(edge: Self.net.edge("AB", in: g), offset: Meters(30), offNetwork: Meters(4),
                             location: AsciiNetwork.at(east: 30, south: 0))
        let right = SnapPoint(edge: Self.net.edge("BC", in: g), offset: Meters(70), offNetwork: Meters(4),
                              location: AsciiNetwork.at(east: 170, south: 0))
        let middle = SnapPoint(edge: Self.net.edge("AB", in: g), offset: Meters(100), offNetwork: .zero,
                               location: Self.net.coordinate("B"))
        for ids in [(12, 40), (40, 12)] as [(Int64, Int64)] {
            let answers = try NearestFacilitySearch.run(
                graph: g, sources: [.init(facilityID: ids.0, snap: left), .init(facilityID: ids.1, snap: right)],
                targets: [middle], horizon: Meters(1000))
            #expect(answers[0] == .init(facilityID: 12, distance: Meters(74)))
        }
        // Same place, two ids.
        let twin = try NearestFacilitySearch.run(
            graph: g, sources: [.init(facilityID: 77, snap: left), .init(facilityID: 76, snap: left)],
            targets: [right, left], horizon: Meters(1000))
        #expect(twin.map { $0?.facilityID } == [76, 76])
        #expect(twin[1]?.distance == Meters(8))
    }

    @Test func sourcesAtEdgeEndsActAsJunctions() throws {
        let g = Self.net.graph()
        let ab = Self.net.edge("AB", in: g), de = Self.net.edge("DE", in: g)
        let atA = SnapPoint(edge: ab, offset: .zero, offNetwork: .zero, location: Self.net.coordinate("A"))
        let atB = SnapPoint(edge: ab, offset: Meters(100), offNetwork: .zero, location: Self.net.coordinate("B"))
        let onDE = SnapPoint(edge: de, offset: Meters(50), offNetwork: Meters(2), location: AsciiNetwork.at(east: 50, south: 100))
        for (source, expected) in [(atA, 152.0), (atB, 252.0)] {
            let answer = try NearestFacilitySearch.run(graph: g, sources: [.init(facilityID: 1, snap: source)],
                                                       targets: [onDE], horizon: Meters(.infinity))[0]
            #expect(answer?.distance.value == expected)
        }
    }

    @Test func selfLoopCarriesFacilityToItsJunction() throws {
        let net = AsciiNetwork("A---B")
        let a = net.nodeIDs["A"]!
        var edges = net.edges
        edges.append(NetworkEdge(id: 99, sourceNode: a, targetNode: a, length: Meters(100), geometry: [
            net.coordinate("A"), AsciiNetwork.at(east: -20, south: 20), AsciiNetwork.at(east: -20, south: -20), net.coordinate("A"),
        ]))
        let g = WalkingGraph(edges: edges)
        let loop = g.edgeIndex(atInputPosition: 1)
        let onLoop = SnapPoint(edge: loop, offset: Meters(70), offNetwork: Meters(1), location: net.coordinate("A"))
        let alsoOnLoop = SnapPoint(edge: loop, offset: Meters(20), offNetwork: .zero, location: net.coordinate("A"))
        let atB = try #require(g.snapPoint(atNode: net.node("B", in: g)))
        let answers = try NearestFacilitySearch.run(graph: g, sources: [.init(facilityID: 5, snap: onLoop)],
                                                    targets: [atB, alsoOnLoop], horizon: Meters(.infinity))
        #expect(answers[0]?.distance.value == 131)   // 1 + 30 the short way round + 100
        #expect(answers[1]?.distance.value == 51)    // 1 + 50 along the loop, or 1 + 30 + 20 through A
    }

    @Test func parallelEdgesTakeTheShorter() throws {
        let net = AsciiNetwork("A---B")
        var edges = net.edges
        edges.append(NetworkEdge(id: 2, sourceNode: net.nodeIDs["B"]!, targetNode: net.nodeIDs["A"]!, length: Meters(80),
                                 geometry: [net.coordinate("B"), net.coordinate("A")]))
        let g = WalkingGraph(edges: edges)
        let nodes = try NearestFacilitySearch.nodeDistances(graph: g, sourceNodes: [(1, net.node("A", in: g))],
                                                            horizon: Meters(.infinity))
        #expect(nodes.distance[Int(net.node("B", in: g))] == 80)
    }

    @Test func facilityIDsAbove32BitsSurvive() throws {
        let net = AsciiNetwork("A---B---C", idBase: 6_000_000_000)
        let g = net.graph()
        let big: Int64 = 1 << 45
        let nodes = try NearestFacilitySearch.nodeDistances(
            graph: g, sourceNodes: [(big + 1, net.node("A", in: g)), (big, net.node("C", in: g))], horizon: Meters(.infinity))
        #expect(nodes.facility[Int(net.node("B", in: g))] == big)
        #expect(g.osmNodeID(at: net.node("B", in: g)) == 6_000_000_000 + 66)
    }

    @Test func cancellationThrows() throws {
        let g = Self.net.graph()
        let source = try #require(g.snapPoint(atNode: Self.net.node("A", in: g)))
        #expect(throws: CancellationError.self) {
            _ = try NearestFacilitySearch.run(graph: g, sources: [.init(facilityID: 1, snap: source)], targets: [source],
                                              horizon: Meters(1000), isCancelled: { true })
        }
        #expect(throws: CancellationError.self) {
            _ = try NearestFacilitySearch.nodeDistances(graph: g, sourceNodes: [(1, 0)], horizon: Meters(1000),
                                                        isCancelled: { true })
        }
        // A workspace that saw a cancelled search still gives right answers afterwards.
        let workspace = SearchWorkspace()
        _ = try? NearestFacilitySearch.nodeDistances(graph: g, sourceNodes: [(1, 0)], horizon: Meters(1000),
                                                     workspace: workspace, isCancelled: { true })
        let after = try NearestFacilitySearch.nodeDistances(graph: g, sourceNodes: [(1, Self.net.node("A", in: g))],
                                                            horizon: Meters(1000), workspace: workspace)
        #expect(after.distance[Int(Self.net.node("E", in: g))] == 300)
    }

    @Test func badIndexesThrow() {
        let g = Self.net.graph()
        let bad = SnapPoint(edge: 99, offset: .zero, offNetwork: .zero, location: AsciiNetwork.origin)
        #expect(throws: GridAnalysisError.edgeIndexOutOfRange(99)) {
            _ = try NearestFacilitySearch.run(graph: g, sources: [.init(facilityID: 1, snap: bad)], targets: [],
                                              horizon: Meters(10))
        }
        #expect(throws: GridAnalysisError.nodeIndexOutOfRange(-1)) {
            _ = try NearestFacilitySearch.nodeDistances(graph: g, sourceNodes: [(1, -1)], horizon: Meters(10))
        }
    }

    @Test func snappedSourcesGiveNodeDistances() throws {
        let g = Self.net.graph()
        let facility = SnapPoint(edge: Self.net.edge("DE", in: g), offset: Meters(40), offNetwork: Meters(5),
                                 location: AsciiNetwork.at(east: 40, south: 100))
        let nodes = try NearestFacilitySearch.nodeDistances(graph: g, sources: [.init(facilityID: 3, snap: facility)],
                                                            horizon: Meters(200))
        let expected: [Character: Double] = ["D": 45, "E": 165, "A": 145, "B": .infinity, "C": .infinity]
        for (letter, d) in expected { #expect(nodes.distance[Int(Self.net.node(letter, in: g))] == d) }
    }
}
