import GridModel

/// A straight piece of a walk along the reached network, in the request's local frame (metres): the
/// network distance at the point `s` metres from a towards b is `start + slope · s`. A point when a == b.
struct ReachSegment {
    var ax: Double
    var ay: Double
    var bx: Double
    var by: Double
    var start: Double
    /// Network metres per frame metre: the edge's stored length over its drawn length.
    var slope: Double
    /// The walk's slope is `monotone` and the samples within reach of a already get a value at least as
    /// good from someone else (the previous segment of the walk, or the piece that reached the node the walk
    /// leaves): the one-root kernel over the segment's reach less a's disc applies
    /// (see `IsochroneWorkspace.stampFast`). Otherwise the exact kernel covers the whole reach.
    var fast: Bool
    /// Every point within reach of the segment is reached in every contour: its samples are only marked
    /// (see `IsochroneWorkspace.stampEverywhere`); `start` and `slope` do not matter.
    var everywhere = false

    /// At slopes this close to 1 or above, "distance at p + |sample − p|" counts as never decreasing along a
    /// walk; the error, at most (1 − slope)·`IsochroneGrid.reach`, is part of the contour tolerance.
    static let slopeTolerance = 1e-3

    static func isMonotone(_ slope: Double) -> Bool { slope >= 1 - slopeTolerance }
}

/// The reached segments of one request, and scratch space for one edge's shape (kept between requests).
struct ReachBuffers {
    var segments = ContiguousArray<ReachSegment>()
    var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
    var shapeX = ContiguousArray<Double>()
    var shapeY = ContiguousArray<Double>()
    var shapeArc = ContiguousArray<Double>()
    /// Points of the loaded shape (the arrays only grow).
    var shapeCount = 0
    /// Chains of fast segments, one walk after the other (−1: none), for `mergeChains`.
    var next = ContiguousArray<Int32>()
    var hasPrevious = ContiguousArray<Bool>()
    /// Per node of degree 2: the last segment of the walk that reached it, the first of the walk leaving it
    /// (−1: none, −2: several); `touched` lists the nodes to reset.
    var arrive = ContiguousArray<Int32>()
    var leave = ContiguousArray<Int32>()
    var touched = ContiguousArray<Int32>()
    var merged = ContiguousArray<ReachSegment>()
    var done = ContiguousArray<Bool>()
}

extension IsochroneWorkspace {
    /// Runs one multi-source search bounded by `horizon` and turns everything it reaches into segments:
    /// each origin's straight leg to its snap point, both directions along each origin's edge from the snap
    /// point, and every edge with a reached end, cut at the point where the walks from its two ends meet
    /// and at the exact remaining budget. Returns the number of nodes reached and the seeded origins (for
    /// reading buildings' distances off the same search).
    ///
    /// An edge reached from both ends whose farthest point (where the walks meet) is within `everywhereBelow`
    /// is one run of segments marked `everywhere` instead of two walks: the same area, half the segments.
    func collectReach(
        graph: WalkingGraph, origins: [Isochrone.PlacedOrigin], horizon: Double, everywhereBelow: Double,
        frame: LocalFrame, chainTolerance: Double, isCancelled: () -> Bool
    ) throws -> (reachedNodes: Int, seeded: NearestFacilitySearch.SeededSources) {
        let ws = search
        ws.begin(nodeCount: graph.nodeCount)

        // Seeds: both ends of each origin's edge (the nearer way round a self-loop), by the coverage core's own rule.
        let sources = origins.map { NearestFacilitySearch.Source(facilityID: $0.facilityID ?? 0, snap: $0.snap) }
        let seeded = try NearestFacilitySearch.seed(graph: graph, sources: sources, workspace: ws, limit: horizon)
        try ws.run(graph, horizon: horizon, isCancelled: isCancelled)

        // The collector owns the buffers while it runs (a local value: no run-time exclusivity checks).
        var collector = ReachCollector(buffers: reach, graph: graph, frame: frame, horizon: horizon,
                                       everywhereBelow: everywhereBelow)
        reach = ReachBuffers()
        defer { reach = collector.buffers }
        collector.reset()
        for origin in origins where origin.snap.offset.value.isFinite && origin.snap.offNetwork.value.isFinite {
            collector.addOrigin(origin)
        }

        if loopGraph !== graph { indexLoops(graph) }
        let loopNodes = self.loopNodes, loopEdges = self.loopEdges
        let labels = ws.labels, generation = ws.generation
        var reached = 0
        graph.arcStart.withUnsafeBufferPointer { start in
            graph.arcs.withUnsafeBufferPointer { arcs in
                graph.arcEdges.withUnsafeBufferPointer { arcEdges in
                    graph.edgeSources.withUnsafeBufferPointer { sources in
                        for u in 0..<graph.nodeCount where labels[u].stamp == generation {
                            reached += 1
                            let du = labels[u].distance
                            for a in Int(start[u])..<Int(start[u + 1]) {
                                let v = Int(arcs[a].target)
                                let vReached = labels[v].stamp == generation
                                // Each edge once: from its lower reached end.
                                if vReached && v < u { continue }
                                let e = Int(arcEdges[a])
                                let dv = vReached ? labels[v].distance : .infinity
                                if Int(sources[e]) == u {
                                    collector.addEdge(e, du, dv)
                                } else {
                                    collector.addEdge(e, dv, du)
                                }
                            }
                            if !loopNodes.isEmpty {
                                var k = Self.lowerBound(loopNodes, Int32(u))
                                while k < loopNodes.count && loopNodes[k] == Int32(u) {
                                    collector.addEdge(Int(loopEdges[k]), du, du)
                                    k += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        collector.mergeChains(tolerance: chainTolerance)
        return (reached, seeded)
    }

    /// Self-loops by node, sorted (the adjacency arrays give them no arcs).
    private func indexLoops(_ graph: WalkingGraph) {
        var pairs: [(node: Int32, edge: Int32)] = []
        for e in 0..<graph.edgeCount where graph.edgeSources[e] == graph.edgeTargets[e] {
            pairs.append((graph.edgeSources[e], Int32(e)))
        }
        pairs.sort { ($0.node, $0.edge) < ($1.node, $1.edge) }
        loopNodes = ContiguousArray(pairs.map(\.node))
        loopEdges = ContiguousArray(pairs.map(\.edge))
        loopGraph = graph
    }

    private static func lowerBound(_ list: ContiguousArray<Int32>, _ value: Int32) -> Int {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if list[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// Turns origins and edges with reached ends into segments.
struct ReachCollector {
    var buffers: ReachBuffers
    let graph: WalkingGraph
    let frame: LocalFrame
    let horizon: Double
    /// Network distance at or below which a point's whole reach is reached in every contour.
    let everywhereBelow: Double

    mutating func reset() {
        buffers.segments.removeAll(keepingCapacity: true)
        buffers.next.removeAll(keepingCapacity: true)
        buffers.hasPrevious.removeAll(keepingCapacity: true)
        if buffers.arrive.count < graph.nodeCount {
            let more = graph.nodeCount - buffers.arrive.count
            buffers.arrive.append(contentsOf: repeatElement(-1, count: more))
            buffers.leave.append(contentsOf: repeatElement(-1, count: more))
        }
        buffers.minX = .infinity; buffers.maxX = -.infinity; buffers.minY = .infinity; buffers.maxY = -.infinity
    }
    /// The origin's leg from its point to the network, then both ways along its edge from the snap point.
    mutating func addOrigin(_ origin: Isochrone.PlacedOrigin) {
        let off = max(origin.snap.offNetwork.value, 0)
        let ax = frame.x(origin.location.longitude), ay = frame.y(origin.location.latitude)
        let bx = frame.x(origin.snap.location.longitude), by = frame.y(origin.snap.location.latitude)
        let leg = ((bx - ax) * (bx - ax) + (by - ay) * (by - ay)).squareRoot()
        if leg > 0 && off > 0 && ax.isFinite && ay.isFinite {
            // Scaled so the leg ends at exactly the snap distance the search started from.
            let slope = off / leg
            let f = min(1, horizon / off)
            append(ReachSegment(ax: ax, ay: ay, bx: ax + f * (bx - ax), by: ay + f * (by - ay), start: 0, slope: slope, fast: false))
        }
        guard off <= horizon else { return }
        let e = Int(origin.snap.edge)
        let total = loadShape(e)
        let length = graph.edgeLengths[e]
        if total <= 0 {
            emitPoint(at: 0, distance: off)
            return
        }
        let slope = length / total
        if slope < 1e-12 {
            walk(forward: true, from: 0, to: total, startAtZero: off, slope: 0, total: total, startCovered: false)
            return
        }
        let position = length > 0 ? min(max(origin.snap.offset.value / length, 0), 1) * total : 0
        let budget = (horizon - off) / slope
        walk(forward: true, from: position, to: min(total, position + budget),
             startAtZero: off - slope * position, slope: slope, total: total, startCovered: false)
        let back = total - position
        walk(forward: false, from: back, to: min(total, back + budget),
             startAtZero: off - slope * back, slope: slope, total: total, startCovered: false)
    }

    /// Edge e with its source reached at `dA` and its target at `dB` (+∞ when not reached).
    mutating func addEdge(_ e: Int, _ dA: Double, _ dB: Double) {
        let total = loadShape(e)
        let length = graph.edgeLengths[e]
        let best = min(dA, dB)
        if total <= 0 {
            if best <= horizon { emitPoint(at: 0, distance: best) }
            return
        }
        let slope = length / total
        if slope < 1e-12 {
            // No length: the whole edge is as far as its nearer end.
            if best <= horizon { walk(forward: true, from: 0, to: total, startAtZero: best, slope: 0, total: total, startCovered: false) }
            return
        }
        // Each walk up to where it meets the other (beyond, the other is shorter) and within the horizon.
        var fromSource = dA <= horizon ? min(total, (horizon - dA) / slope) : -1
        var fromTarget = dB <= horizon ? min(total, (horizon - dB) / slope) : -1
        if dA.isFinite && dB.isFinite {
            // The farthest point of the edge is where the walks meet, at (dA + dB + length) / 2.
            if (dA + dB + length) / 2 <= everywhereBelow {
                let n = buffers.shapeCount
                for k in 0..<(n - 1) where buffers.shapeArc[k + 1] > buffers.shapeArc[k] {
                    var segment = ReachSegment(ax: buffers.shapeX[k], ay: buffers.shapeY[k], bx: buffers.shapeX[k + 1],
                                               by: buffers.shapeY[k + 1], start: 0, slope: 1, fast: false)
                    segment.everywhere = true
                    append(segment)
                }
                return
            }
            let meet = (dB - dA + length) / (2 * slope)
            fromSource = min(fromSource, meet)
            fromTarget = min(fromTarget, total - meet)
        }
        let source = graph.edgeSources[e], target = graph.edgeTargets[e]
        if fromSource > 0 {
            walk(forward: true, from: 0, to: fromSource, startAtZero: dA, slope: slope, total: total, startCovered: true,
                 fromNode: source, toNode: target)
        }
        if fromTarget > 0 {
            walk(forward: false, from: 0, to: fromTarget, startAtZero: dB, slope: slope, total: total, startCovered: true,
                 fromNode: target, toNode: source)
        }
    }

    /// Projects edge e's shape into the frame; returns its drawn length.
    private mutating func loadShape(_ e: Int) -> Double {
        let g0 = Int(graph.geometryStart[e]), g1 = Int(graph.geometryStart[e + 1])
        let n = g1 - g0
        // Grown, never shrunk: the count of the current shape is n.
        if buffers.shapeX.count < n {
            let more = n - buffers.shapeX.count
            buffers.shapeX.append(contentsOf: repeatElement(0, count: more))
            buffers.shapeY.append(contentsOf: repeatElement(0, count: more))
            buffers.shapeArc.append(contentsOf: repeatElement(0, count: more))
        }
        buffers.shapeCount = n
        var arc = 0.0
        let frame = self.frame
        graph.points.withUnsafeBufferPointer { points in
            buffers.shapeX.withUnsafeMutableBufferPointer { xs in
                buffers.shapeY.withUnsafeMutableBufferPointer { ys in
                    buffers.shapeArc.withUnsafeMutableBufferPointer { arcs in
                        for k in 0..<n {
                            let c = points[g0 + k]
                            let x = frame.x(c.longitude), y = frame.y(c.latitude)
                            if k > 0 {
                                let step = ((x - xs[k - 1]) * (x - xs[k - 1]) + (y - ys[k - 1]) * (y - ys[k - 1])).squareRoot()
                                arc += step.isFinite ? step : 0
                            }
                            xs[k] = x; ys[k] = y; arcs[k] = arc
                        }
                    }
                }
            }
        }
        return arc.isFinite ? arc : 0
    }

    /// One walk along the loaded shape: its part [from, to], measured from the source end (`forward`) or
    /// from the target end, where the network distance is `startAtZero + slope · s`; segments oriented the
    /// way the walk goes. `startCovered`: the walk starts at a reached node at that node's distance.
    /// `fromNode`, `toNode`: the reached nodes at the walk's ends (−1: none), linking walks through nodes of
    /// degree 2 into chains.
    private mutating func walk(forward: Bool, from s0: Double, to s1: Double, startAtZero: Double, slope: Double, total: Double,
                               startCovered: Bool, fromNode: Int32 = -1, toNode: Int32 = -1) {
        guard s1 >= s0 else { return }
        let n = buffers.shapeCount
        if s1 == s0 {
            emitPoint(at: forward ? s0 : total - s0, distance: startAtZero + slope * s0)
            return
        }
        let monotone = ReachSegment.isMonotone(slope)
        // Ends within rounding of a shape point are that point, so walks meet at bit-identical positions.
        let snap = 1e-9 * max(total, 1)
        let reachesEnd = s1 >= total - snap
        var covered = startCovered
        var first: Int32 = -1, previous: Int32 = -1
        for q in 0..<(n - 1) {
            let i = forward ? q : n - 1 - q, j = forward ? q + 1 : n - 2 - q
            let c0 = forward ? buffers.shapeArc[i] : total - buffers.shapeArc[i]
            let c1 = forward ? buffers.shapeArc[j] : total - buffers.shapeArc[j]
            if c1 <= s0 { continue }
            if c0 >= s1 { break }
            let span = c1 - c0
            guard span > 0 else { continue }
            let lo = max(c0, s0), hi = min(c1, s1)
            let f0 = lo - c0 <= snap ? 0 : (lo - c0) / span, f1 = c1 - hi <= snap ? 1 : (hi - c0) / span
            let xi = buffers.shapeX[i], yi = buffers.shapeY[i], xj = buffers.shapeX[j], yj = buffers.shapeY[j]
            let fast = covered && monotone
            guard let index = append(ReachSegment(
                ax: f0 == 0 ? xi : xi + f0 * (xj - xi), ay: f0 == 0 ? yi : yi + f0 * (yj - yi),
                bx: f1 == 1 ? xj : xi + f1 * (xj - xi), by: f1 == 1 ? yj : yi + f1 * (yj - yi),
                start: startAtZero + slope * lo, slope: slope, fast: fast)) else { continue }
            if fast && previous >= 0 && buffers.segments[Int(previous)].fast {
                buffers.next[Int(previous)] = index
                buffers.hasPrevious[Int(index)] = true
            }
            if first < 0 { first = index }
            previous = index
            covered = true
        }
        guard first >= 0 else { return }
        if fromNode >= 0 && buffers.segments[Int(first)].fast && graph.degree(ofNode: fromNode) == 2 {
            note(leaving: true, fromNode, first)
        }
        if toNode >= 0 && reachesEnd && buffers.segments[Int(previous)].fast && graph.degree(ofNode: toNode) == 2 {
            note(leaving: false, toNode, previous)
        }
    }

    private mutating func note(leaving: Bool, _ node: Int32, _ segment: Int32) {
        let n = Int(node)
        if buffers.arrive[n] == -1 && buffers.leave[n] == -1 { buffers.touched.append(node) }
        if leaving {
            buffers.leave[n] = buffers.leave[n] == -1 ? segment : -2
        } else {
            buffers.arrive[n] = buffers.arrive[n] == -1 ? segment : -2
        }
    }

    /// Joins walks through nodes of degree 2 (the walk that reached the node, then the one leaving it), and
    /// replaces each run of chained fast segments that stays within `tolerance` of a straight line by that
    /// line: a long straight street drawn node by node costs one segment. The chord's distances are lowered
    /// by the run's largest deviation plus what the run is longer than the chord, so every point of the run
    /// stays inside with the same guarantee; it claims at most that much more.
    mutating func mergeChains(tolerance: Double) {
        let count = buffers.segments.count
        for node in buffers.touched {
            let n = Int(node)
            let a = buffers.arrive[n], l = buffers.leave[n]
            buffers.arrive[n] = -1; buffers.leave[n] = -1
            guard a >= 0, l >= 0, a != l, buffers.next[Int(a)] < 0, !buffers.hasPrevious[Int(l)] else { continue }
            let s = buffers.segments[Int(a)], t = buffers.segments[Int(l)]
            let end = s.start + s.slope * ((s.bx - s.ax) * (s.bx - s.ax) + (s.by - s.ay) * (s.by - s.ay)).squareRoot()
            guard s.bx == t.ax, s.by == t.ay, abs(s.slope - t.slope) <= 1e-4, abs(end - t.start) <= 1e-6 * max(1, t.start) else { continue }
            buffers.next[Int(a)] = l
            buffers.hasPrevious[Int(l)] = true
        }
        buffers.touched.removeAll(keepingCapacity: true)
        buffers.merged.removeAll(keepingCapacity: true)
        buffers.done.removeAll(keepingCapacity: true)
        buffers.done.append(contentsOf: repeatElement(false, count: count))
        var chain: [Int] = []
        for head in 0..<count where !buffers.hasPrevious[head] {
            chain.removeAll(keepingCapacity: true)
            var k = head
            while true {
                chain.append(k)
                buffers.done[k] = true
                let n = Int(buffers.next[k])
                if n < 0 || buffers.done[n] { break }
                k = n
            }
            mergeChain(chain, tolerance: tolerance)
        }
        // Rings of chained segments with no head (a closed walk): kept as they are.
        for k in 0..<count where !buffers.done[k] { buffers.merged.append(buffers.segments[k]) }
        swap(&buffers.segments, &buffers.merged)
    }

    private mutating func mergeChain(_ chain: [Int], tolerance: Double) {
        let segments = buffers.segments
        guard chain.count > 1 else {
            buffers.merged.append(segments[chain[0]])
            return
        }
        @inline(__always) func length(_ g: ReachSegment) -> Double {
            ((g.bx - g.ax) * (g.bx - g.ax) + (g.by - g.ay) * (g.by - g.ay)).squareRoot()
        }
        var s = 0
        while s < chain.count {
            let first = segments[chain[s]]
            var e = s, deviation = 0.0
            // Extends the chord while every inner point stays within tolerance of it, in order along it.
            while e + 1 < chain.count {
                let last = segments[chain[e + 1]]
                guard abs(last.slope - first.slope) <= 1e-4 else { break }
                let dx = last.bx - first.ax, dy = last.by - first.ay
                let chord = (dx * dx + dy * dy).squareRoot()
                guard chord > 0 else { break }
                let ux = dx / chord, uy = dy / chord
                var worst = 0.0, along = 0.0, ordered = true
                for m in (s + 1)...(e + 1) {
                    let p = segments[chain[m]]
                    let px = p.ax - first.ax, py = p.ay - first.ay
                    let t = px * ux + py * uy
                    if t < along || t > chord { ordered = false; break }
                    along = t
                    worst = max(worst, abs(px * uy - py * ux))
                }
                guard ordered && worst <= tolerance else { break }
                e += 1
                deviation = worst
            }
            if e == s {
                buffers.merged.append(first)
            } else {
                let last = segments[chain[e]]
                var arc = 0.0
                for m in s...e { arc += length(segments[chain[m]]) }
                let dx = last.bx - first.ax, dy = last.by - first.ay
                let chord = (dx * dx + dy * dy).squareRoot()
                let rise = last.start + last.slope * length(last) - first.start
                let lowering = rise * (arc - chord) / arc + deviation
                buffers.merged.append(ReachSegment(ax: first.ax, ay: first.ay, bx: last.bx, by: last.by,
                                                   start: first.start - lowering, slope: rise / chord, fast: true))
            }
            s = e + 1
        }
    }

    /// A single reached point at arc length `s` from the loaded shape's source end.
    private mutating func emitPoint(at s: Double, distance: Double) {
        let n = buffers.shapeCount
        var x = buffers.shapeX[0], y = buffers.shapeY[0]
        for q in 0..<max(n - 1, 0) where buffers.shapeArc[q + 1] >= s {
            let span = buffers.shapeArc[q + 1] - buffers.shapeArc[q]
            let f = span > 0 ? min(max((s - buffers.shapeArc[q]) / span, 0), 1) : 0
            x = buffers.shapeX[q] + f * (buffers.shapeX[q + 1] - buffers.shapeX[q])
            y = buffers.shapeY[q] + f * (buffers.shapeY[q + 1] - buffers.shapeY[q])
            break
        }
        append(ReachSegment(ax: x, ay: y, bx: x, by: y, start: distance, slope: 1, fast: false))
    }

    @discardableResult
    private mutating func append(_ segment: ReachSegment) -> Int32? {
        guard segment.ax.isFinite, segment.ay.isFinite, segment.bx.isFinite, segment.by.isFinite else { return nil }
        buffers.segments.append(segment)
        buffers.next.append(-1)
        buffers.hasPrevious.append(false)
        buffers.minX = min(buffers.minX, segment.ax, segment.bx)
        buffers.maxX = max(buffers.maxX, segment.ax, segment.bx)
        buffers.minY = min(buffers.minY, segment.ay, segment.by)
        buffers.maxY = max(buffers.maxY, segment.ay, segment.by)
        return Int32(buffers.segments.count - 1)
    }

}
