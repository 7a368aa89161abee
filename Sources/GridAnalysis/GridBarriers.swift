/// Lines grids should not cross (arterial roads), applied to the building adjacency of a partition.
///
/// An adjacency edge is cut when the straight segment between its two buildings properly crosses a barrier
/// segment. The cut graph's connected parts are blocks; a block that cannot hold grids within the household range
/// on its own (too few households, or a weight no number of grids fits) is joined back to a neighbouring block
/// through the edges that were cut between them, so its households still reach a grid in range. Grids whose
/// buildings lie in more than one block then span a barrier and are reported.
public enum GridBarriers {
    /// Planar positions in metres (any local projection); `lines` are polylines in the same frame.
    public struct Plan: Sendable {
        /// The edges kept: every edge not crossing a barrier, plus those restored to join blocks.
        public var edges: [(Int, Int)]
        /// Indices (into the input edges) of crossing edges.
        public var cut: [Int]
        /// Indices (into the input edges) of crossing edges restored because a block was infeasible alone.
        public var restored: [Int]
        /// Block per building: connected parts of the graph without any crossing edge.
        public var block: [Int]
    }

    /// Which edges cross a barrier. Segments are bucketed in square cells so each edge tests only nearby ones.
    public static func crossing(edges: [(Int, Int)], x: [Double], y: [Double], lines: [[(x: Double, y: Double)]]) -> [Bool] {
        var segments: [(ax: Double, ay: Double, bx: Double, by: Double)] = []
        for line in lines where line.count > 1 {
            for i in 1..<line.count { segments.append((line[i - 1].x, line[i - 1].y, line[i].x, line[i].y)) }
        }
        guard !segments.isEmpty, !edges.isEmpty else { return Array(repeating: false, count: edges.count) }
        let cell = 50.0
        func key(_ cx: Int, _ cy: Int) -> Int64 { Int64(cx) &* 1_000_003 &+ Int64(cy) }
        var buckets: [Int64: [Int]] = [:]
        for (s, seg) in segments.enumerated() {
            let x0 = Int((min(seg.ax, seg.bx) / cell).rounded(.down)), x1 = Int((max(seg.ax, seg.bx) / cell).rounded(.down))
            let y0 = Int((min(seg.ay, seg.by) / cell).rounded(.down)), y1 = Int((max(seg.ay, seg.by) / cell).rounded(.down))
            // Long segments span many cells; a cap keeps a degenerate input from exhausting memory.
            guard (x1 - x0 + 1) * (y1 - y0 + 1) <= 40_000 else { continue }
            for cx in x0...x1 { for cy in y0...y1 { buckets[key(cx, cy), default: []].append(s) } }
        }
        return edges.map { a, b in
            let ax = x[a], ay = y[a], bx = x[b], by = y[b]
            let x0 = Int((min(ax, bx) / cell).rounded(.down)), x1 = Int((max(ax, bx) / cell).rounded(.down))
            let y0 = Int((min(ay, by) / cell).rounded(.down)), y1 = Int((max(ay, by) / cell).rounded(.down))
            guard (x1 - x0 + 1) * (y1 - y0 + 1) <= 40_000 else { return false }
            for cx in x0...x1 {
                for cy in y0...y1 {
                    for s in buckets[key(cx, cy)] ?? [] {
                        let seg = segments[s]
                        if properlyCross(ax, ay, bx, by, seg.ax, seg.ay, seg.bx, seg.by) { return true }
                    }
                }
            }
            return false
        }
    }

    /// True when the open segments ab and cd cross at one interior point (touching or collinear is not crossing).
    static func properlyCross(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double,
                              _ cx: Double, _ cy: Double, _ dx: Double, _ dy: Double) -> Bool {
        func orient(_ px: Double, _ py: Double, _ qx: Double, _ qy: Double, _ rx: Double, _ ry: Double) -> Double {
            (qx - px) * (ry - py) - (qy - py) * (rx - px)
        }
        let d1 = orient(cx, cy, dx, dy, ax, ay), d2 = orient(cx, cy, dx, dy, bx, by)
        let d3 = orient(ax, ay, bx, by, cx, cy), d4 = orient(ax, ay, bx, by, dx, dy)
        return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))
    }

    /// True when `weight` households can be shared among grids all within [minimum, maximum]; a building above
    /// the maximum fills a grid alone.
    public static func feasible(weight: Int, oversized: [Int], minimum: Int, maximum: Int) -> Bool {
        let rest = weight - oversized.reduce(0, +)
        if rest == 0 { return !oversized.isEmpty }
        let low = (rest + maximum - 1) / maximum, high = rest / max(minimum, 1)
        return low <= high
    }

    /// Cuts the crossing edges, then joins back each infeasible block (lightest first) to the neighbouring block,
    /// across the cut edges, that makes the union feasible, else to its lightest neighbour, until every block is
    /// feasible or has no cut edge left to a neighbour.
    public static func plan(households: [Int], edges: [(Int, Int)], crossing: [Bool], minimum: Int, maximum: Int) -> Plan {
        let n = households.count
        var parent = Array(0..<n)
        func find(_ v: Int) -> Int { var v = v; while parent[v] != v { parent[v] = parent[parent[v]]; v = parent[v] }; return v }
        for (i, (a, b)) in edges.enumerated() where !crossing[i] {
            let ra = find(a), rb = find(b)
            if ra != rb { parent[ra] = rb }
        }
        let blockRoot = (0..<n).map(find)
        var blockIndex: [Int: Int] = [:]
        let block = blockRoot.map { root in
            if let index = blockIndex[root] { return index }
            let index = blockIndex.count
            blockIndex[root] = index
            return index
        }
        let cut = edges.indices.filter { crossing[$0] }
        var restored: [Int] = []
        var open = Set(cut)
        while true {
            var weights: [Int: (weight: Int, big: [Int])] = [:]
            for v in 0..<n {
                let r = find(v)
                weights[r, default: (0, [])].weight += households[v]
                if households[v] > maximum { weights[r, default: (0, [])].big.append(households[v]) }
            }
            func fits(_ w: (weight: Int, big: [Int])) -> Bool { feasible(weight: w.weight, oversized: w.big, minimum: minimum, maximum: maximum) }
            let infeasible = weights.keys.filter { !fits(weights[$0]!) }.sorted { (weights[$0]!.weight, $0) < (weights[$1]!.weight, $1) }
            var joined = false
            for r in infeasible {
                var neighbours: [Int: [Int]] = [:]
                for e in open {
                    let ra = find(edges[e].0), rb = find(edges[e].1)
                    if ra == r && rb != r { neighbours[rb, default: []].append(e) } else if rb == r && ra != r { neighbours[ra, default: []].append(e) }
                }
                guard !neighbours.isEmpty else { continue }
                let own = weights[r]!
                let choice = neighbours.keys.sorted { a, b in
                    let fa = fits((own.weight + weights[a]!.weight, own.big + weights[a]!.big))
                    let fb = fits((own.weight + weights[b]!.weight, own.big + weights[b]!.big))
                    if fa != fb { return fa }
                    return (weights[a]!.weight, a) < (weights[b]!.weight, b)
                }[0]
                restored += neighbours[choice]!
                open.subtract(neighbours[choice]!)
                parent[find(r)] = find(choice)
                joined = true
                break
            }
            if !joined { break }
        }
        let restoredSet = Set(restored)
        let kept = edges.indices.filter { !crossing[$0] || restoredSet.contains($0) }.map { edges[$0] }
        return Plan(edges: kept, cut: cut, restored: restored.sorted(), block: block)
    }

    /// Grids (labels 0..<count) whose buildings lie in more than one block.
    public static func spanning(labels: [Int], count: Int, block: [Int]) -> [Int] {
        var blocks = [Set<Int>](repeating: [], count: count)
        for (v, g) in labels.enumerated() where g >= 0 && g < count { blocks[g].insert(block[v]) }
        return (0..<count).filter { blocks[$0].count > 1 }
    }
}
