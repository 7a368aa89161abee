import Foundation
import GridModel

/// A position in tile units: (0, 0) is the tile's north-west corner, x grows east, y south, and the tile
/// ends at `extent`.
public struct TilePoint: Hashable, Sendable {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) { self.x = x; self.y = y }
}

/// Turns WGS84 (or GCJ-02) geometries into what one tile draws: projected to Web Mercator tile units, clipped
/// to the tile grown by a buffer (so strokes and fills join across tile edges), simplified to the pixel,
/// quantised to the integer grid of `extent`, with exterior rings clockwise on screen (positive surveyor's area
/// in tile units, MVT 2.1 §4.3.4.4) and holes the other way. Features smaller than a pixel are dropped.
public struct TileGeometry: Sendable {
    public static let defaultExtent = 4096

    /// What remains of a geometry in the tile. Rings are open (the closing position is implied) and each
    /// polygon's first ring is its exterior.
    public enum Shape: Hashable, Sendable {
        case points([TilePoint])
        case lines([[TilePoint]])
        case polygons([[[TilePoint]]])
    }

    public struct Options: Sendable, Hashable {
        /// Tile units across the tile (MVT's default).
        public var extent = TileGeometry.defaultExtent
        /// How far beyond the tile geometry is kept, in tile units (64 = 1/64 of the tile).
        public var buffer = 64
        /// The pixels a client draws the tile across: one pixel is `extent / pixelsPerTile` tile units. Outlines
        /// are simplified to within a pixel, and a polygon under one square pixel or a line within one pixel is
        /// dropped. 512 is how MapLibre draws vector tiles; 256-pixel clients (QGIS) see even less lost.
        public var pixelsPerTile = 512
        public init() {}

        public var pixel: Double { Double(extent) / Double(pixelsPerTile) }
    }

    public let tile: TileAddress
    public let options: Options
    private let minimum: Double
    private let maximum: Double

    public init(tile: TileAddress, options: Options = Options()) {
        self.tile = tile
        self.options = options
        minimum = -Double(options.buffer)
        maximum = Double(options.extent + options.buffer)
    }

    /// The tile's box in longitude and latitude with the buffer.
    public var bufferedBounds: BoundingBox { tile.bounds(buffer: Double(options.buffer) / Double(options.extent)) }

    /// The smallest extent, in degrees of longitude and of latitude, a feature must have somewhere in the buffered
    /// tile to span a pixel; a feature whose box is smaller in both is dropped whatever its shape (its area is under a
    /// square pixel), so a reader can leave it out before reading its geometry. Slightly under the exact values so
    /// that the test never drops what the geometry rule would keep.
    public var minimumFeatureSpanDegrees: (longitude: Double, latitude: Double) {
        let n = tile.matrixSize
        let pixelWorld = options.pixel / Double(options.extent) / n
        let longitude = pixelWorld * 360
        let bufferWorld = Double(options.buffer) / Double(options.extent) / n
        let northY = Double(tile.y) / n - bufferWorld, southY = Double(tile.y + 1) / n + bufferWorld
        // Degrees of latitude per pixel are fewest at the edge farthest from the equator.
        let edgeY = abs(northY - 0.5) > abs(southY - 0.5) ? northY : southY
        let latitude = abs(WebMercator.latitude(worldY: edgeY) - WebMercator.latitude(worldY: edgeY + (edgeY < 0.5 ? pixelWorld : -pixelWorld)))
        return (longitude * 0.99, latitude * 0.99)
    }

    struct Position { var x: Double; var y: Double }

    func project(_ c: Coordinate) -> Position {
        let n = tile.matrixSize, extent = Double(options.extent)
        return Position(x: (WebMercator.worldX(longitude: c.longitude) * n - Double(tile.x)) * extent,
                        y: (WebMercator.worldY(latitude: c.latitude) * n - Double(tile.y)) * extent)
    }

    /// The geometry as the tile draws it, or nil when nothing of it is visible in the tile.
    public func shape(_ geometry: Geometry) -> Shape? {
        switch geometry {
        case .point(let c): return points([c])
        case .multiPoint(let cs): return points(cs)
        case .lineString(let line): return lines([line.coordinates])
        case .multiLineString(let lines): return self.lines(lines.map(\.coordinates))
        case .polygon(let polygon): return polygons([polygon])
        case .multiPolygon(let multi): return polygons(multi.polygons)
        }
    }

    private func points(_ coordinates: [Coordinate]) -> Shape? {
        var kept: [TilePoint] = []
        for c in coordinates {
            let p = project(c)
            guard p.x >= minimum, p.x <= maximum, p.y >= minimum, p.y <= maximum else { continue }
            kept.append(TilePoint(x: Int(p.x.rounded()), y: Int(p.y.rounded())))
        }
        return kept.isEmpty ? nil : .points(kept)
    }

    private func lines(_ lines: [[Coordinate]]) -> Shape? {
        var kept: [[TilePoint]] = []
        for line in lines {
            let projected = line.map(project)
            // A line inside the buffered tile is its own one piece (what `clipLine` gives it, without the work).
            for piece in isInside(projected) ? [projected] : clipLine(projected) {
                let quantised = Self.simplifiedQuantised(piece, tolerance: options.pixel)
                guard quantised.count >= 2, spansPixel(quantised) else { continue }
                kept.append(quantised)
            }
        }
        return kept.isEmpty ? nil : .lines(kept)
    }

    private func polygons(_ polygons: [Polygon]) -> Shape? {
        let minimumArea = options.pixel * options.pixel
        var kept: [[[TilePoint]]] = []
        for polygon in polygons {
            guard let exterior = ring(polygon.exterior, minimumArea: minimumArea, exterior: true) else { continue }
            var rings = [exterior]
            for hole in polygon.holes {
                if let ring = ring(hole, minimumArea: minimumArea, exterior: false) { rings.append(ring) }
            }
            kept.append(rings)
        }
        return kept.isEmpty ? nil : .polygons(kept)
    }

    /// A ring clipped, simplified, quantised and oriented; nil when under `minimumArea` square tile units.
    private func ring(_ ring: LinearRing, minimumArea: Double, exterior: Bool) -> [TilePoint]? {
        // The open ring projected, with room for its closing position.
        var closed: [Position] = []
        closed.reserveCapacity(ring.coordinates.count)
        for c in ring.coordinates.dropLast() { closed.append(project(c)) }
        // A ring inside the buffered tile comes out of `clipRing` as it went in.
        if !isInside(closed) { closed = clipRing(closed) }
        guard closed.count >= 3 else { return nil }
        closed.append(closed[0])
        var quantised = Self.simplifiedQuantised(closed, tolerance: options.pixel)
        if quantised.count > 1, quantised.first == quantised.last { quantised.removeLast() }
        // Simplification can fold a ring a few pixels across into a line; such a ring keeps every vertex.
        if quantised.count < 3 { quantised = Self.openRing(closed) }
        guard quantised.count >= 3 else { return nil }
        let area = Self.surveyorArea(quantised)
        guard abs(Double(area)) >= minimumArea else { return nil }
        // Exterior rings positive (clockwise with y down), holes negative.
        if (area > 0) != exterior { quantised.reverse() }
        return quantised
    }

    private func spansPixel(_ points: [TilePoint]) -> Bool {
        var minX = Int.max, maxX = Int.min, minY = Int.max, maxY = Int.min
        for p in points {
            minX = min(minX, p.x); maxX = max(maxX, p.x); minY = min(minY, p.y); maxY = max(maxY, p.y)
        }
        return Double(maxX - minX) >= options.pixel || Double(maxY - minY) >= options.pixel
    }

    /// Twice the surveyor's (shoelace) area in tile units, as MVT 2.1 §4.3.4.4 applies it: positive for a ring
    /// that turns clockwise on screen (y down). Returned as the signed area (rounded towards zero).
    public static func surveyorArea(_ ring: [TilePoint]) -> Int64 {
        var twice: Int64 = 0
        for i in ring.indices {
            let a = ring[i], b = ring[(i + 1) % ring.count]
            twice += Int64(a.x) * Int64(b.y) - Int64(b.x) * Int64(a.y)
        }
        return twice / 2
    }

    /// A closed ring quantised, without its closing position.
    static func openRing(_ closed: [Position]) -> [TilePoint] {
        var points = quantise(closed)
        if points.count > 1, points.first == points.last { points.removeLast() }
        return points
    }

    /// `quantise(simplify(line, tolerance:))` without the simplified line in between.
    static func simplifiedQuantised(_ line: [Position], tolerance: Double) -> [TilePoint] {
        guard line.count > 2, tolerance > 0 else { return quantise(line) }
        let keep = keptBySimplifying(line, tolerance: tolerance)
        var out: [TilePoint] = []
        out.reserveCapacity(line.count)
        for i in line.indices where keep[i] {
            let point = TilePoint(x: Int(line[i].x.rounded()), y: Int(line[i].y.rounded()))
            if out.last != point { out.append(point) }
        }
        return out
    }

    static func quantise(_ positions: [Position]) -> [TilePoint] {
        var out: [TilePoint] = []
        out.reserveCapacity(positions.count)
        for p in positions {
            let point = TilePoint(x: Int(p.x.rounded()), y: Int(p.y.rounded()))
            if out.last != point { out.append(point) }
        }
        return out
    }

    // MARK: - Clipping

    /// Whether every position lies inside the buffered tile (borders included, as `inside` counts them).
    func isInside(_ positions: [Position]) -> Bool {
        for p in positions where !(p.x >= minimum && p.x <= maximum && p.y >= minimum && p.y <= maximum) { return false }
        return true
    }

    /// Sutherland–Hodgman against the four sides of the buffered tile; the input and output rings are open.
    /// A concave ring may come out with edges running along the buffer's border, outside the drawn tile.
    func clipRing(_ ring: [Position]) -> [Position] {
        var points = ring
        for side in 0..<4 {
            guard !points.isEmpty else { break }
            var out: [Position] = []
            out.reserveCapacity(points.count + 4)
            var previous = points[points.count - 1]
            var previousInside = inside(previous, side)
            for current in points {
                let currentInside = inside(current, side)
                if currentInside != previousInside { out.append(crossing(previous, current, side)) }
                if currentInside { out.append(current) }
                previous = current
                previousInside = currentInside
            }
            points = out
        }
        return points
    }

    private func inside(_ p: Position, _ side: Int) -> Bool {
        switch side {
        case 0: p.x >= minimum
        case 1: p.x <= maximum
        case 2: p.y >= minimum
        default: p.y <= maximum
        }
    }

    private func crossing(_ a: Position, _ b: Position, _ side: Int) -> Position {
        switch side {
        case 0, 1:
            let x = side == 0 ? minimum : maximum
            let t = (x - a.x) / (b.x - a.x)
            return Position(x: x, y: a.y + t * (b.y - a.y))
        default:
            let y = side == 2 ? minimum : maximum
            let t = (y - a.y) / (b.y - a.y)
            return Position(x: a.x + t * (b.x - a.x), y: y)
        }
    }

    /// The parts of a line inside the buffered tile (Liang–Barsky on each segment).
    func clipLine(_ line: [Position]) -> [[Position]] {
        var pieces: [[Position]] = []
        var current: [Position] = []
        for i in 1..<max(1, line.count) {
            let a = line[i - 1], b = line[i]
            guard let (start, end, cutEnd) = clipSegment(a, b) else {
                if current.count >= 2 { pieces.append(current) }
                current = []
                continue
            }
            if current.isEmpty { current.append(start) }
            current.append(end)
            if cutEnd {
                pieces.append(current)
                current = []
            }
        }
        if current.count >= 2 { pieces.append(current) }
        return pieces
    }

    /// The part of segment a–b inside the box, and whether b itself lies outside (the line leaves there).
    private func clipSegment(_ a: Position, _ b: Position) -> (Position, Position, Bool)? {
        var t0 = 0.0, t1 = 1.0
        let dx = b.x - a.x, dy = b.y - a.y
        for (p, q) in [(-dx, a.x - minimum), (dx, maximum - a.x), (-dy, a.y - minimum), (dy, maximum - a.y)] {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let r = q / p
                if p < 0 { if r > t1 { return nil }; if r > t0 { t0 = r } }
                else { if r < t0 { return nil }; if r < t1 { t1 = r } }
            }
        }
        let start = t0 == 0 ? a : Position(x: a.x + t0 * dx, y: a.y + t0 * dy)
        let end = t1 == 1 ? b : Position(x: a.x + t1 * dx, y: a.y + t1 * dy)
        return (start, end, t1 < 1)
    }

    // MARK: - Simplification

    /// Douglas–Peucker (1973): the positions of `line` whose removal would move the line by more than `tolerance`;
    /// the first and last are always kept.
    static func simplify(_ line: [Position], tolerance: Double) -> [Position] {
        guard line.count > 2, tolerance > 0 else { return line }
        let keep = keptBySimplifying(line, tolerance: tolerance)
        return line.indices.filter { keep[$0] }.map { line[$0] }
    }

    /// Which positions of `line` (more than two) Douglas–Peucker keeps.
    private static func keptBySimplifying(_ line: [Position], tolerance: Double) -> [Bool] {
        var keep = [Bool](repeating: false, count: line.count)
        keep[0] = true
        keep[line.count - 1] = true
        var stack = [(0, line.count - 1)]
        let squared = tolerance * tolerance
        while let (first, last) = stack.popLast() {
            guard last > first + 1 else { continue }
            var farthest = first, farthestDistance = 0.0
            for i in (first + 1)..<last {
                let distance = squaredDistance(line[i], line[first], line[last])
                if distance > farthestDistance { farthest = i; farthestDistance = distance }
            }
            if farthestDistance > squared {
                keep[farthest] = true
                stack.append((first, farthest))
                stack.append((farthest, last))
            }
        }
        return keep
    }

    /// Squared distance from p to the segment a–b.
    static func squaredDistance(_ p: Position, _ a: Position, _ b: Position) -> Double {
        let dx = b.x - a.x, dy = b.y - a.y
        let length = dx * dx + dy * dy
        var t = length > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / length : 0
        t = min(max(t, 0), 1)
        let x = a.x + t * dx - p.x, y = a.y + t * dy - p.y
        return x * x + y * y
    }
}
