import GridModel

/// The rings of one contour in half-cell units of its grid: vertex (X, Y) sits at
/// (x0 + X·cell/2, y0 + Y·cell/2). Outer rings run counter-clockwise and holes clockwise (RFC 7946 §3.1.6);
/// no two rings cross or touch.
struct ContourShape {
    struct Ring {
        var start: Int
        var count: Int
        /// Twice the signed area in half-cell units²: positive for outer rings.
        var twiceArea: Int64
    }

    var x: [Int32] = []
    var y: [Int32] = []
    var rings: [Ring] = []
    /// Kept outer rings, largest first, each with its kept holes.
    var polygons: [(outer: Int, holes: [Int])] = []

    func coordinates(_ ring: Int, grid: IsochroneGrid) -> [Coordinate] {
        let r = rings[ring]
        let half = grid.cell / 2
        var result: [Coordinate] = []
        result.reserveCapacity(r.count + 1)
        for v in r.start..<(r.start + r.count) {
            let mx = grid.x0 + Double(x[v]) * half, my = grid.y0 + Double(y[v]) * half
            result.append(Coordinate(longitude: grid.frame.longitude0 + mx / grid.frame.kx,
                                     latitude: grid.frame.latitude0 + my / grid.frame.ky))
        }
        result.append(result[0])
        return result
    }

    func multiPolygon(grid: IsochroneGrid) -> MultiPolygon {
        MultiPolygon(polygons.compactMap { polygon in
            // Rings always have at least three corners, so building them cannot fail.
            guard let exterior = try? LinearRing(coordinates(polygon.outer, grid: grid)) else { return nil }
            return Polygon(exterior: exterior, holes: polygon.holes.compactMap { try? LinearRing(coordinates($0, grid: grid)) })
        })
    }

    /// Point-in-area tests against the kept rings, for counting what lies inside.
    func locator(grid: IsochroneGrid) -> ContourLocator { ContourLocator(shape: self, grid: grid) }
}

/// Crossing-number test (even–odd over all kept rings, which nest properly) with the ring segments
/// bucketed by grid row, so a test looks at the few segments of one row.
struct ContourLocator {
    let grid: IsochroneGrid
    private var bandStart: [Int32] = []
    private var segments: [(x1: Int32, y1: Int32, x2: Int32, y2: Int32)] = []

    init(shape: ContourShape, grid: IsochroneGrid) {
        self.grid = grid
        guard !grid.isEmpty else { return }
        var all: [(x1: Int32, y1: Int32, x2: Int32, y2: Int32)] = []
        for polygon in shape.polygons {
            for ring in [polygon.outer] + polygon.holes {
                let r = shape.rings[ring]
                for v in 0..<r.count {
                    let a = r.start + v, b = r.start + (v + 1) % r.count
                    all.append((shape.x[a], shape.y[a], shape.x[b], shape.y[b]))
                }
            }
        }
        let rows = grid.rows
        func bands(_ s: (x1: Int32, y1: Int32, x2: Int32, y2: Int32)) -> ClosedRange<Int> {
            let lo = Int(min(s.y1, s.y2)) / 2, hi = Int(max(s.y1, s.y2)) / 2
            return max(0, lo)...min(rows - 1, max(hi, lo))
        }
        var start = [Int32](repeating: 0, count: rows + 1)
        for s in all { for b in bands(s) { start[b + 1] += 1 } }
        for b in 0..<rows { start[b + 1] += start[b] }
        var next = start
        var placed = [(x1: Int32, y1: Int32, x2: Int32, y2: Int32)](repeating: (0, 0, 0, 0), count: Int(start[rows]))
        for s in all {
            for b in bands(s) {
                placed[Int(next[b])] = s
                next[b] += 1
            }
        }
        bandStart = start
        segments = placed
    }

    func contains(_ c: Coordinate) -> Bool {
        guard !grid.isEmpty, c.longitude.isFinite, c.latitude.isFinite else { return false }
        // In half-cell units, like the rings.
        let qx = 2 * (grid.frame.x(c.longitude) - grid.x0) / grid.cell
        let qy = 2 * (grid.frame.y(c.latitude) - grid.y0) / grid.cell
        guard qy >= 0, qx >= 0, qy < Double(2 * grid.rows), qx < Double(2 * grid.columns) else { return false }
        let band = min(Int(qy) / 2, grid.rows - 1)
        var inside = false
        for k in Int(bandStart[band])..<Int(bandStart[band + 1]) {
            let s = segments[k]
            let y1 = Double(s.y1), y2 = Double(s.y2)
            if (y1 > qy) != (y2 > qy) {
                let x1 = Double(s.x1), x2 = Double(s.x2)
                if qx < x1 + (qy - y1) * (x2 - x1) / (y2 - y1) { inside.toggle() }
            }
        }
        return inside
    }
}

/// Binary marching squares over one contour's mask (Lorensen & Cline 1987, in 2-D). Case bits:
/// 1 = sample (i, j), 2 = (i+1, j), 4 = (i+1, j+1), 8 = (i, j+1) reached; sides 0 bottom, 1 right, 2 top,
/// 3 left. The reached side is always on the left, so outer rings run counter-clockwise. Saddles (5, 10)
/// always join the two reached samples: a fixed rule, so the traced area only grows when samples join the
/// reached set, which is what makes contours nest.
struct ContourTracer {
    /// Exit side for (case << 2 | entry side), two bits each, for the 16 segments that exist:
    /// (1, 0→3) (2, 1→0) (3, 1→3) (4, 2→1) (5, 0→1) (5, 2→3) (6, 2→0) (7, 2→3) (8, 3→2) (9, 0→2)
    /// (10, 3→0) (10, 1→2) (11, 1→2) (12, 3→1) (13, 0→1) (14, 3→0).
    static let exitTable: (UInt64, UInt64) = {
        var low: UInt64 = 0, high: UInt64 = 0
        let segments: [(Int, Int, Int)] = [
            (1, 0, 3), (2, 1, 0), (3, 1, 3), (4, 2, 1), (5, 0, 1), (5, 2, 3), (6, 2, 0), (7, 2, 3),
            (8, 3, 2), (9, 0, 2), (10, 3, 0), (10, 1, 2), (11, 1, 2), (12, 3, 1), (13, 0, 1), (14, 3, 0),
        ]
        for (c, from, to) in segments {
            let index = c << 2 | from
            if index < 32 { low |= UInt64(to) << (2 * index) } else { high |= UInt64(to) << (2 * (index - 32)) }
        }
        return (low, high)
    }()

    /// Bit 0: the sample is reached; bit 1: the grid edge to its right was traced already.
    let mask: UnsafeMutablePointer<UInt8>
    let values: UnsafeMutablePointer<Float>
    /// The ring crossing each traced grid edge (read only where one was recorded).
    let ringOfEdge: UnsafeMutablePointer<Int32>
    let columns: Int
    /// Reached thresholds of the neighbouring contours.
    let lower: Float
    let upper: Float
    let low: UInt64
    let high: UInt64
    var ringX: ContiguousArray<Int32>
    var ringY: ContiguousArray<Int32>
    var pinned: ContiguousArray<Bool>
    var rings: [ContourShape.Ring] = []

    /// Follows one ring from side `from` of square (i, j), whose segment leaves that side.
    mutating func follow(_ si: Int, _ sj: Int, _ sf: Int) {
        let ringIndex = Int32(rings.count)
        let first = ringX.count
        var i = si, j = sj, from = sf
        repeat {
            let k = j * columns + i
            let c = Int(mask[k] & 1) | Int(mask[k + 1] & 1) << 1 | Int(mask[k + columns + 1] & 1) << 2
                | Int(mask[k + columns] & 1) << 3
            let index = c << 2 | from
            let to = Int(truncatingIfNeeded: (index < 32 ? low >> (2 * index) : high >> (2 * (index - 32))) & 3)
            var vx: Int32, vy: Int32, a: Int, b: Int
            switch from {
            case 0:
                vx = Int32(2 * i + 1); vy = Int32(2 * j); a = k; b = k + 1
                mask[k] |= 2
                ringOfEdge[k] = ringIndex
            case 1:
                vx = Int32(2 * i + 2); vy = Int32(2 * j + 1); a = k + 1; b = k + columns + 1
            case 2:
                vx = Int32(2 * i + 1); vy = Int32(2 * j + 2); a = k + columns; b = k + columns + 1
                mask[k + columns] |= 2
                ringOfEdge[k + columns] = ringIndex
            default:
                vx = Int32(2 * i); vy = Int32(2 * j + 1); a = k; b = k + columns
            }
            // The edge's reached sample is the lower: the neighbouring contours cross it too when they
            // separate the same two samples.
            let lowValue = min(values[a], values[b]), highValue = max(values[a], values[b])
            let shared = lowValue <= lower || highValue > upper
            // Drops the previous vertex when it lies on the straight line through its neighbours.
            let count = ringX.count - first
            if count >= 2 && !pinned[pinned.count - 1] {
                let px = ringX[ringX.count - 2], py = ringY[ringY.count - 2]
                let lx = ringX[ringX.count - 1], ly = ringY[ringY.count - 1]
                if (lx - px).signum() == (vx - lx).signum() && (ly - py).signum() == (vy - ly).signum() {
                    ringX[ringX.count - 1] = vx
                    ringY[ringY.count - 1] = vy
                    pinned[pinned.count - 1] = shared
                } else {
                    ringX.append(vx); ringY.append(vy); pinned.append(shared)
                }
            } else {
                ringX.append(vx); ringY.append(vy); pinned.append(shared)
            }
            switch to {
            case 0: j -= 1; from = 2
            case 1: i += 1; from = 3
            case 2: j += 1; from = 0
            default: i -= 1; from = 1
            }
        } while i != si || j != sj || from != sf
        // Where the ring closes, the first and last vertices may be straight too.
        while ringX.count - first >= 4 {
            let last = ringX.count - 1
            func straight(_ a: Int, _ b: Int, _ c: Int) -> Bool {
                (ringX[b] - ringX[a]).signum() == (ringX[c] - ringX[b]).signum()
                    && (ringY[b] - ringY[a]).signum() == (ringY[c] - ringY[b]).signum()
            }
            if !pinned[last] && straight(last - 1, last, first) {
                ringX.removeLast(); ringY.removeLast(); pinned.removeLast()
            } else if !pinned[first] && straight(last, first, first + 1) {
                ringX.remove(at: first); ringY.remove(at: first); pinned.remove(at: first)
            } else {
                break
            }
        }
        var twice: Int64 = 0
        let count = ringX.count - first
        for v in 0..<count {
            let a = first + v, b = first + (v + 1) % count
            twice += Int64(ringX[a]) * Int64(ringY[b]) - Int64(ringX[b]) * Int64(ringY[a])
        }
        rings.append(ContourShape.Ring(start: first, count: count, twiceArea: twice))
    }
}

extension IsochroneWorkspace {
    /// Traces contour `distance` of the filled grid: rings, their nesting (a sweep along the sample rows,
    /// where rings that never cross form properly nested intervals), small holes filled together with
    /// everything inside them, outer rings grouped with their holes.
    ///
    /// Straight runs are merged into single edges, except at vertices the next smaller or larger contour
    /// (`below`, `above`) also passes through: where two contours share boundary they then share the very
    /// same vertices, so their nesting survives rounding of the output coordinates.
    ///
    /// A hole that holds the point of a building the contour must leave out (`stamps`, band above
    /// `position`) is never filled, whatever its size.
    func trace(grid: IsochroneGrid, distance: Double, below: Double?, above: Double?, minimumHoleArea: Double,
               stamps: BuildingStamps? = nil, position: Int = 0) -> ContourShape {
        var shape = ContourShape()
        guard !grid.isEmpty else { return shape }
        let columns = grid.columns, rows = grid.rows, n = columns * rows
        let threshold = Float(distance + grid.tolerance)
        let values = self.values, mask = self.mask
        for k in 0..<n { mask[k] = values[k] <= threshold ? 1 : 0 }
        // The buffers move into the tracer (a local value: no run-time exclusivity checks) and back.
        var tracer = ContourTracer(
            mask: mask, values: values, ringOfEdge: ringOfEdge, columns: columns,
            lower: below.map { Float($0 + grid.tolerance) } ?? -.infinity,
            upper: above.map { Float($0 + grid.tolerance) } ?? .infinity,
            low: ContourTracer.exitTable.0, high: ContourTracer.exitTable.1,
            ringX: ringX, ringY: ringY, pinned: pinned)
        ringX = []; ringY = []; pinned = []
        defer { ringX = tracer.ringX; ringY = tracer.ringY; pinned = tracer.pinned }
        tracer.ringX.removeAll(keepingCapacity: true)
        tracer.ringY.removeAll(keepingCapacity: true)
        tracer.pinned.removeAll(keepingCapacity: true)

        /// Row-major scan of the grid edges between a reached and an unreached sample in rows 1 … rows − 2
        /// (the border is never reached), eight at a time where nothing changes.
        let raw = UnsafeRawPointer(mask)
        @inline(__always) func scan(_ visit: (Int, Int, Int) -> Void) {
            for j in 1..<(rows - 1) {
                let rowStart = j * columns
                var i = 0
                while i < columns - 1 {
                    if i + 9 <= columns {
                        let here = raw.loadUnaligned(fromByteOffset: rowStart + i, as: UInt64.self)
                        let next = raw.loadUnaligned(fromByteOffset: rowStart + i + 1, as: UInt64.self)
                        if (here ^ next) & 0x0101_0101_0101_0101 == 0 { i += 8; continue }
                    }
                    if (mask[rowStart + i] ^ mask[rowStart + i + 1]) & 1 != 0 { visit(i, j, rowStart + i) }
                    i += 1
                }
            }
        }
        // Every ring crosses some sample row between a reached and an unreached sample: start there.
        scan { i, j, k in
            let a = mask[k]
            if a & 2 == 0 {
                if a & 1 == 1 { tracer.follow(i, j, 0) } else { tracer.follow(i, j - 1, 2) }
            }
        }
        let rings = tracer.rings

        // Nesting: along each sample row the rings' crossings form nested intervals; a ring's parent is the
        // innermost ring open where it first appears. Ring numbers follow the same order, so parents come first.
        var parent = [Int32](repeating: -1, count: rings.count)
        var seen = [Bool](repeating: false, count: rings.count)
        var stack: [Int32] = []
        var currentRow = -1
        let ringOfEdge = self.ringOfEdge
        scan { _, j, k in
            let ring = ringOfEdge[k]
            if j != currentRow { stack.removeAll(keepingCapacity: true); currentRow = j }
            if stack.last == ring {
                stack.removeLast()
            } else {
                if !seen[Int(ring)] { parent[Int(ring)] = stack.last ?? -1; seen[Int(ring)] = true }
                stack.append(ring)
            }
        }

        // Small holes are filled, with any islands inside them.
        let holeUnit = grid.cell * grid.cell / 8  // m² per unit of twiceArea
        var kept = [Bool](repeating: true, count: rings.count)
        var polygonOf = [Int](repeating: -1, count: rings.count)
        var polygons: [(outer: Int, holes: [Int])] = []
        let ringX = tracer.ringX, ringY = tracer.ringY
        /// Whether ring r encloses the point of a building that must stay outside this contour.
        func holdsOutsideBuilding(_ r: Int) -> Bool {
            guard let stamps else { return false }
            let ring = rings[r]
            var minX = Int32.max, maxX = Int32.min, minY = Int32.max, maxY = Int32.min
            for v in ring.start..<(ring.start + ring.count) {
                minX = min(minX, ringX[v]); maxX = max(maxX, ringX[v]); minY = min(minY, ringY[v]); maxY = max(maxY, ringY[v])
            }
            for b in stamps.buildings(inHalfRows: Double(minY), Double(maxY), rows: rows) where stamps.band[Int(b)] > position {
                let qx = stamps.qx[Int(b)], qy = stamps.qy[Int(b)]
                guard qx > Double(minX), qx < Double(maxX), qy > Double(minY), qy < Double(maxY) else { continue }
                var inside = false
                for v in 0..<ring.count {
                    let a = ring.start + v, c = ring.start + (v + 1) % ring.count
                    let y1 = Double(ringY[a]), y2 = Double(ringY[c])
                    if (y1 > qy) != (y2 > qy) {
                        let x1 = Double(ringX[a]), x2 = Double(ringX[c])
                        if qx < x1 + (qy - y1) * (x2 - x1) / (y2 - y1) { inside.toggle() }
                    }
                }
                if inside { return true }
            }
            return false
        }
        for r in rings.indices {
            if parent[r] >= 0 && !kept[Int(parent[r])] { kept[r] = false; continue }
            if rings[r].twiceArea < 0 {
                if Double(-rings[r].twiceArea) * holeUnit < minimumHoleArea && !holdsOutsideBuilding(r) { kept[r] = false; continue }
                let p = Int(parent[r])
                if p >= 0 && polygonOf[p] >= 0 { polygons[polygonOf[p]].holes.append(r) }
            } else {
                polygonOf[r] = polygons.count
                polygons.append((r, []))
            }
        }
        polygons.sort { (rings[$0.outer].twiceArea, -$0.outer) > (rings[$1.outer].twiceArea, -$1.outer) }
        shape.x = Array(tracer.ringX)
        shape.y = Array(tracer.ringY)
        shape.rings = rings
        shape.polygons = polygons
        return shape
    }
}
