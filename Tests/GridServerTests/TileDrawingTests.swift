import Foundation
import GRDB
import GridModel
import GridStore
import GridTiles
import Testing

/// Tiles drawn from rows read in place (SQLite's column accessors, geometries from their stored Spatialite blobs) are the
/// tiles of the reference reading (`Row`s, geometries through Spatialite's `AsBinary`), byte for byte, on real data.
@Suite("Tiles drawn from rows read in place")
struct TileDrawingTests {
    /// Every tile over the layers' box at zooms 10–15 and the zoom 16 tiles of a band through its middle, every layer,
    /// WGS84 and GCJ-02: the same bytes from both readings. Returns how many tiles held a feature.
    static func compare(_ store: Store, zooms: ClosedRange<Int> = 10...16, what: String) throws -> Int {
        let fast = TileService(store: store, capacityBytes: 0)
        let reference = TileService(store: store, capacityBytes: 0, readsRowsInPlace: false)
        let sources = TileLayerSource.all
        var box: BoundingBox?
        for source in sources {
            guard let extent = try fast.extent(source) else { continue }
            if box == nil { box = extent } else {
                box!.include(Coordinate(longitude: extent.minLongitude, latitude: extent.minLatitude))
                box!.include(Coordinate(longitude: extent.maxLongitude, latitude: extent.maxLatitude))
            }
        }
        let area = try #require(box, "\(what): no features")
        var drawn = 0
        for datum in TileDatum.allCases {
            for z in zooms {
                let range = TileSeeder.tiles(z: z, box: area)
                // At zoom 16 a band of rows through the middle: every kind of feature, in a test's time.
                let rows = z < 16 ? range.y : max(range.y.lowerBound, (range.y.lowerBound + range.y.upperBound) / 2 - 1)...min(range.y.upperBound, (range.y.lowerBound + range.y.upperBound) / 2 + 1)
                for y in rows {
                    for x in range.x {
                        let address = try #require(TileAddress(z: z, x: x, y: y))
                        let tile = try fast.draw(sources, address, datum: datum)
                        #expect(tile == (try reference.draw(sources, address, datum: datum)), "\(what) \(datum) \(address)")
                        if !tile.isEmpty { drawn += 1 }
                    }
                }
            }
        }
        return drawn
    }

    @Test("the demo district with its coverage run, grids and communities: every tile of zooms 10–15 and a band at 16")
    func demoDistrict() throws {
        let drawn = try Self.compare(DemoStore.shared.store, what: "demo")
        #expect(drawn > 50, "\(drawn) tiles with features")
    }

    @Test("Wudaokou and Monaco from OpenStreetMap, both datums", .enabled(if: SharedData.available, SharedData.skipReason))
    func openStreetMap() throws {
        for name in ["cn_beijing_haidian_wudaokou_2017.osm", "dense_monaco_2021-04-19.osm.pbf"] {
            let temporary = try TemporaryStore()
            _ = try OSMImporter.run(store: temporary.store, path: SharedData.path(name))
            let drawn = try Self.compare(temporary.store, zooms: 12...16, what: name)
            #expect(drawn > 20, "\(name): \(drawn) tiles with features")
        }
    }

    @Test("blobs Spatialite reads but the in-place reader does not (compressed geometries) are read as Spatialite reads them",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func otherBlobs() throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("dense_monaco_2021-04-19.osm.pbf"))
        try temporary.store.write { db in
            try db.execute(sql: "UPDATE buildings SET footprint = CompressGeometry(footprint) WHERE id % 3 = 0")
            try db.execute(sql: "UPDATE network_edges SET geom = CompressGeometry(geom) WHERE id % 5 = 0")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM buildings WHERE id % 3 = 0 AND footprint IS NOT NULL") ?? 0 > 100)
        }
        let drawn = try Self.compare(temporary.store, zooms: 13...16, what: "Monaco, compressed")
        #expect(drawn > 20, "\(drawn) tiles with features")
    }
}
