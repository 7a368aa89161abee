import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServer
import GridServices
import GridStore
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// GET /coverage/minutes on Wudaokou (OSM 2017): the figure the map colours buildings by, checked against the run's own
/// coverage figures (one definition of reach).
@Suite("Walking minutes per building over HTTP on real data", .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
struct CoverageMinutesAPITests {
    @Test("minutes are the run's reach distance at its walking speed: the households within each requirement's limit are the ones coverage counts")
    func minutesAgreeWithCoverage() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-minutes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try CoverageRunsAPITests.wudaokou(directory)
        let households: [Int: Int] = try store.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, households FROM buildings").map { ($0[0], $0[1]) })
        }
        let bodies = Mutex<[(schema: String, body: String)]>([])
        try await application(store).test(.router) { client in
            let none = try await client.execute(uri: "/coverage/minutes?category=school", method: .get)
            #expect(none.status == .notFound, "\(none.text)")
        }
        try CoverageRunsAPITests.saveRun(store)
        try await application(store).test(.router) { client in
            let coverage = try await client.execute(uri: "/coverage", method: .get).json
            let levels = coverage["summary"]?["levels"]?.arrayValue ?? []
            let runBuildings = coverage["summary"]?["buildings"]?.intValue ?? -1
            var checked = 0
            for level in levels {
                for requirement in level["requirements"]?.arrayValue ?? [] {
                    let category = try #require(requirement["category"]?.stringValue)
                    let limit = try #require(requirement["limit_m"]?.doubleValue)
                    let response = try await client.execute(uri: "/coverage/minutes?category=\(category)", method: .get)
                    #expect(response.status == .ok)
                    if checked == 0 { bodies.withLock { $0.append(("CoverageMinutes", response.text)) } }
                    let body = try response.json
                    let speed = try #require(body["walking_speed"]?.doubleValue)
                    #expect(speed == LifeCircleProfile.gb50180.walkingSpeed)
                    let rows = body["buildings"]?.arrayValue ?? []
                    let unreached = body["unreached"]?.arrayValue ?? []
                    #expect(rows.count + unreached.count == runBuildings, "\(category)")
                    var within = 0
                    for row in rows {
                        let distance = try #require(row["distance_m"]?.doubleValue)
                        let minutes = try #require(row["minutes"]?.doubleValue)
                        #expect(abs(minutes - distance / (speed * 60)) <= 0.005 + 1e-9)
                        if distance <= limit { within += households[try #require(row["id"]?.intValue)] ?? 0 }
                    }
                    #expect(within == requirement["households_covered"]?.intValue, "\(category) at \(level["minutes"]?.doubleValue ?? 0) min")
                    checked += 1
                }
            }
            #expect(checked >= 8)
            // Wudaokou has no community service station: every building is unreached, none has minutes.
            let missing = try await client.execute(uri: "/coverage/minutes?category=community_service", method: .get).json
            #expect(missing["buildings"]?.arrayValue?.isEmpty == true && missing["unreached"]?.arrayValue?.count == runBuildings)
            for (uri, status, parameter) in [("/coverage/minutes", HTTPResponse.Status.badRequest, "category"),
                                             ("/coverage/minutes?category=school&run=x", .badRequest, "run"),
                                             ("/coverage/minutes?category=school&run=0", .badRequest, "run"),
                                             ("/coverage/minutes?category=school&run=99999999999999999999", .badRequest, "run"),
                                             ("/coverage/minutes?category=cinema", .unprocessableContent, "category"),
                                             ("/coverage/minutes?category=school&bbox=1", .badRequest, "bbox")] {
                let refused = try await client.execute(uri: uri, method: .get)
                #expect(refused.status == status, "\(uri): \(refused.text)")
                #expect(try refused.json["parameter"]?.stringValue == parameter, "\(uri)")
            }
            let unknownRun = try await client.execute(uri: "/coverage/minutes?category=school&run=7", method: .get)
            #expect(unknownRun.status == .notFound && unknownRun.text.contains("stored: 1"))
            let api = try await client.execute(uri: "/api", method: .get)
            bodies.withLock { $0.append(("openapi", api.text)) }
        }
        try CoverageRunsAPITests.validate(bodies.withLock { $0 }, directory: directory)
    }
}

/// The map page as a planner sees it: headless Chromium on a live server, real OSM data (Wudaokou, cut into grids as
/// the other real-data tests do) and the demo district; every figure on the page is checked against the API. Each
/// check runs on both adapters: Leaflet (`?lib=leaflet`, every feature as GeoJSON) and MapLibre GL JS
/// (`?lib=maplibre`, buildings and facilities from the vector tiles), when its files are installed.
@Suite("The map page in Chinese in headless Chromium")
struct MapPageBrowserTests {
    static let libraries = ["leaflet", "maplibre"]
    static let maplibreDirectory = ServerSettings().maplibreDirectory

    /// Whether the page can be drawn with `library` here (MapLibre GL JS is unpacked by scripts/setup.sh).
    static func available(_ library: String) -> Bool {
        guard library == "maplibre" else { return true }
        guard FileManager.default.fileExists(atPath: maplibreDirectory + "/maplibre-gl.js") else {
            print("skipped: MapLibre GL JS is not in \(maplibreDirectory) (scripts/setup.sh unpacks it)")
            return false
        }
        return true
    }

    /// Where screenshots go: $COMMUNITYGRID_SCREENSHOTS, or a fresh folder in the temporary directory (kept, printed).
    static let screenshots: URL = {
        let folder = ProcessInfo.processInfo.environment["COMMUNITYGRID_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-map-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }()

    static var chromium: String? {
        guard FileManager.default.fileExists(atPath: "/usr/share/javascript/leaflet/leaflet.js") else {
            print("skipped: Debian's libjs-leaflet is not installed (scripts/setup.sh installs it)")
            return nil
        }
        guard let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("skipped: Debian's chromium is not installed (scripts/setup.sh installs it)")
            return nil
        }
        return path
    }

    @Test("Wudaokou: Chinese labels, the worst grids and the classes as /coverage gives them, missing categories, the English toggle, minutes, compared runs, moves and isochrones",
          .enabled(if: SharedData.geodata != nil, SharedData.skipReason), arguments: libraries)
    func wudaokou(library: String) async throws {
        guard let chromium = Self.chromium, Self.available(library) else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-mappage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try CoverageRunsAPITests.wudaokou(directory)
        try CoverageRunsAPITests.saveRun(store)
        // A second run after a kindergarten opens, and a grid run to show as moves.
        let kindergarten = directory.appendingPathComponent("k.geojson")
        try Data(#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"k1","properties":{"category":"kindergarten","name":"新幼儿园"},"geometry":{"type":"Point","coordinates":[116.3260,40.0050]}}]}"#.utf8).write(to: kindergarten)
        _ = try GeoJSONImporter.run(store: store, path: kindergarten.path, layer: .facilities)
        try CoverageRunsAPITests.saveRun(store)
        var parameters = GridRuns.Parameters()
        parameters.minimum = 300; parameters.maximum = 500
        let plan = try GridRebalance.run(store: store, parameters: parameters)
        let counts = try store.read { db in
            try ["communities", "grids", "buildings", "facilities"].map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") ?? 0 }
        }
        let school: [Double] = try store.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT X(geom), Y(geom) FROM facilities WHERE category = 'school' ORDER BY id LIMIT 1")!
            return [row[0], row[1]]
        }

        try await application(store).testLive { client in
            let base = "http://127.0.0.1:\(try #require(client.port))/?lib=\(library)"
            let coverage = try await client.execute(uri: "/coverage", method: .get).json
            let missing = (coverage["categories_without_facilities"]?.arrayValue ?? []).compactMap { $0["category"]?.stringValue }
            #expect(!missing.isEmpty)

            // The default page: Chinese, the widest level as the theme.
            let page = try await MapPageDOM.load(chromium, base, screenshot: Self.screenshots.appendingPathComponent("wudaokou-zh-\(library).png"))
            #expect(page.status("data-library") == library)
            #expect(page.status("data-ready") == "true" && page.status("data-errors") == "0", "\(page.errors)")
            #expect(page.status("data-communities") == String(counts[0]) && page.status("data-grids") == String(counts[1]))
            #expect(page.status("data-buildings") == String(counts[2]) && page.status("data-facilities") == String(counts[3]))
            #expect(page.dom.contains(#"<html lang="zh-CN""#))
            #expect(page.text(id: "title") == "社区网格地图")
            #expect(page.text(id: "theme-heading") == "网格着色：住户满足比例")
            #expect(page.text(id: "worst-heading") == "覆盖最差的网格（点击定位）")
            #expect(page.text(id: "buildings-heading") == "建筑着色")
            #expect(page.text(id: "facilities-heading") == "设施（按类别）")
            #expect(page.text(id: "header")?.hasPrefix("点击地图：步行 5、10、15 分钟等时圈") == true)
            #expect(page.text(id: "summary") == "\(counts[0]) 个社区，\(counts[1]) 个网格，\(counts[2]) 栋建筑，\(counts[3]) 处设施")
            #expect(page.text(id: "scheme")?.contains("等间距，每级 20 个百分点") == true)
            #expect(page.dom.contains("15 分钟生活圈（全部要求）"))
            #expect(page.status("data-theme") == "level:15")
            try MapPageExpectations.checkTheme(page, coverage: coverage, minutes: 15, category: nil)
            // Categories with no facility are listed as such, by their Chinese names.
            for category in missing {
                let item = try #require(page.element("li", attribute: "data-category", value: category), "\(category)")
                #expect(item.contains(#"class="missing""#) && item.contains("无设施") && item.contains(#"data-count="0""#), "\(item)")
            }
            #expect(page.element("li", attribute: "data-category", value: "community_service")?.contains("社区服务站") == true)
            #expect(page.element("li", attribute: "data-category", value: "kindergarten")?.contains("幼儿园") == true)

            // English is the toggle's link away; the same checks on a requirement's theme, walking minutes and isochrones.
            let toggle = try #require(page.attribute(of: "lang-toggle", "href"))
            #expect(page.text(id: "lang-toggle") == "English")
            let english = try await MapPageDOM.load(chromium, base + toggle + "&theme=requirement:10:school&buildings=minutes:school&at=\(school[0]),\(school[1])",
                                                    screenshot: Self.screenshots.appendingPathComponent("wudaokou-en-\(library).png"))
            #expect(english.status("data-ready") == "true" && english.status("data-errors") == "0", "\(english.errors)")
            #expect(english.dom.contains(#"<html lang="en""#) && english.status("data-lang") == "en")
            #expect(english.text(id: "theme-heading") == "Grids shaded by share of households meeting")
            #expect(english.text(id: "worst-heading") == "Worst-covered grids (click to zoom)")
            #expect(english.text(id: "lang-toggle") == "中文")
            #expect(!english.dom.contains("覆盖最差的网格") && !english.dom.contains("无设施"))
            for category in missing {
                #expect(english.element("li", attribute: "data-category", value: category)?.contains("no facility") == true)
            }
            #expect(english.status("data-theme") == "requirement:10:school")
            try MapPageExpectations.checkTheme(english, coverage: coverage, minutes: 10, category: "school")
            let minutes = try await client.execute(uri: "/coverage/minutes?category=school", method: .get).json
            #expect(english.status("data-minutes-reached") == String(minutes["buildings"]?.arrayValue?.count ?? -1))
            #expect(english.status("data-isochrones") == "3")
            let isochrones = try await client.execute(uri: "/isochrones?lon=\(school[0])&lat=\(school[1])&minutes=5,10,15&profile=gb50180", method: .get).json
            let reached = (isochrones["features"]?.arrayValue ?? []).sorted { ($0["properties"]?["minutes"]?.doubleValue ?? 0) < ($1["properties"]?["minutes"]?.doubleValue ?? 0) }
                .compactMap { $0["properties"]?["households"]?.intValue }
            #expect(reached.count == 3 && english.status("data-reached") == reached.map(String.init).joined(separator: ","))
            #expect(english.dom.contains("15 min: \(reached[2].formatted(.number.locale(Locale(identifier: "en_US")))) households"))

            // Before and after: the kindergarten's run against the first, zoomed to the worst grid by its link.
            let worstLink = try #require(page.element("li", attribute: "data-code", value: page.status("data-worst")?.split(separator: ",").first.map(String.init) ?? "")?
                .firstMatch(of: /href="([^"]*)"/).map { MapPageDOM.unescape(String($0.1)) })
            let compared = try await MapPageDOM.load(chromium, base + worstLink + "&compare=1,2", screenshot: Self.screenshots.appendingPathComponent("wudaokou-compare-\(library).png"))
            #expect(compared.status("data-ready") == "true" && compared.status("data-errors") == "0", "\(compared.errors)")
            let comparison = try await client.execute(uri: "/coverage/compare?a=1&b=2", method: .get).json
            #expect(compared.status("data-changed") == String(comparison["changed_buildings"]?.arrayValue?.count ?? -1))
            for total in comparison["total"]?.arrayValue ?? [] {
                let minutes = total["minutes"]?.doubleValue.map { JSONValue.number($0).stringValue ?? "" } ?? ""
                let row = try #require(compared.dom.firstMatch(of: try Regex(#"<tr data-minutes="\#(minutes)" data-category="\#(total["category"]?.stringValue ?? "")">(.*?)</tr>"#)).map { String($0.output[1].substring ?? "") })
                #expect(MapPageDOM.number(in: row, cell: "gained") == total["households_gained"]?.intValue, "\(row)")
                #expect(MapPageDOM.number(in: row, cell: "lost") == total["households_lost"]?.intValue, "\(row)")
            }
            let focus = try #require(compared.status("data-focus"))
            #expect(worstLink.contains("grid=\(focus)"))
            let grid = try await client.execute(uri: "/collections/grids/items?code=\(focus)", method: .get).json
            let gridBox = try #require(MapPageExpectations.box(grid["features"]?.arrayValue?.first?["geometry"]))
            let viewBox = try #require(compared.status("data-view")?.split(separator: ",").compactMap { Double($0) })
            #expect(viewBox.count == 4 && viewBox[0] <= gridBox[0] && viewBox[1] <= gridBox[1] && viewBox[2] >= gridBox[2] && viewBox[3] >= gridBox[3])
            #expect(viewBox.count == 4 && (viewBox[2] - viewBox[0]) < 4 * (gridBox[2] - gridBox[0]) + 0.002, "\(viewBox) \(gridBox)")

            // The grid run's moves.
            let moved = try await MapPageDOM.load(chromium, base + "#run=\(plan.id)", screenshot: Self.screenshots.appendingPathComponent("wudaokou-moves-\(library).png"))
            #expect(moved.status("data-ready") == "true" && moved.status("data-errors") == "0", "\(moved.errors)")
            let diff = try await client.execute(uri: "/runs/\(plan.id)/diff", method: .get).json
            #expect(moved.status("data-moves") == String(diff["moves"]?.arrayValue?.count ?? -1))
            let householdsMoved = diff["households_moved"]?.intValue ?? -1
            #expect(moved.dom.contains("户改划网格") && moved.dom.contains(householdsMoved.formatted(.number.locale(Locale(identifier: "zh_CN")))))
        }
        print("map page screenshots: \(Self.screenshots.path)")
    }

    @Test("demo district: grid names and codes as labels where they fit, worst grids named in Chinese, a worst grid's link zooms to it",
          arguments: libraries)
    func demoDistrict(library: String) async throws {
        guard let chromium = Self.chromium, Self.available(library) else { return }
        let demo = DemoStore.shared
        try await application(demo.store).testLive { client in
            let base = "http://127.0.0.1:\(try #require(client.port))/?lib=\(library)"
            let coverage = try await client.execute(uri: "/coverage", method: .get).json
            let page = try await MapPageDOM.load(chromium, base, screenshot: Self.screenshots.appendingPathComponent("demo-zh-\(library).png"))
            #expect(page.status("data-library") == library)
            if library == "maplibre" {
                // Ready means the first view's building tiles drawn too: the whole district is in view.
                let drawn = try #require(page.status("data-tiles-drawn").flatMap { Int($0) }, "\(page.statusTag) \(page.errors)")
                let stored = try demo.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM buildings") ?? 0 }
                #expect(drawn > 0 && drawn <= stored, "\(drawn) of \(stored)")
                print("map page (MapLibre, demo district, virtual time): ready after \(page.status("data-load-ms") ?? "?") ms with \(drawn) of \(stored) buildings drawn")
            }
            #expect(page.status("data-ready") == "true" && page.status("data-errors") == "0", "\(page.errors)")
            try MapPageExpectations.checkTheme(page, coverage: coverage, minutes: 15, category: nil)
            let names: [String: String] = try demo.store.read { db in
                Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT code, name FROM grids").map { ($0[0], $0[1]) })
            }
            // Labels: name over code, only as many as fit (not every grid at this zoom), each the grid's own.
            // Leaflet draws them as its tooltips, MapLibre as elements over the canvas.
            let labelClass = library == "leaflet" ? #"leaflet-tooltip grid-label[^"]*"# : "grid-label"
            let labels = page.dom.matches(of: try Regex(#"class="\#(labelClass)"[^>]*data-code="(\d+)"[^>]*>([^<]*)<br>(\d+)<"#))
            #expect(!labels.isEmpty && labels.count < names.count, "\(labels.count)")
            #expect(page.status("data-labels") == String(labels.count))
            for label in labels {
                let code = String(label.output[1].substring ?? ""), name = String(label.output[2].substring ?? "")
                #expect(code == String(label.output[3].substring ?? "") && names[code] == name)
            }
            let worst = try #require(page.status("data-worst")?.split(separator: ",").map(String.init))
            let first = try #require(page.element("li", attribute: "data-code", value: worst[0]))
            #expect(first.contains(names[worst[0]] ?? "?") && first.contains("未覆盖"))
            let link = try #require(first.firstMatch(of: /href="([^"]*)"/).map { MapPageDOM.unescape(String($0.1)) })
            let zoomed = try await MapPageDOM.load(chromium, base + link, screenshot: nil)
            #expect(zoomed.status("data-focus") == worst[0])
            #expect(zoomed.element("li", attribute: "data-code", value: worst[0])?.contains(#"class="focused""#) == true)
            // A click far from the walking network is an answer in Chinese, not a page error.
            let far = try await client.execute(uri: "/isochrones?lon=116.40&lat=39.90", method: .get)
            #expect(far.status == .unprocessableContent)
            let refused = try await MapPageDOM.load(chromium, base + "#at=116.40,39.90", screenshot: nil)
            #expect(refused.status("data-ready") == "true" && refused.status("data-errors") == "0", "\(refused.errors)")
            #expect(refused.text(id: "notice") == "无法从此处计算等时圈（离步行路网太远，或超出允许范围）。")
        }
    }
}

extension MapPageBrowserTests {
    @Test("a GCJ-02 base map: the page asks for GCJ-02 features, zooms to a grid where the base map has it, and its isochrone click reaches the same households",
          arguments: libraries)
    func gcj02BaseMap(library: String) async throws {
        guard let chromium = Self.chromium, Self.available(library) else { return }
        let demo = DemoStore.shared
        var gcj = settings()
        // Port 9 (discard) refuses at once: no tile loads, and nothing is fetched from elsewhere.
        gcj.basemap = Basemap(urlTemplate: "http://127.0.0.1:9/{z}/{x}/{y}.png", isGCJ02: true, attribution: "测试底图")
        let (schoolID, school): (Int, [Double]) = try demo.store.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT id, X(geom), Y(geom) FROM facilities WHERE category = 'school' ORDER BY id LIMIT 1")!
            return (row[0], [row[1], row[2]])
        }
        let gcj02 = CoordinateReferenceSystem.gcj02.uri
        try await application(demo.store, gcj).testLive { client in
            let base = "http://127.0.0.1:\(try #require(client.port))/?lib=\(library)"
            // The isochrone API reads and writes GCJ-02 when asked: same households, contours offset as the base map is.
            let wgs = try await client.execute(uri: "/isochrones?lon=\(school[0])&lat=\(school[1])&minutes=5,10,15", method: .get).json
            let facility = try await client.execute(uri: "/collections/facilities/items/\(schoolID)?crs=\(gcj02)", method: .get).json
            let coordinates = facility["geometry"]?["coordinates"]?.arrayValue ?? []
            let at = coordinates.compactMap(\.doubleValue)
            #expect(at.count == 2)
            let shifted = try await client.execute(uri: "/isochrones?lon=\(at[0])&lat=\(at[1])&minutes=5,10,15&crs=\(gcj02)", method: .get)
            #expect(shifted.headers[.init("Content-Crs")!] == "<\(gcj02)>")
            let households = { (body: JSONValue) in (body["features"]?.arrayValue ?? []).compactMap { $0["properties"]?["households"]?.intValue } }
            #expect(households(try shifted.json) == households(wgs))
            // The first position of the largest contour, written in GCJ-02, is its WGS84 position offset.
            func firstPosition(_ body: JSONValue) -> [Double] {
                let polygons = body["features"]?.arrayValue?.first?["geometry"]?["coordinates"]?.arrayValue
                return (polygons?.first?.arrayValue?.first?.arrayValue?.first?.arrayValue ?? []).compactMap(\.doubleValue)
            }
            let first = firstPosition(try shifted.json), plain = firstPosition(wgs)
            #expect(first.count == 2 && plain.count == 2)
            if first.count == 2, plain.count == 2 {
                let offset = CoordinateReferenceSystem.gcj02.fromWGS84(Coordinate(longitude: plain[0], latitude: plain[1]))
                #expect(abs(first[0] - offset.longitude) < 1e-7 && abs(first[1] - offset.latitude) < 1e-7, "\(first) \(offset)")
                #expect(abs(first[0] - plain[0]) > 0.001)
            }
            #expect(try await client.execute(uri: "/isochrones?lon=\(at[0])&lat=\(at[1])&crs=EPSG:3857", method: .get).status == .badRequest)

            let code: String = try demo.store.read { try String.fetchOne($0, sql: "SELECT code FROM grids ORDER BY code LIMIT 1")! }
            let page = try await MapPageDOM.load(chromium, base + "#grid=\(code)&at=\(at[0]),\(at[1])", screenshot: Self.screenshots.appendingPathComponent("demo-gcj02-\(library).png"))
            #expect(page.status("data-ready") == "true" && page.status("data-errors") == "0", "\(page.errors)")
            #expect(page.status("data-crs") == gcj02)
            #expect(page.dom.contains("http://127.0.0.1:9/{z}/{x}/{y}.png") && page.dom.contains("测试底图"))
            #expect(page.status("data-isochrones") == "3")
            #expect(page.status("data-reached") == households(wgs).reversed().map(String.init).joined(separator: ","))
            // The view centres on the grid's GCJ-02 outline, not on its WGS84 one.
            let shiftedGrid = try await client.execute(uri: "/collections/grids/items?code=\(code)&crs=\(gcj02)", method: .get).json
            let plainGrid = try await client.execute(uri: "/collections/grids/items?code=\(code)", method: .get).json
            let gcjBox = try #require(MapPageExpectations.box(shiftedGrid["features"]?.arrayValue?.first?["geometry"]))
            let wgsBox = try #require(MapPageExpectations.box(plainGrid["features"]?.arrayValue?.first?["geometry"]))
            let view = try #require(page.status("data-view")?.split(separator: ",").compactMap { Double($0) })
            func distance(_ box: [Double]) -> Double { hypot((view[0] + view[2] - box[0] - box[2]) / 2, (view[1] + view[3] - box[1] - box[3]) / 2) }
            #expect(view.count == 4 && distance(gcjBox) < 0.0005 && distance(wgsBox) > 0.002, "\(view) \(gcjBox) \(wgsBox)")
        }
    }
}

/// What the page must show for a theme, computed from /coverage with the page's stated rules.
enum MapPageExpectations {
    /// Equal intervals of 20 percentage points, as the legend states.
    static func shareClass(_ share: Double) -> Int { [0.2, 0.4, 0.6, 0.8].filter { share >= $0 }.count }

    static func checkTheme(_ page: MapPageDOM, coverage: JSONValue, minutes: Double, category: String?) throws {
        var expectedClasses: [String: Int?] = [:]
        var ranked: [(code: String, share: Double, uncovered: Int)] = []
        for grid in coverage["grids"]?.arrayValue ?? [] {
            let code = try #require(grid["code"]?.stringValue)
            let households = grid["households"]?.intValue ?? 0
            let level = try #require(grid["levels"]?.arrayValue?.first { $0["minutes"]?.doubleValue == minutes })
            let item = try category.map { name in try #require(level["requirements"]?.arrayValue?.first { $0["category"]?.stringValue == name }) } ?? level
            let share = try #require(item["share"]?.doubleValue)
            let covered = try #require(item["households_covered"]?.intValue)
            guard households > 0 else { expectedClasses[code] = .some(nil); continue }
            expectedClasses[code] = shareClass(share)
            ranked.append((code, share, households - covered))
        }
        ranked.sort { ($0.share, -$0.uncovered, $0.code) < ($1.share, -$1.uncovered, $1.code) }
        #expect(page.status("data-worst") == ranked.prefix(10).map(\.code).joined(separator: ","))
        let shown = try JSONDecoder().decode([String: Int?].self, from: Data(try #require(page.status("data-classes")).utf8))
        #expect(shown == expectedClasses)
        // The legend's counts per class.
        for index in 0..<5 {
            let count = expectedClasses.values.filter { $0 == index }.count
            #expect(page.element("li", attribute: "data-class", value: String(index))?.contains(#"data-count="\#(count)""#) == true, "class \(index)")
        }
        // The worst grid's line shows its share and its households not covered.
        if let worst = ranked.first, let item = page.element("li", attribute: "data-code", value: worst.code) {
            #expect(item.contains(String(format: "%.1f", worst.share * 100)), "\(item)")
        }
    }

    /// [west, south, east, north] of a GeoJSON geometry.
    static func box(_ geometry: JSONValue?) -> [Double]? {
        var box = [Double.infinity, .infinity, -Double.infinity, -Double.infinity]
        func walk(_ value: JSONValue) {
            guard let items = value.arrayValue else { return }
            if items.count >= 2, let x = items[0].doubleValue, let y = items[1].doubleValue {
                box = [min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)]
            } else { items.forEach(walk) }
        }
        if let coordinates = geometry?["coordinates"] { walk(coordinates) }
        return box[0] <= box[2] ? box : nil
    }
}

/// The page's DOM after its scripts ran (chromium --dump-dom), with a screenshot of the same address.
struct MapPageDOM {
    let dom: String
    let statusTag: String

    /// MapLibre draws with WebGL, which headless Chromium without a GPU gives only through SwiftShader.
    /// Virtual time runs on while MapLibre's workers decode tiles in real time and the page polls for its drawn frame:
    /// on a loaded machine 30 s of it ran out before a page was drawn. A ready page ends its polling, so a larger
    /// budget costs a page that loads nothing.
    static let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--disable-dev-shm-usage", "--virtual-time-budget=120000",
                        "--window-size=1400,900"]

    static func load(_ chromium: String, _ url: String, screenshot: URL?) async throws -> MapPageDOM {
        let (status, dom) = try await dumpReady(chromium, flags, url)
        #expect(status == 0)
        let tag = dom.firstMatch(of: /<div id="status"[^>]*>/).map { String($0.output) } ?? ""
        if let screenshot {
            try? FileManager.default.removeItem(at: screenshot)
            let (shot, _) = try await Browser.run(chromium, flags + ["--screenshot=\(screenshot.path)", url])
            let png = (try? Data(contentsOf: screenshot)) ?? Data()
            #expect(shot == 0 && png.count > 20_000 && png.prefix(4) == Data([0x89, 0x50, 0x4e, 0x47]), "\(screenshot.path)")
            print("map page screenshot: \(screenshot.path) (\(png.count) bytes) of \(url)")
        }
        return MapPageDOM(dom: dom, statusTag: tag)
    }

    /// The DOM of a page that set `data-ready`, loaded again up to twice when it did not. Virtual time runs while
    /// MapLibre's workers decode tiles and the page polls for its drawn frame in real time, so on two saturated cores
    /// the budget can run out before a page that is not stuck is drawn (seen in CI with every suite running). Every
    /// check on the page's contents still applies to the DOM returned; a page that never gets ready still fails them.
    static func dumpReady(_ chromium: String, _ flags: [String], _ url: String) async throws -> (Int32, String) {
        var attempt = 1
        while true {
            let (status, dom) = try await Browser.run(chromium, flags + ["--dump-dom", url])
            let tag = dom.firstMatch(of: /<div id="status"[^>]*>/).map { String($0.output) } ?? ""
            if tag.contains(#" data-ready="true""#) || attempt == 3 { return (status, dom) }
            print("map page not ready within the virtual time budget (attempt \(attempt), status \(status)), loaded again: \(url)\n  \(tag)")
            attempt += 1
        }
    }

    var errors: String { dom.firstMatch(of: /<ul id="errors">.*?<\/ul>/).map { String($0.output) } ?? "" }

    /// A data attribute of the status element, entities decoded.
    func status(_ name: String) -> String? {
        statusTag.firstMatch(of: try! Regex(" \(name)=\"([^\"]*)\"")).map { Self.unescape(String($0.output[1].substring ?? "")) }
    }

    /// The text of the element with this id (tags inside removed).
    func text(id: String) -> String? {
        guard let match = dom.firstMatch(of: try! Regex("<([a-z0-9]+) id=\"\(id)\"[^>]*>(.*?)</\\1>")) else { return nil }
        return Self.unescape(String(match.output[2].substring ?? "").replacing(/<[^>]*>/, with: ""))
    }

    func attribute(of id: String, _ name: String) -> String? {
        guard let tag = dom.firstMatch(of: try! Regex("<[a-z]+ id=\"\(id)\"[^>]*>")) else { return nil }
        return String(tag.output[0].substring ?? "").firstMatch(of: try! Regex(" \(name)=\"([^\"]*)\"")).map { Self.unescape(String($0.output[1].substring ?? "")) }
    }

    /// The whole element `<tag … attribute="value" …>…</tag>` (not nested in one of its own kind).
    func element(_ tag: String, attribute: String, value: String) -> String? {
        dom.firstMatch(of: try! Regex("<\(tag) [^>]*\(attribute)=\"\(NSRegularExpression.escapedPattern(for: value))\"[^>]*>.*?</\(tag)>")).map { String($0.output[0].substring ?? "") }
    }

    /// The whole number in a table row's cell of this class ("1,234" → 1234).
    static func number(in row: String, cell: String) -> Int? {
        row.firstMatch(of: try! Regex("<td class=\"\(cell)\">([^<]*)</td>")).flatMap { Int(String($0.output[1].substring ?? "").filter(\.isNumber)) }
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// The page's files as the server sends them, and the line between the page's logic and the map library.
@Suite("Map page files")
struct MapPageFilesTests {
    @Test("served from /static/map/ with ETag, gzip and 304 like every read; the logic script makes no map-library call")
    func files() async throws {
        try await application(DemoStore.shared.store).test(.router) { client in
            var scripts: [String: String] = [:]
            for (name, type) in [("map.css", "text/css; charset=utf-8"), ("map-i18n.js", "text/javascript; charset=utf-8"),
                                 ("map-logic.js", "text/javascript; charset=utf-8"), ("map-leaflet.js", "text/javascript; charset=utf-8"),
                                 ("map-maplibre.js", "text/javascript; charset=utf-8")] {
                let plain = try await client.execute(uri: "/static/map/\(name)", method: .get)
                #expect(plain.status == .ok && plain.headers[.contentType] == type, "\(name)")
                scripts[name] = plain.text
                let tag = try #require(plain.headers[.eTag])
                let zipped = try await client.execute(uri: "/static/map/\(name)", method: .get, headers: [.acceptEncoding: "gzip"])
                #expect(zipped.headers[.contentEncoding] == "gzip" && zipped.headers[.eTag] == String(tag.dropLast()) + "-gzip\"", "\(name)")
                let again = try await client.execute(uri: "/static/map/\(name)", method: .get, headers: [.ifNoneMatch: tag])
                #expect(again.status == .notModified, "\(name)")
            }
            #expect(try await client.execute(uri: "/static/map/index.html", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/static/map/..%2FPackage.swift", method: .get).status == .notFound)
            // Leaflet's global is L, MapLibre's maplibregl: only the adapters name them, so a map library is one file.
            let logic = try #require(scripts["map-logic.js"])
            #expect(logic.firstMatch(of: /\bL\.[a-zA-Z]/) == nil && !logic.contains("maplibregl"))
            #expect(logic.contains("CGMapView.create") && scripts["map-leaflet.js"]?.contains("L.map(") == true)
            #expect(scripts["map-maplibre.js"]?.contains("new maplibregl.Map(") == true && scripts["map-maplibre.js"]?.firstMatch(of: /\bL\.[a-zA-Z]/) == nil)
            let leaflet = try await client.execute(uri: "/map?lib=leaflet", method: .get)
            for name in ["map.css", "map-i18n.js", "map-logic.js", "map-leaflet.js"] { #expect(leaflet.text.contains("/static/map/\(name)")) }
            #expect(leaflet.text.contains("/static/leaflet/leaflet.js") && !leaflet.text.contains("maplibre-gl.js"))
            #expect(leaflet.text.contains(#"<html lang="zh-CN">"#) && leaflet.text.contains(#""basemap":null"#) && leaflet.text.contains(#""library":"leaflet""#))
            // The default page draws with MapLibre GL JS when its files are installed, else with Leaflet.
            let installed = FileManager.default.fileExists(atPath: ServerSettings().maplibreDirectory + "/maplibre-gl.js")
            let page = try await client.execute(uri: "/map", method: .get)
            let library = installed ? "maplibre" : "leaflet"
            #expect(page.text.contains(#""library":"\#(library)""#) && page.text.contains("/static/map/map-\(library).js"))
            let forced = try await client.execute(uri: "/?f=html&lib=maplibre", method: .get)
            #expect(forced.text.contains(#""library":"\#(library)""#))
            #expect(installed == forced.text.contains(#"href="?lib=leaflet""#))
            for uri in ["/map?lib=openlayers", "/?f=json&lib=openlayers"] {
                let refused = try await client.execute(uri: uri, method: .get)
                let problem = try refused.json
                #expect(refused.status == .badRequest && problem["parameter"]?.stringValue == "lib", "\(uri)")
            }
            let script = try await client.execute(uri: "/static/maplibre/maplibre-gl.js", method: .get)
            if installed {
                // Its BSD-3-Clause notice is the file's header.
                #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8" && script.text.prefix(300).contains("@license 3-Clause BSD"))
                #expect(try await client.execute(uri: "/static/maplibre/maplibre-gl.css", method: .get).status == .ok)
            } else {
                #expect(script.status == .notFound)
            }
            #expect(try await client.execute(uri: "/static/maplibre/..%2F..%2Fetc%2Fpasswd", method: .get).status == .notFound)
        }
    }
}
