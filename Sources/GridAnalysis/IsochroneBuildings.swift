import GridModel

/// Buildings in one request's grid: each one's walking distance by the reach rule decides, for every contour,
/// whether its representative point is inside, whatever the network around it draws.
///
/// Each building's square of four samples gets one value in the band between the contours its distance falls
/// in (+∞ beyond the largest), overriding the network's: a reached building far from a path gets its square
/// inside, an unreached one beside a path a hole. Where squares share samples the higher band wins, spread
/// until every building's four samples agree, so a square is all inside or all outside a contour and the
/// traced rings keep at least ⅓ cell away from its point. Holes holding a building that must stay outside
/// are never filled. A reached building left outside by a neighbour's higher band gets a small square island
/// of its own (`Isochrone.BuildingMarks`).
struct BuildingStamps {
    /// Per building: the index (ascending contour order) of the first contour that reaches it; the contour
    /// count when none does.
    var band: [Int]
    /// Per building: its point in half-cell units of the grid (NaN when not finite).
    var qx: [Double]
    var qy: [Double]
    /// Per building: the lower-left sample of its square (j · columns + i), −1 when the square is not inside
    /// the grid's interior.
    var square: [Int]
    /// Per building: the value its four samples hold after stamping (+∞ for squares outside the interior).
    var value: [Float]
    /// Buildings with a square, ordered by grid row, and where each row starts in that order.
    var byRow: [Int32]
    var rowStart: [Int32]

    /// Buildings whose point lies in rows `rows` of half-cell units, for hole tests.
    func buildings(inHalfRows low: Double, _ high: Double, rows: Int) -> ArraySlice<Int32> {
        let j0 = max(0, min(rows, Int((low / 2).rounded(.down)) - 1)), j1 = max(0, min(rows, Int((high / 2).rounded(.up)) + 1))
        guard j0 < j1 else { return [] }
        return byRow[Int(rowStart[j0])..<Int(rowStart[j1])]
    }
}

extension IsochroneWorkspace {
    /// Stamps the buildings' squares into the filled grid (see `BuildingStamps`). `thresholds` are the
    /// contours' reached thresholds, ascending.
    func stampBuildings(points: [Coordinate], bands: [Int], thresholds: [Float], grid: IsochroneGrid) -> BuildingStamps {
        let n = points.count, columns = grid.columns, rows = grid.rows
        let count = thresholds.count
        /// A value inside contour `k` and every larger one, outside every smaller one.
        func bandValue(_ k: Int) -> Float {
            if k >= count { return .infinity }
            if k == 0 { return thresholds[0] }
            let above = thresholds[k - 1].nextUp
            return above <= thresholds[k] ? above : thresholds[k]
        }
        var stamps = BuildingStamps(band: bands, qx: [Double](repeating: .nan, count: n), qy: [Double](repeating: .nan, count: n),
                                    square: [Int](repeating: -1, count: n), value: [Float](repeating: .infinity, count: n),
                                    byRow: [], rowStart: [Int32](repeating: 0, count: rows + 1))
        guard !grid.isEmpty else { return stamps }
        let values = self.values
        let inverse = 1 / grid.cell
        for b in 0..<n {
            let x = grid.frame.x(points[b].longitude), y = grid.frame.y(points[b].latitude)
            guard x.isFinite, y.isFinite else { continue }
            let fx = (x - grid.x0) * inverse, fy = (y - grid.y0) * inverse
            stamps.qx[b] = 2 * fx; stamps.qy[b] = 2 * fy
            // Squares touching the border are left out: the border samples stay unreached so every ring closes.
            guard fx >= 1, fy >= 1, fx < Double(columns - 2), fy < Double(rows - 2) else { continue }
            let i = Int(fx), j = Int(fy)
            stamps.square[b] = j * columns + i
            stamps.rowStart[j + 1] += 1
        }
        for j in 0..<rows { stamps.rowStart[j + 1] += stamps.rowStart[j] }
        var next = stamps.rowStart
        stamps.byRow = [Int32](repeating: 0, count: Int(stamps.rowStart[rows]))
        for b in 0..<n where stamps.square[b] >= 0 {
            let j = stamps.square[b] / columns
            stamps.byRow[Int(next[j])] = Int32(b)
            next[j] += 1
        }
        let placed = stamps.byRow
        @inline(__always) func corners(_ k: Int) -> (Int, Int, Int, Int) { (k, k + 1, k + columns, k + columns + 1) }
        // The squares' samples forget the network's values, then take the highest band among their buildings.
        for b in placed {
            let (a, c, d, e) = corners(stamps.square[Int(b)])
            values[a] = -.infinity; values[c] = -.infinity; values[d] = -.infinity; values[e] = -.infinity
        }
        for b in placed {
            let v = bandValue(bands[Int(b)])
            let (a, c, d, e) = corners(stamps.square[Int(b)])
            values[a] = max(values[a], v); values[c] = max(values[c], v); values[d] = max(values[d], v); values[e] = max(values[e], v)
        }
        // Until every square's samples agree (values only rise, so this ends; usually after one pass).
        var changed = true
        while changed {
            changed = false
            for b in placed {
                let (a, c, d, e) = corners(stamps.square[Int(b)])
                let top = max(max(values[a], values[c]), max(values[d], values[e]))
                if values[a] != top || values[c] != top || values[d] != top || values[e] != top {
                    values[a] = top; values[c] = top; values[d] = top; values[e] = top
                    changed = true
                }
            }
        }
        for b in placed { stamps.value[Int(b)] = values[stamps.square[Int(b)]] }
        return stamps
    }
}

extension Isochrone {
    /// Small square islands that put reached buildings inside a contour where a neighbour's higher band left
    /// their square outside: half a side of at most 0.2 cell (so no traced ring comes near) and under half
    /// the distance to any other building's point.
    struct BuildingMarks {
        /// Per building given an island: its half side in metres.
        var halfSide: [Int: Double] = [:]

        mutating func halfSide(for b: Int, stamps: BuildingStamps, grid: IsochroneGrid,
                               neighbours: inout [Int: [Int32]]?) -> Double {
            if let known = halfSide[b] { return known }
            if neighbours == nil {
                var index: [Int: [Int32]] = [:]
                for (k, square) in stamps.square.enumerated() where square >= 0 { index[square, default: []].append(Int32(k)) }
                neighbours = index
            }
            var side = 0.2 * grid.cell
            let square = stamps.square[b], columns = grid.columns
            for dj in -1...1 {
                for di in -1...1 {
                    for other in neighbours?[square + dj * columns + di] ?? [] where Int(other) != b {
                        // Half-cell units to metres; Chebyshev distance, as the island is a square.
                        let gap = max(abs(stamps.qx[Int(other)] - stamps.qx[b]), abs(stamps.qy[Int(other)] - stamps.qy[b])) * grid.cell / 2
                        side = min(side, 0.45 * gap)
                    }
                }
            }
            halfSide[b] = side
            return side
        }

        /// The island of building b (counter-clockwise).
        static func island(_ b: Int, halfSide h: Double, stamps: BuildingStamps, grid: IsochroneGrid) -> Polygon? {
            let x = grid.x0 + stamps.qx[b] * grid.cell / 2, y = grid.y0 + stamps.qy[b] * grid.cell / 2
            func corner(_ dx: Double, _ dy: Double) -> Coordinate {
                Coordinate(longitude: grid.frame.longitude0 + (x + dx) / grid.frame.kx,
                           latitude: grid.frame.latitude0 + (y + dy) / grid.frame.ky)
            }
            let ring = [corner(-h, -h), corner(h, -h), corner(h, h), corner(-h, h), corner(-h, -h)]
            return (try? LinearRing(ring)).map { Polygon(exterior: $0) }
        }
    }
}
