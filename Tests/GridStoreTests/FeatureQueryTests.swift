import Foundation
import GRDB
import GridModel
import GridStore
import Testing

/// The feature query engine without HTTP: a typed query in, an encoded page out, on Monaco from OSM.
@Suite("Feature query engine", .enabled(if: SharedData.available, SharedData.skipReason))
struct FeatureQueryTests {
    static func features(_ page: FeaturePage) throws -> [JSONValue] {
        let text = #"{"features":["# + String(decoding: page.features, as: UTF8.self) + "]}"
        return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))["features"]?.arrayValue ?? []
    }

    @Test("pages of a box wider than the data: every building once, counts and neighbouring offsets; filters typed; a commit shows")
    func pages() throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("dense_monaco_2021-04-19.osm.pbf"))
        let all = try temporary.store.read { try Int64.fetchAll($0, sql: "SELECT id FROM buildings ORDER BY id") }
        let source: any FeatureSource = FeatureReader(store: temporary.store)
        let extent = try #require(try source.extent(of: .buildings))
        #expect(extent.minLongitude > 7.3 && extent.maxLongitude < 7.5 && extent.minLatitude > 43.7 && extent.maxLatitude < 43.8)

        var query = FeatureQuery(collection: .buildings, limit: 250)
        query.bbox = BoundingBox(minLongitude: -180, minLatitude: -90, maxLongitude: 180, maxLatitude: 90)
        var seen: [Int64] = []
        var offsets: [Int] = []
        while true {
            let page = try source.page(query)
            #expect(page.numberMatched == all.count)
            #expect(page.previousOffset == (query.offset == 0 ? nil : query.offset - 250))
            #expect(page.dataVersion != nil)
            let features = try Self.features(page)
            #expect(features.count == page.numberReturned)
            seen += features.compactMap { $0["id"]?.intValue.map(Int64.init) }
            offsets.append(query.offset)
            guard let next = page.nextOffset else { break }
            query.offset = next
        }
        #expect(seen == all)
        #expect(offsets == Array(stride(from: 0, to: all.count, by: 250)))

        var filtered = FeatureQuery(collection: .buildings, limit: 10_000)
        let households = try #require(FeatureCollection.buildings.property(named: "households"))
        filtered.filters = [FeatureQuery.Filter(households, .integer(0))]
        let zero = try temporary.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM buildings WHERE households = 0") ?? 0 }
        #expect(try source.page(filtered).numberMatched == zero)

        let before = try #require(source.dataVersion())
        let first = try #require(all.first)
        let feature = try #require(try source.feature(in: .buildings, id: first, crs: .crs84))
        try temporary.store.write { try $0.execute(sql: "UPDATE buildings SET households = 4242 WHERE id = ?", arguments: [first]) }
        #expect(source.dataVersion() != before)
        let changed = try #require(try source.feature(in: .buildings, id: first, crs: .crs84))
        #expect(changed != feature)
        #expect(String(decoding: changed, as: UTF8.self).contains(#""households":4242"#))
        #expect(try source.feature(in: .buildings, id: -1, crs: .crs84) == nil)
    }
}
