import GridModel

/// A grid worker's round: a closed tour through the grid's buildings over the walking network.
///
/// Distances are shortest walking distances between the buildings' snapped points (off-network stretches
/// included), one Dijkstra search per building (`NearestFacilitySearch.run` with that building as the only
/// source). The tour is built by nearest neighbour (Rosenkrantz, Stearns & Lewis 1977) and improved by 2-opt
/// (Croes 1958) until no exchange of two legs shortens it. A pair the network does not join (unsnapped, another
/// network component, beyond the search horizon) is walked in a straight line and counted.
public enum GridTour {
    public struct Result: Sendable, Hashable {
        /// Visiting order (indices into the input), starting at 0; the tour closes back to it.
        public var order: [Int]
        public var length: Meters
        /// Legs of the tour walked in a straight line because the network did not join their ends.
        public var straightLegs: Int
    }

    /// Nearest-neighbour tour from point 0, then 2-opt; `distances` is symmetric, `.infinity` nowhere.
    public static func tour(distances d: [[Double]]) -> (order: [Int], length: Double) {
        let n = d.count
        guard n > 1 else { return (Array(0..<n), 0) }
        var order = [0]
        var left = Set(1..<n)
        while let next = left.min(by: { (d[order.last!][$0], $0) < (d[order.last!][$1], $1) }) {
            order.append(next); left.remove(next)
        }
        // 2-opt: reversing order[i...j] replaces legs (a,b) and (c,e) by (a,c) and (b,e).
        var improved = true, rounds = 0
        while improved && rounds < 100 {
            improved = false; rounds += 1
            for i in 1..<n - 1 {
                for j in (i + 1)..<n {
                    let a = order[i - 1], b = order[i], c = order[j], e = order[(j + 1) % n]
                    if d[a][c] + d[b][e] < d[a][b] + d[c][e] - 1e-9 {
                        order[i...j].reverse()
                        improved = true
                    }
                }
            }
        }
        var length = 0.0
        for k in 0..<n { length += d[order[k]][order[(k + 1) % n]] }
        return (order, length)
    }

    /// The walking tour through `points` on `graph`; `snaps` are the points snapped by `EdgeSnapper` (nil where
    /// none is near). The search horizon is three times the points' bounding-box diagonal plus 1 km.
    public static func walking(points: [Coordinate], snaps: [SnapPoint?], graph: WalkingGraph, workspace: SearchWorkspace? = nil) throws -> Result {
        let n = points.count
        guard n > 1 else { return Result(order: Array(0..<n), length: Meters(0), straightLegs: 0) }
        let box = BoundingBox(coordinates: points)!
        let diagonal = Geodesy.distance(Coordinate(longitude: box.minLongitude, latitude: box.minLatitude),
                                        Coordinate(longitude: box.maxLongitude, latitude: box.maxLatitude)).value
        let horizon = Meters(3 * diagonal + 1000)
        let ws = workspace ?? SearchWorkspace()
        var network = [[Double]](repeating: [Double](repeating: .infinity, count: n), count: n)
        for i in 0..<n {
            network[i][i] = 0
            guard let snap = snaps[i] else { continue }
            let answers = try NearestFacilitySearch.run(graph: graph, sources: [.init(facilityID: 0, snap: snap)], targets: snaps,
                                                        horizon: horizon, workspace: ws)
            for j in 0..<n where j != i { if let a = answers[j] { network[i][j] = a.distance.value } }
        }
        var d = network
        for i in 0..<n {
            for j in (i + 1)..<n {
                // Symmetric by construction; the smaller of the two directions absorbs rounding differences.
                let walked = min(network[i][j], network[j][i])
                let value = walked.isFinite ? walked : Geodesy.distance(points[i], points[j]).value
                d[i][j] = value; d[j][i] = value
            }
        }
        let (order, length) = tour(distances: d)
        var straight = 0
        for k in 0..<n {
            let a = order[k], b = order[(k + 1) % n]
            if !min(network[a][b], network[b][a]).isFinite { straight += 1 }
        }
        return Result(order: order, length: Meters(length), straightLegs: straight)
    }
}
