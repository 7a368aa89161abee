import Foundation
import GridModel

/// Uniform grid of cells over a longitude/latitude box (bucket grid, Bentley & Friedman 1979),
/// cells roughly square in metres at the box's middle latitude, items stored cell by cell (CSR).
/// An item spanning several cells is listed in each, so a ring-by-ring search around a query finds it
/// in any cell holding its nearest point.
struct CellGrid: Sendable {
    let longitude0: Double
    let latitude0: Double
    let cellLongitude: Double
    let cellLatitude: Double
    let columns: Int
    let rows: Int
    private let perLongitude: Double
    private let perLatitude: Double
    var cellStart = ContiguousArray<Int32>()
    var items = ContiguousArray<Int32>()

    /// Picks the cell size from the extent and item count (about four items per cell when spread
    /// evenly), then enlarges it until the cell count stays within a small multiple of the items.
    init(minLongitude: Double, maxLongitude: Double, minLatitude: Double, maxLatitude: Double,
         itemCount: Int, cellMeters: Double?) {
        let middle = (minLatitude + maxLatitude) / 2
        let kx = max(metersPerDegree * cos(middle * .pi / 180), 1e-9)
        let width = max(maxLongitude - minLongitude, 0) * kx
        let height = max(maxLatitude - minLatitude, 0) * metersPerDegree
        let n = Double(max(itemCount, 1))
        var side = cellMeters ?? max(2 * (max(width * height, 1) / n).squareRoot(), 5)
        side = max(side, 0.01)
        let limit = 2 * n + 64
        while ((width / side).rounded(.down) + 1) * ((height / side).rounded(.down) + 1) > limit { side *= 1.25 }
        longitude0 = minLongitude
        latitude0 = minLatitude
        cellLongitude = side / kx
        cellLatitude = side / metersPerDegree
        columns = Int(width / side) + 1
        rows = Int(height / side) + 1
        perLongitude = 1 / cellLongitude
        perLatitude = 1 / cellLatitude
    }

    var cellCount: Int { columns * rows }

    /// Column of a longitude inside the grid's box (truncation is floor there; clamped for rounding).
    @inline(__always) func column(_ longitude: Double) -> Int {
        min(max(Int((longitude - longitude0) * perLongitude), 0), columns - 1)
    }

    /// Row of a latitude inside the grid's box.
    @inline(__always) func row(_ latitude: Double) -> Int {
        min(max(Int((latitude - latitude0) * perLatitude), 0), rows - 1)
    }

    /// Visits cells in square rings around `query`, nearest rings first, until no unvisited cell can hold
    /// anything within `bestSquared()` metres (distances measured in the query's own equirectangular frame).
    @inline(__always) func searchRings(
        around query: Coordinate, frame: LocalFrame, maxDistance: Double,
        bestSquared: () -> Double, visit: (_ items: UnsafeBufferPointer<Int32>) -> Void
    ) {
        guard !items.isEmpty else { return }
        // Whole grid farther than maxDistance: nothing to find.
        let east = longitude0 + Double(columns) * cellLongitude
        let north = latitude0 + Double(rows) * cellLatitude
        let gapX = max(0, longitude0 - query.longitude, query.longitude - east) * frame.kx
        let gapY = max(0, latitude0 - query.latitude, query.latitude - north) * frame.ky
        if gapX * gapX + gapY * gapY > maxDistance * maxDistance { return }

        let fx = (query.longitude - longitude0) * perLongitude
        let fy = (query.latitude - latitude0) * perLatitude
        // Clamped just outside the grid; the pruning bound below then falls to 0 and stays safe.
        let cx = Int(min(max(fx.rounded(.down), -1), Double(columns)))
        let cy = Int(min(max(fy.rounded(.down), -1), Double(rows)))
        let widthX = cellLongitude * frame.kx, widthY = cellLatitude * frame.ky
        let lastRing = max(cx, columns - 1 - cx, cy, rows - 1 - cy)
        cellStart.withUnsafeBufferPointer { start in
            items.withUnsafeBufferPointer { items in
                @inline(__always) func cell(_ x: Int, _ y: Int) {
                    let c = y * columns + x
                    let lo = Int(start[c]), hi = Int(start[c + 1])
                    if lo < hi { visit(UnsafeBufferPointer(rebasing: items[lo..<hi])) }
                }
                var r = 0
                while r <= lastRing {
                    if r > 0 {
                        // Distance from the query to the outside of the (2r−1)-cell box already visited.
                        let bx = min(fx - Double(cx - r + 1), Double(cx + r) - fx) * widthX
                        let by = min(fy - Double(cy - r + 1), Double(cy + r) - fy) * widthY
                        // Shaved by a hair so rounding at a cell border never hides an exact tie.
                        let bound = max(0, min(bx, by) * (1 - 1e-9) - 1e-9)
                        if bound > maxDistance || bound * bound > bestSquared() { return }
                    }
                    let y0 = max(cy - r, 0), y1 = min(cy + r, rows - 1)
                    let x0 = max(cx - r, 0), x1 = min(cx + r, columns - 1)
                    if y0 <= y1 && x0 <= x1 {
                        for y in y0...y1 {
                            if y == cy - r || y == cy + r {
                                for x in x0...x1 { cell(x, y) }
                            } else {
                                if cx - r >= 0 { cell(cx - r, y) }
                                if r > 0 && cx + r < columns { cell(cx + r, y) }
                            }
                        }
                    }
                    r += 1
                }
            }
        }
    }
}
