import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServices
import GridStore
import Testing

/// With barriers the cells are computed per block the barrier roads cut the community into, so a grid whose buildings
/// lie on one side of a road has its polygon on that side too.
@Suite("Grid runs: barriers cut the cells, not only the adjacency")
struct GridRunBarrierCellTests {
    static func rectangle(_ west: Double, _ south: Double, _ east: Double, _ north: Double) -> String {
        "POLYGON((\(west) \(south), \(east) \(south), \(east) \(north), \(west) \(north), \(west) \(south)))"
    }

    /// The community's extent; a primary road crosses it west→east at `road`, a second one at `upperRoad` leaves a
    /// strip without buildings north of it.
    static let (west, south, east, north) = (116.300, 39.990, 116.306, 39.996)
    static let road = 39.993, upperRoad = 39.9955

    /// 12 buildings of 100 households on each side of the road. The southern ones crowd against the road and the
    /// northern ones keep away from it, so the whole community's Voronoi cells of the southern buildings reach
    /// across it.
    static func store() throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        try temporary.store.write { db in
            try db.execute(sql: """
                INSERT INTO communities (code, name, admin_code, street_code, community_code, source, area_m2, geom)
                VALUES ('110108002001', '路口', '110108', '002', '001', 'test', 0, CastToMultiPolygon(GeomFromText(?, 4326)))
                """, arguments: [rectangle(west, south, east, north)])
            try db.execute(sql: """
                INSERT INTO grids (code, name, community_code, source, area_m2, geom)
                VALUES ('110108002001001', 'g', '110108002001', 'test', 0, CastToMultiPolygon(GeomFromText(?, 4326)))
                """, arguments: [rectangle(west, south, east, north)])
            let rows = [39.9915, 39.9928, 39.9945, 39.9950]
            var id = 0
            for latitude in rows {
                for column in 0..<6 {
                    id += 1
                    let longitude = west + (east - west) * (Double(column) + 0.5) / 6
                    let d = 0.00002
                    try db.execute(sql: """
                        INSERT INTO buildings (id, source, source_id, building_type, levels, levels_estimated, households, households_source, area_m2, footprint, point)
                        VALUES (?, 'test', ?, 'residential', 6, 0, 100, 'imported', 10, CastToMultiPolygon(GeomFromText(?, 4326)), MakePoint(?, ?, 4326))
                        """, arguments: [id, "b\(id)", rectangle(longitude - d, latitude - d, longitude + d, latitude + d), longitude, latitude])
                }
            }
            for (edge, latitude) in [road, upperRoad].enumerated() {
                try db.execute(sql: """
                    INSERT INTO network_edges (id, source_node, target_node, length_m, highway, source, geom)
                    VALUES (?, ?, ?, 600, 'primary', 'test', GeomFromText(?, 4326))
                    """, arguments: [edge + 1, 2 * edge + 1, 2 * edge + 2, "LINESTRING(\(west - 0.001) \(latitude), \(east + 0.001) \(latitude))"])
            }
        }
        return temporary
    }

    /// Per grid of the run, its area south and north of the road, and inside the strip beyond the upper road.
    static func sides(_ store: Store, run: Int64) throws -> [(code: String, south: Double, north: Double, strip: Double)] {
        try store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT code, coalesce(ST_Area(ST_Intersection(geom, GeomFromText(?2, 4326))), 0),
                       coalesce(ST_Area(ST_Intersection(geom, GeomFromText(?3, 4326))), 0),
                       coalesce(ST_Area(ST_Intersection(geom, GeomFromText(?4, 4326))), 0)
                FROM grid_run_grids WHERE run_id = ?1 ORDER BY code
                """, arguments: [run, rectangle(west, south, east, road), rectangle(west, road, east, north), rectangle(west, upperRoad, east, north)])
                .map { ($0[0], $0[1], $0[2], $0[3]) }
        }
    }

    @Test("a road crossing the community: each grid's polygon stays on its side, the grids tile the community, the empty strip is absorbed")
    func polygonsStayOnTheirSide() throws {
        let temporary = try Self.store()
        var parameters = GridRuns.Parameters()
        let plain = try GridRebalance.run(store: temporary.store, parameters: parameters)
        #expect(plain.metrics.summary.inRange == plain.metrics.summary.grids)
        // Without barriers the cells are the whole community's: some grid reaches across the road.
        #expect(try Self.sides(temporary.store, run: plain.id).contains { min($0.south, $0.north) > GridRunStoreTests.noise })
        try GridRunBarrierSplitTests.expectTiles(temporary.store, run: plain.id)

        parameters.barriers = ["primary"]
        let run = try GridRebalance.run(store: temporary.store, parameters: parameters)
        let report = try #require(run.metrics.barriers)
        #expect(report.adjacenciesCut > 0 && report.gridsSpanning == 0 && report.currentGridsSpanning == 1)
        #expect(run.metrics.summary.inRange == run.metrics.summary.grids && run.metrics.summary.contiguous == run.metrics.summary.grids)
        let sides = try Self.sides(temporary.store, run: run.id)
        #expect(sides.count >= 4)
        for grid in sides {
            #expect(min(grid.south, grid.north) < GridRunStoreTests.noise, "\(grid.code) reaches across the road: \(grid)")
        }
        try GridRunBarrierSplitTests.expectTiles(temporary.store, run: run.id)
        // The strip beyond the upper road holds no building: it goes whole to one grid north of the road.
        let stripArea = (Self.east - Self.west) * (Self.north - Self.upperRoad)
        let holders = sides.filter { $0.strip > GridRunStoreTests.noise }
        #expect(holders.count == 1 && abs(holders[0].strip - stripArea) < GridRunStoreTests.noise, "\(holders)")
        #expect(holders.allSatisfy { $0.south < GridRunStoreTests.noise })
    }
}
