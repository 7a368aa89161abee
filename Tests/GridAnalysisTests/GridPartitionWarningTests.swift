import GridAnalysis
import Testing

@Suite("Partition warnings are values")
struct GridPartitionWarningTests {
    @Test("a building above the maximum and a part below the minimum come back typed, with their figures")
    func typed() {
        // Two separate rows: a 900-household building with two neighbours, and two buildings of 100 (below 300) apart.
        var problem = GridPartitionTests.lattice(rows: 1, columns: 5)
        problem.households = [900, 100, 100, 100, 100]
        problem.edges.removeAll { $0 == (2, 3) }
        let result = GridPartition.solve(problem)
        #expect(result.components == 2)
        #expect(result.typedWarnings.contains(.buildingAboveMaximum(building: 0, households: 900, maximum: 500)))
        #expect(result.typedWarnings.contains(.partBelowMinimum(part: 2, buildings: 2, households: 200)))
        #expect(result.typedWarnings.count == 2)
        // The sentences: buildings named by index unless the caller names them.
        #expect(result.warnings.contains("building 0 alone has 900 households, above the maximum 500; its grid cannot be in range"))
        let named = GridPartition.Warning.buildingAboveMaximum(building: 0, households: 900, maximum: 500).text { "register row \($0 + 40)" }
        #expect(named == "register row 40 alone has 900 households, above the maximum 500; its grid cannot be in range")
        #expect(GridPartition.Warning.partBelowMinimum(part: 2, buildings: 2, households: 200).text { _ in "unused" }
            == "disconnected part 2 (2 buildings, 200 households) is below the minimum and stays one grid")
    }

    @Test("a problem in range warns of nothing")
    func none() {
        let result = GridPartition.solve(GridPartitionTests.lattice(rows: 2, columns: 4))
        #expect(result.typedWarnings.isEmpty && result.warnings.isEmpty)
    }
}
