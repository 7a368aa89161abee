@testable import GridAnalysis
import Testing

@Suite("Grid partition: tilted walk to the range, annealing, return of moved buildings")
struct GridPartitionPolishTests {
    /// 2 × 4 lattice of 10 m squares with 100 households each, rook adjacency, range [300, 500]; index = row * 4 + column.
    static func lattice(initial: [Int]?) -> GridPartition.Problem {
        var x: [Double] = [], y: [Double] = []
        for r in 0..<2 { for c in 0..<4 { x.append(Double(c) * 10 + 5); y.append(Double(r) * 10 + 5) } }
        return GridPartition.Problem(households: Array(repeating: 100, count: 8), x: x, y: y, edges: DistrictingScoreTests.rook(rows: 2, columns: 4),
                                     initial: initial, minimum: 300, maximum: 500,
                                     tiling: CellTiling(cells: DistrictingScoreTests.squares(rows: 2, columns: 4, noise: false)))
    }

    /// Columns 0–1 are grid 0, columns 2–3 grid 1 (400 households each).
    static let halves = (0..<8).map { $0 % 4 < 2 ? 0 : 1 }

    static func state(_ problem: GridPartition.Problem, labels: [Int], count: Int) -> GridPartition.State {
        var state = GridPartition.State(problem)
        state.label = labels
        state.rebuildSums(count: count)
        return state
    }

    @Test("the tilted walk reaches the range from one building against seven, every grid connected")
    func walk() {
        let problem = Self.lattice(initial: nil)
        // Grid 0 is the south-west building alone (100), grid 1 the other seven (700).
        var state = Self.state(problem, labels: (0..<8).map { $0 == 0 ? 0 : 1 }, count: 2)
        #expect(state.totalViolation(2) == 400)
        let improved = state.walkToFeasible(count: 2)
        #expect(improved)
        #expect(state.totalViolation(2) == 0, "loads \(state.load)")
        #expect(GridMetrics.contiguousGrids(labels: state.label, count: 2, edges: problem.edges) == 2)
        var again = Self.state(problem, labels: (0..<8).map { $0 == 0 ? 0 : 1 }, count: 2)
        _ = again.walkToFeasible(count: 2)
        #expect(again.label == state.label, "deterministic")
    }

    @Test("a moved building goes back to its grid when range, connectivity and compactness allow")
    func returnHome() throws {
        let problem = Self.lattice(initial: Self.halves)
        let tiling = try #require(problem.tiling)
        // Building 2 (row 0, column 2) sits in grid 0: 500 | 300, both in range, one building changed.
        var moved = Self.halves
        moved[2] = 0
        var state = Self.state(problem, labels: moved, count: 2)
        let before = state.polsbyPopperSum(2)
        state.returnHome(count: 2, floor: before, tiling)
        #expect(state.label == Self.halves)
        #expect(state.polsbyPopperSum(2) > before, "two 2 × 2 squares are more compact than an L and a bar")

        // The same return, when the floor asks for more compactness than any plan here has: nothing moves.
        var held = Self.state(problem, labels: moved, count: 2)
        held.returnHome(count: 2, floor: 2, tiling)
        #expect(held.label == moved)
    }

    @Test("a return that would push either grid out of range is not made (only a swap would do)")
    func returnKeepsRange() throws {
        var problem = Self.lattice(initial: Self.halves)
        problem.households[5] = 200  // grid 0 holds 500 in the current plan, grid 1 400
        let tiling = try #require(problem.tiling)
        // Building 2 (100) went to grid 0 and building 5 (200) to grid 1: 400 | 500.
        var moved = Self.halves
        moved[2] = 0
        moved[5] = 1
        var state = Self.state(problem, labels: moved, count: 2)
        #expect(state.load == [400, 500])
        // Building 2 home: 300 | 600; building 5 home: 600 | 300. Neither alone stays in range.
        state.returnHome(count: 2, floor: 0, tiling)
        #expect(state.label == moved)
    }

    @Test("the whole run is deterministic, in range and connected with cells at hand")
    func deterministic() {
        var problem = Self.lattice(initial: (0..<8).map { $0 == 3 ? 1 : 0 })
        problem.households = [120, 80, 90, 150, 60, 110, 130, 100]
        let first = GridPartition.solve(problem), second = GridPartition.solve(problem)
        #expect(first.labels == second.labels)
        let summary = GridMetrics.summarize(households: problem.households, labels: first.labels, count: first.gridCount, edges: problem.edges,
                                            initial: problem.initial, origin: first.origin, minimum: problem.minimum, maximum: problem.maximum)
        #expect(summary.contiguous == first.gridCount && summary.inRange == first.gridCount)
    }
}
