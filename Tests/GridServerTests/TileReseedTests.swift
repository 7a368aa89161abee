import Foundation
import GridAnalysis
import GridModel
@testable import GridServer
import GridServices
import GridStore
import GridTiles
import Hummingbird
import Synchronization
import Testing

/// `serve --tiles FILE --reseed` on the demo district with its coverage run, a real server on 127.0.0.1: the file is
/// seeded in the background when missing or stale, its tiles are the drawn ones, a change of the data is answered at
/// once from the new data (never the old file) and the file is seeded again with the new fingerprint; a seeding cut
/// short (the data changed, the server stopped) leaves no file and no temporary behind.
@Suite("Tiles re-seeded in the background", .serialized)
struct TileReseedTests {
    /// The lines the reseeder reports, kept for the test.
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    static func plan(_ path: String, zooms: ClosedRange<Int>, lines: Lines, workers: Int = 1) -> TileReseeder.Plan {
        TileReseeder.Plan(path: path, zooms: zooms, workers: workers, settleSeconds: 0.3, report: { lines.add($0) })
    }

    /// Runs `body` against a live server with the state's background seeding going, as `GridServer.serve` does.
    static func serving<Value: Sendable>(_ store: Store, _ plan: TileReseeder.Plan, seeded: SeededTiles? = nil,
                                         _ body: @Sendable (ServerState, LiveClient) async throws -> Value) async throws -> Value {
        var serverSettings = settings()
        serverSettings.reseed = plan
        serverSettings.seededTiles = seeded
        let state = ServerState(store: store, settings: serverSettings)
        let app = Application(router: GridServer.router(state: state) { state, tiles in StartupReads.begin(figures: state.coverageFigures, tiles: tiles) },
                              server: GridServer.httpServer(serverSettings), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await GridServer.reseeding(state) { try await app.testLive { client in try await body(state, client) } }
    }

    /// `/health`'s `seeded_tiles`.
    static func health(_ client: LiveClient) async throws -> JSONValue {
        try #require(try await client.execute(uri: "/health", method: .get).json["seeded_tiles"])
    }

    /// Waits (polling `/health`) until the file is answered from and `seedings` seedings have finished.
    static func waitUntilSeeded(_ client: LiveClient, seedings: Int, seconds: Double = 180) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let health = try await health(client)
            if health["current"]?.boolValue == true, (health["seedings"]?.intValue ?? 0) >= seedings { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("not seeded within \(seconds) s: \(try await health(client))")
    }

    static func waitFor(_ what: String, seconds: Double = 180, _ condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("\(what) did not happen within \(seconds) s")
    }

    /// The tiles of the file's zooms over its box.
    static func addresses(_ file: SeededTiles) -> [TileAddress] {
        file.zooms.flatMap { z in
            let range = TileSeeder.tiles(z: z, box: file.box)
            return range.y.flatMap { y in range.x.compactMap { x in TileAddress(z: z, x: x, y: y) } }
        }
    }

    static func uri(_ address: TileAddress) -> String { "/tiles/WebMercatorQuad/\(address.z)/\(address.y)/\(address.x)" }

    static let sources = FeatureCollection.all.map(TileLayerSource.init(collection:))

    /// A coverage run at half the walking speed: new figures on buildings, grids and communities.
    static func newCoverageRun(_ store: Store) throws {
        let profile = try LifeCircleProfile.gb50180.with(walkingSpeed: LifeCircleProfile.gb50180.walkingSpeed / 2)
        try CoverageRuns.save(try CoverageJob.compute(store: store, profile: profile), store: store, seconds: 0)
    }

    static func temporaries(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".partial-") }
    }

    @Test("a missing file is seeded; its tiles are the drawn ones; after a change the new data's at once, then a new file")
    func seedsAndFollowsChanges() async throws {
        let demo = try DemoStore()
        let path = demo.directory.appendingPathComponent("demo.mbtiles").path
        let lines = Lines()
        let drawing = TileService(store: demo.store, capacityBytes: 0)
        try await Self.serving(demo.store, Self.plan(path, zooms: 12...15, lines: lines, workers: 2)) { state, client in
            try await Self.waitUntilSeeded(client, seedings: 1)
            let file = try SeededTiles(path: path)
            #expect(file.fingerprint == (try TileFingerprint.current(demo.store)))
            #expect(file.zooms == 12...15 && file.layers == FeatureCollection.all.map(\.id) && file.datum == .wgs84)
            let addresses = Self.addresses(file)
            var oldTiles: [TileAddress: [UInt8]] = [:]
            for address in addresses {
                let response = try await client.execute(uri: Self.uri(address), method: .get, headers: [.acceptEncoding: "identity"])
                let body = [UInt8](buffer: response.body)
                #expect(body == (try drawing.draw(Self.sources, address)), "\(address)")
                oldTiles[address] = body
            }
            #expect(state.tiles.seededCount == addresses.count, "every tile answered from the file")
            // A new coverage run: the very next answers are the new data's, drawn, never the old file's.
            try Self.newCoverageRun(demo.store)
            var changed = 0
            for address in addresses {
                let response = try await client.execute(uri: Self.uri(address), method: .get, headers: [.acceptEncoding: "identity"])
                let body = [UInt8](buffer: response.body)
                #expect(body == (try drawing.draw(Self.sources, address)), "\(address) after the change")
                if body != oldTiles[address] { changed += 1 }
            }
            #expect(changed > addresses.count / 2, "the new run changes the tiles (\(changed) of \(addresses.count))")
            #expect(try await Self.health(client)["current"]?.boolValue == false || state.tiles.seeded !== file)
            try await Self.waitUntilSeeded(client, seedings: 2)
            let reseeded = try SeededTiles(path: path)
            #expect(reseeded.fingerprint == (try TileFingerprint.current(demo.store)))
            #expect(reseeded.fingerprint != file.fingerprint)
            // The new file holds the new data's tiles, and is the one answered from.
            #expect(state.tiles.seeded?.fingerprint == reseeded.fingerprint)
            for address in addresses {
                #expect(try reseeded.tile(address) == (try drawing.draw(Self.sources, address)), "\(address) in the new file")
            }
            let seededBefore = state.tiles.seededCount
            for address in addresses {
                let response = try await client.execute(uri: Self.uri(address) + "?datum=gcj02", method: .get, headers: [.acceptEncoding: "identity"])
                #expect([UInt8](buffer: response.body) == (try drawing.draw(Self.sources, address, datum: .gcj02)), "\(address) in GCJ-02, drawn")
            }
            #expect(state.tiles.seededCount == seededBefore, "a datum the file does not hold is drawn")
            let health = try await Self.health(client)
            #expect(health["reseeding"]?.stringValue == "idle")
            #expect(health["last_seeding"]?["tiles"]?.intValue ?? 0 > 0)
        }
        #expect(try Self.temporaries(demo.directory).isEmpty)
        let started = lines.all.filter { $0.hasPrefix("seeding \(path) in the background") }
        let done = lines.all.filter { $0.hasPrefix("seeded \(path): ") && $0.contains(" tiles in ") }
        #expect(started.count == 2 && done.count == 2, "\(lines.all)")
        #expect(!lines.all.contains { $0.hasPrefix("warning:") }, "\(lines.all)")
    }

    @Test("a file seeded before the last change is replaced; a file with other zooms too")
    func staleFileReplaced() async throws {
        let demo = try DemoStore()
        let path = demo.directory.appendingPathComponent("demo.mbtiles").path
        _ = try TileSeeder.seed(store: demo.store, request: .init(minZoom: 13, maxZoom: 14, bbox: nil, datum: .wgs84, output: path), workers: 2)
        let stale = try SeededTiles(path: path)
        try Self.newCoverageRun(demo.store)
        let lines = Lines()
        try await Self.serving(demo.store, Self.plan(path, zooms: 13...14, lines: lines), seeded: stale) { state, client in
            try await Self.waitUntilSeeded(client, seedings: 1)
            let file = try SeededTiles(path: path)
            #expect(file.fingerprint == (try TileFingerprint.current(demo.store)) && file.fingerprint != stale.fingerprint)
            #expect(state.tiles.seeded?.fingerprint == file.fingerprint)
        }
        #expect(lines.all.contains { $0.contains("(the store changed since it was seeded)") }, "\(lines.all)")
        // The same fingerprint, other zooms: seeded again with the plan's.
        let current = try SeededTiles(path: path)
        let moreLines = Lines()
        try await Self.serving(demo.store, Self.plan(path, zooms: 12...13, lines: moreLines), seeded: current) { _, client in
            try await Self.waitUntilSeeded(client, seedings: 1)
        }
        #expect(try SeededTiles(path: path).zooms == 12...13)
        #expect(moreLines.all.contains { $0.contains("(its zooms, layers or datum are not these)") }, "\(moreLines.all)")
        // A file that is current is kept as it is: nothing seeded.
        let kept = try SeededTiles(path: path)
        let quiet = Lines()
        try await Self.serving(demo.store, Self.plan(path, zooms: 12...13, lines: quiet), seeded: kept) { _, client in
            try await Self.waitUntilSeeded(client, seedings: 0)
            try await Task.sleep(for: .milliseconds(800))
            let health = try await Self.health(client)
            #expect(health["reseeding"]?.stringValue == "idle" && health["seedings"]?.intValue == 0)
        }
        #expect(quiet.all.isEmpty, "\(quiet.all)")
        #expect(try Self.temporaries(demo.directory).isEmpty)
    }

    @Test("a change while seeding abandons the file; stopping the server mid-seed leaves no temporary and no file")
    func abandonedAndStopped() async throws {
        let demo = try DemoStore()
        let path = demo.directory.appendingPathComponent("demo.mbtiles").path
        // Zooms deep enough that seeding takes a while (tens of thousands of tiles: it never finishes here).
        let box = try #require(try TileSeeder.box(store: demo.store, given: nil))
        let maxZoom = try #require((14...22).first { TileSeeder.tileCount(minZoom: 12, maxZoom: $0, box: box, datum: .wgs84) >= 20000 })
        let lines = Lines()
        let temporary = TileSeeder.temporaryPath(for: path)
        let stopSeconds = try await Self.serving(demo.store, Self.plan(path, zooms: 12...maxZoom, lines: lines)) { state, client in
            try await Self.waitFor("a seeding under way") { FileManager.default.fileExists(atPath: temporary) && state.reseeder?.status.phase == .seeding }
            try Self.newCoverageRun(demo.store)
            try await Self.waitFor("the seeding abandoned") { lines.all.contains { $0.hasPrefix("the store changed while \(path) was seeded") } }
            #expect(!FileManager.default.fileExists(atPath: path), "an abandoned seeding leaves no file")
            // The next seeding starts once the data is still; the server stops in the middle of it.
            try await Self.waitFor("a second seeding under way") {
                FileManager.default.fileExists(atPath: temporary) && state.reseeder?.status.phase == .seeding
            }
            let tile = try #require(TileAddress(z: 14, x: TileSeeder.tiles(z: 14, box: box).x.lowerBound, y: TileSeeder.tiles(z: 14, box: box).y.lowerBound))
            let response = try await client.execute(uri: Self.uri(tile), method: .get, headers: [.acceptEncoding: "identity"])
            #expect([UInt8](buffer: response.body) == (try TileService(store: demo.store, capacityBytes: 0).draw(Self.sources, tile)), "drawn while seeding")
            let stopping = Date()
            state.reseeder?.stop()
            #expect(state.reseeder?.status.phase == .stopped)
            return Date().timeIntervalSince(stopping)
        }
        #expect(stopSeconds < 10, "stopped in \(stopSeconds) s")
        #expect(!FileManager.default.fileExists(atPath: temporary))
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try Self.temporaries(demo.directory).isEmpty)
        #expect(lines.all.filter { $0.hasPrefix("seeding \(path) in the background") }.count == 2, "\(lines.all)")
        #expect(!lines.all.contains { $0.hasPrefix("seeded ") }, "\(lines.all)")
    }

    @Test("seeding on threads of its own at the lowest priority writes the tiles the shared pool writes")
    func ownThreadsSameTiles() throws {
        let demo = try DemoStore()
        let pooled = demo.directory.appendingPathComponent("pooled.mbtiles").path
        _ = try TileSeeder.seed(store: demo.store, request: .init(minZoom: 12, maxZoom: 15, bbox: nil, datum: .wgs84, output: pooled), workers: 2)
        let reference = try SeededTiles(path: pooled)
        let addresses = Self.addresses(reference)
        // Several times over: each seeding starts and ends its threads.
        for round in 0..<4 {
            let own = demo.directory.appendingPathComponent("own-\(round).mbtiles").path
            let outcome = try TileSeeder.seed(store: demo.store, request: .init(minZoom: 12, maxZoom: 15, bbox: nil, datum: .wgs84, output: own, onlyUnchanged: true),
                                              workers: 1 + round % 2, lowestPriority: true)
            #expect(outcome.fingerprint == reference.fingerprint)
            let file = try SeededTiles(path: own)
            for address in addresses { #expect(try file.tile(address) == (try reference.tile(address)), "\(address)") }
        }
        // Told to stop: nothing written, no temporary.
        let stopped = demo.directory.appendingPathComponent("stopped.mbtiles").path
        #expect(throws: TileSeeder.Stopped.self) {
            try TileSeeder.seed(store: demo.store, request: .init(minZoom: 12, maxZoom: 15, bbox: nil, datum: .wgs84, output: stopped),
                                workers: 2, lowestPriority: true, stops: { true })
        }
        #expect(!FileManager.default.fileExists(atPath: stopped))
        #expect(try Self.temporaries(demo.directory).isEmpty)
    }

    @Test("a file that cannot be written is reported once; tiles are drawn")
    func unwritableReportedOnce() async throws {
        let demo = try DemoStore()
        let path = demo.directory.appendingPathComponent("missing/demo.mbtiles").path
        let lines = Lines()
        try await Self.serving(demo.store, Self.plan(path, zooms: 12...13, lines: lines)) { state, client in
            try await Self.waitFor("the seeding failed") { state.reseeder?.status.phase == .failed }
            try Self.newCoverageRun(demo.store)
            // Tried again after the change, failing the same way.
            try await Self.waitFor("a second attempt") { lines.all.filter { $0.hasPrefix("seeding ") }.count == 2 }
            try await Self.waitFor("the second attempt failed") { state.reseeder?.status.phase == .failed }
            let health = try await Self.health(client)
            #expect(health["current"]?.boolValue == false && health["reseeding"]?.stringValue == "failed")
            let box = try #require(try TileSeeder.box(store: demo.store, given: nil))
            let range = TileSeeder.tiles(z: 13, box: box)
            let address = try #require(TileAddress(z: 13, x: range.x.lowerBound, y: range.y.lowerBound))
            let response = try await client.execute(uri: Self.uri(address), method: .get, headers: [.acceptEncoding: "identity"])
            #expect([UInt8](buffer: response.body) == (try TileService(store: demo.store, capacityBytes: 0).draw(Self.sources, address)))
        }
        let warnings = lines.all.filter { $0.hasPrefix("warning: cannot seed \(path) in the background") }
        #expect(warnings.count == 1, "\(lines.all)")
    }
}
