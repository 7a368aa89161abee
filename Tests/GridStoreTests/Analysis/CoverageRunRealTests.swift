import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServices
import GridStore
import Testing

/// Wudaokou (Beijing, OSM 2017) as one community cut into a 4 × 4 plan, imported through the GeoJSON importer.
/// The extract has no elderly care and no community service station.
@Suite("Coverage runs on real data: data versions, current grids, compare, what-if", .enabled(if: SharedData.available, SharedData.skipReason))
struct CoverageRunRealTests {
    static let community = "110108001001"

    static func rectangle(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> String {
        #"{"type":"Polygon","coordinates":[[[\#(a),\#(b)],[\#(c),\#(b)],[\#(c),\#(d)],[\#(a),\#(d)],[\#(a),\#(b)]]]}"#
    }

    static func wudaokou() throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("cn_beijing_haidian_wudaokou_2017.osm"))
        let (x0, y0, x1, y1) = (116.3075, 39.9895, 116.3320, 40.0130)
        let communities = #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"\#(community)","name":"五道口"},"geometry":\#(rectangle(x0, y0, x1, y1))}]}"#
        var grids: [String] = []
        for i in 0..<4 {
            for j in 0..<4 {
                let shape = rectangle(x0 + (x1 - x0) * Double(j) / 4, y1 - (y1 - y0) * Double(i + 1) / 4,
                                      x0 + (x1 - x0) * Double(j + 1) / 4, y1 - (y1 - y0) * Double(i) / 4)
                grids.append(#"{"type":"Feature","properties":{"code":"\#(community)\#(String(format: "%03d", i * 4 + j + 1))","name":"第\#(i * 4 + j + 1)网格"},"geometry":\#(shape)}"#)
            }
        }
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("communities.geojson", communities), layer: .communities)
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("grids.geojson", #"{"type":"FeatureCollection","features":[\#(grids.joined(separator: ","))]}"#), layer: .grids)
        return temporary
    }

    static func storedRun(_ store: Store) throws -> Int64 {
        let versions = try DataVersions.current(store)
        return try CoverageRuns.save(try CoverageJob.compute(store: store, profile: .gb50180), store: store, seconds: 0, versions: versions)
    }

    static func gridCodes(_ store: Store) throws -> Set<String> {
        Set(try store.read { try String.fetchAll($0, sql: "SELECT code FROM grids") })
    }

    /// Every grid a stored run shows as current exists, and every building sits in the grid that holds it now.
    static func expectCurrentGrids(_ store: Store, run: Int64, _ comment: Comment) throws {
        let loaded = try CoverageRuns.load(store: store, id: run)
        let codes = try gridCodes(store)
        let shown = Set(loaded.result.buildings.compactMap(\.grid))
        #expect(shown.isSubset(of: codes), "\(comment): grids shown that do not exist: \(shown.subtracting(codes).sorted())")
        let live = Dictionary(uniqueKeysWithValues: try AnalysisData.buildings(store).map { ($0.id, $0.grid) })
        #expect(loaded.result.buildings.allSatisfy { live[$0.id] == $0.grid }, "\(comment)")
        let report = CoverageReport.json(loaded.result, run: loaded.run, seconds: nil, buildings: false)
        let reported = Set(((report["grids"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String })
        #expect(reported.isSubset(of: codes), "\(comment): roll-up names \(reported.subtracting(codes).sorted())")
        let placed = Set(try store.read { try String.fetchAll($0, sql: "SELECT DISTINCT grid_code FROM building_places WHERE grid_code IS NOT NULL") })
        #expect(placed.isSubset(of: codes) && placed == shown, "\(comment)")
    }

    @Test("a run is current until a layer changes, by this process or another; it then names the layers changed")
    func staleMarking() throws {
        let fresh = try TemporaryStore()
        let empty = try DataVersions.current(fresh.store)
        // The OSM import loads in bulk without the per-row triggers; it still raises its layers once.
        _ = try OSMImporter.run(store: fresh.store, path: SharedData.path("cn_beijing_haidian_wudaokou_2017.osm"))
        #expect(try DataVersions.current(fresh.store).changedLayers(since: empty) == ["buildings", "facilities", "network"])
        #expect(try BuildingPlaces.current(fresh.store).count == (try fresh.count("buildings")))

        let temporary = try Self.wudaokou()
        let run = try Self.storedRun(temporary.store)
        #expect(try CoverageRuns.list(store: temporary.store).first { $0.id == run }?.freshness.isStale == false)
        // Another connection to the file, as another process would open it, adds a facility with plain SQL.
        let other = try Store.open(path: temporary.path)
        try other.write { db in
            try db.execute(sql: "INSERT INTO facilities (category, name, source, source_id, geom) VALUES ('clinic', 'new', 'sql', 'x1', MakePoint(116.32, 40.0, 4326))")
        }
        let stale = try #require(try CoverageRuns.list(store: temporary.store).first { $0.id == run })
        #expect(stale.freshness.isStale && stale.freshness.changedLayers == ["facilities"])
        #expect(stale.freshness.label == "stale: facilities changed since")
        try other.write { db in try db.execute(sql: "UPDATE buildings SET households = households + 1 WHERE id = (SELECT min(id) FROM buildings)") }
        #expect(try CoverageRuns.list(store: temporary.store).first { $0.id == run }?.freshness.changedLayers == ["buildings", "facilities"])
        // A new run is current again.
        let again = try Self.storedRun(temporary.store)
        #expect(try CoverageRuns.list(store: temporary.store).first { $0.id == again }?.freshness.isStale == false)
    }

    @Test("after a grid run's apply and revert, no result shown as current names a grid that does not exist")
    func applyAndRevert() throws {
        let temporary = try Self.wudaokou()
        let run = try Self.storedRun(temporary.store)
        try Self.expectCurrentGrids(temporary.store, run: run, "before")
        var parameters = GridRuns.Parameters()
        parameters.minimum = 300; parameters.maximum = 500
        let plan = try GridRebalance.run(store: temporary.store, parameters: parameters)
        #expect(try GridRunVersions.freshness(store: temporary.store, id: plan.id)?.isStale == false)
        try GridRuns.apply(store: temporary.store, id: plan.id)
        #expect(try CoverageRuns.list(store: temporary.store).first { $0.id == run }?.freshness.changedLayers == ["grids"])
        try Self.expectCurrentGrids(temporary.store, run: run, "after apply")
        let applied = try Self.gridCodes(temporary.store)
        try GridRuns.revert(store: temporary.store, id: plan.id)
        try Self.expectCurrentGrids(temporary.store, run: run, "after revert")
        let reverted = try Self.gridCodes(temporary.store)
        // The plan's extra grids are gone after revert and nothing points at them.
        let gone = applied.subtracting(reverted)
        #expect(!gone.isEmpty)
        let pointing = try temporary.store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM building_places WHERE grid_code IN (SELECT value FROM json_each(?))",
                             arguments: [String(decoding: try JSONEncoder().encode(gone.sorted()), as: UTF8.self)]) ?? -1
        }
        #expect(pointing == 0)
        // A dry run planned before another change to the grids is stale.
        let second = try GridRebalance.run(store: temporary.store, parameters: parameters)
        try GridRuns.apply(store: temporary.store, id: second.id)
        try GridRuns.revert(store: temporary.store, id: second.id)
        #expect(try GridRunVersions.freshness(store: temporary.store, id: plan.id) == nil)  // reverted: history, not judged
        let third = try GridRebalance.run(store: temporary.store, parameters: parameters)
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("f.geojson", Self.kindergarten), layer: .facilities)
        #expect(try GridRunVersions.freshness(store: temporary.store, id: third.id)?.changedLayers == ["facilities"])
    }

    static let kindergarten = #"{"type":"FeatureCollection","features":[{"type":"Feature","id":"k1","properties":{"category":"kindergarten","name":"planned kindergarten"},"geometry":{"type":"Point","coordinates":[116.3260,40.0050]}}]}"#
    static let elderlyCare = #"{"type":"FeatureCollection","features":[{"type":"Feature","id":"e1","properties":{"category":"elderly_care","name":"day care"},"geometry":{"type":"Point","coordinates":[116.3200,40.0000]}}]}"#

    @Test("compare: importing a kindergarten gains households at the 5-minute kindergarten requirement and loses none")
    func compare() throws {
        let temporary = try Self.wudaokou()
        let before = try Self.storedRun(temporary.store)
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("k.geojson", Self.kindergarten), layer: .facilities)
        let after = try Self.storedRun(temporary.store)
        let a = try CoverageRuns.load(store: temporary.store, id: before), b = try CoverageRuns.load(store: temporary.store, id: after)
        #expect(a.run.freshness.changedLayers == ["facilities"] && !b.run.freshness.isStale)
        let comparison = CoverageComparison(a.result, b.result)
        let key = try #require(comparison.keys.firstIndex { $0.minutes == 5 && $0.category == "kindergarten" })
        let change = comparison.total.changes[key]
        print("wudaokou: a kindergarten at 116.3260,40.0050 adds \(change.householdsGained) households (\(change.buildingsGained) buildings) within 300 m")
        #expect(change.householdsGained > 0 && change.householdsLost == 0)
        #expect(comparison.total.changes.allSatisfy { $0.householdsLost == 0 })
        // The gain is the households of the buildings that now meet it, and the groups add up to the total.
        let gainedIDs = Set(comparison.changedBuildings.filter { $0.gained.contains(comparison.keys[key]) }.map(\.id))
        let households = Dictionary(uniqueKeysWithValues: b.result.buildings.map { ($0.id, $0.households) })
        #expect(gainedIDs.reduce(0) { $0 + households[$1]! } == change.householdsGained)
        #expect(comparison.grids.reduce(0) { $0 + $1.changes[key].householdsGained } == change.householdsGained)
        #expect(comparison.communities.map(\.key) == [Self.community])
        let codes = try Self.gridCodes(temporary.store)
        #expect(comparison.grids.allSatisfy { codes.contains($0.key) })
        // Stored verdicts render exactly as computed: the summary of a stored run equals the one stored with it.
        #expect(b.result.summary == (try CoverageJob.compute(store: temporary.store, profile: .gb50180)).summary)
    }

    @Test("what-if with a planned facility equals importing it, and stores nothing")
    func whatIf() throws {
        let temporary = try Self.wudaokou()
        let file = try temporary.file("e.geojson", Self.elderlyCare)
        let planned = try CoverageRuns.plannedFacilities(path: file, store: temporary.store, profile: .gb50180)
        let runsBefore = try temporary.count("coverage_runs")
        let fingerprint = try temporary.fingerprint()
        let current = try CoverageJob.compute(store: temporary.store, profile: .gb50180)
        #expect(current.categoriesWithoutFacilities == ["community_service", "elderly_care"])
        let asIf = try CoverageJob.compute(store: temporary.store, profile: .gb50180, planned: planned)
        #expect(try temporary.count("coverage_runs") == runsBefore && (try temporary.fingerprint()) == fingerprint)
        #expect(asIf.categoriesWithoutFacilities == ["community_service"])
        _ = try GeoJSONImporter.run(store: temporary.store, path: file, layer: .facilities)
        let imported = try CoverageJob.compute(store: temporary.store, profile: .gb50180)
        #expect(asIf.summary == imported.summary)
        let c = try #require(asIf.categoryIndex("elderly_care"))
        var reached = 0
        for b in asIf.buildings.indices {
            let x = asIf.results.nearest(building: b, category: c), y = imported.results.nearest(building: b, category: c)
            #expect((x == nil) == (y == nil) && x?.distance == y?.distance, "building \(asIf.buildings[b].id)")
            for l in asIf.profile.levels.indices { #expect(asIf.results.isLevelMet(building: b, level: l) == imported.results.isLevelMet(building: b, level: l)) }
            if x != nil { reached += 1 }
        }
        #expect(reached > 0)
        let comparison = CoverageComparison(current, asIf)
        #expect(comparison.total.changes.contains { $0.householdsGained > 0 })
    }

    @Test("unknown categories and communities are refused with the valid ones listed")
    func refusals() throws {
        let temporary = try Self.wudaokou()
        for code in ["学清路社区", "110108001999"] {
            #expect {
                try CoverageRuns.checkCommunity(code, store: temporary.store)
            } throws: { error in
                "\(error)".contains(code) && "\(error)".contains("valid: \(Self.community) (五道口)")
            }
        }
        #expect {
            try CoverageRuns.checkCategory("养老院", store: temporary.store, profile: .gb50180)
        } throws: { error in
            "\(error)".contains("养老院") && "\(error)".contains("elderly_care") && "\(error)".contains("kindergarten")
        }
        try CoverageRuns.checkCategory("elderly_care", store: temporary.store, profile: .gb50180)
        let bad = try temporary.file("bad.geojson", #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"category":"养老院"},"geometry":{"type":"Point","coordinates":[116.32,40.0]}}]}"#)
        #expect {
            _ = try CoverageRuns.plannedFacilities(path: bad, store: temporary.store, profile: .gb50180)
        } throws: { error in "\(error)".contains("feature 0") && "\(error)".contains("养老院") && "\(error)".contains("elderly_care") }
    }
}
