import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServices
import GridStore
import Testing

@Suite("Grids on stored data: assignment, checks, runs")
struct GridRunStoreTests {
    /// Degree² below which a sliver is numerical noise (about 1 m² at 40° N).
    static let noise = 1e-10

    /// The user-error message of a call that must fail, or "" when it does not fail that way.
    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let error as StoreError where error.isUserError { return error.description }
        catch let error as RunParameterError { return error.description } catch {}
        return ""
    }

    /// The refused parameter of a run that must be refused, or nil when it is not refused that way.
    static func refusal(_ body: () throws -> Void) -> RunParameterError? {
        do { try body() } catch let error as RunParameterError { return error } catch {}
        return nil
    }

    @Test("demo: every building in exactly one grid, no topology problem, stats add up")
    func assignCheckStats() throws {
        let temporary = try CoverageStoreTests.demoStore()
        let assignment = try GridReports.assign(temporary.store)
        #expect(assignment.results.count == 718)
        #expect(assignment.outside.isEmpty && assignment.ambiguous.isEmpty)
        #expect(try GridReports.check(temporary.store).isEmpty)
        let (grids, _) = try GridReports.stats(temporary.store, minimum: 800, maximum: 1300)
        #expect(grids.count == 51)
        #expect(grids.reduce(0) { $0 + $1.households } == 52_701)
        #expect(grids.allSatisfy { $0.tourMeters > 0 && $0.polsbyPopper > 0 && $0.polsbyPopper <= 1 })
        #expect(grids.contains { !$0.inRange }, "the demo is deliberately unbalanced")
    }

    @Test("check reports an overlap and the gap it leaves, with areas")
    func checkFindsProblems() throws {
        let temporary = try CoverageStoreTests.demoStore()
        // Shift one grid east by about 80 m: it overlaps its neighbour, leaves a gap and leaves its community.
        try temporary.store.write { db in
            try db.execute(sql: "UPDATE grids SET geom = ShiftCoords(geom, 0.001, 0) WHERE code = '110105001001001'")
        }
        let kinds = Set(try GridReports.check(temporary.store).map(\.kind))
        #expect(kinds.contains(.overlap) && kinds.contains(.gap))
        // Far west of the district: outside its community.
        try temporary.store.write { db in
            try db.execute(sql: "UPDATE grids SET geom = ShiftCoords(geom, -0.05, 0) WHERE code = '110105001001001'")
        }
        #expect(try GridReports.check(temporary.store).contains { $0.kind == .outsideCommunity && $0.grids == ["110105001001001"] })
        #expect(try GridReports.check(temporary.store).allSatisfy { $0.areaSquareMeters > 1 && $0.geometry != nil })
    }

    @Test("rebalance: all in range and contiguous, grids tile each community, continuing grids keep their codes; apply and revert round trip")
    func rebalanceApplyRevert() throws {
        let temporary = try CoverageStoreTests.demoStore()
        var parameters = GridRuns.Parameters()
        parameters.minimum = 800; parameters.maximum = 1300
        let before = try temporary.fingerprint()
        let run = try GridRebalance.run(store: temporary.store, parameters: parameters)
        #expect(try temporary.fingerprint() == before, "a dry run changes no grid")
        let s = run.metrics.summary
        #expect(s.inRange == s.grids && s.contiguous == s.grids)
        #expect(s.householdsMoved > 0 && s.householdsMoved < s.households / 5)
        #expect(run.metrics.polsbyPopperMean > 0.4)

        // Tiling: union equals the community, no overlaps.
        let (symmetric, overlap) = try temporary.store.read { db in
            (try Double.fetchAll(db, sql: """
                SELECT coalesce(ST_Area(ST_SymDifference(c.geom, (SELECT ST_Union(g.geom) FROM grid_run_grids g WHERE g.run_id = ? AND g.community_code = c.code))), 0)
                FROM communities c
                """, arguments: [run.id]),
             try Double.fetchAll(db, sql: """
                SELECT (SELECT sum(ST_Area(g.geom)) FROM grid_run_grids g WHERE g.run_id = ?1 AND g.community_code = c.code)
                     - (SELECT ST_Area(ST_Union(g.geom)) FROM grid_run_grids g WHERE g.run_id = ?1 AND g.community_code = c.code)
                FROM communities c
                """, arguments: [run.id]))
        }
        #expect(symmetric.count == 9 && symmetric.allSatisfy { $0 < Self.noise }, "\(symmetric)")
        #expect(overlap.allSatisfy { abs($0) < Self.noise }, "\(overlap)")

        // Codes: a grid that keeps households of a current grid of its community (one-to-one) keeps that grid's code and
        // name; the others take the numbers after the community's highest, in reading order (north→south rows, west→east).
        let proposed = try GridRuns.proposedGrids(store: temporary.store, id: run.id)
        let current = try temporary.store.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT code, name FROM grids").map { ($0[0] as String, $0[1] as String) })
        }
        let kept = try temporary.store.read { db in
            Set(try String.fetchAll(db, sql: "SELECT DISTINCT to_grid FROM grid_run_buildings WHERE run_id = ? AND from_grid = to_grid", arguments: [run.id]))
        }
        #expect(Set(proposed.map(\.code)).count == proposed.count)
        for community in Set(proposed.map(\.community)) {
            let grids = proposed.filter { $0.community == community }.sorted { $0.code < $1.code }
            #expect(grids.allSatisfy { $0.code.hasPrefix(community) })
            let continuing = grids.filter { current[$0.code] != nil }
            #expect(continuing.allSatisfy { current[$0.code] == $0.name && kept.contains($0.code) })
            let highest = current.keys.filter { $0.hasPrefix(community) }.compactMap { Int($0.suffix(3)) }.max() ?? 0
            let fresh = grids.filter { current[$0.code] == nil }
            #expect(fresh.map { Int($0.code.suffix(3))! } == Array((highest + 1)..<(highest + 1 + fresh.count)))
            #expect(fresh.allSatisfy { $0.name.hasSuffix("第\(Int($0.code.suffix(3))!)网格") })
            if !fresh.isEmpty {
                #expect(GridNumbering.sequence(centres: fresh.map { $0.shape.representativePoint }) == Array(1...fresh.count))
            }
        }
        #expect(proposed.filter { current[$0.code] != nil }.count >= 40, "most demo grids continue a current grid")
        let movedHouseholds = try GridRuns.moves(store: temporary.store, id: run.id).reduce(0) { $0 + $1.households }
        #expect(movedHouseholds >= s.householdsMoved)

        try GridRuns.apply(store: temporary.store, id: run.id)
        #expect(try GridReports.check(temporary.store).isEmpty)
        let afterStats = try GridReports.stats(temporary.store, minimum: 800, maximum: 1300).grids
        let allInRange = afterStats.allSatisfy { $0.inRange }
        #expect(allInRange)
        #expect(throws: StoreError.self) { try GridRuns.apply(store: temporary.store, id: run.id) }
        try GridRuns.revert(store: temporary.store, id: run.id)
        let unchanged = try temporary.fingerprint().filter { !$0.hasPrefix("grids:") }
        #expect(unchanged == before.filter { !$0.hasPrefix("grids:") })
        let restored = try temporary.store.read { db in
            try String.fetchAll(db, sql: "SELECT code || ':' || printf('%.3f', area_m2) || ':' || hex(AsBinary(geom)) FROM grids ORDER BY code")
        }
        let fresh = try CoverageStoreTests.demoStore()
        let original = try fresh.store.read { db in
            try String.fetchAll(db, sql: "SELECT code || ':' || printf('%.3f', area_m2) || ':' || hex(AsBinary(geom)) FROM grids ORDER BY code")
        }
        #expect(restored == original)
        #expect(try GridRuns.get(store: temporary.store, id: run.id).status == "reverted")
    }

    @Test("bad parameters name themselves; an empty community gets one grid")
    func badInputAndEmpty() throws {
        let temporary = try CoverageStoreTests.demoStore()
        var parameters = GridRuns.Parameters()
        parameters.minimum = 500; parameters.maximum = 300
        #expect(Self.refusal { _ = try GridRebalance.run(store: temporary.store, parameters: parameters) }?.field == .minimum)
        parameters = GridRuns.Parameters(); parameters.communities = ["999999999999"]
        #expect(Self.message { _ = try GridRebalance.run(store: temporary.store, parameters: parameters) }.contains("999999999999"))
        #expect(Self.message { try GridRuns.apply(store: temporary.store, id: 42) }.contains("42"))

        try temporary.store.write { db in
            try db.execute(sql: """
                INSERT INTO communities (code, name, admin_code, street_code, community_code, source, area_m2, geom)
                VALUES ('110105009009', '空社区', '110105', '009', '009', 'test', 1,
                        CastToMultiPolygon(GeomFromText('POLYGON((117 40, 117.01 40, 117.01 40.01, 117 40.01, 117 40))', 4326)))
                """)
        }
        parameters = GridRuns.Parameters(); parameters.communities = ["110105009009"]
        let run = try GridRebalance.run(store: temporary.store, parameters: parameters)
        #expect(run.metrics.communities.first?.buildings == 0)
        #expect(run.warnings.contains { $0.contains("no buildings") })
        #expect(try GridRuns.proposedGrids(store: temporary.store, id: run.id).map(\.code) == ["110105009009001"])
    }
}
