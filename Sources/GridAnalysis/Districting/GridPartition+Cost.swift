import Foundation

/// The search's cost and its parts: households outside the range, balance, households moved, compactness.
extension GridPartition.State {
    /// The grid's upper bound: the maximum, raised to its largest building when that alone is above it (atomic).
    func upper(_ big: [Int]) -> Int { max(problem.maximum, big.max() ?? 0) }

    /// Households outside the grid's range.
    func violation(_ grid: Int) -> Int {
        max(0, load[grid] - upper(oversized[grid])) + max(0, problem.minimum - load[grid])
    }

    func totalViolation(_ count: Int) -> Int { (0..<count).reduce(0) { $0 + violation($1) } }

    /// Households outside the range of grid `grid` if `building` joined it (`change` +1) or left it (−1):
    /// buildings above the maximum raise the bound (atomic).
    func violation(_ grid: Int, with building: Int, _ change: Int) -> Int {
        let w = problem.households[building], h = load[grid] + change * w
        var big = oversized[grid]
        if w > problem.maximum { if change > 0 { big.append(w) } else if let i = big.firstIndex(of: w) { big.remove(at: i) } }
        return max(0, h - upper(big)) + max(0, problem.minimum - h)
    }

    /// Change in households outside the range when `building` moves to grid `destination`.
    func violationChange(_ building: Int, to destination: Int) -> Int {
        let source = label[building]
        return violation(source, with: building, -1) + violation(destination, with: building, 1) - violation(source) - violation(destination)
    }

    func balanceCost(_ households: Int, upper: Int) -> Double {
        let violation = Double(max(0, households - upper) + max(0, problem.minimum - households))
        // A grid held up by one oversized building is best left with that building alone.
        let d = upper > problem.maximum ? Double(households - upper) : Double(households) - target
        return Self.violationWeight * violation + d * d / target
    }

    /// Per household outside the range: above any gain a single move can bring in stability or compactness, so
    /// the range comes first.
    static let violationWeight = 10_000.0

    func balanceCost(_ grid: Int) -> Double { balanceCost(load[grid], upper: upper(oversized[grid])) }

    /// Squared distance of a building to the grid's weighted centroid, over `spreadScale`.
    func spread(_ building: Int, _ grid: Int) -> Double {
        guard weightSum[grid] > 0 else { return 0 }
        let dx = problem.x[building] - weightedSumX[grid] / weightSum[grid], dy = problem.y[building] - weightedSumY[grid] / weightSum[grid]
        return (dx * dx + dy * dy) / spreadScale
    }

    static func polsbyPopper(_ area: Double, _ outline: Double) -> Double { outline > 0 ? 4 * Double.pi * area / (outline * outline) : 0 }

    func polsbyPopperSum(_ count: Int) -> Double { (0..<count).reduce(0) { $0 + Self.polsbyPopper(area[$1], outline[$1]) } }

    /// Summed Polsby–Popper if `building` moved to grid `destination` (only its grid and `destination` change).
    func polsbyPopperSum(afterMoving building: Int, to destination: Int, _ tiling: CellTiling, current: Double) -> Double {
        let source = label[building]
        var sharedSource = 0.0, sharedDestination = 0.0
        for (cell, length) in tiling.shared[building] where cell != building {
            if label[cell] == source { sharedSource += length } else if label[cell] == destination { sharedDestination += length }
        }
        let c = tiling.area[building], per = tiling.perimeter[building]
        return current - Self.polsbyPopper(area[source], outline[source]) - Self.polsbyPopper(area[destination], outline[destination])
            + Self.polsbyPopper(area[source] - c, outline[source] - per + 2 * sharedSource)
            + Self.polsbyPopper(area[destination] + c, outline[destination] + per - 2 * sharedDestination)
    }

    /// Cost change of moving `building` from its grid to `destination`.
    func delta(_ building: Int, to destination: Int) -> Double {
        let source = label[building], w = problem.households[building]
        var bigSource = oversized[source], bigDestination = oversized[destination]
        if w > problem.maximum {
            if let i = bigSource.firstIndex(of: w) { bigSource.remove(at: i) }
            bigDestination.append(w)
        }
        var d = balanceCost(load[source] - w, upper: upper(bigSource)) + balanceCost(load[destination] + w, upper: upper(bigDestination))
            - balanceCost(source) - balanceCost(destination)
        let original = problem.initial[building]
        if original >= 0 {
            let movedNow = originOf(source) != original, movedAfter = originOf(destination) != original
            if movedNow != movedAfter { d += (movedAfter ? 1 : -1) * movedWeight * Double(w) }
        }
        if let tiling = problem.tiling {
            // Exact change of the two grids' Polsby–Popper: the cell's stretches shared with a grid are inside it.
            var sharedSource = 0.0, sharedDestination = 0.0
            for (cell, length) in tiling.shared[building] where cell != building {
                if label[cell] == source { sharedSource += length } else if label[cell] == destination { sharedDestination += length }
            }
            let c = tiling.area[building], per = tiling.perimeter[building]
            let gain = Self.polsbyPopper(area[source] - c, outline[source] - per + 2 * sharedSource)
                + Self.polsbyPopper(area[destination] + c, outline[destination] + per - 2 * sharedDestination)
                - Self.polsbyPopper(area[source], outline[source]) - Self.polsbyPopper(area[destination], outline[destination])
            d -= compactnessWeight * gain
        } else {
            d += 4 * (1 - problem.stability) * Double(max(w, 1)) * (spread(building, destination) - spread(building, source))
        }
        return d
    }

    /// Cost of one unit of Polsby–Popper summed over grids, in the units of the other terms (a household moved
    /// costs 4·stability): at the default stability, raising one grid's PP by 0.1 is worth moving about 20 households.
    var compactnessWeight: Double { 4 * (1 - problem.stability) * target * 1.5 }

    /// Cost of one household moved from its grid.
    var movedWeight: Double { 4 * problem.stability }

    /// The current grid that grid `grid` is matched to, or -1.
    func originOf(_ grid: Int) -> Int { grid < origins.count ? origins[grid] : -1 }
}
