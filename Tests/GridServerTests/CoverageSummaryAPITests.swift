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

/// GET /coverage/summary and the grid and community tiles' coverage figures on Wudaokou (OSM 2017 cut into 16 grids):
/// every figure is the one /coverage gives, for every theme, before and after the grids change.
@Suite("The map's coverage summary over HTTP on real data", .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
struct CoverageSummaryAPITests {
    /// What the summary must say for each theme, computed from /coverage's rows with the stated rules.
    static func expected(_ coverage: JSONValue, groups: String, stored: Int, minutes: Double, category: String?) throws
        -> (classes: [Int], none: Int, worst: [(code: String, share: Double, uncovered: Int, households: Int, covered: Int)]) {
        var classes = [0, 0, 0, 0, 0]
        var ranked: [(code: String, share: Double, uncovered: Int, households: Int, covered: Int)] = []
        for row in coverage[groups]?.arrayValue ?? [] {
            let code = try #require(row["code"]?.stringValue)
            let households = row["households"]?.intValue ?? 0
            let level = try #require(row["levels"]?.arrayValue?.first { $0["minutes"]?.doubleValue == minutes })
            let item = try category.map { name in try #require(level["requirements"]?.arrayValue?.first { $0["category"]?.stringValue == name }) } ?? level
            let share = try #require(item["share"]?.doubleValue)
            let covered = try #require(item["households_covered"]?.intValue)
            guard households > 0 else { continue }
            classes[MapPageExpectations.shareClass(share)] += 1
            ranked.append((code, share, households - covered, households, covered))
        }
        ranked.sort { ($0.share, -$0.uncovered, $0.code) < ($1.share, -$1.uncovered, $1.code) }
        return (classes, stored - classes.reduce(0, +), Array(ranked.prefix(10)))
    }

    static func check(_ client: some TestClientProtocol, store: Store) async throws {
        let coverage = try await client.execute(uri: "/coverage", method: .get).json
        let response = try await client.execute(uri: "/coverage/summary", method: .get)
        #expect(response.status == .ok, "\(response.text)")
        let summary = try response.json
        let (grids, communities) = try store.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM grids") ?? 0, try Int.fetchOne(db, sql: "SELECT count(*) FROM communities") ?? 0)
        }
        #expect(summary["run_id"] == coverage["run_id"] && summary["run"]?["id"] == coverage["run"]?["id"])
        #expect(summary["stale"] == coverage["stale"] && summary["changed_since"] == coverage["changed_since"])
        #expect(summary["grids"]?.intValue == grids && summary["communities"]?.intValue == communities)
        #expect(summary["classes"]?["breaks"] == .array([0.2, 0.4, 0.6, 0.8].map(JSONValue.number)))
        // The run's figures as /coverage gives them.
        for key in ["buildings", "households", "off_network_buildings", "levels", "facilities_placed", "facilities_off_network"] {
            #expect(summary["summary"]?[key] == coverage["summary"]?[key], "summary.\(key)")
        }
        let themes = summary["themes"]?.arrayValue ?? []
        var count = 0
        for level in coverage["summary"]?["levels"]?.arrayValue ?? [] {
            let minutes = try #require(level["minutes"]?.doubleValue)
            for category in [nil] + (level["requirements"]?.arrayValue ?? []).map({ $0["category"]?.stringValue }) {
                let key = category.map { "requirement:\(CoverageRuns.formatMinutes(minutes)):\($0)" } ?? "level:\(CoverageRuns.formatMinutes(minutes))"
                let theme = try #require(themes.first { $0["key"]?.stringValue == key }, "\(key)")
                count += 1
                let grid = try expected(coverage, groups: "grids", stored: grids, minutes: minutes, category: category)
                #expect(theme["grids"]?["classes"]?.arrayValue?.compactMap(\.intValue) == grid.classes, "\(key)")
                #expect(theme["grids"]?["no_households"]?.intValue == grid.none, "\(key)")
                let worst = theme["grids"]?["worst"]?.arrayValue ?? []
                #expect(worst.compactMap { $0["code"]?.stringValue } == grid.worst.map(\.code), "\(key)")
                for (shown, row) in zip(worst, grid.worst) {
                    #expect(shown["share"]?.doubleValue == row.share && shown["uncovered"]?.intValue == row.uncovered, "\(key) \(row.code)")
                    #expect(shown["households"]?.intValue == row.households && shown["households_covered"]?.intValue == row.covered, "\(key) \(row.code)")
                }
                let community = try expected(coverage, groups: "communities", stored: communities, minutes: minutes, category: category)
                #expect(theme["communities"]?["classes"]?.arrayValue?.compactMap(\.intValue) == community.classes, "\(key)")
                #expect(theme["communities"]?["no_households"]?.intValue == community.none, "\(key)")
                // The tiles' property names for the theme.
                let suffix = CoverageRuns.formatMinutes(minutes) + (category.map { "_\($0)" } ?? "")
                #expect(theme["share_property"]?.stringValue == "coverage_share_\(suffix)", "\(key)")
                #expect(theme["households_property"]?.stringValue == "coverage_met_\(suffix)", "\(key)")
            }
        }
        #expect(count == themes.count && count >= 9)
        // The worst grid's name is the grid's own.
        if let first = themes.first?["grids"]?["worst"]?.arrayValue?.first, let code = first["code"]?.stringValue {
            let name = try store.read { try String.fetchOne($0, sql: "SELECT name FROM grids WHERE code = ?", arguments: [code]) }
            #expect(first["name"]?.stringValue == name)
        }
        let one = try await client.execute(uri: "/coverage/summary?theme=level:15", method: .get).json
        #expect(one["themes"]?.arrayValue?.count == 1 && one["themes"]?.arrayValue?.first?["key"]?.stringValue == "level:15")
    }

    /// The figures every grid and community tile feature carries: those of its /coverage row.
    static func checkTiles(_ client: some TestClientProtocol, store: Store) async throws {
        guard let python = TileCheck.python else { print(TileCheck.skipReason); return }
        _ = python
        let coverage = try await client.execute(uri: "/coverage", method: .get).json
        let run = try #require(coverage["run_id"]?.intValue)
        for layer in ["grids", "communities"] {
            var rows: [String: JSONValue] = [:]
            for row in coverage[layer]?.arrayValue ?? [] { if let code = row["code"]?.stringValue { rows[code] = row } }
            // The zoom-14 tiles over Wudaokou (116.3075–116.3320, 39.9895–40.0130).
            var checked = Set<String>()
            for x in 13485...13486 {
                for y in 6201...6203 {
                    let response = try await client.execute(uri: "/collections/\(layer)/tiles/WebMercatorQuad/14/\(y)/\(x)", method: .get)
                    #expect(response.status == .ok)
                    let decoded = try TileCheck.decode([UInt8](buffer: response.body))
                    for feature in ((decoded[layer] as? [String: Any])?["features"] as? [[String: Any]]) ?? [] {
                        let properties = feature["properties"] as? [String: Any] ?? [:]
                        let code = try #require(properties["code"] as? String)
                        guard let row = rows[code] else {
                            #expect(properties["coverage_households"] == nil, "\(layer) \(code) has no /coverage row")
                            continue
                        }
                        checked.insert(code)
                        #expect(properties["coverage_run"] as? Int == run)
                        #expect(properties["coverage_households"] as? Int == row["households"]?.intValue, "\(layer) \(code)")
                        for level in row["levels"]?.arrayValue ?? [] {
                            let minutes = CoverageRuns.formatMinutes(level["minutes"]?.doubleValue ?? 0)
                            for (suffix, item) in [(minutes, level)] + (level["requirements"]?.arrayValue ?? []).map({ (minutes + "_" + ($0["category"]?.stringValue ?? ""), $0) }) {
                                #expect((properties["coverage_share_\(suffix)"] as? NSNumber)?.doubleValue == item["share"]?.doubleValue, "\(layer) \(code) \(suffix)")
                                #expect(properties["coverage_met_\(suffix)"] as? Int == item["households_covered"]?.intValue, "\(layer) \(code) \(suffix)")
                            }
                        }
                    }
                }
            }
            #expect(!checked.isEmpty, "\(layer): no tile feature with a /coverage row")
        }
    }

    @Test("per theme the classes, the areas without households and the ten worst grids are those /coverage's rows give; the tiles carry each area's row; again after the grids change")
    func summaryAgreesWithCoverage() async throws {
        let folder = try TemporaryDirectory(prefix: "communitygrid-summary")
        let store = try CoverageRunsAPITests.wudaokou(folder.url)
        let bodies = Mutex<[(schema: String, body: String)]>([])
        try await application(store).test(.router) { client in
            let none = try await client.execute(uri: "/coverage/summary", method: .get)
            #expect(none.status == .notFound, "\(none.text)")
        }
        try CoverageRunsAPITests.saveRun(store)
        try await application(store).test(.router) { client in
            try await Self.check(client, store: store)
            try await Self.checkTiles(client, store: store)
            bodies.withLock { $0.append(("CoverageMapSummary", "")) }
            let body = try await client.execute(uri: "/coverage/summary", method: .get)
            bodies.withLock { $0[0].body = body.text }
            let refused = try await client.execute(uri: "/coverage/summary?theme=level:99", method: .get)
            let problem = try refused.json
            #expect(refused.status == .badRequest && problem["parameter"]?.stringValue == "theme")
            #expect(try await client.execute(uri: "/coverage/summary?community=1", method: .get).status == .badRequest)
            // A grid rebalance applied: the same server answers for the new grids (its cache follows the data).
            var parameters = GridRuns.Parameters()
            parameters.minimum = 300; parameters.maximum = 500
            let plan = try GridRebalance.run(store: store, parameters: parameters)
            try GridRuns.apply(store: store, id: plan.id)
            try await Self.check(client, store: store)
            try await Self.checkTiles(client, store: store)
            let api = try await client.execute(uri: "/api", method: .get)
            bodies.withLock { $0.append(("openapi", api.text)) }
        }
        try CoverageRunsAPITests.validate(bodies.withLock { $0 }, directory: folder.url)
    }
}
