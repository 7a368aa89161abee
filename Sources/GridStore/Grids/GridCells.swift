import Foundation
import GRDB
import GridAnalysis
import GridModel

/// The planning units' Voronoi cells clipped to their community: computed before a plan is searched, so that the
/// search weighs the grids' true Polsby–Popper (`CellTiling`), and dissolved per grid afterwards into the grid
/// polygons, which therefore tile the community exactly. The overlay work is GEOS through Spatialite.
enum GridCells {
    /// Per unit, its Voronoi cell (GEOS `ST_VoronojDiagram` of the units' points) intersected with the community:
    /// none, one or several polygons (a concave boundary can cut a cell in two; both pieces stay the unit's). Units
    /// sharing a point share a cell: the first of them gets it, the others none.
    static func clipped(_ store: Store, community: MultiPolygon, points: [Coordinate]) throws -> [[Polygon]] {
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

    /// The cells in the community's local metric frame (the one the units' x/y are in), as the search reads them.
    static func tiling(_ cells: [[Polygon]], projection: LocalProjection) -> CellTiling {
        func metric(_ ring: LinearRing) -> [SIMD2<Double>] {
            ring.coordinates.map { let p = projection.project($0); return SIMD2(p.x, p.y) }
        }
        return CellTiling(cells: cells.map { polygons in
            polygons.map { CellTiling.Polygon(exterior: metric($0.exterior), holes: $0.holes.map(metric)) }
        })
    }

    /// Grid polygons: each grid's cells dissolved (`ST_UnaryUnion`). The cells already tile the community, so the
    /// grids do too.
    static func dissolve(_ store: Store, cells: [[Polygon]], labels: [Int], count: Int) throws -> [MultiPolygon] {
        var cellsOf = [[Polygon]](repeating: [], count: count)
        for (u, g) in labels.enumerated() { cellsOf[g] += cells[u] }
        let groups = cellsOf
        return try store.read { db in
            let union = try db.makeStatement(sql: "SELECT AsBinary(CollectionExtract(ST_UnaryUnion(GeomFromWKB(?, 4326)), 3))")
            return try groups.map { pieces in
                guard !pieces.isEmpty else { return MultiPolygon([]) }
                let wkb = Data(Geometry.multiPolygon(MultiPolygon(pieces)).wkb())
                guard let data = try Data.fetchOne(union, arguments: [wkb]), let shape = try Geometry(wkb: [UInt8](data)).asMultiPolygon else {
                    return MultiPolygon([])
                }
                return shape
            }
        }
    }
}
