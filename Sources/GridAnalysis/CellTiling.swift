/// Cells that tile an area (Voronoi cells of buildings clipped to their community), reduced to what the area and
/// outline of any union of them needs: each cell's area and perimeter and the boundary length it shares with each
/// neighbour. Because the cells tile, a union's area is the sum of its cells' areas and its perimeter is the length of
/// their edges not shared with another cell of the union (holes included), so Polsby–Popper of a grid needs no
/// polygon overlay.
public struct CellTiling: Sendable {
    /// One polygon of a cell in metres: an exterior ring and its holes (closed or not; either orientation).
    public struct Polygon: Sendable {
        public var exterior: [SIMD2<Double>]
        public var holes: [[SIMD2<Double>]]
        public init(exterior: [SIMD2<Double>], holes: [[SIMD2<Double>]] = []) { self.exterior = exterior; self.holes = holes }
    }

    public let area: [Double]
    public let perimeter: [Double]
    /// Per cell, the cells it shares a stretch of boundary with, and that stretch's length in metres.
    public let shared: [[(cell: Int, length: Double)]]

    /// `tolerance`: vertices closer than this (metres) are one vertex, so that an edge written with rounded
    /// coordinates by two cells is still recognised as the same edge.
    public init(cells: [[Polygon]], tolerance: Double = 0.05) {
        var area = [Double](repeating: 0, count: cells.count), perimeter = area
        var snapper = VertexSnapper(tolerance: tolerance)
        // Undirected edge (vertex ids) → the cells that carry it, with its length.
        var carriers: [SIMD2<Int32>: (cells: [Int], length: Double)] = [:]
        for (c, polygons) in cells.enumerated() {
            for polygon in polygons {
                area[c] += abs(Self.signedArea(polygon.exterior)) - polygon.holes.reduce(0) { $0 + abs(Self.signedArea($1)) }
                for ring in [polygon.exterior] + polygon.holes where ring.count > 1 {
                    let ids = ring.map { snapper.id(of: $0) }
                    for i in ring.indices {
                        let j = (i + 1) % ring.count
                        guard ids[i] != ids[j] else { continue }  // closing point or a sliver below the tolerance
                        let length = ((ring[j] - ring[i]) * (ring[j] - ring[i])).sum().squareRoot()
                        perimeter[c] += length
                        let key = SIMD2(Int32(min(ids[i], ids[j])), Int32(max(ids[i], ids[j])))
                        carriers[key, default: ([], length)].cells.append(c)
                    }
                }
            }
        }
        var shared = [[(cell: Int, length: Double)]](repeating: [], count: cells.count)
        var index = [[Int: Int]](repeating: [:], count: cells.count)
        func add(_ a: Int, _ b: Int, _ length: Double) {
            for (from, to) in [(a, b), (b, a)] {
                if let k = index[from][to] { shared[from][k].length += length } else {
                    index[from][to] = shared[from].count
                    shared[from].append((to, length))
                }
            }
        }
        let edges = carriers.sorted(by: { ($0.key.x, $0.key.y) < ($1.key.x, $1.key.y) })
        for (_, edge) in edges where edge.cells.count == 2 && edge.cells[0] != edge.cells[1] { add(edge.cells[0], edge.cells[1], edge.length) }
        // Edges only one cell carries: the area's outline, and stretches two cells share with different vertices (cells
        // cut from separate overlays, such as blocks between barrier roads, meet in T-junctions). The overlap of
        // collinear ones is shared boundary too.
        let lone = edges.filter { $0.value.cells.count == 1 }.map { (a: snapper.points[Int($0.key.x)], b: snapper.points[Int($0.key.y)], cell: $0.value.cells[0]) }
        for (a, b, length) in Self.collinearOverlaps(lone, tolerance: tolerance) { add(a, b, length) }
        self.area = area; self.perimeter = perimeter; self.shared = shared
    }

    /// Pairs of segments of different cells lying on one line (within `tolerance`) and overlapping by more than it, with
    /// the overlap's length; a sweep over the segments' west–east extents.
    static func collinearOverlaps(_ segments: [(a: SIMD2<Double>, b: SIMD2<Double>, cell: Int)], tolerance: Double) -> [(Int, Int, Double)] {
        let order = segments.indices.sorted { min(segments[$0].a.x, segments[$0].b.x) < min(segments[$1].a.x, segments[$1].b.x) }
        var found: [(Int, Int, Double)] = []
        for (rank, i) in order.enumerated() {
            let s = segments[i]
            let east = max(s.a.x, s.b.x) + tolerance
            let d = s.b - s.a
            let length = (d * d).sum().squareRoot()
            guard length > tolerance else { continue }
            let unit = d / length
            for j in order[(rank + 1)...] {
                let t = segments[j]
                if min(t.a.x, t.b.x) > east { break }
                guard t.cell != s.cell else { continue }
                // Both ends of t on s's line, then the overlap of their positions along it.
                func along(_ p: SIMD2<Double>) -> (offset: Double, distance: Double) {
                    let v = p - s.a
                    return ((v * unit).sum(), abs(v.x * unit.y - v.y * unit.x))
                }
                let p = along(t.a), q = along(t.b)
                guard p.distance <= tolerance, q.distance <= tolerance else { continue }
                let overlap = min(length, max(p.offset, q.offset)) - max(0, min(p.offset, q.offset))
                if overlap > tolerance { found.append((s.cell, t.cell, overlap)) }
            }
        }
        return found
    }

    /// Pairs of cells sharing a stretch of boundary longer than `minimumShared` metres: a union of cells joined by such
    /// pairs is one polygon (cells meeting at a point only are not neighbours).
    public func neighbours(minimumShared: Double = 0.1) -> [(Int, Int)] {
        var pairs: [(Int, Int)] = []
        for (a, list) in shared.enumerated() { for (b, length) in list where a < b && length > minimumShared { pairs.append((a, b)) } }
        return pairs
    }

    /// Shoelace formula; ring closed or not.
    static func signedArea(_ ring: [SIMD2<Double>]) -> Double {
        guard ring.count > 2 else { return 0 }
        var twice = 0.0
        for i in ring.indices {
            let a = ring[i], b = ring[(i + 1) % ring.count]
            twice += a.x * b.y - b.x * a.y
        }
        return twice / 2
    }

    /// Area and perimeter of each grid's union of cells (`labels` per cell, 0..<count).
    public func outlines(labels: [Int], count: Int) -> (area: [Double], perimeter: [Double]) {
        var areas = [Double](repeating: 0, count: count), perimeters = areas
        for (c, g) in labels.enumerated() {
            areas[g] += area[c]
            perimeters[g] += perimeter[c]
            // Each inner stretch is seen from both sides, so both copies go.
            for (other, length) in shared[c] where labels[other] == g { perimeters[g] -= length }
        }
        return (areas, perimeters)
    }

    /// Polsby & Popper (1991) 4πA/P² of each grid's union of cells.
    public func polsbyPopper(labels: [Int], count: Int) -> [Double] {
        let (areas, perimeters) = outlines(labels: labels, count: count)
        return zip(areas, perimeters).map { $1 > 0 ? 4 * Double.pi * $0 / ($1 * $1) : 0 }
    }
}

/// Merges points closer than a tolerance into one id, via a hash of tolerance-sized buckets (a point's match lies in
/// its own bucket or one of the eight around it).
struct VertexSnapper {
    let tolerance: Double
    var buckets: [SIMD2<Int>: [Int]] = [:]
    var points: [SIMD2<Double>] = []

    init(tolerance: Double) { self.tolerance = max(tolerance, 1e-9) }

    mutating func id(of p: SIMD2<Double>) -> Int {
        let bucket = SIMD2(Int((p.x / tolerance).rounded(.down)), Int((p.y / tolerance).rounded(.down)))
        for dx in -1...1 {
            for dy in -1...1 {
                for id in buckets[bucket &+ SIMD2(dx, dy)] ?? [] {
                    let d = points[id] - p
                    if (d * d).sum() <= tolerance * tolerance { return id }
                }
            }
        }
        points.append(p)
        buckets[bucket, default: []].append(points.count - 1)
        return points.count - 1
    }
}
