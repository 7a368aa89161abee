import GridModel

/// The sample lattice of one request, in its local frame: sample (i, j) sits at
/// (x0 + i·cell, y0 + j·cell) metres, aligned to multiples of the cell from the frame's centre so that
/// requests from the same origin share samples whatever their reach.
struct IsochroneGrid {
    var frame: LocalFrame
    var x0: Double
    var y0: Double
    var cell: Double
    var columns: Int
    var rows: Int
    var allowance: Double
    /// The largest contour: values above it (plus the tolerance) decide nothing.
    var horizon: Double
    /// The smallest contour: a sample at or below it is reached in every contour, so its exact value decides
    /// nothing (any value at or below it traces the same rings).
    var floor: Double
    /// A sample's leg to the network is relieved by this much: a reached point this close to a sample counts
    /// as being at it. √10⁄4 cell is the farthest a point of one quarter of a marching-squares cell lies
    /// from the nearer of the two samples that decide whether it is inside, so no reached point can fall
    /// between samples.
    var slack: Double

    static let slackPerCell = 0.790_569_415_042_094_8  // √10 / 4

    /// How far from the network a sample may be: the allowance (not allowance + slack, so the allowance's
    /// edge is traced where it is, to within a cell either way), or the slack when the allowance is smaller.
    var reach: Double { max(allowance, slack) }

    /// Contour tolerance: samples within this many metres above a contour count as reached. It covers the
    /// Float storage of samples (under a millimetre at 5 km) and the one-root kernel's overestimate along
    /// slopes a hair below 1 (stored length a little shorter than drawn, as the local frame's scale drifts
    /// away from its centre: 3·10⁻⁴ a kilometre away at 60° N): at most `slopeTolerance`·reach.
    var tolerance: Double { 0.01 + ReachSegment.slopeTolerance * reach }

    var isEmpty: Bool { columns < 2 || rows < 2 }
}

extension IsochroneWorkspace {
    /// Fills the grid: each sample gets the least (network distance at p + max(0, |sample − p| − slack)) over
    /// the reached points p within `reach` of it; +∞ where there are none. The border samples
    /// always stay at +∞, so every traced ring is closed inside the grid.
    func rasterise(allowance r: Double, horizon: Double, floor: Double, cellSize: Double, maximumCells: Int,
                   frame: LocalFrame) -> IsochroneGrid {
        let minX = reach.minX, maxX = reach.maxX, minY = reach.minY, maxY = reach.maxY
        guard !reach.segments.isEmpty else {
            return IsochroneGrid(frame: frame, x0: 0, y0: 0, cell: cellSize, columns: 0, rows: 0, allowance: r, horizon: horizon,
                                 floor: floor, slack: 0)
        }
        var cell = cellSize
        var grid: IsochroneGrid
        while true {
            let slack = IsochroneGrid.slackPerCell * cell
            let margin = max(r, slack) + cell
            let x0 = ((minX - margin) / cell).rounded(.down) * cell
            let y0 = ((minY - margin) / cell).rounded(.down) * cell
            let columns = Int(((maxX + margin - x0) / cell).rounded(.up)) + 1
            let rows = Int(((maxY + margin - y0) / cell).rounded(.up)) + 1
            grid = IsochroneGrid(frame: frame, x0: x0, y0: y0, cell: cell, columns: columns, rows: rows, allowance: r,
                                 horizon: horizon, floor: floor, slack: slack)
            if columns * rows <= maximumCells { break }
            cell *= 1.25
        }
        let count = grid.columns * grid.rows
        reserveCells(count)
        values.update(repeating: .infinity, count: count)
        let values = self.values
        let wordsPerRow = (grid.columns + 63) >> 6
        reserveWords(wordsPerRow * grid.rows)
        let everywhere = self.everywhere
        everywhere.update(repeating: 0, count: wordsPerRow * grid.rows)
        reach.segments.withUnsafeBufferPointer { segments in
            for segment in segments {
                Self.stamp(segment, grid: grid, values: values, everywhere: everywhere, wordsPerRow: wordsPerRow)
            }
        }
        // Samples reached in every contour take the smallest contour's value: any value at or below it traces
        // the same rings.
        let floorValue = Float(grid.floor)
        for j in 0..<grid.rows {
            let row = values + j * grid.columns, words = everywhere + j * wordsPerRow
            for w in 0..<wordsPerRow {
                var word = words[w]
                while word != 0 {
                    let i = w << 6 | word.trailingZeroBitCount
                    row[i] = min(row[i], floorValue)
                    word &= word &- 1
                }
            }
        }
        return grid
    }

    /// Lane-wise minimum and maximum, inlined (the standard library's generic ones are calls here).
    @inline(__always)
    static func least(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a.replacing(with: b, where: b .< a) }
    @inline(__always)
    static func greatest(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a.replacing(with: b, where: b .> a) }

    /// A segment whose whole reach lies within the smallest contour (its far end plus the allowance is at or
    /// below it): every sample within `reach` of it is reached in every contour, a's disc included (reached
    /// from a within the same bound). Only the rows' runs are computed, and set as bits: no roots per sample,
    /// and the many overlapping segments of a dense network cost one word operation per row each.
    static func stampEverywhere(_ g: ReachSegment, grid: IsochroneGrid, bits: UnsafeMutablePointer<UInt64>, wordsPerRow: Int) {
        typealias Lanes = SIMD4<Float>
        let dxD = g.bx - g.ax, dyD = g.by - g.ay
        let lengthD = (dxD * dxD + dyD * dyD).squareRoot()
        let inverseD = 1 / grid.cell
        let lastRow = grid.rows - 1
        // Rows within reach of the segment: ceil and floor by truncation of clamped values.
        let ya = min(max((min(g.ay, g.by) - grid.reach - grid.y0) * inverseD, 0), Double(lastRow + 1))
        let yb = min(max((max(g.ay, g.by) + grid.reach - grid.y0) * inverseD, -1), Double(lastRow))
        let j0 = Int(ya) + (Double(Int(ya)) < ya ? 1 : 0), j1 = Int(yb + 1) - 1
        guard j0 <= j1 else { return }
        // Four rows at a time, relative to a (b at (dx, dy)); Float, as the samples are stored.
        let reach = Float(grid.reach), reach2 = reach * reach
        let length = Float(lengthD), dx = Float(dxD), dy = Float(dyD)
        let ux = lengthD > 0 ? Float(dxD / lengthD) : 1, uy = lengthD > 0 ? Float(dyD / lengthD) : 0
        let steep = abs(uy) > 1e-6, wide = abs(ux) > 1e-6
        let p = steep ? ux / uy : 0, q = steep ? reach / abs(uy) : 0
        let m = wide ? uy / ux : 0, n = wide ? length / ux : 0
        let cell = Float(grid.cell), inverse = 1 / cell
        let ox = Float(grid.x0 - g.ax), oy = Float(grid.y0 - g.ay)
        let lastColumn = Float(grid.columns - 1)
        let infinity = Lanes(repeating: .infinity), zero = Lanes(repeating: 0)
        var j = j0
        while j <= j1 {
            let ry = oy + (Lanes(0, 1, 2, 3) + Float(j)) * cell
            let ra = reach2 - ry * ry, ryb = ry - dy, rb = reach2 - ryb * ryb
            let wa = greatest(ra, zero).squareRoot(), wb = greatest(rb, zero).squareRoot()
            // The end discs.
            var lo = infinity.replacing(with: -wa, where: ra .>= 0)
            var hi = (-infinity).replacing(with: wa, where: ra .>= 0)
            lo = least(lo, infinity.replacing(with: dx - wb, where: rb .>= 0))
            hi = greatest(hi, (-infinity).replacing(with: dx + wb, where: rb .>= 0))
            // The middle band: within reach of the line, and beside the segment.
            var bandLo: Lanes, bandHi: Lanes
            if steep {
                bandLo = ry * p - q; bandHi = ry * p + q
            } else {
                bandLo = (-infinity).replacing(with: infinity, where: (ry .> reach) .| (ry .< -reach)); bandHi = infinity
            }
            if wide {
                let b1 = -ry * m, b2 = n - ry * m
                bandLo = greatest(bandLo, least(b1, b2)); bandHi = least(bandHi, greatest(b1, b2))
            } else {
                let along = ry * uy
                bandLo = bandLo.replacing(with: infinity, where: (along .< 0) .| (along .> length))
            }
            let band = bandLo .<= bandHi
            lo = least(lo, infinity.replacing(with: bandLo, where: band))
            hi = greatest(hi, (-infinity).replacing(with: bandHi, where: band))
            // Columns: ceil of the left end, floor of the right, clamped first so the conversions are safe.
            let a = least(greatest((lo - ox) * inverse, zero), Lanes(repeating: lastColumn + 1))
            let b = greatest(least((hi - ox) * inverse, Lanes(repeating: lastColumn)), Lanes(repeating: -1))
            for lane in 0..<min(4, j1 - j + 1) {
                let al = a[lane], bl = b[lane]
                let i0 = Int(al) + (Float(Int(al)) < al ? 1 : 0), i1 = Int(bl + 1) - 1
                guard i0 <= i1 else { continue }
                let words = bits + (j + lane) * wordsPerRow
                let w0 = i0 >> 6, w1 = i1 >> 6
                let head = ~UInt64(0) << UInt64(i0 & 63), tail = ~UInt64(0) >> UInt64(63 - (i1 & 63))
                if w0 == w1 {
                    words[w0] |= head & tail
                } else {
                    words[w0] |= head
                    var w = w0 + 1
                    while w < w1 { words[w] = ~0; w += 1 }
                    words[w1] |= tail
                }
            }
            j += 4
        }
    }

    /// Lowers the samples within reach of one segment.
    @inline(__always)
    static func stamp(_ g: ReachSegment, grid: IsochroneGrid, values: UnsafeMutablePointer<Float>,
                      everywhere: UnsafeMutablePointer<UInt64>, wordsPerRow: Int) {
        if g.everywhere {
            stampEverywhere(g, grid: grid, bits: everywhere, wordsPerRow: wordsPerRow)
        } else if g.fast {
            // Every value it gives is at least start + reach − slack.
            let least = g.start + grid.reach - grid.slack
            if least > grid.horizon + grid.tolerance { return }
            let dx = g.bx - g.ax, dy = g.by - g.ay
            if least + g.slope * (dx * dx + dy * dy).squareRoot() <= grid.floor {
                stampEverywhere(g, grid: grid, bits: everywhere, wordsPerRow: wordsPerRow)
            } else {
                stampFast(g, grid: grid, values: values)
            }
        } else {
            stampExact(g, grid: grid, values: values)
        }
    }

    /// Rows of samples within `reach` of the segment, and per row the columns inside both the segment's
    /// box grown by `reach` and the strip within `reach` of its line: ceil and floor without libm calls.
    @inline(__always)
    static func forEachRow(_ g: ReachSegment, grid: IsochroneGrid, reach: Double,
                           _ body: (_ j: Int, _ ry: Double, _ i0: Int, _ i1: Int) -> Void) {
        let inverse = 1 / grid.cell
        let dx = g.bx - g.ax, dy = g.by - g.ay
        let length = (dx * dx + dy * dy).squareRoot()
        let ux = length > 0 ? dx / length : 1, uy = length > 0 ? dy / length : 0
        let steep = abs(uy) > 1e-9
        let p = steep ? ux / uy : 0, q = steep ? reach / abs(uy) : 0
        let left = min(g.ax, g.bx) - reach, right = max(g.ax, g.bx) + reach
        @inline(__always) func clamped(_ v: Double, _ top: Int) -> Double { min(max(v, -1), Double(top)) }
        let ya = clamped((min(g.ay, g.by) - reach - grid.y0) * inverse, grid.rows)
        let yb = clamped((max(g.ay, g.by) + reach - grid.y0) * inverse, grid.rows)
        var j0 = Int(ya), j1 = Int(yb)
        if Double(j0) < ya { j0 += 1 }
        if Double(j1) > yb { j1 -= 1 }
        j0 = max(j0, 0); j1 = min(j1, grid.rows - 1)
        guard j0 <= j1 else { return }
        for j in j0...j1 {
            let ry = grid.y0 + Double(j) * grid.cell - g.ay
            var lo = left, hi = right
            if steep {
                let center = g.ax + ry * p
                lo = max(lo, center - q); hi = min(hi, center + q)
            }
            let a = clamped((lo - grid.x0) * inverse, grid.columns), b = clamped((hi - grid.x0) * inverse, grid.columns)
            var i0 = Int(a), i1 = Int(b)
            if Double(i0) < a { i0 += 1 }
            if Double(i1) > b { i1 -= 1 }
            i0 = max(i0, 0); i1 = min(i1, grid.columns - 1)
            if i0 <= i1 { body(j, ry, i0, i1) }
        }
    }

    /// Along a walk whose distance grows at a slope k ≥ 1 per metre, "distance at p + |sample − p|" never
    /// decreases going forward (triangle inequality), so the best p is the walk's first point within reach
    /// of the sample, which lies on the reach circle: `distance there + reach − slack`, one square root. The
    /// samples within reach of the segment's start are left out row by row: they get a value at least as
    /// good from whoever covers the start (the previous segment of the walk, or the piece that reached the
    /// node it leaves), so each sample is computed about once per walk. Float arithmetic relative to a: the
    /// samples are stored as Float anyway.
    @inline(__always)
    static func stampFast(_ g: ReachSegment, grid: IsochroneGrid, values: UnsafeMutablePointer<Float>) {
        let dx = g.bx - g.ax, dy = g.by - g.ay
        let lengthD = (dx * dx + dy * dy).squareRoot()
        guard lengthD > 0 else { return }
        let reach = Float(grid.reach), reach2 = reach * reach
        let length = Float(lengthD), ux = Float(dx / lengthD), uy = Float(dy / lengthD), k = Float(g.slope)
        let start = Float(g.start + grid.reach - grid.slack)
        let columns = grid.columns, cell = Float(grid.cell), inverse = 1 / cell
        // Sample (i, j) sits at (ox + i·cell, oy + j·cell) relative to a; b at (bx, by).
        let ox = Float(grid.x0 - g.ax), oy = Float(grid.y0 - g.ay)
        let bx = Float(dx), by = Float(dy)
        // The capsule's middle band, row by row: within reach of the line, x in [ry·p − q, ry·p + q];
        // beside the segment, x between −ry·m and n − ry·m. Both linear in ry.
        let steep = abs(uy) > 1e-6, wide = abs(ux) > 1e-6
        let p = steep ? ux / uy : 0, q = steep ? reach / abs(uy) : 0
        let m = wide ? uy / ux : 0, n = wide ? length / ux : 0
        let lastColumn = Float(columns - 1), lastRow = Float(grid.rows - 1)
        // Ceil and floor of non-negative values by truncation (no libm calls).
        let ya = min(max((min(0, by) - reach - oy) * inverse, 0), lastRow + 1)
        let yb = min(max((max(0, by) + reach - oy) * inverse, -1), lastRow)
        let j0 = Int(ya) + (Float(Int(ya)) < ya ? 1 : 0), j1 = Int(yb + 1) - 1
        guard j0 <= j1 else { return }
        for j in j0...j1 {
            let ry = oy + Float(j) * cell
            let row = values + j * columns
            let along = ry * uy, across = ry * ux
            /// Samples with x (relative to a) in [from, to].
            @inline(__always) func run(_ from: Float, _ to: Float) {
                let a = max((from - ox) * inverse, 0), b = min((to - ox) * inverse, lastColumn)
                var i = Int(a) + (Float(Int(a)) < a ? 1 : 0)
                let i1 = Int(b + 1) - 1
                while i <= i1 {
                    let px = ox + Float(i) * cell
                    let t = px * ux + along
                    let h = across - px * uy
                    let h2 = h * h
                    let first = t - max(0, reach2 - h2).squareRoot()
                    let value = h2 <= reach2 && first > 0 && first <= length ? start + k * first : .infinity
                    row[i] = min(row[i], value)
                    i += 1
                }
            }
            // The capsule's stretch of this row: hull of the end discs and the middle band.
            let ra = reach2 - ry * ry, ryb = ry - by, rb = reach2 - ryb * ryb
            var lo = Float.infinity, hi = -Float.infinity
            if rb >= 0 {
                let wb = rb.squareRoot()
                lo = bx - wb; hi = bx + wb
            }
            var bandLo = -Float.infinity, bandHi = Float.infinity
            if steep {
                let center = ry * p
                bandLo = center - q; bandHi = center + q
            } else if abs(ry) > reach {
                bandLo = .infinity
            }
            if wide {
                let b1 = -ry * m, b2 = n - ry * m
                bandLo = max(bandLo, min(b1, b2)); bandHi = min(bandHi, max(b1, b2))
            } else if along < 0 || along > length {
                bandLo = .infinity
            }
            if bandLo <= bandHi { lo = min(lo, bandLo); hi = max(hi, bandHi) }
            guard lo <= hi else { continue }
            if ra >= 0 {
                // Less the start's disc (shaved: samples on its circle are done here too). Usually only one
                // side of it is left.
                let gap = ra.squareRoot() * (1 - 1e-6)
                if lo < -gap { run(lo, min(hi, -gap)) }
                if hi > gap { run(max(lo, gap), hi) }
            } else {
                run(lo, hi)
            }
        }
    }

    /// The exact least cost over the segment walked forward from a: the first point in reach when the slope
    /// is monotone (or a itself, when in reach), else the minimum of the convex cost at its kinks and
    /// stationary point. Also single points.
    static func stampExact(_ g: ReachSegment, grid: IsochroneGrid, values: UnsafeMutablePointer<Float>) {
        let slack = grid.slack
        let reach = grid.reach, reach2 = reach * reach
        let dx = g.bx - g.ax, dy = g.by - g.ay
        let length = (dx * dx + dy * dy).squareRoot()
        let ux = length > 0 ? dx / length : 1, uy = length > 0 ? dy / length : 0
        let k = g.slope, start = g.start
        let monotone = ReachSegment.isMonotone(k)
        let columns = grid.columns, cell = grid.cell, x0 = grid.x0 - g.ax
        forEachRow(g, grid: grid, reach: reach) { j, ry, i0, i1 in
            let row = values + j * columns
            for i in i0...i1 {
                let px = x0 + Double(i) * cell
                let t = px * ux + ry * uy
                let h = ry * ux - px * uy
                let h2 = h * h
                if h2 > reach2 { continue }
                let q2 = px * px + ry * ry
                let w = (reach2 - h2).squareRoot()
                var value: Double
                if monotone {
                    let first = t - w
                    if first > 0 {
                        if first > length { continue }
                        value = start + k * first + (reach - slack)
                    } else {
                        if t + w < 0 { continue }
                        value = start + max(0, q2.squareRoot() - slack)
                    }
                } else {
                    let sLo = max(0, t - w), sHi = min(length, t + w)
                    if sLo > sHi { continue }
                    @inline(__always) func cost(_ s: Double) -> Double {
                        let a = s - t
                        return start + k * s + max(0, (a * a + h2).squareRoot() - slack)
                    }
                    value = min(cost(sLo), cost(sHi))
                    // The convex cost's kinks and stationary point: where the leg reaches the slack, and where
                    // the leg's slope cancels k.
                    if h2 < slack * slack {
                        value = min(value, cost(min(max(t - (slack * slack - h2).squareRoot(), sLo), sHi)))
                    }
                    if k < 1 {
                        let stationary = t - k * h2.squareRoot() / (1 - k * k).squareRoot()
                        value = min(value, cost(min(max(stationary, sLo), sHi)))
                    }
                }
                row[i] = min(row[i], Float(value))
            }
        }
    }
}
