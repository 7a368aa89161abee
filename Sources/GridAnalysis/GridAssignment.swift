import GridModel

/// Building → grid by representative point, as pgRouting's `equicost` assigns nodes to starts, with ties broken
/// deterministically: a point on a shared boundary or inside overlapping grids goes to the lowest grid code,
/// and the case is reported; a point in no grid is reported with the nearest grid and its distance.
public enum GridAssignment {
    public struct Grid: Sendable {
        public var code: String
        public var community: String?
        public var shape: MultiPolygon
        public init(code: String, community: String?, shape: MultiPolygon) {
            self.code = code; self.community = community; self.shape = shape
        }
    }

    public enum Status: String, Sendable { case inside, ambiguous, outside }

    public struct Result: Sendable, Hashable {
        public var buildingID: Int64
        /// Nil only when the point lies in no grid.
        public var grid: String?
        public var status: Status
        /// Every grid holding the point (boundary included), ascending by code.
        public var candidates: [String]
        /// For points in no grid: the nearest grid and the straight-line distance to its boundary.
        public var nearestGrid: String?
        public var nearestDistance: Meters?
    }

    /// `grids` in any order: they are sorted by code so the lowest code wins ties.
    public static func assign(points: [(id: Int64, point: Coordinate)], grids: [Grid]) -> [Result] {
        let sorted = grids.sorted { $0.code < $1.code }
        let locator = PolygonLocator(sorted.map(\.shape))
        return points.map { item in
            let hits = locator.all(containing: item.point)
            if let first = hits.first {
                return Result(buildingID: item.id, grid: sorted[first].code, status: hits.count == 1 ? .inside : .ambiguous,
                              candidates: hits.map { sorted[$0].code }, nearestGrid: nil, nearestDistance: nil)
            }
            var best: (index: Int, distance: Double)?
            for (index, grid) in sorted.enumerated() {
                let d = distance(from: item.point, to: grid.shape)
                if best == nil || d < best!.distance { best = (index, d) }
            }
            return Result(buildingID: item.id, grid: nil, status: .outside, candidates: [],
                          nearestGrid: best.map { sorted[$0.index].code }, nearestDistance: best.map { Meters($0.distance) })
        }
    }

    /// Straight-line distance in metres from a point outside a polygon to its nearest ring segment,
    /// in a local equirectangular projection centred on the point.
    public static func distance(from point: Coordinate, to shape: MultiPolygon) -> Double {
        let projection = LocalProjection(origin: point)
        var best = Double.infinity
        for polygon in shape.polygons {
            for ring in [polygon.exterior] + polygon.holes {
                var a = projection.project(ring.coordinates[0])
                for c in ring.coordinates.dropFirst() {
                    let b = projection.project(c)
                    let dx = b.x - a.x, dy = b.y - a.y
                    let length2 = dx * dx + dy * dy
                    let t = length2 == 0 ? 0 : max(0, min(1, -(a.x * dx + a.y * dy) / length2))
                    let px = a.x + t * dx, py = a.y + t * dy
                    best = min(best, (px * px + py * py).squareRoot())
                    a = b
                }
            }
        }
        return best
    }
}
