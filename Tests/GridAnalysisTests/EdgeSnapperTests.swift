import Foundation
import GridAnalysis
import GridModel
import Testing

@Suite("Edge snapping")
struct EdgeSnapperTests {
    static let net = AsciiNetwork("""
        A---B---C
        |       |
        D-------E
        """)

    @Test func snapsToNearestPointOnEdgeNotNode() throws {
        let g = Self.net.graph()
        let snapper = EdgeSnapper(graph: g)
        let s = try #require(snapper.snap(AsciiNetwork.at(east: 30, south: 12)))
        #expect(s.edge == Self.net.edge("AB", in: g))
        #expect(abs(s.offset.value - 30) < 1e-6)
        #expect(abs(s.offNetwork.value - 12) < 1e-6)
        #expect(Geodesy.distance(s.location, AsciiNetwork.at(east: 30, south: 0)).value < 1e-6)
    }

    @Test func offsetRunsAlongEdgeDirection() throws {
        // D–E drawn left to right; the same edge reversed measures from E.
        var edges = Self.net.edges
        let de = Self.net.edgeNames.firstIndex(of: "DE")!
        edges[de] = NetworkEdge(id: edges[de].id, sourceNode: edges[de].targetNode, targetNode: edges[de].sourceNode,
                                length: edges[de].length, geometry: edges[de].geometry.reversed())
        let g = WalkingGraph(edges: edges)
        let snapper = EdgeSnapper(graph: g)
        let s = try #require(snapper.snap(AsciiNetwork.at(east: 50, south: 108)))
        #expect(g.inputPosition(ofEdge: s.edge) == de)
        #expect(abs(s.offset.value - 150) < 1e-6)
        #expect(abs(s.offNetwork.value - 8) < 1e-6)
    }

    @Test func offsetScalesToStoredLength() throws {
        // An L-shaped edge drawn 200 m long but stored as 250 m. The query frame is centred 50 m south of the
        // drawing's reference latitude, so east–west metres differ from the drawing's by a few parts per million.
        let shape = [AsciiNetwork.at(east: 0, south: 0), AsciiNetwork.at(east: 100, south: 0), AsciiNetwork.at(east: 100, south: 100)]
        let edge = NetworkEdge(id: 1, sourceNode: 1, targetNode: 2, length: Meters(250), geometry: shape)
        let snapper = EdgeSnapper(graph: WalkingGraph(edges: [edge]))
        let s = try #require(snapper.snap(AsciiNetwork.at(east: 110, south: 50)))
        #expect(abs(s.offset.value - 187.5) < 1e-3)
        #expect(abs(s.offNetwork.value - 10) < 1e-3)
        let end = try #require(snapper.snap(AsciiNetwork.at(east: 100, south: 130)))
        #expect(end.offset == Meters(250))
        let start = try #require(snapper.snap(AsciiNetwork.at(east: -20, south: 0)))
        #expect(start.offset == .zero)
        #expect(abs(start.offNetwork.value - 20) < 1e-6)
    }

    @Test func beyondSnapLimitIsOffNetwork() {
        let g = Self.net.graph()
        let snapper = EdgeSnapper(graph: g)
        let far = AsciiNetwork.at(east: 100, south: 350)          // 250 m below D–E
        #expect(snapper.snap(far) == nil)
        #expect(snapper.snap(far, maxDistance: Meters(249)) == nil)
        #expect(snapper.snap(far, maxDistance: Meters(251))?.edge == Self.net.edge("DE", in: g))
        // Very far away: rejected without scanning.
        #expect(snapper.snap(Coordinate(longitude: 10, latitude: 50)) == nil)
        #expect(snapper.snap(Coordinate(longitude: .nan, latitude: 50)) == nil)
        #expect(snapper.snap(Coordinate(longitude: 10, latitude: 50), maxDistance: Meters(.infinity)) != nil)
    }

    @Test func junctionTieGoesToLowestEdgeIndex() throws {
        let g = Self.net.graph()
        let snapper = EdgeSnapper(graph: g)
        // Exactly at B: edges A–B and B–C both touch it.
        let ab = Self.net.edge("AB", in: g), bc = Self.net.edge("BC", in: g)
        let atB = try #require(snapper.snap(Self.net.coordinate("B")))
        #expect(atB.edge == min(ab, bc))
        #expect(atB.offset == (ab < bc ? Meters(100) : .zero))
        #expect(atB.offNetwork == .zero)
        // North-west of A, equally far from A–B and A–D.
        let nearA = try #require(snapper.snap(AsciiNetwork.at(east: -5, south: -5)))
        #expect(nearA.edge == min(ab, Self.net.edge("AD", in: g)))
        #expect(nearA.offset == .zero)
    }

    @Test func onlyLargestComponentSkipsIslands() throws {
        let net = AsciiNetwork("""
            A---B---C---D

            E---F
            """)
        let g = net.graph()
        let near = AsciiNetwork.at(east: 40, south: 120)          // 20 m from E–F, 120 m from A–B
        #expect(EdgeSnapper(graph: g).snap(near)?.edge == net.edge("EF", in: g))
        let main = try #require(EdgeSnapper(graph: g, onlyLargestComponent: true).snap(near))
        #expect(main.edge == net.edge("AB", in: g))
        #expect(abs(main.offNetwork.value - 120) < 1e-6)
        #expect(abs(main.offset.value - 40) < 1e-6)
        #expect(EdgeSnapper(graph: g, onlyLargestComponent: true).nearestNode(near, maxDistance: Meters(500))
                == net.node("A", in: g))
    }

    @Test func nearestNode() {
        let g = Self.net.graph()
        let snapper = EdgeSnapper(graph: g)
        #expect(snapper.nearestNode(AsciiNetwork.at(east: 140, south: 80), maxDistance: Meters(100)) == Self.net.node("E", in: g))
        #expect(snapper.nearestNode(AsciiNetwork.at(east: 60, south: 5), maxDistance: Meters(100)) == Self.net.node("B", in: g))
        #expect(snapper.nearestNode(AsciiNetwork.at(east: 50, south: 50), maxDistance: Meters(50)) == nil)
    }

    /// Reference: every segment of every edge, in the query's local frame, squared distances computed the
    /// same way as the index so ties compare bit for bit (lowest edge, then earliest segment wins).
    static func bruteSnap(_ edges: [NetworkEdge], _ p: Coordinate, maxDistance: Double) -> (edge: Int, distance: Double)? {
        let k = Geodesy.earthRadius * Double.pi / 180
        let kx = k * cos(p.latitude * .pi / 180)
        var best: (edge: Int, squared: Double)?
        for (i, e) in edges.enumerated() {
            for j in 1..<e.geometry.count {
                let ax = (e.geometry[j - 1].longitude - p.longitude) * kx, ay = (e.geometry[j - 1].latitude - p.latitude) * k
                let bx = (e.geometry[j].longitude - p.longitude) * kx, by = (e.geometry[j].latitude - p.latitude) * k
                let dx = bx - ax, dy = by - ay
                let l2 = dx * dx + dy * dy
                let t = l2 > 0 ? -(ax * dx + ay * dy) / l2 : 0
                let d2: Double
                if !(t > 0) { d2 = ax * ax + ay * ay } else if t >= 1 { d2 = bx * bx + by * by } else {
                    d2 = (ax + t * dx) * (ax + t * dx) + (ay + t * dy) * (ay + t * dy)
                }
                if d2 <= maxDistance * maxDistance && (best == nil || d2 < best!.squared) { best = (i, d2) }
            }
        }
        return best.map { ($0.edge, $0.squared.squareRoot()) }
    }

    @Test(arguments: [(UInt64(1), 400, nil as Double?), (2, 1500, nil), (3, 600, 7.0), (4, 600, 400.0)])
    func agreesWithExhaustiveScan(seed: UInt64, nodes: Int, cell: Double?) throws {
        let input = RandomNetwork.make(nodes: nodes, seed: seed)
        let g = WalkingGraph(edges: input)
        let edges = BruteForce.inGraphOrder(input, g)
        let snapper = EdgeSnapper(graph: g, cellSize: cell.map(Meters.init))
        var rng = SeededGenerator(seed: seed &+ 99)
        for _ in 0..<300 {
            let p = RandomNetwork.point(nodes: nodes, using: &rng)
            let expected = Self.bruteSnap(edges, p, maxDistance: 40)
            let got = snapper.snap(p, maxDistance: Meters(40))
            #expect((got == nil) == (expected == nil))
            guard let got, let expected else { continue }
            #expect(got.offNetwork.value == expected.distance)
            #expect(got.edge == Int32(expected.edge))
            #expect(got.offset.value >= 0 && got.offset.value <= edges[Int(got.edge)].length.value)
            #expect(abs(Geodesy.distance(got.location, p).value - got.offNetwork.value) < 0.05)
        }
    }

    @Test func batchSnappingMatchesSingleQueries() {
        let edges = RandomNetwork.make(nodes: 700, seed: 5)
        let snapper = EdgeSnapper(graph: WalkingGraph(edges: edges))
        var rng = SeededGenerator(seed: 6)
        var points = (0..<1500).map { _ in RandomNetwork.point(nodes: 700, using: &rng) }
        points.append(Coordinate(longitude: .nan, latitude: 0))
        points.append(Coordinate(longitude: 0, latitude: 0))
        let batch = snapper.snap(points, maxDistance: Meters(30))
        #expect(batch == points.map { snapper.snap($0, maxDistance: Meters(30)) })
        #expect(batch.contains { $0 == nil } && batch.contains { $0 != nil })
    }

    @Test func snapsManyPointsInOrder() {
        let snapper = EdgeSnapper(graph: Self.net.graph())
        let points = [AsciiNetwork.at(east: 30, south: 12), AsciiNetwork.at(east: 100, south: 900), Self.net.coordinate("E")]
        let many = snapper.snap(points)
        #expect(many == points.map { snapper.snap($0) })
        #expect(many[1] == nil)
    }
}
