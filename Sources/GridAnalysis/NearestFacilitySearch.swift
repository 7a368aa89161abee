import GridModel

/// Multi-source nearest-facility search on the walking graph: Dijkstra (1959) with a 4-ary heap, every
/// facility seeded at once, labels ordered by (distance, facility id) so ties go to the lowest facility id.
public enum NearestFacilitySearch {
    /// A facility placed on the network.
    public struct Source: Sendable, Hashable {
        public var facilityID: Int64
        public var snap: SnapPoint

        public init(facilityID: Int64, snap: SnapPoint) {
            self.facilityID = facilityID
            self.snap = snap
        }
    }

    /// The nearest facility of a target and the walking distance to it.
    public struct Answer: Sendable, Hashable {
        public var facilityID: Int64
        public var distance: Meters

        public init(facilityID: Int64, distance: Meters) {
            self.facilityID = facilityID
            self.distance = distance
        }
    }

    /// For every target point, the nearest source within `horizon` (inclusive), the distance being
    /// source.offNetwork + network path between the two snap points + target.offNetwork; nil when no
    /// source is that close or the target is nil.
    ///
    /// Exact: a source and a target on the same edge also get the direct distance along the edge, and snap
    /// points at offset 0 or at the edge length behave as the junction itself.
    /// `isCancelled` is polled every 4096 settled nodes; when it returns true the search throws
    /// `CancellationError`. Throws `GridAnalysisError` for an edge index outside the graph.
    public static func run(
        graph: WalkingGraph, sources: [Source], targets: [SnapPoint?], horizon: Meters,
        workspace: SearchWorkspace? = nil, isCancelled: () -> Bool = { false }
    ) throws -> [Answer?] {
        let nearest = try columns(graph: graph, sources: sources, targets: targets, horizon: horizon,
                                  workspace: workspace, isCancelled: isCancelled)
        return (0..<targets.count).map { nearest.answer($0) }
    }

    /// The answers of `run` as columns: 12 bytes a target instead of an `Answer?` (24).
    struct Columns: Sendable {
        /// Distinct facility ids, ascending; `rank` indexes them.
        var facilityIDs: [Int64]
        /// Per target: rank of the nearest facility, -1 when none is within the horizon.
        var rank: [Int32]
        /// Per target: the walking distance (unused where `rank` is -1).
        var distance: [Double]

        func answer(_ t: Int) -> Answer? {
            let r = rank[t]
            return r < 0 ? nil : Answer(facilityID: facilityIDs[Int(r)], distance: Meters(distance[t]))
        }
    }

    /// `run`, answering in columns.
    static func columns(
        graph: WalkingGraph, sources: [Source], targets: [SnapPoint?], horizon: Meters,
        workspace: SearchWorkspace? = nil, isCancelled: () -> Bool = { false }
    ) throws -> Columns {
        let ws = workspace ?? SearchWorkspace()
        let limit = horizon.value
        ws.begin(nodeCount: graph.nodeCount)
        let seeded = try seed(graph: graph, sources: sources, workspace: ws, limit: limit)
        try ws.run(graph, horizon: limit, isCancelled: isCancelled)
        return try evaluate(graph: graph, targets: targets, workspace: ws, seeded: seeded, limit: limit)
    }

    /// Sources seeded into a search, kept for reading the targets' distances after it.
    struct SeededSources {
        var facilities: FacilityRanks
        /// Sources per edge, for direct along-edge distances to targets on the same edge.
        var onEdge: [(edge: Int32, offset: Double, offNetwork: Double, rank: Int32)]
    }

    /// Seeds every source into a workspace that has begun: the one seeding rule of coverage and isochrones.
    static func seed(graph: WalkingGraph, sources: [Source], workspace ws: SearchWorkspace, limit: Double) throws -> SeededSources {
        let facilities = FacilityRanks(sources.map(\.facilityID))
        var onEdge: [(edge: Int32, offset: Double, offNetwork: Double, rank: Int32)] = []
        onEdge.reserveCapacity(sources.count)
        for (i, source) in sources.enumerated() {
            guard let placed = try Placement(source.snap, graph) else { continue }
            let r = facilities.rank[i]
            onEdge.append((source.snap.edge, placed.offset, placed.offNetwork, r))
            seed(ws, placed, rank: r, limit: limit)
        }
        onEdge.sort { ($0.edge, $0.rank, $0.offset) < ($1.edge, $1.rank, $1.offset) }
        return SeededSources(facilities: facilities, onEdge: onEdge)
    }

    /// The targets' nearest sources after a search from `seeded` (the same arithmetic for every caller, so
    /// coverage and isochrones agree to the last bit).
    static func evaluate(graph: WalkingGraph, targets: [SnapPoint?], workspace ws: SearchWorkspace, seeded: SeededSources,
                         limit: Double) throws -> Columns {
        let onEdge = seeded.onEdge
        // Edges holding a source, one bit each: most targets' edges hold none and skip the search of `onEdge`.
        var holding = [UInt64](repeating: 0, count: (graph.edgeCount + 63) >> 6)
        for source in onEdge where source.edge >= 0 && Int(source.edge) < graph.edgeCount {
            holding[Int(source.edge) >> 6] |= 1 << UInt64(source.edge & 63)
        }
        var rank = [Int32](repeating: -1, count: targets.count)
        var distance = [Double](repeating: .infinity, count: targets.count)
        for (i, target) in targets.enumerated() {
            guard let target, let placed = try Placement(target, graph) else { continue }
            var best = Double.infinity
            var bestRank = Int32.max
            @inline(__always) func consider(_ d: Double, _ r: Int32) {
                if d < best || (d == best && r < bestRank) { best = d; bestRank = r }
            }
            let a = Int(placed.from), b = Int(placed.to)
            let o = placed.offset, back = placed.length - placed.offset
            if a == b {
                if ws.isReached(a) { consider(ws.distance(a) + min(o, back) + placed.offNetwork, ws.rank(a)) }
            } else {
                if ws.isReached(a) { consider(ws.distance(a) + o + placed.offNetwork, ws.rank(a)) }
                if ws.isReached(b) { consider(ws.distance(b) + back + placed.offNetwork, ws.rank(b)) }
            }
            var k = holding[Int(target.edge) >> 6] & (1 << UInt64(target.edge & 63)) == 0 ? onEdge.count : lowerBound(onEdge, target.edge)
            while k < onEdge.count && onEdge[k].edge == target.edge {
                let s = onEdge[k]
                consider(s.offNetwork + abs(s.offset - o) + placed.offNetwork, s.rank)
                k += 1
            }
            if bestRank != Int32.max && best <= limit { rank[i] = bestRank; distance[i] = best }
        }
        return Columns(facilityIDs: seeded.facilities.ids, rank: rank, distance: distance)
    }

    /// Node-level variant, as the peer benchmark defines coverage: sources sit on junctions, and every node
    /// gets its distance to the nearest source within `horizon` (`.infinity` beyond) and that source's
    /// facility id (-1 beyond). Several facilities on one node: the lowest id wins.
    public static func nodeDistances(
        graph: WalkingGraph, sourceNodes: [(facilityID: Int64, node: Int32)], horizon: Meters,
        workspace: SearchWorkspace? = nil, isCancelled: () -> Bool = { false }
    ) throws -> (distance: [Double], facility: [Int64]) {
        let ws = workspace ?? SearchWorkspace()
        let limit = horizon.value
        let facilities = FacilityRanks(sourceNodes.map(\.facilityID))
        ws.begin(nodeCount: graph.nodeCount)
        for (i, source) in sourceNodes.enumerated() {
            guard source.node >= 0 && Int(source.node) < graph.nodeCount else {
                throw GridAnalysisError.nodeIndexOutOfRange(source.node)
            }
            if 0 <= limit { ws.offer(source.node, 0, facilities.rank[i]) }
        }
        try ws.run(graph, horizon: limit, isCancelled: isCancelled)
        return collect(ws, graph.nodeCount, facilities.ids)
    }

    /// Node-level distances from facilities snapped onto edges (for example to draw an isochrone):
    /// source.offNetwork + network distance to each node, within `horizon`.
    public static func nodeDistances(
        graph: WalkingGraph, sources: [Source], horizon: Meters,
        workspace: SearchWorkspace? = nil, isCancelled: () -> Bool = { false }
    ) throws -> (distance: [Double], facility: [Int64]) {
        let ws = workspace ?? SearchWorkspace()
        let limit = horizon.value
        let facilities = FacilityRanks(sources.map(\.facilityID))
        ws.begin(nodeCount: graph.nodeCount)
        for (i, source) in sources.enumerated() {
            guard let placed = try Placement(source.snap, graph) else { continue }
            seed(ws, placed, rank: facilities.rank[i], limit: limit)
        }
        try ws.run(graph, horizon: limit, isCancelled: isCancelled)
        return collect(ws, graph.nodeCount, facilities.ids)
    }

    // MARK: Internals

    /// A snap point checked against the graph, with its edge's ends and length resolved.
    private struct Placement {
        var from: Int32
        var to: Int32
        var length: Double
        var offset: Double
        var offNetwork: Double

        /// nil for a point whose distances are not numbers.
        init?(_ snap: SnapPoint, _ graph: WalkingGraph) throws {
            let e = Int(snap.edge)
            guard e >= 0 && e < graph.edgeCount else { throw GridAnalysisError.edgeIndexOutOfRange(snap.edge) }
            guard !snap.offset.value.isNaN, !snap.offNetwork.value.isNaN else { return nil }
            from = graph.edgeSources[e]
            to = graph.edgeTargets[e]
            length = graph.edgeLengths[e]
            offset = min(max(snap.offset.value, 0), length)
            offNetwork = max(snap.offNetwork.value, 0)
        }
    }

    /// Labels both ends of the source's edge (the nearer way round for a self-loop).
    private static func seed(_ ws: SearchWorkspace, _ p: Placement, rank: Int32, limit: Double) {
        if p.from == p.to {
            let d = p.offNetwork + min(p.offset, p.length - p.offset)
            if d <= limit { ws.offer(p.from, d, rank) }
        } else {
            let toFrom = p.offNetwork + p.offset, toTo = p.offNetwork + (p.length - p.offset)
            if toFrom <= limit { ws.offer(p.from, toFrom, rank) }
            if toTo <= limit { ws.offer(p.to, toTo, rank) }
        }
    }

    private static func collect(_ ws: SearchWorkspace, _ n: Int, _ ids: [Int64]) -> (distance: [Double], facility: [Int64]) {
        let distance = [Double](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = ws.isReached(i) ? ws.distance(i) : .infinity }
            count = n
        }
        let facility = [Int64](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = ws.isReached(i) ? ids[Int(ws.rank(i))] : -1 }
            count = n
        }
        return (distance, facility)
    }

    private static func lowerBound(_ list: [(edge: Int32, offset: Double, offNetwork: Double, rank: Int32)], _ edge: Int32) -> Int {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if list[mid].edge < edge { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// Facility ids replaced by their rank among the distinct ids, so heap entries compare small integers
/// and a lower rank always means a lower id.
struct FacilityRanks {
    /// Distinct ids, ascending.
    let ids: [Int64]
    /// Rank of each input position.
    let rank: [Int32]

    init(_ facilityIDs: [Int64]) {
        let distinct = Array(Set(facilityIDs)).sorted()
        ids = distinct
        rank = facilityIDs.map { id in
            var lo = 0, hi = distinct.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if distinct[mid] < id { lo = mid + 1 } else { hi = mid }
            }
            return Int32(lo)
        }
    }
}
