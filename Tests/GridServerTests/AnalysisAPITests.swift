import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServer
import GridStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Isochrones, coverage, runs, OpenAPI and metrics over HTTP")
struct AnalysisAPITests {
    @Test("isochrones take the profile and speed like the command line; the active profile sets the defaults and the map page")
    func profiles() async throws {
        let demo = DemoStore.shared
        let point: [Double] = try demo.store.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT X(geom), Y(geom) FROM facilities WHERE category = 'school' ORDER BY id LIMIT 1")!
            return [row[0], row[1]]
        }
        let at = "lon=\(point[0])&lat=\(point[1])"
        @Sendable func households(_ body: JSONValue) -> [Int] {
            (body["features"]?.arrayValue ?? []).compactMap { $0["properties"]?["households"]?.intValue }
        }
        try await application(demo.store).test(.router) { client in
            let shipped = try await client.execute(uri: "/isochrones?\(at)&minutes=10", method: .get).json
            let bySpeed = try await client.execute(uri: "/isochrones?\(at)&minutes=10&speed=0.9", method: .get).json
            #expect(bySpeed["features"]?.arrayValue?.first?["properties"]?["distance_m"]?.doubleValue == 540)
            #expect(households(bySpeed)[0] < households(shipped)[0])
            let slow = households(bySpeed)
            let named = try await client.execute(uri: "/isochrones?\(at)&minutes=10&profile=gb50180", method: .get).json
            #expect(households(named) == households(shipped))
            // A whole profile in the body: the same rule as ?speed=.
            var profile = try JSONDecoder().decode(JSONValue.self, from: Data(LifeCircleProfile.gb50180JSON.utf8))
            if case .object(var fields) = profile { fields["walkingSpeed"] = 0.9; profile = .object(fields) }
            let body = JSONValue.object(["lon": .number(point[0]), "lat": .number(point[1]), "minutes": .array([.number(10)]), "profile": profile])
            let posted = try await client.execute(uri: "/isochrones", method: .post, headers: [.contentType: "application/json"],
                                                  body: ByteBuffer(bytes: try JSONEncoder().encode(body)))
            #expect(posted.status == .ok)
            #expect(households(try posted.json) == slow)
            let unknown = try await client.execute(uri: "/isochrones?\(at)&profile=elderly", method: .get)
            #expect(unknown.status == .unprocessableContent)
            #expect(try unknown.json["parameter"] == "profile")
            #expect(try (unknown.json["detail"]?.stringValue ?? unknown.json["message"]?.stringValue ?? "").contains("gb50180"))
            let badSpeed = try await client.execute(uri: "/isochrones?\(at)&speed=0", method: .get)
            #expect(badSpeed.status == .unprocessableContent)
            #expect(try badSpeed.json["parameter"] == "speed")
            let badProfile = try await client.execute(uri: "/isochrones", method: .post,
                                                      body: ByteBuffer(string: #"{"lon": 0, "lat": 0, "profile": {"name": "x", "walkingSpeed": 9, "levels": []}}"#))
            #expect(badProfile.status == .badRequest)
            #expect(try badProfile.json["parameter"] == "profile")

            // A server whose active profile walks at 0.9 m/s: its defaults and its map page follow.
            var active = settings()
            active.profile = try LifeCircleProfile.gb50180.with(walkingSpeed: 0.9)
            try await application(demo.store, active).test(.router) { client in
                let defaults = try await client.execute(uri: "/isochrones?\(at)", method: .get).json
                #expect((defaults["features"]?.arrayValue ?? []).compactMap { $0["properties"]?["minutes"]?.doubleValue } == [15, 10, 5])
                let ten = try await client.execute(uri: "/isochrones?\(at)&minutes=10", method: .get).json
                #expect(households(ten) == slow)
                let page = try await client.execute(uri: "/?f=html", method: .get)
                let html = String(buffer: page.body)
                #expect(html.contains(#""speed":0.9"#) && html.contains("0.9 m/s") && html.contains(#""minutes":[5,10,15]"#))
            }
        }
    }

    @Test("GET /isochrones draws nested 5/10/15-minute polygons; POST takes a category; bad contours are 422 naming the field")
    func isochrones() async throws {
        let demo = DemoStore.shared
        let point: [Double] = try demo.store.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT X(geom), Y(geom) FROM facilities WHERE category = 'school' ORDER BY id LIMIT 1")!
            return [row[0], row[1]]
        }
        let lon = point[0], lat = point[1]
        try await application(demo.store).test(.router) { client in
            let response = try await client.execute(uri: "/isochrones?lon=\(lon)&lat=\(lat)", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/geo+json")
            let bands = try response.json["features"]?.arrayValue ?? []
            #expect(bands.compactMap { $0["properties"]?["minutes"]?.doubleValue } == [15, 10, 5])
            let areas = bands.compactMap { $0["properties"]?["area_m2"]?.doubleValue }
            #expect(areas.count == 3 && areas[0] > areas[1] && areas[1] > areas[2] && areas[2] > 10_000)

            let body = ByteBuffer(string: #"{"category": "school", "minutes": [10]}"#)
            let byCategory = try await client.execute(uri: "/isochrones", method: .post, headers: [.contentType: "application/json"], body: body)
            #expect(byCategory.status == .ok)
            #expect(try byCategory.json["features"]?.arrayValue?.count == 1)

            let tooLong = try await client.execute(uri: "/isochrones?lon=\(lon)&lat=\(lat)&minutes=500", method: .get)
            #expect(tooLong.status == .unprocessableContent)
            #expect(try tooLong.json["parameter"] == "minutes")

            let twoOrigins = try await client.execute(uri: "/isochrones", method: .post, body: ByteBuffer(string: #"{"category": "school", "facility": 1}"#))
            #expect(twoOrigins.status == .badRequest)
            #expect(try twoOrigins.json["parameter"] == "origin")

            let notJSON = try await client.execute(uri: "/isochrones", method: .post, body: ByteBuffer(string: "lon=1"))
            #expect(notJSON.status == .badRequest)

            let huge = try await client.execute(uri: "/isochrones", method: .post, body: ByteBuffer(string: String(repeating: " ", count: 2 << 20) + "{}"))
            #expect(huge.status == .contentTooLarge)
        }
    }

    @Test("/coverage sums the latest run by community and grid, matching the stored rows")
    func coverage() async throws {
        let demo = DemoStore.shared
        let (households, communities) = try demo.store.read { db in
            (try Int.fetchOne(db, sql: "SELECT sum(households) FROM coverage_buildings WHERE run_id = (SELECT max(id) FROM coverage_runs)") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(DISTINCT community_code) FROM coverage_buildings") ?? 0)
        }
        try await application(demo.store).test(.router) { client in
            let summary = try await client.execute(uri: "/coverage", method: .get).json
            let rows = summary["communities"]?.arrayValue ?? []
            #expect(rows.count == communities)
            #expect(rows.reduce(0) { $0 + ($1["households"]?.intValue ?? 0) } == households)
            #expect((summary["grids"]?.arrayValue ?? []).reduce(0) { $0 + ($1["households"]?.intValue ?? 0) } == households)
            for row in rows {
                let levels = row["levels"]?.arrayValue ?? []
                #expect(levels.map { $0["minutes"]?.doubleValue ?? 0 } == [5, 10, 15])
                for level in levels { #expect((level["households_covered"]?.intValue ?? -1) <= (row["households"]?.intValue ?? 0)) }
            }
            #expect(summary["summary"]?["households"]?.intValue == households)
        }
    }

    @Test("runs: writes need the bearer token; POST answers 202 with the run id; diff, apply and revert round-trip the grids")
    func runs() async throws {
        let demo = try DemoStore()
        let gridsBefore = try demo.store.read { db in try String.fetchAll(db, sql: "SELECT code || ':' || AsText(geom) FROM grids ORDER BY code") }
        let community = try demo.store.read { try String.fetchOne($0, sql: "SELECT code FROM communities ORDER BY code LIMIT 1") }!
        try await application(demo.store).test(.router) { client in
            let body = ByteBuffer(string: #"{"communities": ["\#(community)"], "min": 300, "max": 500, "barriers": ["primary"]}"#)
            let anonymous = try await client.execute(uri: "/runs", method: .post, body: body)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            let wrong = try await client.execute(uri: "/runs", method: .post, headers: [.authorization: "Bearer nope"], body: body)
            #expect(wrong.status == .unauthorized)
            let badField = try await client.execute(uri: "/runs", method: .post, headers: [.authorization: "Bearer \(writeToken)"],
                                                    body: ByteBuffer(string: #"{"min": 500, "max": 300}"#))
            // Each field is valid alone (the OpenAPI schema holds); the pair is not: 422, not 400.
            #expect(badField.status == .unprocessableContent)
            #expect(try badField.json["parameter"] == "min")

            let accepted = try await client.execute(uri: "/runs", method: .post, headers: [.authorization: "Bearer \(writeToken)"], body: body)
            #expect(accepted.status == .accepted)
            let id = try #require(try accepted.json["id"]?.intValue)
            #expect(accepted.headers[.location]?.hasSuffix("/runs/\(id)") == true)
            var status = "running"
            for _ in 0..<600 where status == "running" {
                try await Task.sleep(for: .milliseconds(50))
                status = try await client.execute(uri: "/runs/\(id)", method: .get).json["status"]?.stringValue ?? "?"
            }
            #expect(status == "dry_run")
            // The id as the OpenAPI document's integer: a leading zero or sign names no run.
            for malformed in ["0\(id)", "+\(id)", "\(id).0"] {
                #expect(try await client.execute(uri: "/runs/\(malformed)", method: .get).status == .notFound, "\(malformed)")
                #expect(try await client.execute(uri: "/runs/\(malformed)/revert", method: .post,
                                                 headers: [.authorization: "Bearer \(writeToken)"]).status == .notFound, "\(malformed)")
            }
            let run = try await client.execute(uri: "/runs/\(id)", method: .get).json
            #expect(run["metrics"]?["summary"]?["grids"]?.intValue ?? 0 > 0)
            #expect(run["parameters"]?["barriers"] == .array(["primary"]))
            let badBarriers = try await client.execute(uri: "/runs", method: .post, headers: [.authorization: "Bearer \(writeToken)"],
                                                       body: ByteBuffer(string: #"{"barriers": "primary"}"#))
            #expect(try badBarriers.json["parameter"] == "barriers")

            let diff = try await client.execute(uri: "/runs/\(id)/diff", method: .get).json
            #expect(diff["households_moved"]?.intValue != nil)
            let firstMove = try #require(diff["moves"]?.arrayValue?.first)
            #expect(firstMove["source_id"]?.stringValue?.isEmpty == false && firstMove["name"] != nil)
            let proposed = try await client.execute(uri: "/runs/\(id)/grids", method: .get).json
            #expect((proposed["features"]?.arrayValue ?? []).allSatisfy { $0["properties"]?["code"]?.stringValue?.count == 15 })

            let unauthorisedApply = try await client.execute(uri: "/runs/\(id)/apply", method: .post)
            #expect(unauthorisedApply.status == .unauthorized)
            let applied = try await client.execute(uri: "/runs/\(id)/apply", method: .post, headers: [.authorization: "Bearer \(writeToken)"])
            #expect(applied.status == .ok)
            #expect(try applied.json["status"] == "applied")
            let again = try await client.execute(uri: "/runs/\(id)/apply", method: .post, headers: [.authorization: "Bearer \(writeToken)"])
            #expect(again.status == .conflict)
            let reverted = try await client.execute(uri: "/runs/\(id)/revert", method: .post, headers: [.authorization: "Bearer \(writeToken)"])
            #expect(reverted.status == .ok)
            let missing = try await client.execute(uri: "/runs/987654", method: .get)
            #expect(missing.status == .notFound)
        }
        let gridsAfter = try demo.store.read { db in try String.fetchAll(db, sql: "SELECT code || ':' || AsText(geom) FROM grids ORDER BY code") }
        #expect(gridsAfter == gridsBefore)
    }

    @Test("without a configured token every write is refused")
    func writesDisabled() async throws {
        var closed = settings()
        closed.writeToken = nil
        try await application(DemoStore.shared.store, closed).test(.router) { client in
            let response = try await client.execute(uri: "/runs", method: .post, headers: [.authorization: "Bearer \(writeToken)"],
                                                    body: ByteBuffer(string: "{}"))
            #expect(response.status == .forbidden)
            #expect(try response.json["code"] == "writes-disabled")
        }
    }

    @Test("/api lists every route the router serves; /metrics counts requests by route; /health answers")
    func apiAndMetrics() async throws {
        try await application(DemoStore.shared.store).test(.router) { client in
            let api = try await client.execute(uri: "/api", method: .get)
            #expect(api.headers[.contentType]?.hasPrefix("application/vnd.oai.openapi+json") == true)
            // Both ways: every operation the router serves is documented, and every documented operation is served.
            let documented = Self.operations(try api.json)
            let served = Self.servedOperations()
            #expect(!served.isEmpty)
            #expect(served.subtracting(documented).isEmpty, "served, not in /api: \(served.subtracting(documented).sorted())")
            #expect(documented.subtracting(served).isEmpty, "in /api, not served: \(documented.subtracting(served).sorted())")
            _ = try await client.execute(uri: "/collections/grids/items", method: .get)
            _ = try await client.execute(uri: "/collections/grids/items?limit=-3", method: .get)
            let health = try await client.execute(uri: "/health", method: .get).json
            #expect(health["status"] == "ok")
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"communitygrid_http_requests_total{route="/collections/{collectionId}/items",method="GET",status="200"}"#))
            #expect(metrics.contains(#"status="400""#))
            #expect(metrics.contains("communitygrid_http_request_duration_seconds_bucket"))
        }
    }

    /// "GET /path" for every operation of an OpenAPI document.
    static func operations(_ document: JSONValue) -> Set<String> {
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var found = Set<String>()
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for method in (item.objectValue ?? [:]).keys where methods.contains(method) { found.insert("\(method.uppercased()) \(path)") }
        }
        return found
    }

    /// "GET /path" for every route of the router `serve` runs; HEAD is generated from GET, and the static file tree
    /// under a wildcard (the map page's scripts) is not an API operation.
    static func servedOperations() -> Set<String> {
        let router = GridServer.router(store: DemoStore.shared.store, settings: settings())
        return Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" }
            .filter { !$0.hasPrefix("HEAD ") && !$0.contains("*") }
            .map { $0.hasSuffix(" ") ? $0 + "/" : $0 })
    }

    @Test("the OpenAPI document's defaults and collection ids are the code's")
    func openAPIDefaults() async throws {
        try await application(DemoStore.shared.store).test(.router) { client in
            let document = try await client.execute(uri: "/api", method: .get).json
            let items = document["paths"]?["/collections/{collectionId}/items"]?["get"]?["parameters"]?.arrayValue ?? []
            let limit = try #require(items.first { $0["name"] == "limit" })
            #expect(limit["schema"]?["default"]?.intValue == RequestLimits().defaultLimit)
            let run = try #require(document["components"]?["schemas"]?["RunRequest"]?["properties"])
            let parameters = GridRuns.Parameters()
            #expect(run["min"]?["default"]?.intValue == parameters.minimum)
            #expect(run["max"]?["default"]?.intValue == parameters.maximum)
            #expect(run["stability"]?["default"]?.doubleValue == parameters.stability)
            #expect(run["from_current"]?["default"]?.boolValue == parameters.fromCurrent)
            let collections = try await client.execute(uri: "/collections", method: .get).json
            let ids = (collections["collections"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            #expect(!ids.isEmpty)
            let documentedIds = document["components"]?["parameters"]?["listedCollectionId"]?["schema"]?["enum"]?.arrayValue?.compactMap(\.stringValue)
            #expect(documentedIds == ids)
            // The layers (items by number, tiles): every listed collection but the cases, which have paths of their own.
            let layerIds = document["components"]?["parameters"]?["collectionId"]?["schema"]?["enum"]?.arrayValue?.compactMap(\.stringValue)
            #expect(layerIds == ids.filter { $0 != "cases" })
        }
    }

    @Test("the OpenAPI document passes a validator from PyPI (openapi-spec-validator)")
    func openAPIValidates() async throws {
        guard let python = Python.withModule("openapi_spec_validator") else {
            print("skipped: python3 with openapi-spec-validator is not installed (scripts/setup.sh installs it)")
            return
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-openapi-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try await application(DemoStore.shared.store).test(.router) { client in
            let api = try await client.execute(uri: "/api", method: .get)
            try Data(api.text.utf8).write(to: file)
        }
        let (status, output) = try Python.run(python, ["-m", "openapi_spec_validator", file.path])
        #expect(status == 0, "\(output)")
    }
}
