import Foundation
import GridModel

/// Balanced, contiguous partition of a community's buildings into grids, starting from the current plan.
///
/// The graph is building adjacency (the buildings' cells sharing boundary, so that a connected grid is one polygon);
/// weights are households. `solve` runs these stages in this order, each in a file of this folder:
/// 1. Parts and counts (`GridPartition+Counts`): the connected parts of the graph (a grid never spans two) and the
///    number of grids each part gets: the feasible count nearest the current plan (buildings are atomic).
/// 2. Seeding (`GridPartition+Seeding`): each part starts from the current plan, each grid cut to its largest
///    connected piece; regions are merged and split to the count by recursive bisection (as GerryChain's
///    `recursive_tree_part`, DeFord, Duchin & Solomon 2021, but on a geometric sweep instead of a random spanning
///    tree), and a stranded small region is merged while a region holding two grids' worth is split.
/// 3. Local search (`GridPartition+LocalSearch`): greedy single boundary-building flips (the "flip" chain of the same
///    authors, run greedily) on the cost of `GridPartition+Cost`: in order of weight, households outside
///    [min, max], squared deviation from the target, households moved from their grid (stability) and compactness
///    (the grids' Polsby–Popper with cells, else squared distance to the grid's weighted centroid).
/// 4. Ejection chains (`GridPartition+EjectionChains`): up to three rounds where flips stall, each followed by
///    local search.
/// 5. Tilted walk (`GridPartition+TiltedWalk`): a random walk of flips tilted toward the range where chains stall
///    too, followed by local search.
///    Stages 2–5 run up to six times: a part still out of range tries one grid more or fewer, toward the middle of
///    its feasible counts; the plan with the fewest households outside the range is kept.
/// 6. With cells, polish: annealing (`GridPartition+Annealing`) then the return pass (`GridPartition+ReturnPass`),
///    moved buildings going back to their grid, in rounds while the matching of new grids to current ones changes.
/// 7. Matching: each new grid to the current grid it keeps most households of, one-to-one (`GridMetrics`).
/// Per-grid loads, centroid sums and outlines are kept by `GridPartition+Sums`. A flip never disconnects a grid.
public struct GridPartition: Sendable {
    public struct Problem: Sendable {
        public var households: [Int]
        /// Positions in metres (any local projection).
        public var x: [Double]
        public var y: [Double]
        /// Undirected edges between building indices.
        public var edges: [(Int, Int)]
        /// Current grid per building (any non-negative label), or -1 where none.
        public var initial: [Int]
        public var minimum: Int
        public var maximum: Int
        /// Overrides the range-derived count when set.
        public var gridCount: Int?
        /// 0 = compactness only, 1 = stability only.
        public var stability: Double
        /// Upper bound on local-search passes.
        public var passes: Int
        /// The buildings' cells (same indices), when known: compactness is then the grids' Polsby–Popper itself
        /// instead of the centroid-distance proxy.
        public var tiling: CellTiling?

        public init(households: [Int], x: [Double], y: [Double], edges: [(Int, Int)], initial: [Int]? = nil,
                    minimum: Int, maximum: Int, gridCount: Int? = nil, stability: Double = 0.7, passes: Int = 60,
                    tiling: CellTiling? = nil) {
            self.households = households; self.x = x; self.y = y; self.edges = edges
            self.initial = initial ?? Array(repeating: -1, count: households.count)
            self.minimum = minimum; self.maximum = maximum; self.gridCount = gridCount
            self.stability = stability; self.passes = passes; self.tiling = tiling
        }
    }

    public struct Result: Sendable {
        /// Grid per building, 0..<gridCount.
        public var labels: [Int]
        public var gridCount: Int
        /// For each new grid, the initial label it keeps most households of (one-to-one), or -1.
        public var origin: [Int]
        /// Connected parts of the adjacency graph.
        public var components: Int
        public var typedWarnings: [Warning]
    }

    public static func solve(_ problem: Problem) -> Result {
        var state = State(problem)
        return state.run()
    }

    /// The search's working state: one plan (`label`) and the per-grid sums its costs read.
    struct State {
        let problem: Problem
        let buildingCount: Int
        /// Neighbouring buildings of each building, sorted, without repeats.
        var adjacency: [[Int]]
        /// Grid of each building in the plan being improved.
        var label: [Int]
        /// Per grid: households.
        var load: [Int] = []
        /// Per grid: household-weighted sums of x and y and the weights (buildings count at least 1), for centroids.
        var weightedSumX: [Double] = [], weightedSumY: [Double] = [], weightSum: [Double] = []
        /// Per grid, with a tiling: area and outline length of its union of cells (metres).
        var area: [Double] = [], outline: [Double] = []
        /// Per grid, the households of its buildings above the maximum (usually none).
        var oversized: [[Int]] = []
        /// Per grid, the current grid it is matched to (one-to-one), or -1: what "moved" means to the cost.
        var origins: [Int] = []
        var warnings: [Warning] = []
        /// Households per grid aimed at: the middle of the range.
        let target: Double
        /// Squared metres that one unit of centroid spread stands for (the area per grid), set once seeded.
        var spreadScale = 1.0

        init(_ problem: Problem) {
            self.problem = problem
            buildingCount = problem.households.count
            var adjacency = [[Int]](repeating: [], count: buildingCount)
            for (a, b) in problem.edges where a != b && a >= 0 && b >= 0 && a < buildingCount && b < buildingCount {
                adjacency[a].append(b); adjacency[b].append(a)
            }
            self.adjacency = adjacency.map { Array(Set($0)).sorted() }
            label = Array(repeating: -1, count: buildingCount)
            target = Double(problem.minimum + problem.maximum) / 2
        }

        /// Attempts of stages 2–5, each after a part changed its count.
        static let attempts = 6

        mutating func run() -> Result {
            let parts = components()
            let total = problem.households.reduce(0, +)
            var counts: [Int] = [], middles: [Int] = []
            for (index, part) in parts.enumerated() {
                let weight = part.reduce(0) { $0 + problem.households[$1] }
                counts.append(gridCount(part: part, weight: weight, total: total, parts: parts.count))
                middles.append(problem.gridCount == nil ? middleCount(part: part, weight: weight) : counts[index])
                if parts.count > 1 && weight < problem.minimum {
                    warnings.append(.partBelowMinimum(part: index + 1, buildings: part.count, households: weight))
                }
            }
            for building in 0..<buildingCount where problem.households[building] > problem.maximum {
                warnings.append(.buildingAboveMaximum(building: building, households: problem.households[building], maximum: problem.maximum))
            }
            var best = (outside: Int.max, label: label, count: 0)
            for _ in 0..<Self.attempts {
                let count = plan(parts: parts, counts: counts)
                let outside = totalViolation(count)
                if outside < best.outside { best = (outside, label, count) }
                // A part still out of range tries one grid more or fewer, toward the middle of its feasible counts:
                // the count nearest the current plan can be too tight once buildings are atomic.
                var retry = false
                for (i, part) in parts.enumerated() where counts[i] != middles[i] {
                    if Set(part.map { label[$0] }).contains(where: { violation($0) > 0 }) {
                        counts[i] += middles[i] > counts[i] ? 1 : -1
                        retry = true
                    }
                }
                guard outside > 0, retry else { break }
            }
            label = best.label
            rebuildSums(count: best.count)
            if let tiling = problem.tiling { polish(count: best.count, tiling) }
            let origin = matchOrigins(count: best.count)
            return Result(labels: label, gridCount: best.count, origin: origin, components: parts.count, typedWarnings: warnings)
        }

        /// Stages 2–5 once: seeds `counts[i]` grids in each part, then improves them; returns the number of grids.
        mutating func plan(parts: [[Int]], counts: [Int]) -> Int {
            label = Array(repeating: -1, count: buildingCount)
            var next = 0
            for (part, count) in zip(parts, counts) { next = seed(part: part, count: count, firstLabel: next) }
            rebuildSums(count: next)
            spreadScale = max(1, bounds() / Double(max(next, 1)))
            localSearch(count: next)
            // Flips stall where every single move would push a neighbour out of range; chains get past that.
            for _ in 0..<Self.repairRounds where repair(count: next) {
                localSearch(count: next)
            }
            if walkToFeasible(count: next) { localSearch(count: next) }
            return next
        }

        func matchOrigins(count: Int) -> [Int] {
            GridMetrics.matchOrigins(labels: label, count: count, initial: problem.initial, households: problem.households)
        }
    }
}
