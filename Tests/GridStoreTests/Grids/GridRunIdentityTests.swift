import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServices
@testable import GridStore
import Testing

/// Wudaokou (Beijing, OSM 2017) as one community, 116.307,39.989 – 116.332,40.013, with an n × n plan of equal
/// rectangles as its grids (codes 001… in reading order).
enum WudaokouPlan {
    static func store(plan n: Int) throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        // The issue's reproduction (3 of 62 grids split) was made with every `yes` building counted as housing.
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("cn_beijing_haidian_wudaokou_2017.osm"),
                                rules: .everyBuildingAsHousing)
        let (x0, y0, x1, y1) = (116.307, 39.989, 116.332, 40.013)
        @Sendable func rectangle(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> String {
            "POLYGON((\(a) \(b), \(c) \(b), \(c) \(d), \(a) \(d), \(a) \(b)))"
        }
        let communities = """
            {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"110108001001","name":"五道口"},
            "geometry":{"type":"Polygon","coordinates":[[[\(x0),\(y0)],[\(x1),\(y0)],[\(x1),\(y1)],[\(x0),\(y1)],[\(x0),\(y0)]]]}}]}
            """
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("community.geojson", communities), layer: .communities)
        var features: [String] = []
        for i in 0..<n {
            for j in 0..<n {
                let (a, b) = (x0 + (x1 - x0) * Double(j) / Double(n), y1 - (y1 - y0) * Double(i + 1) / Double(n))
                let (c, d) = (x0 + (x1 - x0) * Double(j + 1) / Double(n), y1 - (y1 - y0) * Double(i) / Double(n))
                features.append("""
                    {"type":"Feature","properties":{"code":"\(String(format: "110108001001%03d", i * n + j + 1))","name":"五道口第\(i * n + j + 1)网格"},
                    "geometry":{"type":"Polygon","coordinates":[[[\(a),\(b)],[\(c),\(b)],[\(c),\(d)],[\(a),\(d)],[\(a),\(b)]]]}}
                    """)
            }
        }
        let grids = "{\"type\":\"FeatureCollection\",\"features\":[\(features.joined(separator: ","))]}"
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("grids.geojson", grids), layer: .grids)
        return temporary
    }

    static func rebalance(_ store: Store, minimum: Int, maximum: Int) throws -> GridRuns.Run {
        var parameters = GridRuns.Parameters()
        parameters.minimum = minimum; parameters.maximum = maximum
        return try GridRebalance.run(store: store, parameters: parameters)
    }

    /// Per grid code, the set of buildings a run puts in it.
    static func plan(_ store: Store, run: Int64) throws -> [String: Set<Int64>] {
        try store.read { db in
            var result: [String: Set<Int64>] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT to_grid, building_id FROM grid_run_buildings WHERE run_id = ?", arguments: [run]) {
                result[row[0], default: []].insert(row[1])
            }
            return result
        }
    }

    static func grids(_ store: Store) throws -> [String: String] {
        try store.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT code, name FROM grids").map { ($0[0] as String, $0[1] as String) })
        }
    }
}

@Suite("Grid runs on real data: every grid is one polygon", .serialized, .enabled(if: SharedData.available, SharedData.skipReason))
struct GridRunContiguityTests {
    @Test("wudaokou 4 × 4 and 3 × 3, 300–500: after apply every stored grid is a single Polygon, as the run reports", arguments: [4, 3])
    func wudaokou(plan n: Int) throws {
        let temporary = try WudaokouPlan.store(plan: n)
        let run = try WudaokouPlan.rebalance(temporary.store, minimum: 300, maximum: 500)
        try GridRuns.apply(store: temporary.store, id: run.id)
        let stored = try temporary.store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT code, ST_NumGeometries(geom), GeometryType(ST_GeometryN(geom, 1)), ST_IsValid(geom) FROM grids ORDER BY code
                """).map { (code: $0[0] as String, parts: $0[1] as Int, type: $0[2] as String, valid: $0[3] as Int) }
        }
        let split = stored.filter { $0.parts != 1 }
        print("wudaokou \(n)×\(n) 300–500: \(stored.count) grids stored, \(split.count) in several parts; run reports \(run.metrics.summary.contiguous) contiguous")
        #expect(stored.count == run.metrics.summary.grids)
        #expect(split.isEmpty, "grids in several parts: \(split.map { "\($0.code) (\($0.parts))" })")
        #expect(stored.allSatisfy { $0.type == "POLYGON" && $0.valid == 1 })
        #expect(run.metrics.summary.contiguous == stored.count)
        #expect(!run.warnings.contains { $0.contains("polygons") })
        #expect(try GridReports.check(temporary.store).isEmpty)

        // The run's figures are the stored grids' figures.
        let proposed = try GridRuns.proposedGrids(store: temporary.store, id: run.id)
        let households = proposed.map(\.households)
        #expect(households.min() == run.metrics.summary.householdsMin && households.max() == run.metrics.summary.householdsMax)
        #expect(households.reduce(0, +) == run.metrics.summary.households)
        #expect(proposed.filter { (300...500).contains($0.households) }.count == run.metrics.summary.inRange)
        let meanPP = proposed.reduce(0) { $0 + $1.polsbyPopper } / Double(proposed.count)
        #expect(abs(meanPP - run.metrics.polsbyPopperMean) < 1e-9)
        let measured = try GridReports.stats(temporary.store, minimum: 300, maximum: 500, walkingTours: false).grids
        let byCode = Dictionary(uniqueKeysWithValues: measured.map { ($0.code, $0) })
        for grid in proposed {
            #expect(byCode[grid.code]?.households == grid.households, "\(grid.code): stored \(grid.households), stats \(byCode[grid.code]?.households ?? -1)")
            #expect(abs((byCode[grid.code]?.polsbyPopper ?? 0) - grid.polsbyPopper) < 1e-6)
        }
    }
}

@Suite("Grid runs on real data: stable grid codes and the code register", .serialized, .enabled(if: SharedData.available, SharedData.skipReason))
struct GridRunIdentityTests {
    @Test("wudaokou: applied runs keep the codes of unchanged grids, never reuse a retired code; revert restores codes and register")
    func codesAcrossRuns() throws {
        let temporary = try WudaokouPlan.store(plan: 4)
        let store = temporary.store
        // Imported grids are in the register, valid from their import.
        let imported = try GridCodes.register(store: store)
        #expect(imported.count == 16 && imported.allSatisfy { $0.isValid && $0.validFrom != nil && $0.createdRun == nil })

        let first = try WudaokouPlan.rebalance(store, minimum: 300, maximum: 500)
        let firstPlan = try WudaokouPlan.plan(store, run: first.id)
        // Every original grid keeps households, so all 16 codes continue; the others are 017… in order.
        let firstCodes = Set(firstPlan.keys)
        #expect(firstCodes.isSuperset(of: imported.map(\.code)))
        let extra = firstCodes.subtracting(imported.map(\.code)).sorted()
        #expect(extra == (17..<(17 + extra.count)).map { String(format: "110108001001%03d", $0) })
        try GridRuns.apply(store: store, id: first.id)
        let afterFirst = try WudaokouPlan.grids(store)
        #expect(afterFirst.filter { imported.map(\.code).contains($0.key) }.allSatisfy { $0.value == "五道口第\(Int($0.key.suffix(3))!)网格" })

        // A higher range: fewer, larger grids. Unchanged grids keep their codes; retired codes are recorded.
        let second = try WudaokouPlan.rebalance(store, minimum: 600, maximum: 900)
        let secondPlan = try WudaokouPlan.plan(store, run: second.id)
        let unchanged = secondPlan.filter { code, buildings in firstPlan.values.contains(buildings) }
        #expect(!unchanged.isEmpty)
        for (code, buildings) in unchanged {
            #expect(firstPlan[code] == buildings, "grid \(code): the same buildings as \(firstPlan.first { $0.value == buildings }!.key) before, under another code")
        }
        try GridRuns.apply(store: store, id: second.id)
        let afterSecond = try WudaokouPlan.grids(store)
        let retired = Set(afterFirst.keys).subtracting(afterSecond.keys)
        let created = Set(afterSecond.keys).subtracting(afterFirst.keys)
        #expect(!retired.isEmpty)
        #expect(created.allSatisfy { !afterFirst.keys.contains($0) && !imported.map(\.code).contains($0) })
        var register = try GridCodes.register(store: store)
        #expect(Set(register.filter(\.isValid).map(\.code)) == Set(afterSecond.keys))
        for code in retired {
            #expect(register.contains { $0.code == code && $0.validTo != nil && $0.retiredRun == second.id })
        }
        for entry in register where entry.isValid { #expect(afterSecond[entry.code] == entry.name) }

        // A narrower range: more grids again. New codes are never a retired one.
        let third = try WudaokouPlan.rebalance(store, minimum: 250, maximum: 400)
        let thirdCodes = Set(try WudaokouPlan.plan(store, run: third.id).keys)
        let thirdNew = thirdCodes.subtracting(afterSecond.keys)
        #expect(thirdNew.count > 0)
        #expect(thirdNew.isDisjoint(with: retired), "retired codes given out again: \(thirdNew.intersection(retired).sorted())")
        #expect(thirdNew.isDisjoint(with: Set(register.map(\.code))))
        try GridRuns.apply(store: store, id: third.id)
        register = try GridCodes.register(store: store)
        #expect(Set(register.filter(\.isValid).map(\.code)) == thirdCodes)
        #expect(register.filter { $0.createdRun == third.id }.count == thirdNew.count)

        // Revert: the grids and names before the third run; its new codes retired for good, the codes it retired valid again.
        try GridRuns.revert(store: store, id: third.id)
        #expect(try WudaokouPlan.grids(store) == afterSecond)
        register = try GridCodes.register(store: store)
        #expect(Set(register.filter(\.isValid).map(\.code)) == Set(afterSecond.keys))
        for code in thirdNew {
            #expect(register.contains { $0.code == code && !$0.isValid && $0.createdRun == third.id && $0.retiredRun == third.id })
        }
        #expect(register.filter { $0.retiredRun == third.id && $0.createdRun != third.id }.isEmpty)

        // A run computed now does not give out the reverted run's codes either.
        let fourth = try WudaokouPlan.rebalance(store, minimum: 250, maximum: 400)
        let fourthNew = Set(try WudaokouPlan.plan(store, run: fourth.id).keys).subtracting(afterSecond.keys)
        #expect(fourthNew.isDisjoint(with: thirdNew) && fourthNew.isDisjoint(with: retired))

        // Moves name their buildings.
        let moves = try GridRuns.moves(store: store, id: second.id)
        #expect(moves.allSatisfy { $0.sourceID?.hasPrefix("w") == true || $0.sourceID?.hasPrefix("r") == true })
        let named = try #require(moves.first { $0.name != nil })
        #expect(named.label == "building \(named.building) \"\(named.name!)\" (\(named.sourceID!))")
    }

    @Test("a run computed before another run was applied and reverted cannot give out that run's codes")
    func staleRunRefused() throws {
        let temporary = try WudaokouPlan.store(plan: 4)
        let a = try WudaokouPlan.rebalance(temporary.store, minimum: 300, maximum: 500)
        let b = try WudaokouPlan.rebalance(temporary.store, minimum: 300, maximum: 500)
        try GridRuns.apply(store: temporary.store, id: a.id)
        try GridRuns.revert(store: temporary.store, id: a.id)
        // The grids are as when b was computed, but b's new codes are a's, retired by the revert.
        let message = GridRunStoreTests.message { try GridRuns.apply(store: temporary.store, id: b.id) }
        #expect(message.contains("never reused") && message.contains("110108001001017"))
        #expect(try GridRuns.get(store: temporary.store, id: b.id).status == "dry_run")
        #expect(Set(try WudaokouPlan.grids(temporary.store).keys) == Set((1...16).map { String(format: "110108001001%03d", $0) }))
    }

    @Test("migration v7 fills the register from the grids and the runs before it")
    func migrationFill() throws {
        let temporary = try WudaokouPlan.store(plan: 4)
        let first = try WudaokouPlan.rebalance(temporary.store, minimum: 300, maximum: 500)
        try GridRuns.apply(store: temporary.store, id: first.id)
        let before = Set(try WudaokouPlan.grids(temporary.store).keys)
        let run = try WudaokouPlan.rebalance(temporary.store, minimum: 600, maximum: 900)
        try GridRuns.apply(store: temporary.store, id: run.id)
        let grids = try WudaokouPlan.grids(temporary.store)
        let retired = before.subtracting(grids.keys)
        #expect(!retired.isEmpty)
        // The store as it was before v7.
        try temporary.store.write { db in
            try db.execute(sql: "DROP TABLE grid_codes")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v7: grid code register'")
        }
        let reopened = try Store.open(path: temporary.path)
        let register = try GridCodes.register(store: reopened)
        #expect(Set(register.filter(\.isValid).map(\.code)) == Set(grids.keys))
        #expect(register.filter(\.isValid).allSatisfy { $0.createdRun == run.id && grids[$0.code] == $0.name })
        #expect(Set(register.filter { !$0.isValid }.map(\.code)) == retired)
        #expect(register.filter { !$0.isValid }.allSatisfy { $0.retiredRun == run.id })
    }
}

@Suite("Grid runs: a grid that cannot be one polygon is named")
struct GridRunPartsTests {
    @Test("a community in two parts, buildings in one: its grid covers both and the run says which grid and why")
    func communityInPieces() throws {
        let temporary = try TemporaryStore()
        func square(_ x: Double, _ y: Double, _ size: Double) -> String {
            "[[[\(x),\(y)],[\(x + size),\(y)],[\(x + size),\(y + size)],[\(x),\(y + size)],[\(x),\(y)]]]"
        }
        let community = """
            {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"110108001002","name":"两块"},
            "geometry":{"type":"MultiPolygon","coordinates":[\(square(116.30, 40.00, 0.01)),\(square(116.32, 40.00, 0.01))]}}]}
            """
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("c.geojson", community), layer: .communities)
        let buildings = (0..<4).map { i in
            """
            {"type":"Feature","properties":{"id":"b\(i)","households":100,"type":"residential"},
            "geometry":{"type":"Polygon","coordinates":\(square(116.302 + Double(i % 2) * 0.004, 40.002 + Double(i / 2) * 0.004, 0.0005))}}
            """
        }
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("b.geojson", "{\"type\":\"FeatureCollection\",\"features\":[\(buildings.joined(separator: ","))]}"),
                                    layer: .buildings)
        var parameters = GridRuns.Parameters()
        parameters.minimum = 300; parameters.maximum = 500
        let run = try GridRebalance.run(store: temporary.store, parameters: parameters)
        let grids = try GridRuns.proposedGrids(store: temporary.store, id: run.id)
        #expect(grids.count == 1 && grids[0].shape.polygons.count == 2 && grids[0].households == 400)
        #expect(run.metrics.summary.contiguous == 0 && run.metrics.summary.grids == 1)
        #expect(run.warnings.contains { $0.contains("grid \(grids[0].code) is 2 polygons") && $0.contains("the community itself is in 2 parts") })
    }
}
