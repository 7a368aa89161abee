import Foundation
import GridAnalysis
import GridModel
import Testing

@Suite("Grid worker's round: tours over the walking network")
struct GridTourTests {
    static func euclidean(_ points: [(Double, Double)]) -> [[Double]] {
        points.map { a in points.map { b in ((a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1)).squareRoot() } }
    }

    @Test("2-opt ends at the optimum for points in convex position: the hull order, whatever nearest neighbour did")
    func convex() {
        // Twelve points on a circle of radius 100, listed in a scrambled order.
        let scramble = [0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11]
        let points = scramble.map { k in (100 * cos(Double(k) * Double.pi / 6), 100 * sin(Double(k) * Double.pi / 6)) }
        let (order, length) = GridTour.tour(distances: Self.euclidean(points))
        #expect(order.sorted() == Array(0..<12) && order[0] == 0)
        let optimum = 12 * 2 * 100 * sin(Double.pi / 12)
        #expect(abs(length - optimum) < 1e-6, "\(length) vs \(optimum)")
        #expect(GridTour.tour(distances: Self.euclidean([(0, 0)])).length == 0)
        #expect(GridTour.tour(distances: Self.euclidean([(0, 0), (30, 40)])).length == 100)
    }

    ///   b (0,300) ——— c (100,300)
    ///   |                 |
    ///   |   (no path)     |
    ///   a (0,0)           d (100,0)
    /// Buildings at a and d: 100 m apart in a straight line, 700 m on foot; a third building far east is off the network.
    @Test("walking round goes around the U; a building off the network is reached in a straight line and counted")
    func aroundTheU() throws {
        let frame = LocalProjection(origin: Coordinate(longitude: 116.3, latitude: 40))
        func at(_ x: Double, _ y: Double) -> Coordinate { frame.unproject(x: x, y: y) }
        let nodes = [at(0, 0), at(0, 300), at(100, 300), at(100, 0)]
        var edges: [NetworkEdge] = []
        for i in 0..<3 {
            let length: Meters = Geodesy.distance(nodes[i], nodes[i + 1])
            edges.append(NetworkEdge(id: Int64(i + 1), sourceNode: Int64(i + 1), targetNode: Int64(i + 2), length: length,
                                     geometry: [nodes[i], nodes[i + 1]]))
        }
        let graph = WalkingGraph(edges: edges)
        let snapper = EdgeSnapper(graph: graph)
        let points = [at(0, 0), at(100, 0)]
        let walk = try GridTour.walking(points: points, snaps: snapper.snap(points), graph: graph)
        #expect(abs(walk.length.value - 1400) < 1, "\(walk.length.value)")
        #expect(walk.straightLegs == 0)
        #expect(abs(GridMetrics.tourLength(points) - 200) < 1)

        let far = points + [at(2000, 0)]
        let withFar = try GridTour.walking(points: far, snaps: snapper.snap(far), graph: graph)
        #expect(withFar.straightLegs == 2)
        // 700 on foot between a and d, plus 1,900 + 2,000 m straight to the far building and back.
        #expect(abs(withFar.length.value - 4600) < 2, "\(withFar.length.value)")
    }
}
