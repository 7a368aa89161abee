import GridAnalysis
import GridModel
import Testing

@Suite("Walking graph")
struct WalkingGraphTests {
    static let square = AsciiNetwork("""
        A---B---C
        |       |
        D-------E   F---G
        """)

    @Test func countsNodesEdgesAndComponents() {
        let g = Self.square.graph()
        #expect(g.nodeCount == 7)
        #expect(g.edgeCount == 6)
        #expect(g.componentCount == 2)
        #expect(g.largestComponentSize == 5)
        let a = Self.square.node("A", in: g), f = Self.square.node("F", in: g)
        #expect(g.component(ofNode: a) == g.largestComponent)
        #expect(g.component(ofNode: f) != g.largestComponent)
        #expect(g.component(ofNode: f) == g.component(ofNode: Self.square.node("G", in: g)))
        #expect(g.isInLargestComponent(node: a))
        #expect(!g.isInLargestComponent(node: f))
        #expect(g.componentOfNode.count == 7)
    }

    @Test func mapsOSMIDsAbove32Bits() {
        let base: Int64 = 1 << 40
        let net = AsciiNetwork("A---B---C", idBase: base)
        let g = net.graph()
        for letter in "ABC" {
            let id = net.nodeIDs[letter]!
            #expect(id > Int64(UInt32.max))
            let index = g.nodeIndex(ofOSMNode: id)
            #expect(index != nil)
            #expect(g.osmNodeID(at: index!) == id)
        }
        // The same low 32 bits must not alias.
        #expect(g.nodeIndex(ofOSMNode: Int64(Int32(truncatingIfNeeded: net.nodeIDs["A"]!))) == nil)
        #expect(g.nodeIndex(ofOSMNode: 42) == nil)
    }

    @Test func mapsNegativeAndExtremeIDs() {
        let net = AsciiNetwork("A---B---C---D")
        let ids: [Int64] = [Int64.min, -7, 0, Int64.max]
        var edges = net.edges
        for i in edges.indices {
            edges[i].sourceNode = ids[i]
            edges[i].targetNode = ids[i + 1]
        }
        let g = WalkingGraph(edges: edges)
        #expect(g.nodeCount == 4)
        for (i, id) in ids.enumerated() {
            let index = g.nodeIndex(ofOSMNode: id)
            #expect(index != nil)
            #expect(g.osmNodeID(at: index!) == id)
            #expect(g.coordinate(ofNode: index!) == net.coordinate(Array("ABCD")[i]))
        }
        #expect(g.nodeIndex(ofOSMNode: -6) == nil && g.nodeIndex(ofOSMNode: 1) == nil)
        #expect(g.componentCount == 1)
    }

    @Test func nodeCoordinatesComeFromGeometryEnds() {
        let g = Self.square.graph()
        for letter in "ABCDEFG" {
            #expect(g.coordinate(ofNode: Self.square.node(letter, in: g)) == Self.square.coordinate(letter))
        }
    }

    @Test func edgesKeepInputPositionsAndValues() {
        let g = Self.square.graph()
        #expect(Set((0..<Int32(g.edgeCount)).map { g.inputPosition(ofEdge: $0) }) == Set(0..<Self.square.edges.count))
        for index in 0..<Int32(g.edgeCount) {
            let original = Self.square.edges[g.inputPosition(ofEdge: index)]
            #expect(g.edge(at: index) == original)
            #expect(g.edgeID(at: index) == original.id)
            #expect(g.osmNodeID(at: g.sourceNode(ofEdge: index)) == original.sourceNode)
            #expect(g.osmNodeID(at: g.targetNode(ofEdge: index)) == original.targetNode)
            #expect(g.length(ofEdge: index) == original.length)
            #expect(Array(g.geometry(ofEdge: index)) == original.geometry)
        }
    }

    @Test func parallelEdgesAreKeptAndSelfLoopsGetNoArcs() {
        let net = AsciiNetwork("A---B")
        let a = net.nodeIDs["A"]!, b = net.nodeIDs["B"]!
        var edges = net.edges
        edges.append(NetworkEdge(id: 50, sourceNode: b, targetNode: a, length: Meters(80),
                                 geometry: [net.coordinate("B"), AsciiNetwork.at(east: 50, south: 30), net.coordinate("A")]))
        edges.append(NetworkEdge(id: 51, sourceNode: a, targetNode: a, length: Meters(60),
                                 geometry: [net.coordinate("A"), AsciiNetwork.at(east: -10, south: 20), net.coordinate("A")]))
        let g = WalkingGraph(edges: edges)
        #expect(g.edgeCount == 3)
        let ia = g.nodeIndex(ofOSMNode: a)!
        #expect(g.degree(ofNode: ia) == 2)
        let neighbours = g.neighbors(ofNode: ia)
        #expect(Set(neighbours.map { g.inputPosition(ofEdge: $0.edge) }) == [0, 1])
        #expect(Set(neighbours.map(\.length)) == [Meters(100), Meters(80)])
        #expect(Set(neighbours.map(\.node)) == [g.nodeIndex(ofOSMNode: b)!])
    }

    @Test func builderMatchesArrayInitialiser() {
        let edges = RandomNetwork.make(nodes: 200, seed: 7)
        var builder = WalkingGraph.Builder(edgeCapacity: edges.count)
        for e in edges { builder.addEdge(e) }
        #expect(builder.edgeCount == edges.count)
        let a = WalkingGraph(builder), b = WalkingGraph(edges: edges)
        #expect(a.nodeCount == b.nodeCount)
        #expect(a.componentSizes == b.componentSizes)
        for i in 0..<Int32(edges.count) {
            #expect(a.edge(at: i) == edges[a.inputPosition(ofEdge: i)])
            #expect(a.edge(at: i) == b.edge(at: i))
        }
    }

    @Test func repairsMissingGeometryAndInvalidLengths() {
        let net = AsciiNetwork("A---B---C---D")
        var edges = net.edges
        edges[1].geometry = []                       // B–C: drawn from the junctions, known from A–B and C–D
        edges[0].length = Meters(-1)                 // A–B: measured from the geometry
        let g = WalkingGraph(edges: edges)
        let ab = g.edgeIndex(atInputPosition: 0), bc = g.edgeIndex(atInputPosition: 1)
        #expect(Array(g.geometry(ofEdge: bc)) == [net.coordinate("B"), net.coordinate("C")])
        #expect(abs(g.length(ofEdge: ab).value - Geodesy.distance(net.coordinate("A"), net.coordinate("B")).value) < 1e-9)
        #expect(g.length(ofEdge: bc) == Meters(100))
    }

    @Test func emptyGraph() throws {
        let g = WalkingGraph(edges: [])
        #expect(g.nodeCount == 0 && g.edgeCount == 0)
        #expect(g.largestComponent == -1 && g.largestComponentSize == 0)
        let snapper = EdgeSnapper(graph: g)
        #expect(snapper.snap(AsciiNetwork.origin) == nil)
        #expect(snapper.nearestNode(AsciiNetwork.origin, maxDistance: Meters(.infinity)) == nil)
        let answers = try NearestFacilitySearch.run(graph: g, sources: [], targets: [nil], horizon: Meters(1000))
        #expect(answers == [nil])
    }

    @Test func componentsOfRandomGraphMatchUnionFind() {
        let edges = RandomNetwork.make(nodes: 900, seed: 11)
        let g = WalkingGraph(edges: edges)
        // Union–find over OSM ids as an independent reference.
        var parent: [Int64: Int64] = [:]
        func find(_ x: Int64) -> Int64 {
            var r = x
            while let p = parent[r], p != r { r = p }
            parent[x] = r
            return r
        }
        for e in edges {
            parent[e.sourceNode] = parent[e.sourceNode] ?? e.sourceNode
            parent[e.targetNode] = parent[e.targetNode] ?? e.targetNode
            let a = find(e.sourceNode), b = find(e.targetNode)
            if a != b { parent[a] = b }
        }
        var sizes: [Int64: Int] = [:]
        for id in parent.keys { sizes[find(id), default: 0] += 1 }
        #expect(g.nodeCount == parent.count)
        #expect(g.componentCount == sizes.count)
        #expect(g.largestComponentSize == sizes.values.max())
        for e in edges.prefix(300) {
            let same = find(e.sourceNode) == find(edges[0].sourceNode)
            let a = g.nodeIndex(ofOSMNode: e.sourceNode)!, b = g.nodeIndex(ofOSMNode: edges[0].sourceNode)!
            #expect((g.component(ofNode: a) == g.component(ofNode: b)) == same)
        }
    }
}
