import Foundation
import GRDB
import GridModel
import GridServer
import GridStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("A live server on 127.0.0.1")
struct LiveServerTests {
    @Test("Monaco from OSM: viewport queries over a real socket return exactly the intersecting buildings",
          .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
    func realData() async throws {
        let directory = try TemporaryDirectory(prefix: "communitygrid-live")
        let store = try Store.create(path: directory.path("monaco.sqlite"))
        _ = try OSMImporter.run(store: store, path: SharedData.path("dense_monaco_2021-04-19.osm.pbf"))
        let buildings: [(Int, Geometry)] = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, AsBinary(footprint) FROM buildings").map { ($0[0], try Geometry(wkb: [UInt8]($0[1] as Data))) }
        }
        #expect(buildings.count > 1000)
        let boxes = [
            BoundingBox(minLongitude: 7.4200, minLatitude: 43.7300, maxLongitude: 7.4260, maxLatitude: 43.7340),
            BoundingBox(minLongitude: 7.4090, minLatitude: 43.7250, maxLongitude: 7.4140, maxLatitude: 43.7290),
            BoundingBox(minLongitude: 7.4300, minLatitude: 43.7400, maxLongitude: 7.4400, maxLatitude: 43.7480),
        ]
        try await application(store).testLive { client in
            #expect(client.port != nil)
            for box in boxes {
                let expected = buildings.filter { $0.1.intersects(box) }.map(\.0).sorted()
                #expect(!expected.isEmpty)
                var seen: [Int] = []
                var offset = 0
                while true {
                    let response = try await client.execute(
                        uri: "/collections/buildings/items?bbox=\(box.minLongitude),\(box.minLatitude),\(box.maxLongitude),\(box.maxLatitude)&limit=100&offset=\(offset)",
                        method: .get, headers: [.acceptEncoding: "identity"])
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/geo+json")
                    let page = try response.json
                    #expect(page["numberMatched"]?.intValue == expected.count)
                    seen += featureIDs(page)
                    offset += 100
                    if offset >= expected.count { break }
                }
                #expect(seen == expected)
            }
            let item = try await client.execute(uri: "/collections/buildings/items/\(buildings[0].0)", method: .get)
            #expect(item.status == .ok)
            let again = try await client.execute(uri: "/collections/buildings/items/\(buildings[0].0)", method: .get,
                                                 headers: [.ifNoneMatch: item.headers[.eTag] ?? ""])
            #expect(again.status == .notModified)
        }
    }

    @Test("the map page in headless Chromium loads every layer without console errors, draws isochrones, and is saved as a screenshot",
          arguments: MapPageBrowserTests.libraries)
    func mapPageInChromium(library: String) async throws {
        guard MapPageBrowserTests.available(library) else { return }
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("skipped: Debian's chromium is not installed (scripts/setup.sh installs it)")
            return
        }
        guard FileManager.default.fileExists(atPath: "/usr/share/javascript/leaflet/leaflet.js") else {
            print("skipped: Debian's libjs-leaflet is not installed (scripts/setup.sh installs it)")
            return
        }
        let demo = DemoStore.shared
        let counts = try demo.store.read { db in
            try ["communities", "grids", "buildings", "facilities"].map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") ?? 0 }
        }
        let origin: [Double] = try demo.store.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT X(geom), Y(geom) FROM facilities WHERE category = 'school' ORDER BY id LIMIT 1")!
            return [row[0], row[1]]
        }
        let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-map-\(library).png")
        try await application(demo.store).test(.live) { client in
            let port = try #require(client.port)
            let url = "http://127.0.0.1:\(port)/?lib=\(library)#at=\(origin[0]),\(origin[1])"
            let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--disable-dev-shm-usage", "--virtual-time-budget=120000"]
            let (status, dom) = try await MapPageDOM.dumpReady(chromium, flags, url)
            #expect(status == 0)
            let statusTag = try #require(dom.range(of: #"<div id="status"[^>]*>"#, options: .regularExpression).map { String(dom[$0]) }, "\(dom.prefix(2000))")
            func attribute(_ name: String) -> String? {
                guard let range = statusTag.range(of: "\(name)=\"([^\"]*)\"", options: .regularExpression) else { return nil }
                return String(statusTag[range].dropFirst(name.count + 2).dropLast())
            }
            #expect(attribute("data-ready") == "true", "\(statusTag)")
            #expect(attribute("data-errors") == "0", "\(dom.suffix(3000))")
            #expect(attribute("data-communities") == String(counts[0]))
            #expect(attribute("data-grids") == String(counts[1]))
            #expect(attribute("data-buildings") == String(counts[2]))
            #expect(attribute("data-facilities") == String(counts[3]))
            #expect(attribute("data-isochrones") == "3")
            #expect(attribute("data-library") == library)
            try? FileManager.default.removeItem(at: screenshot)
            let (shotStatus, _) = try await Browser.run(chromium, flags + ["--window-size=1280,900", "--screenshot=\(screenshot.path)", url])
            #expect(shotStatus == 0)
        }
        let png = try Data(contentsOf: screenshot)
        #expect(png.count > 20_000 && png.prefix(4) == Data([0x89, 0x50, 0x4e, 0x47]))
        print("map page screenshot: \(screenshot.path) (\(png.count) bytes)")
    }
}

enum Browser {
    /// One browser at a time in the test process: a MapLibre page renders WebGL in software, and two of them at once on
    /// two cores starve the in-process servers every other suite is talking to.
    private static let oneAtATime = DispatchSemaphore(value: 1)

    /// Runs the browser off the cooperative pool, so the in-process server keeps answering it.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                oneAtATime.wait()
                defer { oneAtATime.signal() }
                continuation.resume(with: Result {
                    var arguments = arguments
                    var profile: URL?
                    if URL(fileURLWithPath: executable).lastPathComponent.hasPrefix("chromium") {
                        // A profile of its own: browsers started at once on the shared default profile hand their
                        // page to each other and one of them never ends.
                        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-chromium-\(UUID().uuidString)")
                        arguments.insert("--user-data-dir=\(folder.path)", at: 0)
                        profile = folder
                    }
                    defer { if let profile { try? FileManager.default.removeItem(at: profile) } }
                    let result = try Processes.run(executable, arguments)
                    return (result.status, result.stdout)
                })
            }
        }
    }
}
