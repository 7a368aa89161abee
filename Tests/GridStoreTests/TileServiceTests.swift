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

    @Test("Monaco: tiles drawn together from one read of their features are the tiles drawn one by one, every layer, both datums",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func blockMatchesOneByOne() throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("dense_monaco_2021-04-19.osm.pbf"))
        let service = TileService(store: temporary.store, capacityBytes: 0, prefersWholeIndex: true)
        let sources = TileLayerSource.all
        // A zoom 13 tile over Monaco and its descendants to zoom 16, with the zoom 12 tile above (drawn by its own queries).
        let top = try #require(TileAddress(z: 13, x: Int(WebMercator.worldX(longitude: 7.42) * 8192), y: Int(WebMercator.worldY(latitude: 43.735) * 8192)))
        var addresses = [try #require(TileAddress(z: 12, x: top.x / 2, y: top.y / 2))]
        for z in 13...16 {
            let shift = z - 13
            for y in (top.y << shift)..<((top.y + 1) << shift) {
                for x in (top.x << shift)..<((top.x + 1) << shift) { addresses.append(try #require(TileAddress(z: z, x: x, y: y))) }
            }
        }
        for datum in TileDatum.allCases {
            let together = try service.drawBlock(sources, addresses, datum: datum)
            #expect(together.count == addresses.count)
            var drawn = 0
            for (address, tile) in zip(addresses, together) {
                #expect(tile == (try service.draw(sources, address, datum: datum)), "\(datum) \(address)")
                if !tile.isEmpty { drawn += 1 }
            }
            #expect(drawn > 20, "\(datum): \(drawn) tiles with features")
        }
    }

    @Test("Monaco: a full cache lets the least recently used tile go, and keeps the others",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func leastRecentlyUsedGoesFirst() throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("dense_monaco_2021-04-19.osm.pbf"))
        let n = 32768.0
        let x = Int(WebMercator.worldX(longitude: 7.4246) * n), y = Int(WebMercator.worldY(latitude: 43.7384) * n)
        let a = try #require(TileAddress(z: 15, x: x, y: y)), b = try #require(TileAddress(z: 15, x: x - 1, y: y))
        let c = try #require(TileAddress(z: 15, x: x, y: y + 1))
        let sizes = try [a, b, c].map { try TileService(store: temporary.store, capacityBytes: 0).draw([Self.buildings], $0).count }
        try #require(sizes.allSatisfy { $0 > 0 })
        // Room for any two of the three tiles, not for all three.
        let service = TileService(store: temporary.store, capacityBytes: sizes.reduce(0, +) - 1)
        _ = try service.tile([Self.buildings], a)
        _ = try service.tile([Self.buildings], b)
        _ = try service.tile([Self.buildings], a)
        #expect(service.cacheCounts.hits == 1 && service.cacheCounts.misses == 2)
        // c pushes out b, used longer ago than a.
        _ = try service.tile([Self.buildings], c)
        _ = try service.tile([Self.buildings], a)
        _ = try service.tile([Self.buildings], c)
        #expect(service.cacheCounts.hits == 3 && service.cacheCounts.misses == 3)
        #expect(try service.tile([Self.buildings], b) == service.draw([Self.buildings], b))
        #expect(service.cacheCounts.misses == 4)
    }

    @Test("a server's tile cache is an eighth of the machine's memory, at least 256 MB and at most 4 GB")
    func defaultCapacity() {
        #expect(TileService.defaultCapacityBytes(physicalMemory: 1 << 30) == 256 << 20)
        #expect(TileService.defaultCapacityBytes(physicalMemory: 16 << 30) == 2 << 30)
        #expect(TileService.defaultCapacityBytes(physicalMemory: 64 << 30) == 4 << 30)
        #expect(TileService.defaultCapacityBytes() >= TileService.minimumDefaultCapacityBytes)
    }
}
