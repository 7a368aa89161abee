import GridModel

/// One direction of an undirected edge in the adjacency arrays (16 bytes, one load per relaxation).
struct Arc: Sendable {
    var weight: Double
    var target: Int32
    /// The target is a dead end (`WalkingGraph.deadEnds`): a search labels it after the run instead of queueing it.
    var intoDeadEnd = false
}

/// A node with one arc whose neighbour has more than one: nothing lies beyond it, so its label follows from its
/// neighbour's final label alone (a city's building entrances are a third of its nodes).
struct DeadEnd: Sendable {
    var weight: Double
    var node: Int32
    var neighbour: Int32
}

/// Undirected walking graph in compressed sparse row (CSR) adjacency arrays:
/// dense `Int32` node indexes, each 64-bit OSM id mapped once.
///
/// Built once per store version and shared: immutable, `Sendable`. Node indexes follow a Hilbert
/// curve over the node positions and edge indexes follow their nodes, so searches and snapping touch
/// memory in spatial order (`inputPosition(ofEdge:)` maps back to the input). Every edge is kept,
/// parallel edges included (a search takes the shortest); self-loops are kept as edges (snapping may
/// land on them) but have no arcs.
public final class WalkingGraph: Sendable {
    /// Collects edges into flat arrays, avoiding one `[Coordinate]` allocation per edge when the
    /// caller streams edges from a store.
    public struct Builder: Sendable {
        var ids = ContiguousArray<Int64>()
        var sources = ContiguousArray<Int64>()
        var targets = ContiguousArray<Int64>()
        var lengths = ContiguousArray<Double>()
        var geometryStart: ContiguousArray<Int32> = [0]
        var points = ContiguousArray<Coordinate>()

        public init(edgeCapacity: Int = 0, pointCapacity: Int = 0) {
            ids.reserveCapacity(edgeCapacity)
            sources.reserveCapacity(edgeCapacity)
            targets.reserveCapacity(edgeCapacity)
            lengths.reserveCapacity(edgeCapacity)
            geometryStart.reserveCapacity(edgeCapacity + 1)
            points.reserveCapacity(pointCapacity)
        }

        public var edgeCount: Int { ids.count }

        /// Appends one edge. `geometry` runs from the source junction to the target junction; an edge
        /// with fewer than two points is drawn as the straight line between its junctions.
        /// A negative or non-finite `length` is replaced by the haversine length of the geometry.
        public mutating func addEdge(
            id: Int64, sourceNode: Int64, targetNode: Int64, length: Meters, geometry: some Sequence<Coordinate>
        ) {
            ids.append(id)
            sources.append(sourceNode)
            targets.append(targetNode)
            lengths.append(length.value)
            points.append(contentsOf: geometry)
            precondition(points.count < Int(Int32.max), "too many shape points for Int32 offsets")
            geometryStart.append(Int32(points.count))
        }

        public mutating func addEdge(_ edge: NetworkEdge) {
            addEdge(id: edge.id, sourceNode: edge.sourceNode, targetNode: edge.targetNode,
                    length: edge.length, geometry: edge.geometry)
        }
    }

    // Nodes, indexed by dense node index (Hilbert order).
    let nodeOSMIDs: ContiguousArray<Int64>
    let nodeCoordinates: ContiguousArray<Coordinate>
    /// OSM ids ascending, with the node index of each: `nodeIndex(ofOSMNode:)` is a binary search.
    let sortedOSMIDs: ContiguousArray<Int64>
    let nodeOfSortedID: ContiguousArray<Int32>

    // Edges, indexed by edge index (spatial order).
    let edgeIDs: ContiguousArray<Int64>
    let edgeSources: ContiguousArray<Int32>
    let edgeTargets: ContiguousArray<Int32>
    let edgeLengths: ContiguousArray<Double>
    let edgeInputPositions: ContiguousArray<Int32>
    /// Shape points of edge e are `points[geometryStart[e] ..< geometryStart[e + 1]]`.
    let geometryStart: ContiguousArray<Int32>
    let points: ContiguousArray<Coordinate>

    // Adjacency: arcs of node u are `arcs[arcStart[u] ..< arcStart[u + 1]]`.
    let arcStart: ContiguousArray<Int32>
    let arcs: ContiguousArray<Arc>
    let arcEdges: ContiguousArray<Int32>
    /// Dead ends by node index; the arc into each is marked `intoDeadEnd`.
    let deadEnds: ContiguousArray<DeadEnd>
    /// The shortest and the longest arc a search relaxes (arcs into dead ends left out); zeros without any.
    let searchedArcWeights: (shortest: Double, longest: Double)

    /// Connected component of every node (components numbered in order of their lowest node index).
    public let componentOfNode: [Int32]
    /// Number of nodes in each component.
    public let componentSizes: [Int]
    /// The component with the most nodes (lowest number on ties); -1 for an empty graph.
    public let largestComponent: Int32

    public convenience init(edges: [NetworkEdge]) {
        self.init(input: NetworkEdgeInput(edges: edges))
    }

    /// Builds from a builder. Handed over at its last use (`WalkingGraph(consume builder)`), the builder's
    /// arrays are released as soon as they are copied, keeping the peak near the size of the finished graph.
    public convenience init(_ builder: consuming Builder) {
        self.init(input: builder)
    }

    init(input edges: consuming some EdgeInput) {
        var input = edges
        let edgeCount = input.count
        precondition(2 * edgeCount < Int(Int32.max), "too many edges for Int32 indexes")
        let unknown = Coordinate(longitude: .nan, latitude: .nan)
        let signBit: UInt64 = 1 << 63

        // 1. Junction ids: sort all 2E edge ends by OSM id (radix sort, payload = 2·edge + end), so each
        //    distinct id is one run and the first element of a run is its first appearance in the input.
        var keys = ContiguousArray<UInt64>(unsafeUninitializedCapacity: 2 * edgeCount) { b, c in
            for e in 0..<edgeCount {
                b[2 * e] = UInt64(bitPattern: input.source(e)) ^ signBit
                b[2 * e + 1] = UInt64(bitPattern: input.target(e)) ^ signBit
            }
            c = 2 * edgeCount
        }
        var ends = ContiguousArray<Int32>(unsafeUninitializedCapacity: 2 * edgeCount) { b, c in
            for i in 0..<(2 * edgeCount) { b[i] = Int32(i) }
            c = 2 * edgeCount
        }
        input.releaseEndpoints()
        radixSort(keys: &keys, payload: &ends)
        var sortedIDs = ContiguousArray<Int64>()
        var runStart = ContiguousArray<Int32>()
        for j in 0..<keys.count where j == 0 || keys[j] != keys[j - 1] {
            sortedIDs.append(Int64(bitPattern: keys[j] ^ signBit))
            runStart.append(Int32(j))
        }
        let nodeCount = sortedIDs.count
        runStart.append(Int32(keys.count))
        keys = []

        // Position of each junction: the matching end of the first edge through it that has a geometry
        // (a lone shape point when nothing better exists).
        @inline(__always) func pointCount(_ end: Int32) -> Int { input.pointCount(Int(end >> 1)) }
        @inline(__always) func endPoint(_ end: Int32) -> Coordinate {
            let e = Int(end >> 1)
            return input.point(e, end & 1 == 0 ? 0 : input.pointCount(e) - 1)
        }
        var sortedCoordinates = ContiguousArray<Coordinate>(repeating: unknown, count: nodeCount)
        for k in 0..<nodeCount {
            var j = Int(runStart[k])
            while j < Int(runStart[k + 1]) && pointCount(ends[j]) < 2 { j += 1 }
            if j < Int(runStart[k + 1]) {
                sortedCoordinates[k] = endPoint(ends[j])
            } else {
                for j in Int(runStart[k])..<Int(runStart[k + 1]) where pointCount(ends[j]) == 1 {
                    sortedCoordinates[k] = endPoint(ends[j])
                    break
                }
            }
        }

        // 2. Node indexes follow the Hilbert curve.
        let order = Self.hilbertOrder(sortedCoordinates)
        var indexOfSorted = ContiguousArray<Int32>(repeating: 0, count: nodeCount)
        for (position, k) in order.enumerated() { indexOfSorted[Int(k)] = Int32(position) }
        let coordinates = ContiguousArray(order.lazy.map { sortedCoordinates[Int($0)] })
        nodeOSMIDs = ContiguousArray(order.lazy.map { sortedIDs[Int($0)] })
        nodeCoordinates = coordinates
        sortedOSMIDs = sortedIDs
        nodeOfSortedID = indexOfSorted
        var inputSource = ContiguousArray<Int32>(repeating: 0, count: edgeCount)
        var inputTarget = ContiguousArray<Int32>(repeating: 0, count: edgeCount)
        for k in 0..<nodeCount {
            let node = indexOfSorted[k]
            for j in Int(runStart[k])..<Int(runStart[k + 1]) {
                let end = Int(ends[j])
                if end & 1 == 0 { inputSource[end >> 1] = node } else { inputTarget[end >> 1] = node }
            }
        }
        ends = []
        runStart = []

        // 3. Edge indexes follow their lower junction (counting sort), so a snapping cell's segments and a
        //    search's arcs sit close together in memory.
        var bucket = ContiguousArray<Int32>(repeating: 0, count: nodeCount + 1)
        for e in 0..<edgeCount { bucket[Int(min(inputSource[e], inputTarget[e])) + 1] += 1 }
        for k in 0..<nodeCount { bucket[k + 1] += bucket[k] }
        var inputPosition = ContiguousArray<Int32>(repeating: 0, count: edgeCount)
        for e in 0..<edgeCount {
            let b = Int(min(inputSource[e], inputTarget[e]))
            inputPosition[Int(bucket[b])] = Int32(e)
            bucket[b] += 1
        }
        bucket = []

        // 4. Edge arrays in the new order, each input array dropped once copied so that little but the two
        //    copies of the shape points is alive at the peak; geometry copied once into exactly sized storage,
        //    repaired where it has fewer than two points; lengths that are negative or not finite replaced by
        //    the measured one.
        let ids = ContiguousArray<Int64>(unsafeUninitializedCapacity: edgeCount) { b, c in
            for e in 0..<edgeCount { b[e] = input.id(Int(inputPosition[e])) }
            c = edgeCount
        }
        var lengths = ContiguousArray<Double>(unsafeUninitializedCapacity: edgeCount) { b, c in
            for e in 0..<edgeCount { b[e] = input.length(Int(inputPosition[e])) }
            c = edgeCount
        }
        input.releaseAttributes()
        let src = ContiguousArray<Int32>(unsafeUninitializedCapacity: edgeCount) { b, c in
            for e in 0..<edgeCount { b[e] = inputSource[Int(inputPosition[e])] }
            c = edgeCount
        }
        inputSource = []
        let tgt = ContiguousArray<Int32>(unsafeUninitializedCapacity: edgeCount) { b, c in
            for e in 0..<edgeCount { b[e] = inputTarget[Int(inputPosition[e])] }
            c = edgeCount
        }
        inputTarget = []
        var geometryStart = ContiguousArray<Int32>(repeating: 0, count: edgeCount + 1)
        var total = 0
        for e in 0..<edgeCount {
            total += max(input.pointCount(Int(inputPosition[e])), 2)
            precondition(total < Int(Int32.max), "too many shape points for Int32 offsets")
            geometryStart[e + 1] = Int32(total)
        }
        let points = ContiguousArray<Coordinate>(unsafeUninitializedCapacity: total) { buffer, count in
            let base = buffer.baseAddress!
            for e in 0..<edgeCount {
                let i = Int(inputPosition[e])
                let at = base + Int(geometryStart[e])
                if input.pointCount(i) >= 2 {
                    input.copyPoints(i, to: at)
                } else {
                    at.initialize(to: coordinates[Int(src[e])])
                    (at + 1).initialize(to: coordinates[Int(tgt[e])])
                }
            }
            count = total
        }
        input.releaseAll()
        points.withUnsafeBufferPointer { points in
            for e in 0..<edgeCount where !(lengths[e].isFinite && lengths[e] >= 0) {
                let measured = polylineLength(UnsafeBufferPointer(
                    rebasing: points[Int(geometryStart[e])..<Int(geometryStart[e + 1])]))
                lengths[e] = measured.isFinite ? measured : 0
            }
        }
        edgeIDs = ids
        edgeSources = src
        edgeTargets = tgt
        edgeLengths = lengths
        edgeInputPositions = inputPosition
        self.geometryStart = geometryStart
        self.points = points

        // 5. CSR adjacency; self-loops never shorten a path, so they get no arcs.
        var start = ContiguousArray<Int32>(repeating: 0, count: nodeCount + 1)
        for e in 0..<edgeCount where src[e] != tgt[e] {
            start[Int(src[e]) + 1] += 1
            start[Int(tgt[e]) + 1] += 1
        }
        for i in 0..<nodeCount { start[i + 1] += start[i] }
        let arcCount = Int(start[nodeCount])
        var arcs = ContiguousArray<Arc>(repeating: Arc(weight: 0, target: 0), count: arcCount)
        var arcEdges = ContiguousArray<Int32>(repeating: 0, count: arcCount)
        var next = start
        arcs.withUnsafeMutableBufferPointer { arcs in
            arcEdges.withUnsafeMutableBufferPointer { arcEdges in
                next.withUnsafeMutableBufferPointer { next in
                    for e in 0..<edgeCount {
                        let s = Int(src[e]), t = Int(tgt[e])
                        if s == t { continue }
                        let w = lengths[e]
                        arcs[Int(next[s])] = Arc(weight: w, target: Int32(t))
                        arcEdges[Int(next[s])] = Int32(e)
                        next[s] += 1
                        arcs[Int(next[t])] = Arc(weight: w, target: Int32(s))
                        arcEdges[Int(next[t])] = Int32(e)
                        next[t] += 1
                    }
                }
            }
        }
        next = []
        // Dead ends: one arc, to a node with more than one (two dead ends joined to each other are searched as usual).
        var deadEnds = ContiguousArray<DeadEnd>()
        arcs.withUnsafeMutableBufferPointer { arcs in
            start.withUnsafeBufferPointer { start in
                for v in 0..<nodeCount where start[v + 1] - start[v] == 1 {
                    let out = arcs[Int(start[v])]
                    let u = Int(out.target)
                    guard start[u + 1] - start[u] > 1 else { continue }
                    deadEnds.append(DeadEnd(weight: out.weight, node: Int32(v), neighbour: out.target))
                    for a in Int(start[u])..<Int(start[u + 1]) where arcs[a].target == Int32(v) { arcs[a].intoDeadEnd = true }
                }
            }
        }
        self.deadEnds = deadEnds
        var shortest = Double.infinity, longest = 0.0
        for arc in arcs where !arc.intoDeadEnd {
            shortest = min(shortest, arc.weight)
            longest = max(longest, arc.weight)
        }
        searchedArcWeights = shortest.isFinite ? (shortest, longest) : (0, 0)
        arcStart = start
        self.arcs = arcs
        self.arcEdges = arcEdges

        // 6. Connected components by breadth-first search.
        var component = [Int32](repeating: -1, count: nodeCount)
        var sizes: [Int] = []
        var queue = ContiguousArray<Int32>(repeating: 0, count: nodeCount)
        component.withUnsafeMutableBufferPointer { component in
            queue.withUnsafeMutableBufferPointer { queue in
                start.withUnsafeBufferPointer { start in
                    arcs.withUnsafeBufferPointer { arcs in
                        var tail = 0
                        for root in 0..<nodeCount where component[root] < 0 {
                            let id = Int32(sizes.count)
                            var head = tail
                            let first = tail
                            component[root] = id
                            queue[tail] = Int32(root)
                            tail += 1
                            while head < tail {
                                let u = Int(queue[head])
                                head += 1
                                for a in Int(start[u])..<Int(start[u + 1]) {
                                    let v = Int(arcs[a].target)
                                    if component[v] < 0 {
                                        component[v] = id
                                        queue[tail] = Int32(v)
                                        tail += 1
                                    }
                                }
                            }
                            sizes.append(tail - first)
                        }
                    }
                }
            }
        }
        componentOfNode = component
        componentSizes = sizes
        var largest: Int32 = -1
        for (c, size) in sizes.enumerated() where largest < 0 || size > sizes[Int(largest)] { largest = Int32(c) }
        largestComponent = largest
    }

    /// Node order along a Hilbert curve over the bounding box; nodes without a position go last.
    private static func hilbertOrder(_ coordinates: ContiguousArray<Coordinate>) -> ContiguousArray<Int32> {
        var minLon = Double.infinity, maxLon = -Double.infinity
        var minLat = Double.infinity, maxLat = -Double.infinity
        for c in coordinates where c.longitude.isFinite && c.latitude.isFinite {
            minLon = min(minLon, c.longitude); maxLon = max(maxLon, c.longitude)
            minLat = min(minLat, c.latitude); maxLat = max(maxLat, c.latitude)
        }
        let scaleX = maxLon > minLon ? 65535 / (maxLon - minLon) : 0
        let scaleY = maxLat > minLat ? 65535 / (maxLat - minLat) : 0
        var keys = ContiguousArray<UInt32>(repeating: .max, count: coordinates.count)
        for (i, c) in coordinates.enumerated() where c.longitude.isFinite && c.latitude.isFinite {
            let x = UInt32(max(0, min(65535, (c.longitude - minLon) * scaleX)))
            let y = UInt32(max(0, min(65535, (c.latitude - minLat) * scaleY)))
            keys[i] = hilbertKey(x, y)
        }
        return radixOrder(keys)
    }

    /// Approximate memory held by the graph's arrays, in bytes.
    public var approximateByteCount: Int {
        func bytes<T>(_ a: ContiguousArray<T>) -> Int { a.count * MemoryLayout<T>.stride }
        return bytes(nodeOSMIDs) + bytes(nodeCoordinates) + bytes(sortedOSMIDs) + bytes(nodeOfSortedID)
            + bytes(edgeIDs) + bytes(edgeSources) + bytes(edgeTargets) + bytes(edgeLengths) + bytes(edgeInputPositions)
            + bytes(geometryStart) + bytes(points) + bytes(arcStart) + bytes(arcs) + bytes(arcEdges) + bytes(deadEnds)
            + componentOfNode.count * 4 + componentSizes.count * 8
    }

    // MARK: Nodes

    public var nodeCount: Int { nodeOSMIDs.count }
    public var edgeCount: Int { edgeIDs.count }

    public func nodeIndex(ofOSMNode id: Int64) -> Int32? {
        var lo = 0, hi = sortedOSMIDs.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if sortedOSMIDs[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < sortedOSMIDs.count && sortedOSMIDs[lo] == id ? nodeOfSortedID[lo] : nil
    }
    public func osmNodeID(at index: Int32) -> Int64 { nodeOSMIDs[Int(index)] }
    /// Position of a junction, taken from the first edge geometry that starts or ends there.
    public func coordinate(ofNode index: Int32) -> Coordinate { nodeCoordinates[Int(index)] }
    public func component(ofNode index: Int32) -> Int32 { componentOfNode[Int(index)] }
    public var componentCount: Int { componentSizes.count }
    public var largestComponentSize: Int { largestComponent < 0 ? 0 : componentSizes[Int(largestComponent)] }
    public func isInLargestComponent(node index: Int32) -> Bool { componentOfNode[Int(index)] == largestComponent }

    /// Number of arcs at the node (self-loops excluded, parallel edges counted).
    public func degree(ofNode index: Int32) -> Int { Int(arcStart[Int(index) + 1] - arcStart[Int(index)]) }

    /// Neighbours of a node with the edge leading there, in edge input order.
    public func neighbors(ofNode index: Int32) -> [(node: Int32, edge: Int32, length: Meters)] {
        (Int(arcStart[Int(index)])..<Int(arcStart[Int(index) + 1])).map {
            (arcs[$0].target, arcEdges[$0], Meters(arcs[$0].weight))
        }
    }

    /// A snap point sitting exactly on a junction (on its first incident edge), for facilities
    /// already placed at nodes; nil for a node with no edge other than self-loops.
    public func snapPoint(atNode index: Int32) -> SnapPoint? {
        let a = Int(arcStart[Int(index)])
        guard a < Int(arcStart[Int(index) + 1]) else { return nil }
        let e = arcEdges[a]
        let atSource = edgeSources[Int(e)] == index
        return SnapPoint(edge: e, offset: atSource ? .zero : Meters(edgeLengths[Int(e)]),
                         offNetwork: .zero, location: nodeCoordinates[Int(index)])
    }

    // MARK: Edges

    public func edgeID(at index: Int32) -> Int64 { edgeIDs[Int(index)] }
    /// Position of the edge in the input (`edges` array or builder order).
    public func inputPosition(ofEdge index: Int32) -> Int { Int(edgeInputPositions[Int(index)]) }
    public func sourceNode(ofEdge index: Int32) -> Int32 { edgeSources[Int(index)] }
    public func targetNode(ofEdge index: Int32) -> Int32 { edgeTargets[Int(index)] }
    public func length(ofEdge index: Int32) -> Meters { Meters(edgeLengths[Int(index)]) }
    public func geometry(ofEdge index: Int32) -> ArraySlice<Coordinate> {
        points[Int(geometryStart[Int(index)])..<Int(geometryStart[Int(index) + 1])]
    }
    public func component(ofEdge index: Int32) -> Int32 { componentOfNode[Int(edgeSources[Int(index)])] }

    /// The edge as it was given (geometry repaired if it had fewer than two points).
    public func edge(at index: Int32) -> NetworkEdge {
        let i = Int(index)
        return NetworkEdge(id: edgeIDs[i], sourceNode: nodeOSMIDs[Int(edgeSources[i])],
                           targetNode: nodeOSMIDs[Int(edgeTargets[i])], length: Meters(edgeLengths[i]),
                           geometry: Array(geometry(ofEdge: index)))
    }

    /// The edge holding shape point `pointIndex` as the start of one of its segments.
    func edgeContaining(point pointIndex: Int32) -> Int32 {
        // Last edge whose first point is at or before pointIndex (upper bound − 1).
        var lo = 0, hi = edgeIDs.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if geometryStart[mid] <= pointIndex { lo = mid + 1 } else { hi = mid }
        }
        // Every edge has at least two points after repair, so starts are strictly increasing.
        return Int32(lo - 1)
    }
}
