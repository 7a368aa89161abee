import GridAnalysis
import GridModel

/// Reference answers computed the slow, obvious way: every snap point becomes a real node splitting its
/// edge, then one plain Dijkstra per source on an adjacency list. Works on the raw edge list, given in the
/// graph's edge order (`inGraphOrder`) so a snap point's edge index picks the same edge.
enum BruteForce {
    struct Answer: Equatable { var facilityID: Int64; var distance: Double }

    final class Network {
        var adjacency: [[(to: Int, w: Double)]] = []
        var nodeOf: [Int64: Int] = [:]

        func node(_ osm: Int64) -> Int {
            if let n = nodeOf[osm] { return n }
            adjacency.append([])
            nodeOf[osm] = adjacency.count - 1
            return adjacency.count - 1
        }

        func newNode() -> Int {
            adjacency.append([])
            return adjacency.count - 1
        }

        func link(_ a: Int, _ b: Int, _ w: Double) {
            adjacency[a].append((b, w))
            adjacency[b].append((a, w))
        }

        /// Single-source Dijkstra with a binary heap of (distance, node), lazy deletion.
        func distances(from start: Int, initial: Double) -> [Double] {
            var dist = [Double](repeating: .infinity, count: adjacency.count)
            var heap: [(Double, Int)] = [(initial, start)]
            dist[start] = initial
            func less(_ i: Int, _ j: Int) -> Bool { heap[i].0 < heap[j].0 }
            while !heap.isEmpty {
                let (d, u) = heap[0]
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
                var i = 0
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < heap.count && less(l, m) { m = l }
                    if r < heap.count && less(r, m) { m = r }
                    if m == i { break }
                    heap.swapAt(i, m)
                    i = m
                }
                if d > dist[u] { continue }
                for (v, w) in adjacency[u] where d + w < dist[v] {
                    dist[v] = d + w
                    heap.append((d + w, v))
                    var k = heap.count - 1
                    while k > 0 && less(k, (k - 1) / 2) {
                        heap.swapAt(k, (k - 1) / 2)
                        k = (k - 1) / 2
                    }
                }
            }
            return dist
        }
    }

    /// Builds the split network; returns it with the node made for each snap point (in input order).
    static func split(_ edges: [NetworkEdge], points: [SnapPoint]) -> (Network, [Int]) {
        let net = Network()
        for e in edges {
            _ = net.node(e.sourceNode)
            _ = net.node(e.targetNode)
        }
        var onEdge: [Int: [(offset: Double, point: Int)]] = [:]
        for (i, p) in points.enumerated() {
            let length = edges[Int(p.edge)].length.value
            onEdge[Int(p.edge), default: []].append((min(max(p.offset.value, 0), length), i))
        }
        var made = [Int](repeating: -1, count: points.count)
        for (index, e) in edges.enumerated() {
            let a = net.nodeOf[e.sourceNode]!, b = net.nodeOf[e.targetNode]!
            var previous = a, previousOffset = 0.0
            for (offset, i) in (onEdge[index] ?? []).sorted(by: { ($0.offset, $0.point) < ($1.offset, $1.point) }) {
                let n = net.newNode()
                made[i] = n
                net.link(previous, n, offset - previousOffset)
                previous = n
                previousOffset = offset
            }
            net.link(previous, b, e.length.value - previousOffset)
        }
        return (net, made)
    }

    static func inGraphOrder(_ edges: [NetworkEdge], _ graph: WalkingGraph) -> [NetworkEdge] {
        (0..<Int32(graph.edgeCount)).map { edges[graph.inputPosition(ofEdge: $0)] }
    }

    static func better(_ d: Double, _ id: Int64, than best: Answer?) -> Bool {
        guard let best else { return true }
        return d < best.distance || (d == best.distance && id < best.facilityID)
    }

    static func nearest(
        edges: [NetworkEdge], sources: [NearestFacilitySearch.Source], targets: [SnapPoint?], horizon: Double
    ) -> [Answer?] {
        let points = sources.map(\.snap) + targets.compactMap { $0 }
        let (net, made) = split(edges, points: points)
        var answers = [Answer?](repeating: nil, count: targets.count)
        var targetNode: [Int?] = []
        var k = sources.count
        for t in targets {
            if t != nil { targetNode.append(made[k]); k += 1 } else { targetNode.append(nil) }
        }
        for (i, s) in sources.enumerated() {
            let dist = net.distances(from: made[i], initial: s.snap.offNetwork.value)
            for (j, t) in targets.enumerated() {
                guard let t, let n = targetNode[j] else { continue }
                let d = dist[n] + t.offNetwork.value
                if d.isFinite && d <= horizon && better(d, s.facilityID, than: answers[j]) {
                    answers[j] = Answer(facilityID: s.facilityID, distance: d)
                }
            }
        }
        return answers
    }

    /// Nearest source per OSM node id, sources at OSM nodes.
    static func nodeNearest(edges: [NetworkEdge], sources: [(Int64, Int64)], horizon: Double) -> [Int64: Answer] {
        let (net, _) = split(edges, points: [])
        var result: [Int64: Answer] = [:]
        for (facility, osm) in sources {
            let dist = net.distances(from: net.nodeOf[osm]!, initial: 0)
            for (id, n) in net.nodeOf where dist[n].isFinite && dist[n] <= horizon && better(dist[n], facility, than: result[id]) {
                result[id] = Answer(facilityID: facility, distance: dist[n])
            }
        }
        return result
    }
}
