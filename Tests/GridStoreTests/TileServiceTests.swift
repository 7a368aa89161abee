import Foundation
import GRDB
import GridModel
import GridStore
import GridTiles
import Testing

/// The tile cache answers from memory while the store is unchanged and draws again after any commit, by any connection.
@Suite("Tile service cache")
struct TileServiceTests {
    static let buildings = TileLayerSource(
        name: "buildings", table: "buildings", geometryColumn: "footprint",
        properties: [.init(name: "households", expression: "t.households", type: .integer)], joinsCoverage: false, isPointLayer: false)

    @Test("Monaco: cached until a commit from another connection, then drawn again with the new values",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func cacheFollowsCommits() throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("dense_monaco_2021-04-19.osm.pbf"))
        let service = TileService(store: temporary.store)
        // Monte Carlo at zoom 15.
        let n = 32768.0
        let tile = try #require(TileAddress(z: 15, x: Int(WebMercator.worldX(longitude: 7.4246) * n), y: Int(WebMercator.worldY(latitude: 43.7384) * n)))
        let first = try service.tile([Self.buildings], tile)
        #expect(!first.isEmpty)
        #expect(try service.tile([Self.buildings], tile) == first)
        #expect(service.cacheCounts.hits == 1 && service.cacheCounts.misses == 1)
        // The GCJ-02 tile is another entry (Monaco lies outside China, so its bytes are the same).
        #expect(try service.tile([Self.buildings], tile, datum: .gcj02) == first)
        #expect(service.cacheCounts.misses == 2)
        let other = try Store.open(path: temporary.path)
        try other.write { db in try db.execute(sql: "UPDATE buildings SET households = households + 1000") }
        let changed = try service.tile([Self.buildings], tile)
        #expect(changed != first)
        #expect(service.cacheCounts.misses == 3)
        #expect(try service.tile([Self.buildings], tile) == changed)
        #expect(service.cacheCounts.hits == 2)
    }
}
