import Foundation
import GRDB
import GridAnalysis
import GridModel

/// The planning units' Voronoi cells clipped to their community: computed before a plan is searched, so that the
/// search weighs the grids' true Polsby–Popper (`CellTiling`), and dissolved per grid afterwards into the grid
/// polygons, which therefore tile the community exactly. The overlay work is GEOS through Spatialite.
public enum GridCells {
    /// Per unit, its cell: none (a unit sharing its point with an earlier one) or one piece of the community, so that
    /// any set of units whose cells share boundary with each other (`adjacency`) dissolves into one polygon. Cells are
    /// Voronoi cells clipped to the community; with `barriers`, clipped to the blocks those lines cut it into. A piece
    /// of a cell apart from the piece holding its unit's point (a concave boundary can cut a cell in two) goes to the
    /// unit across its longest shared boundary. Only a piece touching no other cell (a separate part of the community)
    /// leaves a cell in several polygons.
    public static func clipped(_ store: Store, community: MultiPolygon, points: [Coordinate], barriers: [LineString] = []) throws -> [[Polygon]] {
        var cells = barriers.isEmpty ? try voronoi(store, community: community, points: points)
            : try blockCells(store, community: community, points: points, barriers: barriers)
        try connect(store, cells: &cells, points: points, barriers: barriers.isEmpty ? nil : barriers)
        return cells
    }

    /// Per unit, its Voronoi cell (GEOS `ST_VoronojDiagram` of the units' points) intersected with the community:
    /// none, one or several polygons (a concave boundary can cut a cell in two; both pieces stay the unit's here). Units
    /// sharing a point share a cell: the first of them gets it, the others none.
    static func voronoi(_ store: Store, community: MultiPolygon, points: [Coordinate]) throws -> [[Polygon]] {
        var firstAt: [Coordinate: Int] = [:]
        for (u, p) in points.enumerated() where firstAt[p] == nil { firstAt[p] = u }
        let distinct = firstAt.keys.sorted { firstAt[$0]! < firstAt[$1]! }
        guard distinct.count > 1 else {
            var cells = [[Polygon]](repeating: [], count: points.count)
            if let only = distinct.first { cells[firstAt[only]!] = community.polygons }
            return cells
        }
        let unitAt = firstAt
        // The frame must reach past the community: GEOS extends the points' envelope by this percentage of its size.
        let pointBox = BoundingBox(coordinates: distinct)!, box = community.boundingBox
        let size = max(pointBox.maxLongitude - pointBox.minLongitude, pointBox.maxLatitude - pointBox.minLatitude, 1e-9)
        let reach = max(pointBox.minLongitude - box.minLongitude, box.maxLongitude - pointBox.maxLongitude,
                        pointBox.minLatitude - box.minLatitude, box.maxLatitude - pointBox.maxLatitude, 0)
        let frame = reach / size * 100 + 10
        let pointsWKB = Data(Geometry.multiPoint(distinct).wkb())
        let communityWKB = Data(Geometry.multiPolygon(community).wkb())
        return try store.read { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT AsBinary(ST_VoronojDiagram(GeomFromWKB(?, 4326), 0, ?))", arguments: [pointsWKB, frame]),
                  let diagram = try Geometry(wkb: [UInt8](data)).asMultiPolygon else {
                throw StoreError.corrupt("GEOS returned no Voronoi diagram for \(distinct.count) points")
            }
            // GEOS does not keep the input order: a cell belongs to the unit whose point it holds.
            let locator = PolygonLocator(diagram.polygons.map { MultiPolygon([$0]) })
            var owner = [Int?](repeating: nil, count: diagram.polygons.count)
            for p in distinct { if let c = locator.first(containing: p), owner[c] == nil { owner[c] = unitAt[p] } }
            let clip = try db.makeStatement(sql: """
                SELECT AsBinary(CollectionExtract(ST_Intersection(GeomFromWKB(?, 4326), GeomFromWKB(?, 4326)), 3))
                """)
            var cells = [[Polygon]](repeating: [], count: points.count)
            for (c, cell) in diagram.polygons.enumerated() {
                let wkb = Data(Geometry.polygon(cell).wkb())
                guard let piece = try Data.fetchOne(clip, arguments: [wkb, communityWKB]),
                      let shape = try Geometry(wkb: [UInt8](piece)).asMultiPolygon else { continue }
                // A cell no point was found in (numerical edge case) still has to be covered by some grid.
                cells[owner[c] ?? unitAt[distinct[0]]!] += shape.polygons
            }
            return cells
        }
    }

    /// The community cut into blocks along barrier lines: GEOS polygonizes the community's boundary noded with the
    /// lines inside it, and each face is clipped back to the community. A line that does not cut through (a dead end,
    /// a road along the edge) splits nothing; faces filling the community's holes have no area inside it and drop out.
    /// Polygonize can miss slivers where lines nearly overlap: what the faces leave of the community is added as
    /// blocks too, so the blocks always tile it.
    static func blocks(_ store: Store, community: MultiPolygon, lines: [LineString]) throws -> [MultiPolygon] {
        guard !lines.isEmpty, !community.polygons.isEmpty else { return [community] }
        let communityWKB = Data(Geometry.multiPolygon(community).wkb())
        let linesWKB = Data(Geometry.multiLineString(lines).wkb())
        return try store.read { db in
            guard let data = try Data.fetchOne(db, sql: """
                SELECT AsBinary(CollectionExtract(ST_Polygonize(ST_Union(ST_Boundary(c.geom), ST_Intersection(l.geom, c.geom))), 3))
                FROM (SELECT GeomFromWKB(?, 4326) AS geom) c, (SELECT GeomFromWKB(?, 4326) AS geom) l
                """, arguments: [communityWKB, linesWKB]),
                  let faces = try Geometry(wkb: [UInt8](data)).asMultiPolygon, faces.polygons.count > 1 else { return [community] }
            let clip = try db.makeStatement(sql: """
                SELECT AsBinary(CollectionExtract(ST_Intersection(GeomFromWKB(?, 4326), GeomFromWKB(?, 4326)), 3))
                """)
            var blocks = try faces.polygons.compactMap { face -> MultiPolygon? in
                guard let data = try Data.fetchOne(clip, arguments: [Data(Geometry.polygon(face).wkb()), communityWKB]),
                      let shape = try Geometry(wkb: [UInt8](data)).asMultiPolygon, shape.areaSquareMeters > 0 else { return nil }
                return shape
            }
            guard blocks.count > 1 else { return [community] }
            let covered = Data(Geometry.multiPolygon(MultiPolygon(blocks.flatMap(\.polygons))).wkb())
            if let data = try Data.fetchOne(db, sql: """
                SELECT AsBinary(CollectionExtract(ST_Difference(GeomFromWKB(?, 4326), ST_UnaryUnion(GeomFromWKB(?, 4326))), 3))
                """, arguments: [communityWKB, covered]),
               let rest = try Geometry(wkb: [UInt8](data)).asMultiPolygon {
                blocks += rest.polygons.map { MultiPolygon([$0]) }
            }
            return blocks
        }
    }

    /// Per unit, its cell when barriers cut the community into blocks: the Voronoi cells of each block's units clipped
    /// to that block, so no cell reaches across a barrier line that cuts the community. A line ending inside a block
    /// still cuts the cells it runs through: the piece of a cell beyond it goes to a unit on that side. A block holding
    /// no unit goes to the unit whose cell shares the longest boundary with it, so the cells still tile the community.
    /// Without blocks or crossed cells these are the Voronoi cells.
    static func blockCells(_ store: Store, community: MultiPolygon, points: [Coordinate], barriers: [LineString]) throws -> [[Polygon]] {
        let blocks = try blocks(store, community: community, lines: barriers)
        var cells: [[Polygon]]
        var empty: [MultiPolygon] = []
        if blocks.count > 1 {
            let locator = PolygonLocator(blocks)
            var members = [[Int]](repeating: [], count: blocks.count)
            for (u, point) in points.enumerated() {
                // A point the faces' noding left just outside every block goes to the nearest one.
                let b = locator.first(containing: point)
                    ?? blocks.indices.min { GridAssignment.distance(from: point, to: blocks[$0]) < GridAssignment.distance(from: point, to: blocks[$1]) }!
                members[b].append(u)
            }
            cells = [[Polygon]](repeating: [], count: points.count)
            for (b, block) in blocks.enumerated() {
                guard !members[b].isEmpty else { empty.append(block); continue }
                let local = try voronoi(store, community: block, points: members[b].map { points[$0] })
                for (i, u) in members[b].enumerated() { cells[u] = local[i] }
            }
        } else {
            cells = try voronoi(store, community: community, points: points)
        }
        // Pieces of cells beyond a barrier line from their unit.
        var beyond: [MultiPolygon] = []
        let lineBoxes = barriers.map { BoundingBox(coordinates: $0.coordinates)! }
        for u in cells.indices {
            var kept: [Polygon] = []
            for polygon in cells[u] {
                let box = polygon.boundingBox
                let near = barriers.indices.filter { lineBoxes[$0].intersects(box) }.map { barriers[$0] }
                let faces = near.isEmpty ? [] : try Self.blocks(store, community: MultiPolygon([polygon]), lines: near)
                guard faces.count > 1 else { kept.append(polygon); continue }
                // The unit keeps the face holding its point; a piece a concave boundary cut off keeps its largest face.
                let home = PolygonLocator(faces).first(containing: points[u])
                    ?? faces.indices.max { faces[$0].areaSquareMeters < faces[$1].areaSquareMeters }!
                for (f, face) in faces.enumerated() {
                    if f == home { kept += face.polygons } else { beyond.append(face) }
                }
            }
            cells[u] = kept
        }
        if !beyond.isEmpty { try absorb(store, pieces: beyond, into: &cells, points: points, barriers: barriers) }
        if !empty.isEmpty { try absorb(store, pieces: empty, into: &cells, points: points, barriers: nil) }
        return cells
    }

    /// Gives each piece to the unit across its longest shared boundary (the cell's outline lying within a centimetre
    /// of the piece, since the two outlines come from separate overlays; lower unit index on a tie; at least about 10 cm,
    /// so that a piece never joins a cell it touches at a point only). With `barriers`,
    /// boundary along a barrier line counts only once no piece borders a cell otherwise, so a piece beyond a road
    /// goes to a unit on its side wherever one is reached through other pieces. Pieces reached only through other
    /// pieces go in later rounds; pieces touching no cell at all (a separate part of the community) go to the unit
    /// nearest them.
    static func absorb(_ store: Store, pieces: [MultiPolygon], into cells: inout [[Polygon]], points: [Coordinate],
                       barriers: [LineString]?) throws {
        let tolerance = 1e-7  // degrees, about a centimetre
        // A piece touching a cell at a point only measures twice the tolerance: it must share a stretch of boundary.
        let minimumShared = 10 * tolerance
        let barrierZone: Data? = try barriers.flatMap { lines in
            try store.read { db in
                try Data.fetchOne(db, sql: "SELECT AsBinary(ST_Buffer(GeomFromWKB(?, 4326), ?))",
                                  arguments: [Data(Geometry.multiLineString(lines).wkb()), tolerance])
            }
        }
        var pending = Array(pieces.indices)
        var acrossBarriers = barrierZone == nil
        while !pending.isEmpty {
            var waiting: [Int] = []
            for p in pending {
                let piece = pieces[p]
                var box = piece.boundingBox
                box.include(Coordinate(longitude: box.minLongitude - tolerance, latitude: box.minLatitude - tolerance))
                box.include(Coordinate(longitude: box.maxLongitude + tolerance, latitude: box.maxLatitude + tolerance))
                let candidates = cells.indices.filter { !cells[$0].isEmpty && MultiPolygon(cells[$0]).boundingBox.intersects(box) }
                let snapshot = cells
                // Per candidate: shared boundary, and the part of it off the barrier lines.
                let lengths: [(all: Double, off: Double)] = try store.read { db in
                    let shared = try db.makeStatement(sql: """
                        SELECT coalesce(ST_Length(CollectionExtract(s.geom, 2)), 0),
                               coalesce(ST_Length(CollectionExtract(ST_Difference(s.geom, GeomFromWKB(?3, 4326)), 2)), 0)
                        FROM (SELECT ST_Intersection(ST_Boundary(GeomFromWKB(?1, 4326)), ST_Buffer(GeomFromWKB(?2, 4326), ?4)) AS geom) s
                        """)
                    let pieceWKB = Data(Geometry.multiPolygon(piece).wkb())
                    return try candidates.map { u in
                        let row = try Row.fetchOne(shared, arguments: [Data(Geometry.multiPolygon(MultiPolygon(snapshot[u])).wkb()), pieceWKB,
                                                                       barrierZone, tolerance])
                        let all: Double = row?[0] ?? 0
                        return (all, barrierZone == nil ? all : row?[1] ?? 0)
                    }
                }
                var best: (unit: Int, length: Double)?
                for (u, length) in zip(candidates, lengths.map { acrossBarriers ? $0.all : $0.off }) where length > (best?.length ?? minimumShared) {
                    best = (u, length)
                }
                if let best { cells[best.unit] += piece.polygons } else { waiting.append(p) }
            }
            if waiting.count == pending.count && !acrossBarriers {
                // No piece left borders a cell off the barrier lines: boundary along them counts from now on.
                acrossBarriers = true
                continue
            }
            if waiting.count == pending.count {
                // Nothing borders these pieces: each goes to the nearest unit holding a cell.
                for p in waiting {
                    let holders = cells.indices.filter { !cells[$0].isEmpty }
                    guard let nearest = holders.min(by: {
                        GridAssignment.distance(from: points[$0], to: pieces[p]) < GridAssignment.distance(from: points[$1], to: pieces[p])
                    }) else { break }
                    cells[nearest] += pieces[p].polygons
                }
                return
            }
            pending = waiting
            acrossBarriers = barrierZone == nil
        }
    }

    /// Makes each unit's cell one polygon: its pieces dissolved, and a piece apart from the one holding the unit's point
    /// given to the unit across its longest shared boundary (`absorb`), which it then joins along that boundary.
    static func connect(_ store: Store, cells: inout [[Polygon]], points: [Coordinate], barriers: [LineString]?) throws {
        let several = cells.indices.filter { cells[$0].count > 1 }
        guard !several.isEmpty else { return }
        let pieces = cells
        let dissolved: [Int: [Polygon]] = try store.read { db in
            let union = try db.makeStatement(sql: "SELECT AsBinary(CollectionExtract(ST_UnaryUnion(GeomFromWKB(?, 4326)), 3))")
            var result: [Int: [Polygon]] = [:]
            for u in several {
                guard let data = try Data.fetchOne(union, arguments: [Data(Geometry.multiPolygon(MultiPolygon(pieces[u])).wkb())]),
                      let shape = try Geometry(wkb: [UInt8](data)).asMultiPolygon, !shape.polygons.isEmpty else { continue }
                result[u] = shape.polygons
            }
            return result
        }
        var detached: [MultiPolygon] = []
        for (u, polygons) in dissolved.sorted(by: { $0.key < $1.key }) {
            let home = polygons.firstIndex { $0.contains(points[u]) }
                ?? polygons.indices.max { polygons[$0].areaSquareMeters < polygons[$1].areaSquareMeters }!
            cells[u] = [polygons[home]]
            detached += polygons.indices.filter { $0 != home }.map { MultiPolygon([polygons[$0]]) }
        }
        if !detached.isEmpty { try absorb(store, pieces: detached, into: &cells, points: points, barriers: barriers) }
    }

    /// Units whose cells share a stretch of boundary (`CellTiling.neighbours`): judged on the polygons that will be
    /// stored, so a grid of units joined by these pairs dissolves into one polygon. A unit without a cell (its point is
    /// another unit's) is tied to that unit, or else to the nearest unit holding a cell; it adds no area to a grid.
    public static func adjacency(points: [Coordinate], tiling: CellTiling, x: [Double], y: [Double]) -> [(Int, Int)] {
        var edges = tiling.neighbours()
        let holders = points.indices.filter { tiling.area[$0] > 0 }
        var holderAt: [Coordinate: Int] = [:]
        for u in holders where holderAt[points[u]] == nil { holderAt[points[u]] = u }
        for u in points.indices where tiling.area[u] <= 0 {
            if let holder = holderAt[points[u]] {
                edges.append((holder, u))
            } else if let nearest = holders.min(by: {
                (x[$0] - x[u]) * (x[$0] - x[u]) + (y[$0] - y[u]) * (y[$0] - y[u]) < (x[$1] - x[u]) * (x[$1] - x[u]) + (y[$1] - y[u]) * (y[$1] - y[u])
            }) {
                edges.append((nearest, u))
            }
        }
        return edges
    }

    /// The cells in the community's local metric frame (the one the units' x/y are in), as the search reads them.
    public static func tiling(_ cells: [[Polygon]], projection: LocalProjection) -> CellTiling {
        func metric(_ ring: LinearRing) -> [SIMD2<Double>] {
            ring.coordinates.map { let p = projection.project($0); return SIMD2(p.x, p.y) }
        }
        return CellTiling(cells: cells.map { polygons in
            polygons.map { CellTiling.Polygon(exterior: metric($0.exterior), holes: $0.holes.map(metric)) }
        })
    }

    /// Grid polygons: each grid's cells dissolved (`ST_UnaryUnion`). The cells already tile the community, so the
    /// grids do too. Cells cut from separate overlays (blocks between barrier roads) can meet in T-junctions whose
    /// vertices lie a hair off the other cell's edge, which leaves a union of neighbours in two pieces touching along a
    /// line: such a grid is dissolved again with each piece's vertices inserted into the others' edges within 0.1 mm
    /// (`ST_Snap` of the cells to themselves), kept when that joins pieces.
    public static func dissolve(_ store: Store, cells: [[Polygon]], labels: [Int], count: Int) throws -> [MultiPolygon] {
        var cellsOf = [[Polygon]](repeating: [], count: count)
        for (u, g) in labels.enumerated() { cellsOf[g] += cells[u] }
        let groups = cellsOf
        return try store.read { db in
            let union = try db.makeStatement(sql: "SELECT AsBinary(CollectionExtract(ST_UnaryUnion(GeomFromWKB(?, 4326)), 3))")
            let snapped = try db.makeStatement(sql: """
                SELECT AsBinary(CollectionExtract(ST_UnaryUnion(ST_Snap(g, g, 1e-9)), 3)) FROM (SELECT GeomFromWKB(?, 4326) AS g)
                """)
            func shape(_ statement: Statement, _ wkb: Data) throws -> MultiPolygon? {
                guard let data = try Data.fetchOne(statement, arguments: [wkb]) else { return nil }
                return try Geometry(wkb: [UInt8](data)).asMultiPolygon
            }
            return try groups.map { pieces in
                guard !pieces.isEmpty else { return MultiPolygon([]) }
                let wkb = Data(Geometry.multiPolygon(MultiPolygon(pieces)).wkb())
                guard let plain = try shape(union, wkb) else { return MultiPolygon([]) }
                guard plain.polygons.count > 1, let joined = try shape(snapped, wkb), !joined.polygons.isEmpty,
                      joined.polygons.count < plain.polygons.count,
                      abs(joined.areaSquareMeters - plain.areaSquareMeters) <= 1e-4 * plain.areaSquareMeters else { return plain }
                return joined
            }
        }
    }
}
