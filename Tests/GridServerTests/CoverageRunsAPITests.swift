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

/// /coverage, /coverage/runs, /coverage/runs/{id} and /coverage/compare on Wudaokou (OSM 2017) cut into a 4 × 4 plan.
@Suite("Coverage runs over HTTP on real data: stale flags, current grids, compare, schemas",
       .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
struct CoverageRunsAPITests {
    static let community = "110108001001"

    static func wudaokou(_ directory: URL) throws -> Store {
        let store = try Store.create(path: directory.appendingPathComponent("wudaokou.sqlite").path)
        _ = try OSMImporter.run(store: store, path: SharedData.geodata!.appendingPathComponent("cn_beijing_haidian_wudaokou_2017.osm").path)
        func rectangle(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> String {
            #"{"type":"Polygon","coordinates":[[[\#(a),\#(b)],[\#(c),\#(b)],[\#(c),\#(d)],[\#(a),\#(d)],[\#(a),\#(b)]]]}"#
        }
        func write(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            return url.path
        }
        let (x0, y0, x1, y1) = (116.3075, 39.9895, 116.3320, 40.0130)
        var grids: [String] = []
        for i in 0..<4 {
            for j in 0..<4 {
                grids.append(#"{"type":"Feature","properties":{"code":"\#(community)\#(String(format: "%03d", i * 4 + j + 1))","name":"g"},"geometry":\#(rectangle(x0 + (x1 - x0) * Double(j) / 4, y1 - (y1 - y0) * Double(i + 1) / 4, x0 + (x1 - x0) * Double(j + 1) / 4, y1 - (y1 - y0) * Double(i) / 4))}"#)
            }
        }
        _ = try GeoJSONImporter.run(store: store, path: try write("c.geojson", #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"\#(community)","name":"五道口"},"geometry":\#(rectangle(x0, y0, x1, y1))}]}"#), layer: .communities)
        _ = try GeoJSONImporter.run(store: store, path: try write("g.geojson", #"{"type":"FeatureCollection","features":[\#(grids.joined(separator: ","))]}"#), layer: .grids)
        return store
    }

    static func saveRun(_ store: Store) throws {
        let versions = try DataVersions.current(store)
        try CoverageRuns.save(try CoverageJob.compute(store: store, profile: .gb50180), store: store, seconds: 0, versions: versions)
    }

    @Test("runs are listed with stale flags; compare gains households after a kindergarten; after apply and revert /coverage and buildings name only existing grids")
    func coverageRuns() async throws {
        let folder = try TemporaryDirectory(prefix: "communitygrid-coverage")
        let directory = folder.url
        let store = try Self.wudaokou(directory)
        try Self.saveRun(store)
        // Response bodies to check against the OpenAPI schemas at the end.
        let bodies = Mutex<[(schema: String, body: String)]>([])
        try await application(store).test(.router) { client in
            let latest = try await client.execute(uri: "/coverage", method: .get)
            #expect(latest.status == .ok)
            bodies.withLock { $0.append(("CoverageRun", latest.text)) }
            let first = try latest.json
            #expect(first["stale"] == .bool(false) && first["run"]?["stale"] == .bool(false))
            let missing = (first["categories_without_facilities"]?.arrayValue ?? []).compactMap { $0["category"]?.stringValue }
            #expect(missing == ["community_service", "elderly_care"])
            #expect(first["summary"]?["categories_without_facilities"]?.arrayValue?.count == 2)
            // One count of uncovered buildings: the summary's equals the sum over the grids.
            let uncovered = first["summary"]?["levels"]?.arrayValue?.first?["uncovered_buildings"]?.intValue ?? -1
            let byGrid = (first["grids"]?.arrayValue ?? []).reduce(0) { $0 + ($1["levels"]?.arrayValue?.first?["uncovered_buildings"]?.intValue ?? 0) }
            #expect(uncovered > 0 && uncovered == byGrid)

            // A name is a bad parameter; a well-formed code the store does not hold is not found; both list the codes.
            for (uri, parameter, status) in [("/coverage?community=%E5%AD%A6%E6%B8%85%E8%B7%AF%E7%A4%BE%E5%8C%BA", "community", HTTPResponse.Status.badRequest),
                                             ("/coverage?community=110108001999", "community", .notFound),
                                             // Empty, after the whole run's answer was kept: refused, not that answer.
                                             ("/coverage?community=", "community", .badRequest), ("/coverage/runs/1?community=", "community", .badRequest),
                                             ("/coverage/compare?a=1", "b", .badRequest), ("/coverage?run=1", "run", .badRequest)] {
                let refused = try await client.execute(uri: uri, method: .get)
                #expect(refused.status == status, "\(uri)")
                #expect(try refused.json["parameter"]?.stringValue == parameter, "\(uri)")
                if parameter == "community" { #expect(refused.text.contains("110108001001 (五道口)"), "\(uri): \(refused.text)") }
            }
            #expect(try await client.execute(uri: "/coverage/runs/99", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/coverage/compare?a=1&b=99", method: .get).status == .notFound)
        }

        let kindergarten = directory.appendingPathComponent("k.geojson")
        try Data(#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"k1","properties":{"category":"kindergarten"},"geometry":{"type":"Point","coordinates":[116.3260,40.0050]}}]}"#.utf8).write(to: kindergarten)
        _ = try GeoJSONImporter.run(store: store, path: kindergarten.path, layer: .facilities)
        try Self.saveRun(store)
        try await application(store).test(.router) { client in
            let runs = try await client.execute(uri: "/coverage/runs", method: .get)
            bodies.withLock { $0.append(("CoverageRunList", runs.text)) }
            let list = try runs.json["runs"]?.arrayValue ?? []
            #expect(list.map { $0["stale"] } == [.bool(true), .bool(false)])
            #expect(list.first?["changed_since"] == .array([.string("facilities")]))
            let one = try await client.execute(uri: "/coverage/runs/1", method: .get)
            bodies.withLock { $0.append(("CoverageRun", one.text)) }
            #expect(try one.json["stale"] == .bool(true))

            let compared = try await client.execute(uri: "/coverage/compare?a=1&b=2", method: .get)
            bodies.withLock { $0.append(("CoverageComparison", compared.text)) }
            let comparison = try compared.json
            let total = comparison["total"]?.arrayValue ?? []
            let kindergartenAt5 = try #require(total.first { $0["minutes"]?.doubleValue == 5 && $0["category"]?.stringValue == "kindergarten" })
            #expect((kindergartenAt5["households_gained"]?.intValue ?? 0) > 0 && kindergartenAt5["households_lost"]?.intValue == 0)
            let changed = comparison["changed_buildings"]?.arrayValue ?? []
            let page = try await client.execute(uri: "/collections/buildings/items?limit=5", method: .get).json
            #expect((page["features"]?.arrayValue ?? []).allSatisfy { $0["properties"]?["coverage_stale"] == .bool(false) })
            let geojson = try await client.execute(uri: "/coverage/compare?a=1&b=2&f=geojson", method: .get)
            #expect(geojson.headers[.contentType] == "application/geo+json")
            #expect(featureIDs(try geojson.json).sorted() == changed.compactMap { $0["id"]?.intValue }.sorted())
        }

        // A grid run applied then reverted: the latest run is stale (grids) and rolls up by the grids that exist.
        var parameters = GridRuns.Parameters()
        parameters.minimum = 300; parameters.maximum = 500
        let plan = try GridRebalance.run(store: store, parameters: parameters)
        try GridRuns.apply(store: store, id: plan.id)
        let applied = Set(try store.read { try String.fetchAll($0, sql: "SELECT code FROM grids") })
        try GridRuns.revert(store: store, id: plan.id)
        let current = Set(try store.read { try String.fetchAll($0, sql: "SELECT code FROM grids") })
        let gone = try #require(applied.subtracting(current).sorted().first)
        try await application(store).test(.router) { client in
            let latest = try await client.execute(uri: "/coverage", method: .get).json
            #expect(latest["stale"] == .bool(true) && latest["changed_since"] == .array([.string("grids")]))
            let codes = Set((latest["grids"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue })
            #expect(codes.isSubset(of: current), "\(codes.subtracting(current).sorted())")
            let none = try await client.execute(uri: "/collections/buildings/items?grid_code=\(gone)", method: .get).json
            #expect(none["numberMatched"]?.intValue == 0)
            let some = try await client.execute(uri: "/collections/buildings/items?grid_code=\(Self.community)006&limit=1000", method: .get).json
            let inGrid = try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM building_places WHERE grid_code = ?", arguments: ["\(Self.community)006"]) ?? -1 }
            #expect(inGrid > 0 && some["numberMatched"]?.intValue == inGrid)
            #expect((some["features"]?.arrayValue ?? []).allSatisfy { $0["properties"]?["grid_code"]?.stringValue == "\(Self.community)006" })
            // The buildings' coverage properties come from a run computed on older grids, and say so.
            #expect((some["features"]?.arrayValue ?? []).allSatisfy { $0["properties"]?["coverage_stale"] == .bool(true) && $0["properties"]?["coverage_run"]?.intValue == 2 })
            let run = try await client.execute(uri: "/runs/\(plan.id)", method: .get).json
            #expect(run["stale"] == nil)  // reverted: history, not judged
            let api = try await client.execute(uri: "/api", method: .get)
            bodies.withLock { $0.append(("openapi", api.text)) }
        }
        try Self.validate(bodies.withLock { $0 }, directory: directory)
    }

    /// Checks each body against its schema in the served OpenAPI document (openapi-schema-validator, OpenAPI 3.0 rules).
    static func validate(_ bodies: [(schema: String, body: String)], directory: URL) throws {
        guard let python = Python.withModule("openapi_schema_validator") else {
            print("skipped schema check: python3 with openapi-schema-validator is not installed (scripts/setup.sh installs openapi-spec-validator, which brings it)")
            return
        }
        var pairs: [String] = []
        for (index, item) in bodies.enumerated() {
            let file = directory.appendingPathComponent("body\(index).json")
            try Data(item.body.utf8).write(to: file)
            if item.schema != "openapi" { pairs += [item.schema, file.path] } else { pairs.insert(file.path, at: 0) }
        }
        let script = """
            import json, sys
            from openapi_schema_validator import validate, OAS30Validator
            document = json.load(open(sys.argv[1]))
            components = document["components"]
            components["schemas"]["CoverageRunList"] = document["paths"]["/coverage/runs"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            for name, path in zip(sys.argv[2::2], sys.argv[3::2]):
                validate(json.load(open(path)), {"$ref": "#/components/schemas/" + name, "components": components}, cls=OAS30Validator)
            print("valid", len(sys.argv[2:]) // 2)
            """
        let (status, output) = try Python.run(python, ["-c", script] + pairs)
        #expect(status == 0, "\(output)")
        #expect(output.hasPrefix("valid \(bodies.count - 1)"), "\(output)")
    }
}
