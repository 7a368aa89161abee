import GridAnalysis
import Testing

@Suite("Districting metrics on hand-made tilings")
struct DistrictingScoreTests {
    /// Unit squares of `size` metres on a rows × columns lattice; index = row * columns + column. Corners are written
    /// with a little noise below the snapping tolerance, as rounded WKT would give them.
    static func squares(rows: Int, columns: Int, size: Double = 10, noise: Bool = true) -> [[CellTiling.Polygon]] {
        var cells: [[CellTiling.Polygon]] = []
        for r in 0..<rows {
            for c in 0..<columns {
                let x = Double(c) * size, y = Double(r) * size
                let wobble = noise ? ((r + c) % 2 == 0 ? 0.004 : -0.004) : 0
                cells.append([CellTiling.Polygon(exterior: [SIMD2(x + wobble, y), SIMD2(x + size, y), SIMD2(x + size, y + size - wobble),
                                                            SIMD2(x, y + size), SIMD2(x + wobble, y)])])
            }
        }
        return cells
    }

    static func rook(rows: Int, columns: Int) -> [(Int, Int)] {
        var edges: [(Int, Int)] = []
        for r in 0..<rows {
            for c in 0..<columns {
                let v = r * columns + c
                if c + 1 < columns { edges.append((v, v + 1)) }
                if r + 1 < rows { edges.append((v, v + columns)) }
            }
        }
        return edges
    }

    @Test("shared edges are found despite rounding; union area and outline of grids")
    func tiling() {
        let tiling = CellTiling(cells: Self.squares(rows: 2, columns: 2))
        #expect(tiling.shared.map(\.count) == [2, 2, 2, 2])
        for list in tiling.shared { for s in list { #expect(abs(s.length - 10) < 0.01) } }
        // One grid of all four: a 20 m square, PP = π/4.
        let whole = tiling.polsbyPopper(labels: [0, 0, 0, 0], count: 1)
        #expect(abs(whole[0] - Double.pi / 4) < 1e-3)
        // Two rows: 20 × 10 rectangles, PP = 4π·200 / 60² = 0.698.
        let (area, outline) = tiling.outlines(labels: [0, 0, 1, 1], count: 2)
        #expect(abs(area[0] - 200) < 0.1 && abs(outline[0] - 60) < 0.05)
        // Diagonal pairs touch at a corner only: each grid's outline is its two squares' full perimeters.
        let (_, diagonal) = tiling.outlines(labels: [0, 1, 1, 0], count: 2)
        #expect(abs(diagonal[0] - 80) < 0.05)
    }

    @Test("a ring of 8 squares around a hole: the hole's edge counts in the perimeter")
    func hole() {
        let cells = Self.squares(rows: 3, columns: 3)
        let tiling = CellTiling(cells: cells)
        let labels = [0, 0, 0, 0, 1, 0, 0, 0, 0]
        let (area, outline) = tiling.outlines(labels: labels, count: 2)
        #expect(abs(area[0] - 800) < 0.2)
        #expect(abs(outline[0] - 160) < 0.1)  // 120 outside + 40 around the hole
    }

    @Test("all metrics on a 2 × 4 lattice against numbers worked by hand")
    func metrics() {
        // Households per building, row 0 then row 1; current plan: left half | right half.
        let households = [100, 100, 100, 400, 100, 100, 100, 50]
        let current = [0, 0, 1, 1, 0, 0, 1, 1]
        // New plan: column 3 alone (450), columns 0–2 (600).
        let labels = [7, 7, 7, 3, 7, 7, 7, 3]
        let x = (0..<8).map { Double($0 % 4) * 10 + 5 }, y = (0..<8).map { Double($0 / 4) * 10 + 5 }
        let score = DistrictingScore.community(labels: labels, current: current, households: households, x: x, y: y,
                                               edges: Self.rook(rows: 2, columns: 4), tiling: CellTiling(cells: Self.squares(rows: 2, columns: 4, noise: false)),
                                               minimum: 300, maximum: 500)
        #expect(score.grids == 2 && score.householdsMin == 450 && score.householdsMax == 600)
        #expect(score.householdsStd == 75)
        #expect(score.inRange == 1 && score.feasible == 1 && score.contiguous == 2)
        #expect(score.outsideHouseholds == 100)
        // Matching: new {col 3} ↔ current right (keeps 450), new {cols 0–2} ↔ current left (keeps 400): 200 changed.
        #expect(score.changedHouseholds == 200 && score.households == 1050)
        // PP: 10 × 20 → 0.698; 30 × 20 → 4π·600 / 100² = 0.754; mean 0.7261.
        #expect(score.polsbyPopperMean == 0.7261)
        // Distances: column 3 centroid at y = 5 + 10·50/450; columns 0–2 at x = 15, y = 10.
        let c3 = 5 + 10.0 * 50 / 450
        let right = 400 * (c3 - 5) + 50 * (15 - c3)
        let left = 100 * 2 * (2 * (100.0 + 25).squareRoot() + 5)
        #expect(score.distanceMeters == ((right + left) / 1050 * 10).rounded() / 10)
    }

    @Test("a grid holding one building above the maximum is feasible when that building is alone")
    func atomic() {
        let households = [700, 300, 100, 200]
        let score = DistrictingScore.community(labels: [0, 1, 1, 2], current: [0, 1, 1, 2], households: households, x: [0, 10, 20, 30], y: [0, 0, 0, 0],
                                               edges: [(0, 1), (1, 2), (2, 3)], tiling: CellTiling(cells: Self.squares(rows: 1, columns: 4)),
                                               minimum: 300, maximum: 500)
        #expect(score.feasible == 2 && score.inRange == 1 && score.changedHouseholds == 0)
    }

    @Test("pooling follows the harness: PP weighted by grids, std averaged over communities")
    func pooled() {
        func row(_ grids: Int, _ pp: Double, _ std: Double, _ households: Int, changed: Int) -> DistrictingScore.Row {
            DistrictingScore.Row(community: "C", k: grids, seconds: 0.5, score: DistrictingScore.Community(
                grids: grids, householdsMin: 300, householdsMax: 500, householdsStd: std, inRange: grids, feasible: grids, contiguous: grids,
                polsbyPopperMean: pp, distanceMeters: 100, outsideHouseholds: 0, changedHouseholds: changed, households: households))
        }
        let pooled = DistrictingScore.Pooled([row(10, 0.4, 50, 4000, changed: 400), row(30, 0.6, 70, 12000, changed: 0)])!
        #expect(pooled.polsbyPopperMean == 0.55 && pooled.householdsStd == 60 && pooled.shareChanged == 0.025)
        #expect(pooled.secondsTotal == 1 && pooled.secondsMax == 0.5 && pooled.grids == 40)
    }
}
