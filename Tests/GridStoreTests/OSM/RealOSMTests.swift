import Foundation
import GRDB
import GridStore
import Testing

/// Every extract in ../shared/geodata, with the highway and building counts of geodata/SOURCES.md.
@Suite("OSM import: real extracts", .enabled(if: SharedData.available, SharedData.skipReason))
struct RealOSMTests {
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var highwayWays: Int
        var buildingObjects: Int
        var description: String { file }
    }

    static let cases: [Case] = [
        Case(file: "cn_beijing_haidian_wudaokou_2017.osm", highwayWays: 684, buildingObjects: 521),
        Case(file: "cn_shenzhen_longgang_2019.osm", highwayWays: 516, buildingObjects: 139),
        Case(file: "dense_monaco_2021-04-19.osm.pbf", highwayWays: 2379, buildingObjects: 1207),
        Case(file: "dense_helsinki_centre_2019.osm.pbf", highwayWays: 2650, buildingObjects: 500),
        Case(file: "dense_sao_paulo_centre_2020.osm.pbf", highwayWays: 6000, buildingObjects: 2),
        Case(file: "bench_liechtenstein_2015-07-27.osm.pbf", highwayWays: 4660, buildingObjects: 8998),
        Case(file: "bench_andorra_2021-04-13.osm.pbf", highwayWays: 4764, buildingObjects: 4906),
    ]

    @Test("counts match SOURCES.md; what was not imported is counted", arguments: cases)
    func importExtract(_ item: Case) throws {
        let temporary = try TemporaryStore()
        let summary = try OSMImporter.run(store: temporary.store, path: SharedData.path(item.file))
        #expect(summary.count("highway ways") == item.highwayWays)
        #expect(summary.count("building objects") == item.buildingObjects)
        let imported = try #require(summary.count("buildings imported"))
        let skipped = try #require(summary.count("buildings skipped"))
        #expect(imported + skipped == item.buildingObjects)
        #expect(try temporary.count("buildings") == imported)
        #expect(try temporary.count("network_edges") == summary.count("network edges"))
        #expect(try temporary.count("network_edges") > item.highwayWays / 2)
        // Edge ends are the stored junction ids, and geometry ends sit on them.
        let badLengths = try temporary.store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM network_edges WHERE abs(ST_Length(geom, 1) - length_m) > 0.01 * length_m + 0.05")
        }
        #expect(badLengths == 0)
        let invalidPoints = try temporary.store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM buildings WHERE NOT ST_Intersects(point, footprint)")
        }
        #expect(invalidPoints == 0)
    }

    @Test("Helsinki is clipped: all 4,525 missing node references are counted, ways are split, nothing crashes")
    func helsinkiMissingNodes() throws {
        let temporary = try TemporaryStore()
        let summary = try OSMImporter.run(store: temporary.store, path: SharedData.path("dense_helsinki_centre_2019.osm.pbf"))
        #expect(summary.count("missing node references") == 4525)
        #expect(summary.warnings.total > 0)
    }

    @Test("São Paulo node ids above 2^31 survive as 64-bit junction ids")
    func saoPauloIDs() throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("dense_sao_paulo_centre_2020.osm.pbf"))
        let largest = try temporary.store.read { try Int64.fetchOne($0, sql: "SELECT max(max(source_node), max(target_node)) FROM network_edges") }
        #expect(try #require(largest) > Int64(Int32.max))
        let transit = try temporary.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM facilities WHERE category = 'transit_stop'") }
        #expect(try #require(transit) >= 456)
    }
}
