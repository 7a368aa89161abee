extension GridPartition.State {
    /// Recomputes every per-grid sum from `label`.
    mutating func rebuildSums(count: Int) {
        load = Array(repeating: 0, count: count)
        weightedSumX = Array(repeating: 0, count: count); weightedSumY = weightedSumX; weightSum = weightedSumX
        area = weightedSumX; outline = weightedSumX
        oversized = Array(repeating: [], count: count)
        for building in 0..<buildingCount { add(building, to: label[building], sign: 1) }
        // Adding one by one would count stretches to cells not yet added; the tiling sums them at once.
        if let tiling = problem.tiling { (area, outline) = tiling.outlines(labels: label, count: count) }
    }

    /// Adds (`sign` +1) or removes (−1) a building's share of grid `grid`'s sums; `label` is left to the caller.
    mutating func add(_ building: Int, to grid: Int, sign: Int) {
        let households = problem.households[building]
        let w = Double(max(households, 1)) * Double(sign)
        load[grid] += households * sign
        weightedSumX[grid] += w * problem.x[building]; weightedSumY[grid] += w * problem.y[building]; weightSum[grid] += w
        if households > problem.maximum {
            if sign > 0 {
                oversized[grid].append(households)
            } else if let i = oversized[grid].firstIndex(of: households) {
                oversized[grid].remove(at: i)
            }
        }
        if let tiling = problem.tiling {
            area[grid] += tiling.area[building] * Double(sign)
            // Stretches shared with the grid stop (or start) being its outline.
            outline[grid] += Double(sign) * (tiling.perimeter[building] - 2 * sharedLength(building, with: grid, tiling))
        }
    }

    /// Boundary length the building's cell shares with the cells of grid `grid`.
    func sharedLength(_ building: Int, with grid: Int, _ tiling: CellTiling) -> Double {
        tiling.shared[building].reduce(0) { $0 + ($1.cell != building && label[$1.cell] == grid ? $1.length : 0) }
    }

    /// Area of the buildings' bounding box (square metres, at least 1).
    func bounds() -> Double {
        guard buildingCount > 0, let minX = problem.x.min(), let maxX = problem.x.max(),
              let minY = problem.y.min(), let maxY = problem.y.max() else { return 1 }
        let w = (maxX - minX), h = (maxY - minY)
        return max(w * h, 1)
    }

    /// Moves a building to grid `grid`, keeping the sums.
    mutating func move(_ building: Int, to grid: Int) {
        add(building, to: label[building], sign: -1); label[building] = grid; add(building, to: grid, sign: 1)
    }
}
