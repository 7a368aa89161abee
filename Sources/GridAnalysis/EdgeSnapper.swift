import Foundation
import GridModel

/// Spatial index over the graph's edge segments and nodes: uniform grids in longitude/latitude cells,
/// queried ring by ring; distances are straight lines in a local equirectangular frame centred on each
/// query point (metres on the sphere of radius `Geodesy.earthRadius`).
public struct EdgeSnapper: Sendable {
    public let graph: WalkingGraph
    public let onlyLargestComponent: Bool
    /// Items are the indexes of each segment's first shape point in the graph's flat point array.
    let segments: CellGrid
    /// Items are node indexes.
    let nodes: CellGrid
    /// Asked when no edge of this index is within reach: the parts only stranded points join (`NetworkParts`).
    /// Empty or one snapper.
    public internal(set) var fallback: [EdgeSnapper] = []

    /// - Parameters:
    ///   - onlyLargestComponent: index only edges and nodes of the largest connected component, so
    ///     points never snap onto islands cut off from the rest of the network.
    ///   - cellSize: grid cell side; by default chosen from the network's extent and size.
    ///   - usableComponents: when given, index only the edges of the components flagged (see `NetworkParts`).
    public init(graph: WalkingGraph, onlyLargestComponent: Bool = false, usableComponents: [Bool]? = nil, cellSize: Meters? = nil) {
        self.graph = graph
        self.onlyLargestComponent = onlyLargestComponent
        let largest = graph.largestComponent
        let edgeCount = graph.edgeCount
        // Edges (and their nodes) the index covers.
        var included = [Bool](repeating: true, count: edgeCount)
        if onlyLargestComponent {
            for e in 0..<edgeCount { included[e] = graph.componentOfNode[Int(graph.edgeSources[e])] == largest }
        }
        if let usableComponents {
            for e in 0..<edgeCount where included[e] {
                let component = Int(graph.componentOfNode[Int(graph.edgeSources[e])])
                included[e] = component < usableComponents.count && usableComponents[component]
            }
        }

        // Segment grid: bounding box, then two passes over the segments (count cells, fill cells).
        var minLon = Double.infinity, maxLon = -Double.infinity, minLat = Double.infinity, maxLat = -Double.infinity
        var segmentCount = 0
        graph.points.withUnsafeBufferPointer { points in
            for e in 0..<edgeCount where included[e] {
                let g0 = Int(graph.geometryStart[e]), g1 = Int(graph.geometryStart[e + 1])
                for p in g0..<g1 where points[p].longitude.isFinite && points[p].latitude.isFinite {
                    minLon = min(minLon, points[p].longitude); maxLon = max(maxLon, points[p].longitude)
                    minLat = min(minLat, points[p].latitude); maxLat = max(maxLat, points[p].latitude)
                }
                segmentCount += max(g1 - g0 - 1, 0)
            }
        }
        if !minLon.isFinite { minLon = 0; maxLon = 0; minLat = 0; maxLat = 0 }
        var grid = CellGrid(minLongitude: minLon, maxLongitude: maxLon, minLatitude: minLat, maxLatitude: maxLat,
                            itemCount: segmentCount, cellMeters: cellSize?.value)
        var start = ContiguousArray<Int32>(repeating: 0, count: grid.cellCount + 1)
        var items = ContiguousArray<Int32>()
        for pass in 0..<2 {
            if pass == 1 {
                for c in 0..<grid.cellCount { start[c + 1] += start[c] }
                items = ContiguousArray(repeating: 0, count: Int(start[grid.cellCount]))
            }
            var next = pass == 1 ? start : []
            graph.points.withUnsafeBufferPointer { points in
                graph.geometryStart.withUnsafeBufferPointer { geometryStart in
                    start.withUnsafeMutableBufferPointer { start in
                        items.withUnsafeMutableBufferPointer { items in
                            next.withUnsafeMutableBufferPointer { next in
                                for e in 0..<edgeCount where included[e] {
                                    var p = Int(geometryStart[e])
                                    let last = Int(geometryStart[e + 1]) - 1
                                    while p < last {
                                        let a = points[p], b = points[p + 1]
                                        if a.longitude.isFinite && a.latitude.isFinite && b.longitude.isFinite && b.latitude.isFinite {
                                            let x0 = grid.column(min(a.longitude, b.longitude))
                                            let x1 = grid.column(max(a.longitude, b.longitude))
                                            let y0 = grid.row(min(a.latitude, b.latitude))
                                            let y1 = grid.row(max(a.latitude, b.latitude))
                                            for y in y0...y1 {
                                                for x in x0...x1 {
                                                    let c = y * grid.columns + x
                                                    if pass == 0 {
                                                        start[c + 1] += 1
                                                    } else {
                                                        items[Int(next[c])] = Int32(p)
                                                        next[c] += 1
                                                    }
                                                }
                                            }
                                        }
                                        p += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        grid.cellStart = start
        grid.items = items
        segments = grid

        // Node grid over the nodes of the covered edges.
        var nodeIncluded = [Bool](repeating: false, count: graph.nodeCount)
        for e in 0..<edgeCount where included[e] {
            nodeIncluded[Int(graph.edgeSources[e])] = true
            nodeIncluded[Int(graph.edgeTargets[e])] = true
        }
        var nodeGrid = CellGrid(minLongitude: minLon, maxLongitude: maxLon, minLatitude: minLat, maxLatitude: maxLat,
                                itemCount: graph.nodeCount, cellMeters: cellSize?.value)
        var cellOfNode = ContiguousArray<Int32>(repeating: -1, count: graph.nodeCount)
        var nodeStart = ContiguousArray<Int32>(repeating: 0, count: nodeGrid.cellCount + 1)
        for (n, c) in graph.nodeCoordinates.enumerated()
        where nodeIncluded[n] && c.longitude.isFinite && c.latitude.isFinite {
            let cell = nodeGrid.row(c.latitude) * nodeGrid.columns + nodeGrid.column(c.longitude)
            cellOfNode[n] = Int32(cell)
            nodeStart[cell + 1] += 1
        }
        for c in 0..<nodeGrid.cellCount { nodeStart[c + 1] += nodeStart[c] }
        var nodeItems = ContiguousArray<Int32>(repeating: 0, count: Int(nodeStart[nodeGrid.cellCount]))
        var nextNode = nodeStart
        for n in 0..<graph.nodeCount where cellOfNode[n] >= 0 {
            let cell = Int(cellOfNode[n])
            nodeItems[Int(nextNode[cell])] = Int32(n)
            nextNode[cell] += 1
        }
        nodeGrid.cellStart = nodeStart
        nodeGrid.items = nodeItems
        nodes = nodeGrid
    }

    /// Approximate memory held by the index (not counting the graph), in bytes.
    public var approximateByteCount: Int {
        (segments.cellStart.count + segments.items.count + nodes.cellStart.count + nodes.items.count) * 4
    }

    /// Nearest point on the network within `maxDistance` (inclusive), or nil when the network is farther
    /// (off-network). Ties in distance go to the lowest edge index, then to the earliest segment.
    ///
    /// The offset along the edge is the projected length up to the foot point scaled by
    /// (stored length ÷ projected polyline length), so it runs from exactly 0 to exactly the stored length.
    public func snap(_ point: Coordinate, maxDistance: Meters = Meters(200)) -> SnapPoint? {
        guard point.longitude.isFinite, point.latitude.isFinite, !(maxDistance.value < 0) else { return nil }
        let frame = LocalFrame(center: point)
        var bestSquared = maxDistance.value * maxDistance.value
        var bestPoint: Int32 = -1
        graph.points.withUnsafeBufferPointer { points in
            segments.searchRings(around: point, frame: frame, maxDistance: maxDistance.value,
                                 bestSquared: { bestSquared }) { items in
                for p in items {
                    let d = Self.foot(points[Int(p)], points[Int(p) + 1], frame).squared
                    if d < bestSquared || (d == bestSquared && (bestPoint < 0 || p < bestPoint)) {
                        bestSquared = d
                        bestPoint = p
                    }
                }
            }
        }
        guard bestPoint >= 0 else { return fallback.first?.snap(point, maxDistance: maxDistance) }
        return snapPoint(segmentStart: bestPoint, frame: frame, squared: bestSquared)
    }

    /// Snaps many points (same rules and results as `snap`, in input order). Large batches are visited in
    /// Hilbert order of the points, so consecutive queries reuse the cells and shape points in cache.
    public func snap(_ points: [Coordinate], maxDistance: Meters = Meters(200)) -> [SnapPoint?] {
        guard points.count > 256 else { return points.map { snap($0, maxDistance: maxDistance) } }
        let grid = segments
        let spanX = Double(grid.columns) * grid.cellLongitude, spanY = Double(grid.rows) * grid.cellLatitude
        let keys = ContiguousArray(points.lazy.map { p -> UInt32 in
            guard p.longitude.isFinite && p.latitude.isFinite else { return .max }
            let x = UInt32(min(max((p.longitude - grid.longitude0) / spanX, 0), 1) * 65535)
            let y = UInt32(min(max((p.latitude - grid.latitude0) / spanY, 0), 1) * 65535)
            return hilbertKey(x, y)
        })
        let order = radixOrder(keys)
        var result = [SnapPoint?](repeating: nil, count: points.count)
        // A city's million points: consecutive stretches of the Hilbert order on every core (each point's answer is
        // its own, so the result does not depend on the split).
        let chunks = points.count >= 65_536 ? ProcessInfo.processInfo.activeProcessorCount : 1
        result.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                for k in (order.count * chunk / chunks)..<(order.count * (chunk + 1) / chunks) {
                    let i = Int(order[k])
                    slots[i] = snap(points[i], maxDistance: maxDistance)
                }
            }
        }
        return result
    }

    /// Nearest graph node within `maxDistance` (inclusive), for tasks defined on nodes; ties go to the
    /// lowest node index.
    public func nearestNode(_ point: Coordinate, maxDistance: Meters) -> Int32? {
        guard point.longitude.isFinite, point.latitude.isFinite, !(maxDistance.value < 0) else { return nil }
        let frame = LocalFrame(center: point)
        var bestSquared = maxDistance.value * maxDistance.value
        var best: Int32 = -1
        graph.nodeCoordinates.withUnsafeBufferPointer { coordinates in
            nodes.searchRings(around: point, frame: frame, maxDistance: maxDistance.value,
                              bestSquared: { bestSquared }) { items in
                for n in items {
                    let c = coordinates[Int(n)]
                    let x = frame.x(c.longitude), y = frame.y(c.latitude)
                    let d = x * x + y * y
                    if d < bestSquared || (d == bestSquared && (best < 0 || n < best)) {
                        bestSquared = d
                        best = n
                    }
                }
            }
        }
        return best >= 0 ? best : nil
    }

    /// Foot of the perpendicular from the frame's centre onto segment a–b (clamped to the segment):
    /// parameter t in 0…1 and squared distance. Endpoint feet use the endpoint itself, so a junction
    /// shared by several edges gives bit-identical distances and the tie-break decides.
    @inline(__always) static func foot(_ a: Coordinate, _ b: Coordinate, _ frame: LocalFrame)
        -> (t: Double, squared: Double) {
        let ax = frame.x(a.longitude), ay = frame.y(a.latitude)
        let bx = frame.x(b.longitude), by = frame.y(b.latitude)
        let dx = bx - ax, dy = by - ay
        let length2 = dx * dx + dy * dy
        let t = length2 > 0 ? -(ax * dx + ay * dy) / length2 : 0
        if !(t > 0) { return (0, ax * ax + ay * ay) }
        if t >= 1 { return (1, bx * bx + by * by) }
        let px = ax + t * dx, py = ay + t * dy
        return (t, px * px + py * py)
    }

    private func snapPoint(segmentStart p: Int32, frame: LocalFrame, squared: Double) -> SnapPoint {
        let e = graph.edgeContaining(point: p)
        let points = graph.points
        let g0 = Int(graph.geometryStart[Int(e)]), g1 = Int(graph.geometryStart[Int(e) + 1])
        let a = points[Int(p)], b = points[Int(p) + 1]
        let (t, _) = Self.foot(a, b, frame)
        @inline(__always) func projectedLength(_ i: Int) -> Double {
            let dx = (points[i + 1].longitude - points[i].longitude) * frame.kx
            let dy = (points[i + 1].latitude - points[i].latitude) * frame.ky
            return (dx * dx + dy * dy).squareRoot()
        }
        var before = 0.0, total = 0.0
        for i in g0..<(g1 - 1) {
            let l = projectedLength(i)
            if i < Int(p) { before += l }
            total += l
        }
        let partial = before + t * projectedLength(Int(p))
        let length = graph.edgeLengths[Int(e)]
        let offset: Double
        if partial <= 0 || total <= 0 {
            offset = 0
        } else if partial >= total {
            offset = length
        } else {
            offset = min(partial * (length / total), length)
        }
        let location = t == 0 ? a : t == 1 ? b
            : Coordinate(longitude: a.longitude + t * (b.longitude - a.longitude),
                         latitude: a.latitude + t * (b.latitude - a.latitude))
        return SnapPoint(edge: e, offset: Meters(offset), offNetwork: Meters(squared.squareRoot()), location: location)
    }
}
