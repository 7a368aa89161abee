import GridAnalysis
import Testing

/// Contiguity is judged on the cells that will be stored: two cells are neighbours when they share a stretch of
/// boundary, whatever vertices each writes along it.
@Suite("Cell tiling: neighbours share boundary of positive length")
struct CellTilingAdjacencyTests {
    static func square(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> CellTiling.Polygon {
        CellTiling.Polygon(exterior: [SIMD2(x0, y0), SIMD2(x1, y0), SIMD2(x1, y1), SIMD2(x0, y1), SIMD2(x0, y0)])
    }

    static func pairs(_ tiling: CellTiling) -> [[Int]] { tiling.neighbours().map { [$0.0, $0.1] }.sorted { $0.lexicographicallyPrecedes($1) } }

    @Test("cells sharing an edge are neighbours; cells meeting at a corner are not")
    func edgeAndCorner() {
        // 0 | 1 side by side; 2 touches 1 only at its north-east corner.
        let tiling = CellTiling(cells: [[Self.square(0, 0, 100, 100)], [Self.square(100, 0, 200, 100)], [Self.square(200, 100, 300, 200)]])
        #expect(Self.pairs(tiling) == [[0, 1]])
        #expect(abs(tiling.shared[0][0].length - 100) < 1e-9)
        #expect(tiling.shared[2].isEmpty)
    }

    @Test("a T-junction: cells written with different vertices along one edge share it, and the union's outline drops it")
    func tJunction() {
        // 0 is 200 × 200 with its east side one segment; 1 and 2 stack against it, each 100 m of that side.
        let tiling = CellTiling(cells: [[Self.square(0, 0, 200, 200)], [Self.square(200, 0, 300, 100)], [Self.square(200, 100, 300, 200)]])
        #expect(Self.pairs(tiling) == [[0, 1], [0, 2], [1, 2]])
        #expect(tiling.shared[0].allSatisfy { abs($0.length - 100) < 1e-9 })
        // The three make a 300 × 200 rectangle: perimeter 1000, Polsby–Popper 4π·60000/10⁶.
        let outline = tiling.outlines(labels: [0, 0, 0], count: 1)
        #expect(abs(outline.perimeter[0] - 1000) < 1e-9 && abs(outline.area[0] - 60_000) < 1e-9)
    }

    @Test("edges a few centimetres apart along a sliver are not shared; a sub-tolerance offset is")
    func nearlyCollinear() {
        let gap = CellTiling(cells: [[Self.square(0, 0, 100, 100)], [Self.square(100.2, 0, 200, 100)]])
        #expect(Self.pairs(gap).isEmpty)
        let rounded = CellTiling(cells: [[Self.square(0, 0, 100, 100)], [Self.square(100.000001, 0, 200, 100)]])
        #expect(Self.pairs(rounded) == [[0, 1]])
    }

    @Test("cells sharing less than the minimum stretch are no neighbours")
    func minimumStretch() {
        // Cell 1's west side runs along 0's east side for 8 cm only.
        let tiling = CellTiling(cells: [[Self.square(0, 0, 100, 100)], [Self.square(100, 99.92, 200, 200)]])
        #expect(abs((tiling.shared[0].first?.length ?? 0) - 0.08) < 1e-9)
        #expect(tiling.neighbours(minimumShared: 0.1).isEmpty)
        #expect(tiling.neighbours(minimumShared: 0.05).map { [$0.0, $0.1] } == [[0, 1]])
    }
}
