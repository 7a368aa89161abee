import GridModel

/// Which of a set of polygons holds a point: a uniform grid over the polygons' bounding boxes, then
/// exact point-in-polygon tests. Ties (shared edges, overlaps) go to the lowest polygon index, so callers
/// that pass polygons sorted by code get deterministic answers.
public struct PolygonLocator: Sendable {
    let polygons: [MultiPolygon]
    let boxes: [BoundingBox]
    let origin: Coordinate
    let cellDegrees: Double
    let columns: Int, rows: Int
    let cells: [[Int32]]

    public init(_ polygons: [MultiPolygon]) {
        self.polygons = polygons
        boxes = polygons.map(\.boundingBox)
        guard var extent = boxes.first else {
            origin = Coordinate(longitude: 0, latitude: 0); cellDegrees = 1; columns = 1; rows = 1; cells = [[]]
            return
        }
        for box in boxes { extent = extent.union(box) }
        // About as many cells as polygons, square in degrees.
        let width = max(extent.maxLongitude - extent.minLongitude, 1e-9)
        let height = max(extent.maxLatitude - extent.minLatitude, 1e-9)
        let size = max((width * height / Double(max(polygons.count, 1))).squareRoot(), 1e-6)
        origin = Coordinate(longitude: extent.minLongitude, latitude: extent.minLatitude)
        cellDegrees = size
        columns = min(4096, Int(width / size) + 1)
        rows = min(4096, Int(height / size) + 1)
        var cells = [[Int32]](repeating: [], count: columns * rows)
        for (index, box) in boxes.enumerated() {
            let (c0, r0) = Self.cell(box.minLongitude, box.minLatitude, origin, size, columns, rows)
            let (c1, r1) = Self.cell(box.maxLongitude, box.maxLatitude, origin, size, columns, rows)
            for r in r0...r1 { for c in c0...c1 { cells[r * columns + c].append(Int32(index)) } }
        }
        self.cells = cells
    }

    static func cell(_ lon: Double, _ lat: Double, _ origin: Coordinate, _ size: Double, _ columns: Int, _ rows: Int) -> (Int, Int) {
        let c = Int(((lon - origin.longitude) / size).rounded(.down))
        let r = Int(((lat - origin.latitude) / size).rounded(.down))
        return (min(max(c, 0), columns - 1), min(max(r, 0), rows - 1))
    }

    /// Every polygon containing the point (boundary included), ascending.
    public func all(containing point: Coordinate) -> [Int] {
        guard !polygons.isEmpty else { return [] }
        let (c, r) = Self.cell(point.longitude, point.latitude, origin, cellDegrees, columns, rows)
        return cells[r * columns + c].map(Int.init).filter { boxes[$0].contains(point) && polygons[$0].contains(point) }.sorted()
    }

    /// The lowest-index polygon containing the point.
    public func first(containing point: Coordinate) -> Int? { all(containing: point).first }
}
