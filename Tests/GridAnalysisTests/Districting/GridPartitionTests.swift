import GridAnalysis
import GridModel
import Testing

@Suite("Grid partition, assignment, numbering and metrics")
struct GridPartitionTests {
    /// Buildings on a rows × columns lattice, 100 m apart, rook adjacency; index = row * columns + column (row 0 south).
    static func lattice(rows: Int, columns: Int, households: Int = 100) -> GridPartition.Problem {
        var x: [Double] = [], y: [Double] = [], edges: [(Int, Int)] = []
        for r in 0..<rows {
            for c in 0..<columns {
                x.append(Double(c) * 100); y.append(Double(r) * 100)
                let v = r * columns + c
                if c + 1 < columns { edges.append((v, v + 1)) }
                if r + 1 < rows { edges.append((v, v + columns)) }
            }
        }
        return GridPartition.Problem(households: Array(repeating: households, count: rows * columns), x: x, y: y, edges: edges,
                                     minimum: 300, maximum: 500)
    }

    static func check(_ problem: GridPartition.Problem, _ result: GridPartition.Result) -> GridMetrics.Summary {
        let summary = GridMetrics.summarize(households: problem.households, labels: result.labels, count: result.gridCount, edges: problem.edges,
                                            initial: problem.initial, origin: result.origin, minimum: problem.minimum, maximum: problem.maximum)
        #expect(summary.contiguous == result.gridCount, "every grid contiguous")
        #expect(Set(result.labels) == Set(0..<result.gridCount), "no empty grid")
        return summary
    }

    @Test("from scratch: 16 buildings of 100 households → 4 grids of 400, all contiguous")
    func scratch() {
        let problem = Self.lattice(rows: 4, columns: 4)
        let result = GridPartition.solve(problem)
        let summary = Self.check(problem, result)
        #expect(result.gridCount == 4)
        #expect(summary.inRange == 4 && summary.householdsMin == 400 && summary.householdsMax == 400)
    }

    @Test("a balanced current plan is kept as it is: nothing moves")
    func stable() {
        var problem = Self.lattice(rows: 4, columns: 4)
        problem.initial = (0..<16).map { $0 / 4 }  // four rows
        let result = GridPartition.solve(problem)
        let summary = Self.check(problem, result)
        #expect(summary.householdsMoved == 0 && summary.inRange == 4)
    }

    @Test("an unbalanced plan (600 | 200 households) is repaired by moving exactly one building")
    func minimalRepair() {
        var problem = Self.lattice(rows: 2, columns: 4)
        // Grid 0: columns 0-2 of both rows (600); grid 1: column 3 (200).
        problem.initial = (0..<8).map { $0 % 4 == 3 ? 1 : 0 }
        let result = GridPartition.solve(problem)
        let summary = Self.check(problem, result)
        #expect(result.gridCount == 2)
        #expect(summary.inRange == 2)
        #expect(summary.householdsMoved == 100)
    }

    @Test("disconnected parts get their own grids and are reported")
    func islands() {
        var problem = Self.lattice(rows: 2, columns: 4)
        problem.edges.removeAll { ($0.0 % 4 == 1 && $0.1 % 4 == 2) }  // cut between columns 1 and 2
        let result = GridPartition.solve(problem)
        _ = Self.check(problem, result)
        #expect(result.components == 2)
        let left = Set((0..<8).filter { $0 % 4 < 2 }.map { result.labels[$0] })
        let right = Set((0..<8).filter { $0 % 4 >= 2 }.map { result.labels[$0] })
        #expect(left.isDisjoint(with: right))
    }

    @Test("a building above the maximum is reported, an empty problem does not crash")
    func oversized() {
        var problem = Self.lattice(rows: 1, columns: 3)
        problem.households = [900, 100, 100]
        let result = GridPartition.solve(problem)
        #expect(result.warnings.contains { $0.contains("900") })
        let empty = GridPartition.solve(GridPartition.Problem(households: [], x: [], y: [], edges: [], minimum: 300, maximum: 500))
        #expect(empty.gridCount == 0)
    }

    @Test("codes read north→south, then west→east, with 3-digit sequences")
    func numbering() {
        // NW, NE, SW, SE about 1 km apart.
        let centres = [Coordinate(longitude: 116.41, latitude: 39.90), Coordinate(longitude: 116.40, latitude: 39.91),
                       Coordinate(longitude: 116.40, latitude: 39.90), Coordinate(longitude: 116.41, latitude: 39.91)]
        #expect(GridNumbering.sequence(centres: centres) == [4, 1, 3, 2])
        #expect(GridNumbering.code(community: "110105001001", sequence: 7) == "110105001001007")
    }

    @Test("assignment: shared boundary goes to the lowest code and is reported; outside gets the nearest grid")
    func assignment() throws {
        func square(_ x0: Double) throws -> MultiPolygon {
            MultiPolygon([try Polygon(exterior: [Coordinate(longitude: x0, latitude: 0), Coordinate(longitude: x0 + 0.01, latitude: 0),
                                                 Coordinate(longitude: x0 + 0.01, latitude: 0.01), Coordinate(longitude: x0, latitude: 0.01),
                                                 Coordinate(longitude: x0, latitude: 0)])])
        }
        let grids = [GridAssignment.Grid(code: "B", community: nil, shape: try square(0.01)), GridAssignment.Grid(code: "A", community: nil, shape: try square(0))]
        let results = GridAssignment.assign(points: [(1, Coordinate(longitude: 0.005, latitude: 0.005)), (2, Coordinate(longitude: 0.01, latitude: 0.005)),
                                                     (3, Coordinate(longitude: 0.025, latitude: 0.005))], grids: grids)
        #expect(results[0].grid == "A" && results[0].status == .inside)
        #expect(results[1].grid == "A" && results[1].status == .ambiguous && results[1].candidates == ["A", "B"])
        #expect(results[2].grid == nil && results[2].nearestGrid == "B")
        #expect(abs((results[2].nearestDistance?.value ?? 0) - 556) < 2)
    }

    @Test("Polsby-Popper of a square is π/4")
    func polsbyPopper() throws {
        let square = MultiPolygon([try Polygon(exterior: [Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 0.001, latitude: 0),
                                                          Coordinate(longitude: 0.001, latitude: 0.001), Coordinate(longitude: 0, latitude: 0.001),
                                                          Coordinate(longitude: 0, latitude: 0)])])
        #expect(abs(GridMetrics.polsbyPopper(square) - Double.pi / 4) < 0.001)
    }
}

extension GridPartitionTests {
    @Test("a building above the maximum is a grid of its own; the others share the rest in range")
    func oversizedAlone() {
        // Two rows of five; the south-west building has 900 households, the others 100: range [300, 500].
        var problem = Self.lattice(rows: 2, columns: 5)
        problem.households[0] = 900
        let result = GridPartition.solve(problem)
        let summary = Self.check(problem, result)
        #expect(result.labels.filter { $0 == result.labels[0] }.count == 1, "\(result.labels)")
        #expect(summary.feasible == result.gridCount && summary.inRange == result.gridCount - 1)
        #expect(result.warnings.contains { $0.contains("building 0 ") && $0.contains("900") })
    }
}
