import Foundation
import GRDB
import GridAnalysis
import GridModel
@testable import GridStore
import GridServices
import GridTiles
import Testing

/// After a change, a tile's layers drawn from their own table alone (network, facilities) are taken from the tile drawn
/// before, or from the file seeded before, while that table is unchanged; every tile is still the tile drawn afresh.
@Suite("Tile layers kept across a change")
struct TileLayerKeepingTests {
    static let sources = TileLayerSource.all

    /// A zoom 12 tile over Wudaokou, the zoom 13 tile under it, its descendants to zoom 15 and one zoom 15 tile's four
    /// at zoom 16.
    static func addresses() throws -> [TileAddress] {
        let top = try #require(TileAddress(z: 13, x: Int(WebMercator.worldX(longitude: 116.337) * 8192), y: Int(WebMercator.worldY(latitude: 39.993) * 8192)))
        var addresses = [try #require(TileAddress(z: 12, x: top.x / 2, y: top.y / 2))]
        for z in 13...15 {
            let shift = z - 13
            for y in (top.y << shift)..<((top.y + 1) << shift) {
                for x in (top.x << shift)..<((top.x + 1) << shift) { addresses.append(try #require(TileAddress(z: z, x: x, y: y))) }
            }
        }
        let corner = try #require(addresses.last)
        for y in (corner.y * 2)...(corner.y * 2 + 1) {
            for x in (corner.x * 2)...(corner.x * 2 + 1) { addresses.append(try #require(TileAddress(z: 16, x: x, y: y))) }
        }
        return addresses
    }

    static func wudaokou() throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("cn_beijing_haidian_wudaokou_2017.osm"))
        try CoverageRuns.save(try CoverageJob.compute(store: temporary.store, profile: .gb50180), store: temporary.store, seconds: 0)
        return temporary
    }

    static func newCoverageRun(_ store: Store) throws {
        let profile = try LifeCircleProfile.gb50180.with(walkingSpeed: LifeCircleProfile.gb50180.walkingSpeed / 2)
        try CoverageRuns.save(try CoverageJob.compute(store: store, profile: profile), store: store, seconds: 0)
    }

    /// Each tile as a fresh service draws it, every layer drawn.
    static func expectDrawnAfresh(_ tiles: [[UInt8]], _ addresses: [TileAddress], _ store: Store, datum: TileDatum = .wgs84, _ what: String) throws {
        let fresh = TileService(store: store, capacityBytes: 0)
        for (address, tile) in zip(addresses, tiles) {
            #expect(tile == (try fresh.draw(sources, address, datum: datum)), "\(what): \(address)")
        }
    }

    @Test("the layers kept across a change read their own table only: no coverage run, places, figures, cells or other table")
    func keptLayersReadTheirTableOnly() {
        let kept = Self.sources.filter { $0.ownVersionLayer != nil }
        #expect(Set(kept.map(\.name)) == ["network", "facilities"])
        for source in kept {
            #expect(DataVersions.layers.contains { $0.layer == source.ownVersionLayer && $0.table == source.table }, "\(source.name)")
            #expect(!source.joinsCoverage && source.coverageAreas == nil && !source.mergesSmallBuildings, "\(source.name)")
            for property in source.properties {
                // A plain column of the layer's own row, or a rounding of one.
                let column = property.expression.replacingOccurrences(of: #"^round\((t\.\w+), \d+\)$"#, with: "$1", options: .regularExpression)
                #expect(column.range(of: #"^t\.\w+$"#, options: .regularExpression) != nil, "\(source.name).\(property.name): \(property.expression)")
            }
        }
    }

    @Test("Wudaokou: a tile is its layers' fields one after another; split and put together again it is the same bytes; a malformed tile splits to nothing",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func splitAndPutTogether() throws {
        let temporary = try Self.wudaokou()
        let service = TileService(store: temporary.store, capacityBytes: 0)
        var layersSeen = Set<String>()
        for address in try Self.addresses() {
            let tile = try service.draw(Self.sources, address)
            let layers = try #require(VectorTileLayers.split(tile), "\(address)")
            layersSeen.formUnion(layers.keys)
            let parts = Self.sources.map { source in VectorTileLayers.Part.kept(layers[source.name] ?? []) }
            #expect(VectorTileLayers.encode(parts) == tile, "\(address)")
            // Each layer's field is that layer drawn alone.
            for source in Self.sources {
                #expect([UInt8](layers[source.name] ?? []) == (try service.draw([source], address)), "\(address) \(source.name)")
            }
            if tile.count > 2 {
                #expect(VectorTileLayers.split(Array(tile.dropLast())) == nil, "\(address): cut short")
                var wrongField = tile
                wrongField[0] = 0x22
                #expect(VectorTileLayers.split(wrongField) == nil, "\(address): not a layer field")
            }
        }
        // The extract has no communities or grids.
        #expect(layersSeen == ["buildings", "facilities", "network"])
        #expect(VectorTileLayers.split([]) == [:])
    }

    @Test("Wudaokou, both datums: after a coverage run the network and facilities layers are taken from the tiles drawn before, after a network change only the facilities; every tile is the one drawn afresh",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func keptFromEarlierTiles() throws {
        let temporary = try Self.wudaokou()
        let addresses = try Self.addresses()
        for datum in TileDatum.allCases {
            let service = TileService(store: temporary.store)
            let first = try addresses.map { try service.servedTile(Self.sources, $0, datum: datum).body }
            try Self.expectDrawnAfresh(first, addresses, temporary.store, datum: datum, "\(datum) before")
            #expect(service.keptLayerCount == 0, "nothing drawn before")

            try Self.newCoverageRun(temporary.store)
            let afterRun = try addresses.map { try service.servedTile(Self.sources, $0, datum: datum).body }
            try Self.expectDrawnAfresh(afterRun, addresses, temporary.store, datum: datum, "\(datum) after a coverage run")
            #expect(afterRun != first, "\(datum): the buildings' coverage changed")
            #expect(service.keptLayerCount == 2 * addresses.count, "\(datum): network and facilities of every tile kept")

            // Another connection changes every edge: the network is drawn again, the facilities are kept.
            let other = try Store.open(path: temporary.path)
            try other.write { db in try db.execute(sql: "UPDATE network_edges SET length_m = length_m + 1") }
            let afterEdit = try addresses.map { try service.servedTile(Self.sources, $0, datum: datum).body }
            try Self.expectDrawnAfresh(afterEdit, addresses, temporary.store, datum: datum, "\(datum) after a network change")
            #expect(service.keptLayerCount == 3 * addresses.count, "\(datum): only the facilities kept")
            let withNetwork = afterRun.filter { VectorTileLayers.split($0)?["network"] != nil }
            let networkChanged = zip(afterRun, afterEdit).filter { before, after in
                VectorTileLayers.split(before)?["network"] != VectorTileLayers.split(after)?["network"]
            }
            #expect(withNetwork.count > 5)
            #expect(networkChanged.count == withNetwork.count, "\(datum): the edges' lengths are new in every tile with edges")
        }
    }

    @Test("Wudaokou: a seeding after a coverage run takes the network and facilities from the file seeded before, and a drawing server from its seeded file; every tile is the one drawn afresh; a network change draws them again",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func keptFromSeededFile() throws {
        let temporary = try Self.wudaokou()
        let path = temporary.directory.appendingPathComponent("seeded.mbtiles").path
        let request = TileSeeder.Request(minZoom: 12, maxZoom: 16, bbox: nil, datum: .wgs84, output: path)
        let first = try TileSeeder.seed(store: temporary.store, request: request, workers: 2)
        #expect(first.layersKept == 0, "no file before")
        let before = try SeededTiles(path: path)

        try Self.newCoverageRun(temporary.store)
        // A server with the file of the data before draws, the file giving the unchanged layers.
        let addresses = try Self.addresses()
        let service = TileService(store: temporary.store, seeded: before)
        let served = try addresses.map { try service.servedTile(Self.sources, $0).body }
        try Self.expectDrawnAfresh(served, addresses, temporary.store, "drawn beside the file before")
        #expect(service.seededCount == 0, "the file is not the data's")
        #expect(service.keptLayerCount == 2 * addresses.count)

        let second = try TileSeeder.seed(store: temporary.store, request: request, workers: 2)
        #expect(second.tilesDrawn == first.tilesDrawn)
        #expect(second.layersKept == 2 * second.tilesDrawn, "network and facilities of every tile from the file before")
        let reseeded = try SeededTiles(path: path)
        let all = try Self.seededAddresses(reseeded)
        #expect(all.count > 100)
        let fresh = TileService(store: temporary.store, capacityBytes: 0)
        for address in all { #expect(try reseeded.tile(address) == (try fresh.draw(Self.sources, address)), "\(address) in the file") }

        try temporary.store.write { db in try db.execute(sql: "UPDATE network_edges SET length_m = length_m + 1") }
        let third = try TileSeeder.seed(store: temporary.store, request: request, workers: 2)
        #expect(third.layersKept == third.tilesDrawn, "only the facilities")
        let afterEdit = try SeededTiles(path: path)
        for address in all { #expect(try afterEdit.tile(address) == (try fresh.draw(Self.sources, address)), "\(address) after a network change") }
    }

    /// Every address the file covers at its zooms.
    static func seededAddresses(_ file: SeededTiles) throws -> [TileAddress] {
        var addresses: [TileAddress] = []
        for z in file.zooms {
            let range = TileSeeder.tiles(z: z, box: file.box)
            for y in range.y { for x in range.x { if let address = TileAddress(z: z, x: x, y: y) { addresses.append(address) } } }
        }
        return addresses
    }
}
