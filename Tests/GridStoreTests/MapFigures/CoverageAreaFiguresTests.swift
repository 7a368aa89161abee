import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServices
@testable import GridStore
import Testing

/// The area figures (`CoverageAreaFigures`) are read in one pass over the run's verdicts in building order. They must
/// be what the run's whole result sums to (`Coverage.Result.totals`, as `/coverage` lists them) and what the grouped
/// query they were read with before gives, area by area and theme by theme.
@Suite("Coverage area figures")
struct CoverageAreaFiguresTests {
    /// The grouped query the figures were read with before: SQLite groups the rows by place and verdict text first.
    static func grouped(_ db: Database, run: Int64) throws -> (grids: [CoverageAreaFigures.Area], communities: [CoverageAreaFigures.Area])? {
        let profileText = try #require(try String.fetchOne(db, sql: "SELECT profile FROM coverage_runs WHERE id = ?", arguments: [run]))
        let profile = try JSONDecoder().decode(LifeCircleProfile.self, from: Data(profileText.utf8))
        let placesCurrent = try Bool.fetchOne(db, sql: "SELECT \(BuildingPlaces.isCurrentSQL)") ?? false
        let themes = CoverageAreaFigures.themes(profile)
        func meets(_ verdicts: String) -> [Bool]? {
            let levels = verdicts.split(separator: "|", omittingEmptySubsequences: false)
            guard levels.count == profile.levels.count,
                  zip(levels, profile.levels).allSatisfy({ $0.count == $1.categories.count && $0.allSatisfy { $0 == "0" || $0 == "1" } })
            else { return nil }
            return levels.flatMap { level in [!level.contains("0")] + level.map { $0 == "1" } }
        }
        var grids: [String: CoverageAreaFigures.Area] = [:], communities: [String: CoverageAreaFigures.Area] = [:]
        func add(_ areas: inout [String: CoverageAreaFigures.Area], _ code: String, buildings: Int, households: Int, met: [Bool]) {
            var area = areas[code] ?? CoverageAreaFigures.Area(code: code, buildings: 0, households: 0, meeting: Array(repeating: 0, count: themes.count))
            area.buildings += buildings
            area.households += households
            for t in met.indices where met[t] { area.meeting[t] += households }
            areas[code] = area
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT bp.grid_code, bp.community_code, cb.requirements_met, count(*), sum(cb.households)
            FROM coverage_buildings cb LEFT JOIN building_places bp ON bp.building_id = cb.building_id
            WHERE cb.run_id = ? GROUP BY 1, 2, 3
            """, arguments: [run]) {
            guard let verdicts = row[2] as String?, let met = meets(verdicts) else { return nil }
            guard placesCurrent else { continue }
            if let grid = row[0] as String? { add(&grids, grid, buildings: row[3], households: row[4] ?? 0, met: met) }
            if let community = row[1] as String? { add(&communities, community, buildings: row[3], households: row[4] ?? 0, met: met) }
        }
        return (grids.values.sorted { $0.code < $1.code }, communities.values.sorted { $0.code < $1.code })
    }

    /// The figures read, the grouped query's and the whole result's agree on every area; returns the figures.
    @discardableResult
    static func expectAgreement(_ store: Store, run: Int64, _ comment: Comment) throws -> CoverageAreaFigures {
        let figures = try CoverageAreaFigures.read(store: store, run: run)
        let before = try #require(try store.read { try grouped($0, run: run) })
        #expect(figures.grids == before.grids, "\(comment)")
        #expect(figures.communities == before.communities, "\(comment)")
        let loaded = try CoverageRuns.load(store: store, id: run)
        let whole = try store.read { try CoverageAreaFigures.fromResult(loaded.result, run: run, $0) }
        #expect(figures.grids == whole.grids, "\(comment)")
        #expect(figures.communities == whole.communities, "\(comment)")
        #expect(figures.themes == whole.themes && figures.storedGrids == whole.storedGrids && figures.storedCommunities == whole.storedCommunities)
        return figures
    }

    @Test("Wudaokou: the figures of every grid and community are the run's totals and the grouped query's, before and after a rebalance is applied",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func sameAsTotals() throws {
        let temporary = try CoverageRunRealTests.wudaokou()
        let run = try CoverageRunRealTests.storedRun(temporary.store)
        let figures = try Self.expectAgreement(temporary.store, run: run, "as stored")
        #expect(figures.grids.count == 16 && figures.communities.count == 1)
        #expect(figures.grids.reduce(0) { $0 + $1.buildings } == figures.communities[0].buildings)
        // Some theme met by some of an area's households and not all: the sums are not all or nothing.
        #expect(figures.grids.contains { grid in grid.meeting.contains { $0 > 0 && $0 < grid.households } })

        // New grids: the places are derived again and the figures follow them.
        var parameters = GridRuns.Parameters()
        parameters.minimum = 300; parameters.maximum = 500
        let plan = try GridRebalance.run(store: temporary.store, parameters: parameters)
        try GridRuns.apply(store: temporary.store, id: plan.id)
        let after = try Self.expectAgreement(temporary.store, run: run, "after apply")
        #expect(after.grids.map(\.code) != figures.grids.map(\.code))
    }

    @Test("a verdict of another shape, or none, leaves the one pass for the whole result; places of changed layers are no place",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func unfitVerdicts() throws {
        let temporary = try CoverageRunRealTests.wudaokou()
        let run = try CoverageRunRealTests.storedRun(temporary.store)
        _ = try CoverageAreaFigures.read(store: temporary.store, run: run)
        // Places derived from layers that changed since count for no area (the read derives them again first).
        try temporary.store.write { db in try db.execute(sql: "UPDATE layer_versions SET version = version + 1 WHERE layer = 'grids'") }
        let stale = try #require(try temporary.store.read { try CoverageAreaFigures.fromVerdicts($0, run: run) })
        #expect(stale.grids.isEmpty && stale.communities.isEmpty)
        #expect(try temporary.store.read { try Self.grouped($0, run: run) }.map { $0.grids.isEmpty && $0.communities.isEmpty } == true)
        try Self.expectAgreement(temporary.store, run: run, "places derived again")

        let some = try #require(try temporary.store.read { try Int64.fetchOne($0, sql: "SELECT max(building_id) FROM coverage_buildings WHERE run_id = ?", arguments: [run]) })
        for damaged in ["1", "11|1", "x|1|1"] as [String?] + [nil] {
            try temporary.store.write { db in
                try db.execute(sql: "UPDATE coverage_buildings SET requirements_met = ? WHERE run_id = ? AND building_id = ?", arguments: [damaged, run, some])
            }
            #expect(try temporary.store.read { try CoverageAreaFigures.fromVerdicts($0, run: run) } == nil, "\(damaged ?? "NULL")")
            #expect(try temporary.store.read { try Self.grouped($0, run: run) } == nil, "\(damaged ?? "NULL")")
        }
    }
}
