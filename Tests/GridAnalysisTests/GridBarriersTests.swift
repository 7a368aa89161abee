import GridAnalysis
import Testing

@Suite("Grid barriers: adjacency cut by arterial roads")
struct GridBarriersTests {
    ///     row 3  6 — 7
    ///            |   |
    ///     row 2  4 — 5
    ///   ==========|===|====== barrier at y = 150
    ///     row 1  2 — 3
    ///            |   |
    ///     row 0  0 — 1
    /// 100 households each, 100 m apart; the current plan is the two columns (400 | 400), each crossing the road.
    static func twoColumns() -> GridPartition.Problem {
        var problem = GridPartitionTests.lattice(rows: 4, columns: 2)
        problem.initial = (0..<8).map { $0 % 2 }
        return problem
    }

    static let road: [[(x: Double, y: Double)]] = [[(-50, 150), (60, 150), (150, 150)]]

    @Test("only the edges crossing the road are cut; touching is not crossing")
    func crossing() {
        let problem = Self.twoColumns()
        let cut = GridBarriers.crossing(edges: problem.edges, x: problem.x, y: problem.y, lines: Self.road)
        let crossed = problem.edges.indices.filter { cut[$0] }.map { problem.edges[$0] }
        #expect(crossed.map { [$0.0, $0.1] } == [[2, 4], [3, 5]])
        // A road ending on a building's point does not cut its edges.
        let touching = GridBarriers.crossing(edges: problem.edges, x: problem.x, y: problem.y, lines: [[(0, 100), (0, 150)]])
        #expect(!touching.contains(true))
    }

    @Test("with the road, the column plan becomes the two blocks: no grid spans it")
    func blocksWin() {
        var problem = Self.twoColumns()
        let without = GridPartition.solve(problem)
        let withoutSummary = GridPartitionTests.check(problem, without)
        #expect(withoutSummary.householdsMoved == 0, "without barriers the balanced plan stays")

        let cut = GridBarriers.crossing(edges: problem.edges, x: problem.x, y: problem.y, lines: Self.road)
        let plan = GridBarriers.plan(households: problem.households, edges: problem.edges, crossing: cut, minimum: 300, maximum: 500)
        #expect(plan.cut.count == 2 && plan.restored.isEmpty)
        #expect(plan.block == [0, 0, 0, 0, 1, 1, 1, 1])
        #expect(GridBarriers.spanning(labels: problem.initial, count: 2, block: plan.block) == [0, 1])
        problem.edges = plan.edges
        let with = GridPartition.solve(problem)
        let summary = GridPartitionTests.check(problem, with)
        #expect(with.gridCount == 2 && summary.inRange == 2)
        #expect(GridBarriers.spanning(labels: with.labels, count: with.gridCount, block: plan.block).isEmpty)
        #expect(Set(with.labels[0..<4]).count == 1 && Set(with.labels[4..<8]).count == 1)
        // The grid matched to column 0 keeps 0 and 2, the other keeps 5 and 7: 4 × 100 households move.
        #expect(summary.householdsMoved == 400)
    }

    @Test("a block too small to be a grid is joined back across the road, and its grid is reported")
    func infeasibleBlock() {
        // 0 — 1 — 2 — 3 ‖ 4 : the block {4} has 100 households, below the minimum.
        let problem = GridPartitionTests.lattice(rows: 1, columns: 5)
        let road: [[(x: Double, y: Double)]] = [[(350, -50), (350, 50)]]
        let cut = GridBarriers.crossing(edges: problem.edges, x: problem.x, y: problem.y, lines: road)
        let plan = GridBarriers.plan(households: problem.households, edges: problem.edges, crossing: cut, minimum: 300, maximum: 500)
        #expect(plan.cut == [3] && plan.restored == [3])
        #expect(plan.edges.count == 4)
        var joined = problem
        joined.edges = plan.edges
        let result = GridPartition.solve(joined)
        #expect(result.gridCount == 1)
        #expect(GridBarriers.spanning(labels: result.labels, count: result.gridCount, block: plan.block) == [0])
    }

    @Test("feasibility of a block's weight with atomic buildings")
    func feasible() {
        #expect(GridBarriers.feasible(weight: 400, oversized: [], minimum: 300, maximum: 500))
        #expect(!GridBarriers.feasible(weight: 550, oversized: [], minimum: 300, maximum: 500), "one grid is too many, two too few")
        #expect(GridBarriers.feasible(weight: 900, oversized: [900], minimum: 300, maximum: 500))
        #expect(!GridBarriers.feasible(weight: 0, oversized: [], minimum: 300, maximum: 500))
    }
}
