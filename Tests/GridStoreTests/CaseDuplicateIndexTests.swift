import Foundation
import GRDB
import GridAnalysis
import GridCases
import GridModel
import GridServices
@testable import GridStore
import Testing

/// Monday 2026-03-02 09:00 Beijing time.
private let monday9: Timestamp = WorkingCalendar.standard.parseInstant("2026-03-02T09:00:00+08:00")!

@Suite("Duplicate search through its index (v13-case-duplicate-index)")
struct CaseDuplicateIndexTests {
    @Test("the search reads the box and the building from the v13 indexes alone, never the category's other open cases")
    func plan() throws {
        let temporary = try TemporaryStore()
        let details = try temporary.store.read { db -> [String] in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN (?, ?)",
                                     arguments: [CaseSchema.duplicateBoxIndex, CaseSchema.duplicateBuildingIndex]) == 2)
            func plan(_ sql: String, _ arguments: StatementArguments) throws -> String {
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }.joined(separator: "\n")
            }
            return [try plan(CaseRepository.duplicatesInBoxSQL, ["noise", monday9 - 7 * 86_400, monday9, 116.30, 116.31, 39.99, 40.0]),
                    try plan(CaseRepository.duplicatesOnBuildingSQL, ["noise", monday9 - 7 * 86_400, monday9, 42])]
        }
        // The box is read from its index alone (covering: the code is in it); the building by its own index.
        #expect(details[0] == "SEARCH cases USING COVERING INDEX \(CaseSchema.duplicateBoxIndex) (category_code=? AND state=? AND longitude>? AND longitude<?)",
                "\(details[0])")
        #expect(details[1] == "SEARCH cases USING INDEX \(CaseSchema.duplicateBuildingIndex) (category_code=? AND building_id=? AND state=? AND registered_at>? AND registered_at<?)",
                "\(details[1])")
        let applied = try temporary.store.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
        let v12 = try #require(applied.firstIndex(of: "v12-case-counters")), v13 = try #require(applied.firstIndex(of: "v13-case-duplicate-index"))
        #expect(v13 > v12)
    }
}

/// Reports clustered on a few Wudaokou buildings over ten days, some cases voided or dispatched on the way: every
/// report's duplicates (codes, same-building flags, walking distances, order) equal the full search, which walks to
/// every case of the store of the category that is open and inside the time window.
@Suite("Duplicates through the index on Wudaokou", .enabled(if: SharedData.available, SharedData.skipReason), .serialized)
struct CaseDuplicateIndexWudaokouTests {
    @Test("duplicates found through the index equal the full search on real data")
    func sameAsFullSearch() throws {
        let temporary = try WudaokouCaseTests.prepared()
        let store = temporary.store
        let network = try CaseNetwork.load(store)
        let buildings = try AnalysisData.buildings(store).filter { WudaokouCaseTests.expectedGrid($0.point) != nil }
        var random = SplitMix64(seed: 1313)
        let centres = (0..<14).map { _ in buildings[random.below(buildings.count)].point }
        let categories = ["refuse-pile", "street-light", "noise"]
        let rule = CaseRepository.DuplicateRule()
        var offered = 0, several = 0, sameBuilding = 0, walked = 0
        for i in 0..<150 {
            let centre = centres[random.below(centres.count)]
            // Within about 400 m of a centre: on the building, near it, or past the walking limit.
            let spread = [0.0, 0.0003, 0.002, 0.004][random.below(4)]
            let point = Coordinate(longitude: centre.longitude + (Double(random.below(2001)) / 1000 - 1) * spread,
                                   latitude: centre.latitude + (Double(random.below(2001)) / 1000 - 1) * spread)
            // Ten days in 150 steps: the first reports fall out of the 7-day window.
            let at = monday9 + Int64(i) * 5_760
            let report = CaseRepository.Report(category: categories[random.below(categories.count)], description: "d\(i)", point: point,
                                               reporterKind: .resident, at: at)
            let building = try store.read { db in try network.building(at: point, db) }?.id
            let since = at - Int64(rule.days * 86_400)
            let all = try store.read { db in
                try Row.fetchAll(db, sql: "SELECT code, building_id, longitude, latitude, state, registered_at, category_code FROM cases ORDER BY registered_at, id")
                    .map { (code: $0[0] as String, building: $0[1] as Int64?, point: Coordinate(longitude: $0[2], latitude: $0[3]),
                            state: $0[4] as String, at: $0[5] as Int64, category: $0[6] as String) }
            }
            let expected = try all.compactMap { c -> CaseRepository.Duplicate? in
                guard c.category == report.category, let state = CaseState(rawValue: c.state), state.isOpen, c.at >= since, c.at <= at else { return nil }
                let same = building != nil && c.building == building
                let walk = try network.walkingDistances(from: point, to: [c.point], horizon: Meters(rule.walkingMetres))[0]
                guard same || walk != nil else { return nil }
                return CaseRepository.Duplicate(code: c.code, sameBuilding: same, walkingDistance: walk.map { ($0.value * 10).rounded() / 10 })
            }
            let (stored, routing) = try CaseRepository.report(report, store: store, network: network, actor: "r")
            #expect(routing.duplicates == expected, "report \(i) at \(point)")
            offered += routing.duplicates.isEmpty ? 0 : 1
            several += routing.duplicates.count > 1 ? 1 : 0
            sameBuilding += routing.duplicates.contains { $0.sameBuilding } ? 1 : 0
            walked += routing.duplicates.contains { !$0.sameBuilding } ? 1 : 0
            // Some cases leave the open states (voided) or move on (dispatched, still open).
            switch random.below(6) {
            case 0: _ = try CaseRepository.transition(store: store, code: stored.code, action: .void, actor: "d", at: at + 60)
            case 1: _ = try CaseRepository.transition(store: store, code: stored.code, action: .dispatch, actor: "d", at: at + 60)
            default: break
            }
        }
        print("duplicates through the index: \(offered) of 150 reports offered some, \(several) several, \(sameBuilding) on the same building, \(walked) by walking")
        #expect(offered > 40 && several > 20 && sameBuilding > 5 && walked > 20)
    }
}
