import DemoCity
import Foundation
import GridAnalysis
import GridModel
import GridServer
import GridServices
import GridStore
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
// The helpers every test target shares (SharedData, TemporaryDirectory, Python), in every file here.
@_exported import TestSupport

/// The demo district loaded into a fresh store (network, buildings, facilities, communities, grids, register)
/// with one coverage run saved, as `scripts/demo.sh` leaves it.
final class DemoStore: Sendable {
    let directory: URL
    let store: Store

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let district = District.generate(.demo)
        func write(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            return url.path
        }
        store = try Store.create(path: directory.appendingPathComponent("demo.sqlite").path)
        _ = try OSMImporter.run(store: store, path: try write("demo.osm", district.osmXML()))
        _ = try GeoJSONImporter.run(store: store, path: try write("communities.geojson", district.communitiesGeoJSON()), layer: .communities)
        _ = try GeoJSONImporter.run(store: store, path: try write("grids.geojson", district.gridsGeoJSON()), layer: .grids)
        _ = try HouseholdRegisterImporter.run(store: store, path: try write("households.csv", district.registerCSV()))
        let coverage = try CoverageJob.compute(store: store, profile: .gb50180)
        try CoverageRuns.save(coverage, store: store, seconds: 0)
    }

    /// Shared by the read-only tests; built once and removed when the test process exits (statics never deinit).
    static let shared: DemoStore = {
        let store = try! DemoStore()
        sharedDirectory.withLock { $0 = store.directory.path }
        atexit {
            if let path = DemoStore.sharedDirectory.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
        }
        return store
    }()
    private static let sharedDirectory = Mutex<String?>(nil)

    deinit { try? FileManager.default.removeItem(at: directory) }
}

let writeToken = "test-token-0123456789abcdef"

func settings(port: Int = 0) -> ServerSettings {
    var settings = ServerSettings()
    settings.port = port
    settings.writeToken = writeToken
    // The test client keeps one connection for a whole test, and a test that drives a browser or computes may leave it
    // unused for longer than the served default; the idle deadline itself is tested with its own short setting.
    settings.connection.idleSeconds = 600
    return settings
}

/// The server as `serve` runs it (routes, middleware, connection deadlines), without marking runs abandoned.
func application(_ store: Store, _ settings: ServerSettings = settings()) -> some ApplicationProtocol {
    Application(router: GridServer.router(store: store, settings: settings), server: GridServer.httpServer(settings),
                configuration: .init(address: .hostname("127.0.0.1", port: settings.port)))
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var json: JSONValue {
        get throws { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
    }
}

/// Feature ids of a FeatureCollection.
func featureIDs(_ collection: JSONValue) -> [Int] {
    (collection["features"]?.arrayValue ?? []).compactMap { $0["id"]?.intValue }
}
