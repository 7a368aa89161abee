import Foundation

/// The districting peers' metrics (../shared/bench/districting/README.md, "Metrics"), computed the way their harness
/// computes them, so a plan of ours can stand in their table: per community first (rounded as they round), then
/// pooled over an input's communities.
public enum DistrictingScore {
    /// One plan of one community.
    public struct Community: Sendable, Codable, Hashable {
        public var grids: Int
        public var householdsMin: Int
        public var householdsMax: Int
        /// Population standard deviation of grid households, 0.1 household.
        public var householdsStd: Double
        public var inRange: Int
        /// Grids in [min, max(max, their largest building)]: buildings are atomic.
        public var feasible: Int
        public var contiguous: Int
        /// Mean Polsby–Popper of the grids' unions of cells, 4 decimals.
        public var polsbyPopperMean: Double
        /// Mean distance of a household to its grid's household-weighted centroid, 0.1 m.
        public var distanceMeters: Double
        /// Households above max or below min, summed over grids.
        public var outsideHouseholds: Int
        /// Households whose grid is not the one matched (Hungarian, most kept households) to their current grid.
        public var changedHouseholds: Int
        public var households: Int

        public init(grids: Int, householdsMin: Int, householdsMax: Int, householdsStd: Double, inRange: Int, feasible: Int, contiguous: Int,
                    polsbyPopperMean: Double, distanceMeters: Double, outsideHouseholds: Int, changedHouseholds: Int, households: Int) {
            self.grids = grids; self.householdsMin = householdsMin; self.householdsMax = householdsMax; self.householdsStd = householdsStd
            self.inRange = inRange; self.feasible = feasible; self.contiguous = contiguous; self.polsbyPopperMean = polsbyPopperMean
            self.distanceMeters = distanceMeters; self.outsideHouseholds = outsideHouseholds; self.changedHouseholds = changedHouseholds
            self.households = households
        }
    }

    /// `labels` and `current` are per building (any labels); `x, y` metres; `edges` the adjacency.
    public static func community(labels: [Int], current: [Int], households: [Int], x: [Double], y: [Double], edges: [(Int, Int)],
                                 tiling: CellTiling, minimum: Int, maximum: Int) -> Community {
        let ids = Array(Set(labels)).sorted()
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let grid = labels.map { index[$0]! }
        let count = ids.count
        var load = [Int](repeating: 0, count: count), largest = load
        var sumX = [Double](repeating: 0, count: count), sumY = sumX
        for (v, g) in grid.enumerated() {
            load[g] += households[v]; largest[g] = max(largest[g], households[v])
            sumX[g] += Double(households[v]) * x[v]; sumY[g] += Double(households[v]) * y[v]
        }
        var distance = 0.0
        for (v, g) in grid.enumerated() where load[g] > 0 {
            let dx = x[v] - sumX[g] / Double(load[g]), dy = y[v] - sumY[g] / Double(load[g])
            distance += Double(households[v]) * (dx * dx + dy * dy).squareRoot()
        }
        let total = households.reduce(0, +)
        let mean = count == 0 ? 0 : Double(total) / Double(count)
        let variance = count == 0 ? 0 : load.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
        let polsbyPopper = tiling.polsbyPopper(labels: grid, count: count)
        return Community(
            grids: count, householdsMin: load.min() ?? 0, householdsMax: load.max() ?? 0,
            householdsStd: rounded(variance.squareRoot(), 1),
            inRange: load.filter { (minimum...maximum).contains($0) }.count,
            feasible: zip(load, largest).filter { $0.0 >= minimum && $0.0 <= max(maximum, $0.1) }.count,
            contiguous: GridMetrics.contiguousGrids(labels: grid, count: count, edges: edges),
            polsbyPopperMean: rounded(count == 0 ? 0 : polsbyPopper.reduce(0, +) / Double(count), 4),
            distanceMeters: rounded(total == 0 ? 0 : distance / Double(total), 1),
            outsideHouseholds: load.reduce(0) { $0 + max(0, minimum - $1) + max(0, $1 - maximum) },
            changedHouseholds: total - keptHouseholds(labels: labels, current: current, households: households),
            households: total)
    }

    /// Households that stay in the grid matched one-to-one to their current grid, under the best matching.
    public static func keptHouseholds(labels: [Int], current: [Int], households: [Int]) -> Int {
        let new = Array(Set(labels)).sorted(), old = Array(Set(current)).sorted()
        let newIndex = Dictionary(uniqueKeysWithValues: new.enumerated().map { ($1, $0) })
        let oldIndex = Dictionary(uniqueKeysWithValues: old.enumerated().map { ($1, $0) })
        var overlap = [[Double]](repeating: [Double](repeating: 0, count: new.count), count: old.count)
        for v in labels.indices { overlap[oldIndex[current[v]]!][newIndex[labels[v]]!] += Double(households[v]) }
        let match = Hungarian.maximumWeightMatching(overlap)
        return Int(match.enumerated().reduce(0.0) { $0 + ($1.element >= 0 ? overlap[$1.offset][$1.element] : 0) }.rounded())
    }

    /// Python's `round(x, n)`: the exact binary value rounded to n decimals, ties to even (printf does the same).
    static func rounded(_ value: Double, _ decimals: Int) -> Double {
        Double(String(format: "%.\(decimals)f", value)) ?? value
    }

    /// One row of a method over an input's communities.
    public struct Row: Sendable, Codable {
        public var community: String
        public var k: Int
        public var seconds: Double
        public var score: Community
        public init(community: String, k: Int, seconds: Double, score: Community) {
            self.community = community; self.k = k; self.seconds = seconds; self.score = score
        }
    }

    /// Pooled as the harness's `agg`: sums of grids and households, std averaged over communities, PP weighted by
    /// grids, distance by households.
    public struct Pooled: Sendable, Codable {
        public var communities: Int
        public var secondsTotal: Double
        public var secondsMax: Double
        public var grids: Int
        public var k: Int
        public var householdsMin: Int
        public var householdsMax: Int
        public var householdsStd: Double
        public var shareInRange: Double
        public var shareFeasible: Double
        public var contiguous: Int
        public var polsbyPopperMean: Double
        public var distanceMeters: Double
        public var shareChanged: Double
        public var shareOutside: Double
        public var households: Int

        public init?(_ rows: [Row]) {
            guard !rows.isEmpty else { return nil }
            let g = rows.reduce(0) { $0 + $1.score.grids }, hh = rows.reduce(0) { $0 + $1.score.households }
            guard g > 0, hh > 0 else { return nil }
            communities = rows.count
            secondsTotal = rounded(rows.reduce(0) { $0 + $1.seconds }, 2)
            secondsMax = rounded(rows.map(\.seconds).max()!, 2)
            grids = g; k = rows.reduce(0) { $0 + $1.k }; households = hh
            householdsMin = rows.map(\.score.householdsMin).min()!; householdsMax = rows.map(\.score.householdsMax).max()!
            householdsStd = rounded(rows.reduce(0) { $0 + $1.score.householdsStd } / Double(rows.count), 1)
            shareInRange = rounded(Double(rows.reduce(0) { $0 + $1.score.inRange }) / Double(g), 3)
            shareFeasible = rounded(Double(rows.reduce(0) { $0 + $1.score.feasible }) / Double(g), 3)
            contiguous = rows.reduce(0) { $0 + $1.score.contiguous }
            polsbyPopperMean = rounded(rows.reduce(0) { $0 + $1.score.polsbyPopperMean * Double($1.score.grids) } / Double(g), 3)
            distanceMeters = rounded(rows.reduce(0) { $0 + $1.score.distanceMeters * Double($1.score.households) } / Double(hh), 1)
            shareChanged = rounded(Double(rows.reduce(0) { $0 + $1.score.changedHouseholds }) / Double(hh), 3)
            shareOutside = rounded(Double(rows.reduce(0) { $0 + $1.score.outsideHouseholds }) / Double(hh), 3)
        }
    }
}
