import Foundation
import GRDB
import GridModel
import GridServer
import GridStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// OGC clients at city zoom: QGIS asks for its whole view, however wide, and pages on through `next` links.
@Suite("Wide bbox queries page through the store")
struct WideBBoxTests {
    /// Follows `next` links from `uri` to the last page; every page must say the same numberMatched.
    static func allPages(_ client: LiveClient, _ uri: String) async throws -> (ids: [Int], matched: Int, pages: Int) {
        var next: String? = uri
        var ids: [Int] = []
        var matched: Int?
        var pages = 0
        while let current = next {
            let response = try await client.execute(uri: current, method: .get, headers: [.acceptEncoding: "identity"])
            #expect(response.status == .ok, "\(current): \(response.text.prefix(300))")
            guard response.status == .ok else { break }
            let page = try response.json
            let pageMatched = try #require(page["numberMatched"]?.intValue)
            #expect(matched == nil || matched == pageMatched, "\(current)")
            matched = pageMatched
            #expect(page["numberReturned"]?.intValue == featureIDs(page).count)
            ids += featureIDs(page)
            let links = page["links"]?.arrayValue ?? []
            #expect(links.contains { $0["rel"]?.stringValue == "prev" } == (pages > 0), "\(current)")
            next = links.first { $0["rel"]?.stringValue == "next" }?["href"]?.stringValue.flatMap { href in
                href.range(of: "/collections/").map { String(href[$0.lowerBound...]) }
            }
            pages += 1
            if pages > 1000 { Issue.record("more than 1000 pages"); break }
        }
        return (ids, matched ?? -1, pages)
    }

    @Test("Andorra from OSM over a real socket: the whole world and a wide box cutting the data page with numberMatched and next links",
          .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
    func andorra() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-wide-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store.create(path: directory.appendingPathComponent("andorra.sqlite").path)
        _ = try OSMImporter.run(store: store, path: SharedData.geodata!.appendingPathComponent("bench_andorra_2021-04-13.osm.pbf").path)
        let buildings: [(Int, Geometry)] = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, AsBinary(footprint) FROM buildings").map { ($0[0], try Geometry(wkb: [UInt8]($0[1] as Data))) }
        }
        #expect(buildings.count > 4000)
        let all = buildings.map(\.0).sorted()
        // West of 1.52° E: through the middle of the data, 1.5 square degrees in all.
        let cut = BoundingBox(minLongitude: 0.5, minLatitude: 42.0, maxLongitude: 1.52, maxLatitude: 43.5)
        let inCut = buildings.filter { $0.1.intersects(cut) }.map(\.0).sorted()
        #expect(!inCut.isEmpty && inCut.count < all.count)

        try await application(store).testLive { client in
            // QGIS zoomed out: its view is wider than the world's bounds allow; a box of the world itself.
            let world = try await Self.allPages(client, "/collections/buildings/items?bbox=-180,-90,180,90&limit=1000")
            #expect(world.matched == all.count)
            #expect(world.ids == all)
            #expect(world.pages == (all.count + 999) / 1000)

            let wide = try await Self.allPages(
                client, "/collections/buildings/items?bbox=\(cut.minLongitude),\(cut.minLatitude),\(cut.maxLongitude),\(cut.maxLatitude)&limit=500")
            #expect(wide.matched == inCut.count)
            #expect(wide.ids == inCut)

            // The same box with a filter and the maximum page: one page, the filter applied to the exact set.
            let filtered = try await client.execute(
                uri: "/collections/buildings/items?bbox=\(cut.minLongitude),\(cut.minLatitude),\(cut.maxLongitude),\(cut.maxLatitude)&limit=10000&households_source=estimated",
                method: .get).json
            #expect(filtered["numberMatched"]?.intValue == featureIDs(filtered).count)
            #expect(Set(featureIDs(filtered)).isSubset(of: Set(inCut)))
            #expect(!(filtered["links"]?.arrayValue ?? []).contains { $0["rel"]?.stringValue == "next" })
        }
    }

    @Test("the demo district: a province-wide box answers the same features and counts as no box")
    func sameAsNoBox() async throws {
        let demo = DemoStore.shared
        try await application(demo.store).test(.router) { client in
            for offset in [0, 100, 2000] {
                let plain = try await client.execute(uri: "/collections/buildings/items?limit=100&offset=\(offset)", method: .get).json
                let wide = try await client.execute(uri: "/collections/buildings/items?bbox=100,20,130,45&limit=100&offset=\(offset)", method: .get)
                #expect(wide.status == .ok)
                let page = try wide.json
                #expect(featureIDs(page) == featureIDs(plain))
                #expect(page["numberMatched"] == plain["numberMatched"])
                #expect(page["features"] == plain["features"])
            }
        }
    }
}
