import Foundation
import GridModel
@testable import GridServer
@testable import GridStore
import GridTiles
import Hummingbird
import Testing

/// A seeding after a change feeds the server's memory cache (demo district, its coverage run, a real Spatialite file and
/// a real server on 127.0.0.1): the tiles in use before the change are seeded first, each tile seeded is answered from
/// memory at once with the bytes and ETags a drawn answer has, a tile drawn on demand is taken rather than drawn again,
/// and a change in the middle of a seeding never leaves a tile of the old data in memory under the new version.
@Suite("Tiles re-seeded into memory", .serialized)
struct TileReseedFeedTests {
    static let sources = TileReseedTests.sources

    /// Every tile of `zooms` over the store's box.
    static func addresses(_ store: Store, zooms: ClosedRange<Int>) throws -> [TileAddress] {
        let box = try #require(try TileSeeder.box(store: store, given: nil))
        return zooms.flatMap { z in
            let range = TileSeeder.tiles(z: z, box: box)
            return range.y.flatMap { y in range.x.compactMap { x in TileAddress(z: z, x: x, y: y) } }
        }
    }

    /// The ETag header a drawing server sends for `body`, as it is or gzip-compressed.
    static func drawnTag(_ body: [UInt8], gzip: Bool) -> String {
        let served = TileRoutes.represent.served(body, gzip: nil)
        if gzip, served.gzip != nil, let tag = served.gzipETag { return "\"\(tag)\"" }
        return "\"\(Responses.etag(body))\""
    }

    @Test("a seeding draws the tiles in use first, takes those drawn on demand, and leaves them in memory as drawn")
    func hotFirstTakenFed() throws {
        let demo = try DemoStore()
        let zooms = 12...15
        let service = TileService(store: demo.store, represents: TileRoutes.represent)
        let drawing = TileService(store: demo.store, capacityBytes: 0)
        let all = try Self.addresses(demo.store, zooms: zooms)
        // In use before the change: tiles scattered over the zooms, the deepest ones most recently.
        let hot = stride(from: 3, to: all.count, by: max(1, all.count / 12)).map { all[$0] }
        for address in hot { _ = try service.servedTile(Self.sources, address, wantsGzip: true) }
        try TileReseedTests.newCoverageRun(demo.store)
        // Drawn on demand at the new data before the seeding starts.
        let onDemand = all.filter { !hot.contains($0) }.suffix(5)
        for address in onDemand { _ = try service.servedTile(Self.sources, address, wantsGzip: true) }
        #expect(Set(service.recentlyUsedKeys) == Set(hot.map { TileService.cacheKey(Self.sources, $0, datum: .wgs84) }))

        let path = demo.directory.appendingPathComponent("fed.mbtiles").path
        let outcome = try TileSeeder.seed(store: demo.store, request: .init(minZoom: zooms.lowerBound, maxZoom: zooms.upperBound, bbox: nil, datum: .wgs84,
                                                                            output: path, onlyUnchanged: true),
                                          workers: 1, lowestPriority: true, feed: service.seedingFeed(Self.sources, datum: .wgs84))
        #expect(outcome.tilesDrawn == all.count)
        #expect(outcome.hotTiles == hot.count)
        #expect(outcome.hotAfterTiles == hot.count, "the tiles in use are the first written")
        #expect(outcome.tilesTaken == onDemand.count, "a tile drawn on demand is not drawn again")
        // The file holds the new data's tiles, those taken from memory included.
        let file = try SeededTiles(path: path)
        for address in all { #expect(try file.tile(address) == (try drawing.draw(Self.sources, address)), "\(address) in the file") }
        // The tiles in use are answered from memory now, as a drawn answer would be: the same body, ETags and gzip bytes.
        let counts = service.cacheCounts
        for address in hot + onDemand {
            let served = try service.servedTile(Self.sources, address, wantsGzip: true)
            let drawn = try drawing.draw(Self.sources, address)
            let expected = TileRoutes.represent.served(drawn, gzip: nil)
            #expect(served.body == drawn, "\(address)")
            #expect(served.etag == expected.etag && served.gzipETag == expected.gzipETag && served.gzip.map(Gzip.decompress) == expected.gzip.map(Gzip.decompress),
                    "\(address)")
        }
        #expect(service.cacheCounts.hits == counts.hits + hot.count + onDemand.count && service.cacheCounts.misses == counts.misses)
    }

    @Test("a seeding keeps only the tiles in use in memory: the others are the file's")
    func keepsOnlyTilesInUse() throws {
        let demo = try DemoStore()
        let zooms = 12...15
        let all = try Self.addresses(demo.store, zooms: zooms)
        let service = TileService(store: demo.store, represents: TileRoutes.represent)
        let inUse = Array(all.suffix(4))
        for address in inUse { _ = try service.servedTile(Self.sources, address, wantsGzip: true) }
        try TileReseedTests.newCoverageRun(demo.store)
        let path = demo.directory.appendingPathComponent("in-use.mbtiles").path
        let outcome = try TileSeeder.seed(store: demo.store, request: .init(minZoom: zooms.lowerBound, maxZoom: zooms.upperBound, bbox: nil, datum: .wgs84, output: path),
                                          workers: 2, lowestPriority: true, feed: service.seedingFeed(Self.sources, datum: .wgs84))
        #expect(outcome.hotTiles == inUse.count && outcome.tilesTaken == 0)
        #expect(outcome.hotAfterTiles.map { $0 >= inUse.count && $0 < all.count } == true)
        let before = service.cacheCounts
        for address in all { #expect(try service.servedTile(Self.sources, address).body == (try TileService(store: demo.store, capacityBytes: 0).draw(Self.sources, address))) }
        #expect(service.cacheCounts.hits == before.hits + inUse.count, "only the tiles in use answered from memory")
        #expect(service.cacheCounts.misses == before.misses + all.count - inUse.count)
    }

    @Test("while the server re-seeds after a change, tiles come from memory as drawn at the new data; a change mid-seed leaves no old tile")
    func liveFeedAndChangeMidSeed() async throws {
        let demo = try DemoStore()
        let path = demo.directory.appendingPathComponent("live.mbtiles").path
        let lines = TileReseedTests.Lines()
        let zooms = 12...16
        let drawing = TileService(store: demo.store, capacityBytes: 0)
        let all = try Self.addresses(demo.store, zooms: zooms)
        let hot = stride(from: 1, to: all.count, by: max(1, all.count / 40)).map { all[$0] }
        let plan = TileReseeder.Plan(path: path, zooms: zooms, workers: 1, settleSeconds: 0.3, report: { lines.add($0) })
        try await TileReseedTests.serving(demo.store, plan) { state, client in
            try await TileReseedTests.waitUntilSeeded(client, seedings: 1)
            for address in hot { _ = try await client.execute(uri: TileReseedTests.uri(address), method: .get, headers: [.acceptEncoding: "identity"]) }
            try TileReseedTests.newCoverageRun(demo.store)
            try await TileReseedTests.waitFor("a seeding under way") { state.reseeder?.status.phase == .seeding }
            // Answers during the seeding: the new data's bytes and a drawn answer's ETags, from memory once fed.
            let hitsBefore = state.tiles.cacheCounts.hits
            var checked = 0
            while state.reseeder?.status.phase == .seeding || checked == 0 {
                for address in hot {
                    let gzip = checked % 2 == 1
                    let response = try await client.execute(uri: TileReseedTests.uri(address), method: .get,
                                                            headers: [.acceptEncoding: gzip ? "gzip" : "identity"])
                    let drawn = try drawing.draw(Self.sources, address)
                    let sent = [UInt8](buffer: response.body)
                    let body = response.headers[.contentEncoding] == "gzip" ? Gzip.decompress(sent) : sent
                    #expect(body == drawn, "\(address) while seeding")
                    #expect(response.headers[.eTag] == Self.drawnTag(drawn, gzip: gzip), "\(address) tag while seeding")
                }
                checked += 1
            }
            #expect(state.tiles.cacheCounts.hits > hitsBefore, "tiles answered from memory during the seeding")
            try await TileReseedTests.waitUntilSeeded(client, seedings: 2)
            let status = try #require(state.reseeder?.status)
            #expect(status.lastHotTiles == hot.count, "\(lines.all)")
            #expect(status.lastHotSecondsAfterChange != nil)

            // A change in the middle of a seeding: it is abandoned and nothing of the old data answers afterwards.
            try TileReseedTests.newCoverageRun(demo.store)
            try await TileReseedTests.waitFor("a third seeding under way") {
                state.reseeder?.status.phase == .seeding && lines.all.filter { $0.hasPrefix("seeding ") }.count == 3
            }
            try await Task.sleep(for: .milliseconds(100))
            try TileReseedTests.newCoverageRun(demo.store)
            for address in all {
                let response = try await client.execute(uri: TileReseedTests.uri(address), method: .get, headers: [.acceptEncoding: "identity"])
                #expect([UInt8](buffer: response.body) == (try drawing.draw(Self.sources, address)), "\(address) after a change mid-seed")
            }
            try await TileReseedTests.waitUntilSeeded(client, seedings: 3)
            for address in all {
                let response = try await client.execute(uri: TileReseedTests.uri(address), method: .get, headers: [.acceptEncoding: "identity"])
                #expect([UInt8](buffer: response.body) == (try drawing.draw(Self.sources, address)), "\(address) once seeded again")
            }
        }
        #expect(lines.all.contains { $0.hasPrefix("the store changed while \(path) was seeded") }, "\(lines.all)")
        #expect(!lines.all.contains { $0.hasPrefix("warning:") }, "\(lines.all)")
    }
}
