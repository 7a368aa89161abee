import Foundation
import GRDB
import GridModel
@testable import GridServer
import GridStore
import GridTiles
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// What the MapLibre page waits for before it calls itself ready, and the counts it reads, on real OSM data (Wudaokou
/// cut into grids). A page is ready only once the tiles its view draws were asked for, loaded and drawn: every grid and
/// community of the view drawn, with their classes read back from their tiles, not a view whose sources had not asked
/// for a tile yet.
@Suite("The map page's first view on tiles")
struct MapPageFirstViewTests {
    @Test("MapLibre on Wudaokou: ready with every grid and community drawn and their classes as /coverage gives them; the zooms that draw buildings and facilities stated",
          .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
    func areasDrawnBeforeReady() async throws {
        guard let chromium = MapPageBrowserTests.chromium, MapPageBrowserTests.available("maplibre") else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-firstview-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try CoverageRunsAPITests.wudaokou(directory)
        try CoverageRunsAPITests.saveRun(store)
        let (grids, communities) = try store.read { db in
            (try String.fetchAll(db, sql: "SELECT code FROM grids"), try String.fetchAll(db, sql: "SELECT code FROM communities"))
        }
        #expect(!grids.isEmpty && !communities.isEmpty)

        try await application(store).testLive { client in
            let port = try #require(client.port)
            let coverage = try await client.execute(uri: "/coverage", method: .get).json
            let page = try await MapPageDOM.load(chromium, "http://127.0.0.1:\(port)/?lib=maplibre",
                                                 screenshot: MapPageBrowserTests.screenshots.appendingPathComponent("wudaokou-first-view.png"))
            #expect(page.status("data-ready") == "true" && page.status("data-errors") == "0", "\(page.errors)")
            // The whole area is in the first view: every grid and community drawn from its tiles.
            #expect(page.status("data-grids-drawn") == String(grids.count))
            #expect(page.status("data-communities-drawn") == String(communities.count))
            // The communities' classes read back from their tiles, as /coverage's community rows give them (the 15-minute
            // level, the page's default theme).
            var expected: [String: Int?] = [:]
            for row in coverage["communities"]?.arrayValue ?? [] {
                let code = try #require(row["code"]?.stringValue)
                let level = try #require(row["levels"]?.arrayValue?.first { $0["minutes"]?.doubleValue == 15 })
                let share = try #require(level["share"]?.doubleValue)
                expected[code] = (row["households"]?.intValue ?? 0) > 0 ? MapPageExpectations.shareClass(share) : .some(nil)
            }
            #expect(Set(expected.keys) == Set(communities))
            let shown = try JSONDecoder().decode([String: Int?].self, from: Data(try #require(page.status("data-community-classes")).utf8))
            #expect(shown == expected)
            // Buildings and facilities are drawn from the zooms the legend states.
            #expect(page.text(id: "building-zoom-note")?.contains("缩放级 13") == true)
            #expect(page.text(id: "facility-zoom-note")?.contains("缩放级 13") == true)
            #expect(page.attribute(of: "building-zoom-note", "hidden") == nil)

            // Leaflet draws every feature: no zoom note.
            let leaflet = try await MapPageDOM.load(chromium, "http://127.0.0.1:\(port)/?lib=leaflet", screenshot: nil)
            #expect(leaflet.status("data-ready") == "true" && leaflet.status("data-errors") == "0", "\(leaflet.errors)")
            #expect(leaflet.attribute(of: "building-zoom-note", "hidden") != nil)
        }
    }

    @Test("/coverage/summary, which every map page asks for first, is kept per data version: the same bytes until something commits, then the run marked stale",
          .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
    func summaryKept() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-summary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try CoverageRunsAPITests.wudaokou(directory)
        try CoverageRunsAPITests.saveRun(store)
        try await application(store).testLive { client in
            let first = try await client.execute(uri: "/coverage/summary", method: .get)
            let again = try await client.execute(uri: "/coverage/summary", method: .get)
            #expect(first.status == .ok && first.text == again.text)
            let before = try first.json
            #expect(before["stale"]?.boolValue == false)
            let theme = try await client.execute(uri: "/coverage/summary?theme=level:15", method: .get).json
            #expect(theme["themes"]?.arrayValue?.count == 1)
            // A facility opens: the run no longer matches the data, and the summary says so.
            let kindergarten = directory.appendingPathComponent("k.geojson")
            try Data(#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"k1","properties":{"category":"kindergarten","name":"新幼儿园"},"geometry":{"type":"Point","coordinates":[116.3260,40.0050]}}]}"#.utf8).write(to: kindergarten)
            _ = try GeoJSONImporter.run(store: store, path: kindergarten.path, layer: .facilities)
            let after = try await client.execute(uri: "/coverage/summary", method: .get).json
            #expect(after["stale"]?.boolValue == true)
            #expect((after["changed_since"]?.arrayValue ?? []).contains { $0.stringValue == "facilities" })
            #expect(after["themes"] == before["themes"])
        }
    }

    @Test("numberMatched of buildings, which the tiled page shows, is the number of items listed, with and without filters on the joined coverage and places",
          .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
    func buildingsMatched() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-matched-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try CoverageRunsAPITests.wudaokou(directory)
        try CoverageRunsAPITests.saveRun(store)
        let (stored, grid, run) = try store.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM buildings") ?? 0,
             try String.fetchOne(db, sql: "SELECT grid_code FROM building_places WHERE grid_code IS NOT NULL ORDER BY building_id LIMIT 1"),
             try Int64.fetchOne(db, sql: "SELECT max(id) FROM coverage_runs") ?? 0)
        }
        let gridCode = try #require(grid)
        // The count as it was taken before: with both joins, row by row.
        let joined = try store.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM buildings t LEFT JOIN coverage_buildings cb ON cb.run_id = ? AND cb.building_id = t.id
                LEFT JOIN building_places bp ON bp.building_id = t.id AND \(BuildingPlaces.isCurrentSQL)
                """, arguments: [run]) ?? 0
        }
        #expect(stored > 1 && stored < 10_000 && joined == stored)

        try await application(store).test(.router) { client in
            for filter in ["", "&coverage_met=true", "&coverage_met=false", "&grid_code=\(gridCode)"] {
                let one = try await client.execute(uri: "/collections/buildings/items?limit=1" + filter, method: .get).json
                let all = try await client.execute(uri: "/collections/buildings/items?limit=10000" + filter, method: .get).json
                let listed = all["features"]?.arrayValue?.count ?? -1
                #expect(one["numberMatched"]?.intValue == listed, "filter \(filter)")
                #expect(all["numberMatched"]?.intValue == listed, "filter \(filter)")
                if filter.isEmpty { #expect(listed == stored) }
                if filter.contains("grid_code") || filter.contains("true") { #expect(listed < stored, "filter \(filter)") }
            }
        }
    }

    /// A server whose start-up read of the coverage figures waits for `hold` before it reads them (at most ten minutes:
    /// tests run beside each other and browsers, so a request may take long); the point index is read after it as
    /// `serve` does.
    static func heldServer(_ store: Store, hold: DispatchSemaphore, reads: Kept<StartupReads?>) -> some ApplicationProtocol {
        let settings = settings()
        let router = GridServer.router(store: store, settings: settings) { state, tiles in
            let started = StartupReads.begin(readingFigures: {
                _ = hold.wait(timeout: .now() + 600)
                _ = try? state.coverageFigures.latest()
            }, readingIndex: { try? tiles.warmAside() })
            reads.value.withLock { $0 = started }
            return started
        }
        return Application(router: router, server: GridServer.httpServer(settings), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test("right after start, while the coverage figures are read, every other request is answered; the summary and the area tiles wait for the read without holding a thread and answer what a running server answers",
          .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
    func startupReadsHoldNoThread() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-startup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try CoverageRunsAPITests.wudaokou(directory)
        try CoverageRunsAPITests.saveRun(store)
        let hold = DispatchSemaphore(value: 0)
        let reads = Kept<StartupReads?>(nil)
        // The zoom-14 area tiles over Wudaokou: more requests waiting for the figures than the machine has cores, so
        // each holding a thread while it waited would leave none for anything else.
        let waiting = ["/coverage/summary", "/tiles/WebMercatorQuad/14/6202/13485"] + ["grids", "communities"].flatMap { layer in
            (13485...13486).flatMap { x in (6201...6203).map { y in "/collections/\(layer)/tiles/WebMercatorQuad/14/\(y)/\(x)" } }
        }
        let answered = Kept<[String: LiveResponse]>([:])
        try await Self.heldServer(store, hold: hold, reads: reads).testLive { client in
            let startup = try #require(reads.value.withLock { $0 })
            try await withThrowingTaskGroup(of: Void.self) { group in
                for uri in waiting {
                    group.addTask {
                        let response = try await client.execute(uri: uri, method: .get)
                        answered.value.withLock { $0[uri] = response }
                    }
                }
                do {
                    // Every other request of a first page is answered meanwhile (a building tile carries no area figures).
                    try await Task.sleep(for: .milliseconds(300))
                    for uri in ["/api", "/collections/communities", "/static/map/map-logic.js", "/coverage/runs", "/runs", "/collections/buildings/items?limit=1",
                                "/collections/facilities/items?limit=1&category=school", "/collections/buildings/tiles/WebMercatorQuad/14/6202/13485"] {
                        let response = try await client.execute(uri: uri, method: .get)
                        #expect(response.status == .ok, "\(uri)")
                    }
                    #expect(!startup.figuresRead)
                    #expect(answered.value.withLock { $0.isEmpty }, "answered before the figures were read: \(answered.value.withLock { Array($0.keys) })")
                } catch {
                    hold.signal()
                    throw error
                }
                hold.signal()
                try await group.waitForAll()
            }
            #expect(startup.figuresRead)
            // The same answers as a server that has read them.
            let kept = answered.value.withLock { $0 }
            let tiles = TileService(store: store)
            for uri in waiting {
                let response = try #require(kept[uri])
                #expect(response.status == .ok, "\(uri)")
                let again = try await client.execute(uri: uri, method: .get)
                #expect(again.body == response.body, "\(uri)")
                if let parts = uri.wholeMatch(of: /\/collections\/(\w+)\/tiles\/WebMercatorQuad\/14\/(\d+)\/(\d+)/)?.output,
                   let collection = FeatureCollection.all.first(where: { $0.id == parts.1 }),
                   let x = Int(parts.3), let y = Int(parts.2), let address = TileAddress(z: 14, x: x, y: y) {
                    #expect([UInt8](buffer: response.body) == (try tiles.tile([TileRoutes.source(collection)], address)), "\(uri)")
                    #expect(response.body.readableBytes > 0, "\(uri)")
                }
            }
        }
    }

    @Test("MapLibre on the demo district: a freshly started server's first page, with the figures read at start held back a second, is ready with every grid and community drawn and their classes and worst grids as /coverage gives them")
    func freshServerFirstPage() async throws {
        guard let chromium = MapPageBrowserTests.chromium, MapPageBrowserTests.available("maplibre") else { return }
        let store = DemoStore.shared.store
        let (grids, communities) = try store.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM grids") ?? 0, try Int.fetchOne(db, sql: "SELECT count(*) FROM communities") ?? 0)
        }
        #expect(grids > 16 && communities > 1)
        let hold = DispatchSemaphore(value: 0)
        let reads = Kept<StartupReads?>(nil)
        try await Self.heldServer(store, hold: hold, reads: reads).testLive { client in
            let port = try #require(client.port)
            let release = Task {
                try? await Task.sleep(for: .seconds(1))
                hold.signal()
            }
            // The page is the server's first request.
            let page = try await MapPageDOM.load(chromium, "http://127.0.0.1:\(port)/?lib=maplibre", screenshot: nil)
            _ = await release.value
            #expect(reads.value.withLock { $0?.figuresRead } == true)
            #expect(page.status("data-ready") == "true" && page.status("data-errors") == "0", "\(page.errors)")
            #expect(page.status("data-grids-drawn") == String(grids))
            #expect(page.status("data-communities-drawn") == String(communities))
            // The grids' classes read back from their tiles, the legend's counts and the worst grids, as /coverage gives them.
            let coverage = try await client.execute(uri: "/coverage", method: .get).json
            try MapPageExpectations.checkTheme(page, coverage: coverage, minutes: 15, category: nil)
            var expected: [String: Int?] = [:]
            for row in coverage["communities"]?.arrayValue ?? [] {
                let code = try #require(row["code"]?.stringValue)
                let level = try #require(row["levels"]?.arrayValue?.first { $0["minutes"]?.doubleValue == 15 })
                let share = try #require(level["share"]?.doubleValue)
                expected[code] = (row["households"]?.intValue ?? 0) > 0 ? MapPageExpectations.shareClass(share) : .some(nil)
            }
            let shown = try JSONDecoder().decode([String: Int?].self, from: Data(try #require(page.status("data-community-classes")).utf8))
            #expect(shown == expected)
        }
    }
}

/// A value shared between a test and the tasks and closures it starts.
final class Kept<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}
