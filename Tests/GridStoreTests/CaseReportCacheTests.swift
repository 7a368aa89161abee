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

/// What a report is registered against, read and decoded afresh (no cache).
private func uncached(_ store: Store) throws -> (catalog: CaseCatalog, calendar: WorkingCalendar) {
    try store.read { db in (try CaseSetup.readCatalog(db), try CaseSetup.readCalendar(db)) }
}

/// The deadlines of a stored case as its log replays on the uncached catalog and calendar.
private func expectReplaysUncached(_ c: CaseRepository.StoredCase, _ store: Store, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let (catalog, calendar) = try uncached(store)
    let category = try #require(catalog.category(c.category), sourceLocation: sourceLocation)
    let timeline = try CaseTimeline.replay(c.events, limits: category.limits, calendar: calendar)
    #expect(c.department == category.department && c.priority == category.priority, sourceLocation: sourceLocation)
    #expect(timeline.stepDeadline == c.stepDeadline && timeline.handlingDeadline == c.handlingDeadline, sourceLocation: sourceLocation)
}

@Suite("Case reports' caches on Wudaokou", .enabled(if: SharedData.available, SharedData.skipReason), .serialized)
struct CaseReportCacheTests {
    @Test("a changed catalog, calendar or grid worker is what the next report is registered against")
    func cachesFollowTheStore() throws {
        let temporary = try WudaokouCaseTests.prepared()
        let store = temporary.store
        let network = try CaseNetwork.load(store)
        let building = try #require(try AnalysisData.buildings(store).first { WudaokouCaseTests.expectedGrid($0.point) == $0.grid && $0.households > 0 })
        let grid = try #require(building.grid)
        var hour: Int64 = 0
        func report(_ category: String) throws -> CaseRepository.StoredCase {
            hour += 1
            return try CaseRepository.report(.init(category: category, description: "d", point: building.point, reporterKind: .resident, at: monday9 + hour * 3600),
                                             store: store, network: network, actor: "r").0
        }
        // Warm: the cached catalog and calendar are the stored ones.
        let first = try report("refuse-pile")
        try expectReplaysUncached(first, store)
        #expect(try CaseSetup.catalog(store) == uncached(store).catalog && CaseSetup.calendar(store) == uncached(store).calendar)

        // The catalog: refuse-pile moves to another department with another limit and priority; noise is dropped.
        let shipped = try CaseSetup.catalog(store)
        let other = try #require(shipped.departments.first { $0.code != first.department }).code
        let changed = try CaseCatalog(name: "changed", departments: shipped.departments, categories: shipped.categories.compactMap { c in
            guard c.code != "noise" else { return nil }
            var c = c
            if c.code == "refuse-pile" { c.department = other; c.handlingLimit = TimeLimit.parse("3h")!; c.priority = 1 }
            return c
        })
        try CaseSetup.install(catalog: changed, store: store)
        let second = try report("refuse-pile")
        #expect(second.department == other && second.priority == 1)
        try expectReplaysUncached(second, store)
        #expect(throws: StoreError.self) { try report("noise") }
        #expect(try CaseSetup.catalog(store) == changed)
        try CaseSetup.install(catalog: shipped, store: store)
        #expect(try report("noise").department == shipped.category("noise")?.department)
        #expect(try report("refuse-pile").department == first.department)

        // The calendar: working every day 08:00–20:00 makes other deadlines.
        let long = try WorkingCalendar(utcOffsetMinutes: 480, periods: [(480, 1200)], workingWeekdays: Set(1...7))
        try CaseSetup.saveCalendar(long, store: store)
        let third = try report("refuse-pile")
        // A registered case awaits dispatch: no step is timed yet, whatever the calendar; the replay with the calendar
        // read afresh gives the same row.
        #expect(third.state == .registered && third.stepDeadline == nil && third.handlingDeadline == nil)
        try expectReplaysUncached(third, store)
        #expect(try CaseSetup.calendar(store) == long)
        try CaseSetup.saveCalendar(.standard, store: store)
        try expectReplaysUncached(try report("refuse-pile"), store)

        // The grid's worker: a new one from now on gets the next report.
        try CaseSetup.addWorker(store: store, code: "w-new", name: "新网格员", role: .gridWorker, department: nil)
        try CaseSetup.assign(store: store, worker: "w-new", grid: grid, from: monday9 + hour * 3600 + 1)
        #expect(try report("refuse-pile").worker == "w-new")

        // A change made by another connection (another process's command) is seen as well.
        let moved = try CaseCatalog(name: "moved", departments: shipped.departments, categories: shipped.categories.map { c in
            var c = c
            if c.code == "refuse-pile" { c.department = other }
            return c
        })
        let elsewhere = try Store.open(path: store.path)
        try CaseSetup.install(catalog: moved, store: elsewhere)
        #expect(try report("refuse-pile").department == other)
        try CaseSetup.saveCalendar(long, store: elsewhere)
        try expectReplaysUncached(try report("refuse-pile"), store)
        #expect(try CaseRepository.inconsistent(store: store).isEmpty)
    }

    @Test("routing, duplicates and households within 5 minutes answer as the full search on every building and the store's rows")
    func sameAnswersAsUncached() throws {
        let temporary = try WudaokouCaseTests.prepared()
        let store = temporary.store
        let network = try CaseNetwork.load(store)
        let buildings = try AnalysisData.buildings(store)
        let horizon = network.rule.distance(minutes: CaseNetwork.impactMinutes)
        /// The households within the walk by searching to every building, as reports always did.
        func householdsEverywhere(_ point: Coordinate) throws -> Int? {
            guard let origin = network.snap(point) else { return nil }
            let answers = try NearestFacilitySearch.run(graph: network.graph, sources: [.init(facilityID: 0, snap: origin)],
                                                        targets: network.placed.snaps, horizon: horizon)
            return zip(answers, network.placed.buildings).reduce(0) { $0 + ($1.0 == nil ? 0 : $1.1.households) }
        }
        var random = SplitMix64(seed: 1414)
        var points: [Coordinate] = []
        for _ in 0..<60 { points.append(buildings[random.below(buildings.count)].point) }
        for _ in 0..<40 {
            points.append(Coordinate(longitude: 116.305 + Double(random.below(30_000)) / 1_000_000, latitude: 39.987 + Double(random.below(28_000)) / 1_000_000))
        }
        let categories = ["refuse-pile", "street-light", "noise"]
        var offered = 0, withHouseholds = 0
        for (i, point) in points.enumerated() {
            let report = CaseRepository.Report(category: categories[i % 3], description: "d", point: point, reporterKind: .resident, at: monday9 + Int64(i) * 600)
            // The duplicates as the store's open cases of the category within the box, walked one by one from the point.
            let rule = CaseRepository.DuplicateRule()
            let candidates = try store.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT code, building_id, longitude, latitude FROM cases WHERE category_code = ? AND state NOT IN ('closed', 'void')
                      AND registered_at >= ? AND registered_at <= ? ORDER BY registered_at, id
                    """, arguments: [report.category, report.at - Int64(rule.days * 86_400), report.at])
                    .map { (code: $0[0] as String, building: $0[1] as Int64?, point: Coordinate(longitude: $0[2], latitude: $0[3])) }
            }
            let expectedHouseholds = try householdsEverywhere(point)
            let (stored, routing) = try CaseRepository.report(report, store: store, network: network, actor: "r")
            let expectedDuplicates = try candidates.compactMap { candidate -> String? in
                let same = routing.buildingID != nil && candidate.building == routing.buildingID
                let walk = try network.walkingDistances(from: point, to: [candidate.point], horizon: Meters(rule.walkingMetres))[0]
                return same || walk != nil ? candidate.code : nil
            }
            #expect(routing.duplicates.map(\.code) == expectedDuplicates, "report \(i) at \(point)")
            #expect(stored.householdsNearby == expectedHouseholds && routing.householdsNearby == expectedHouseholds, "report \(i) at \(point)")
            // The building and grid as the store's own SQL finds them.
            let building = try store.read { db in try network.building(at: point, db) }
            #expect(stored.buildingID == building?.id)
            if let grid = building?.grid { #expect(stored.grid == grid && !stored.outsideGrids) }
            try expectReplaysUncached(stored, store)
            offered += routing.duplicates.isEmpty ? 0 : 1
            withHouseholds += (expectedHouseholds ?? 0) > 0 ? 1 : 0
        }
        #expect(offered > 5 && withHouseholds > 50, "\(offered) reports offered duplicates, \(withHouseholds) had households near")
    }

    @Test("reports registered together, placed beforehand, are stored as one by one; a refused one leaves the others in")
    func together() async throws {
        let together = try WudaokouCaseTests.prepared(), oneByOne = try WudaokouCaseTests.prepared()
        let network = try CaseNetwork.load(together.store), sequentialNetwork = try CaseNetwork.load(oneByOne.store)
        let buildings = try AnalysisData.buildings(together.store).filter { WudaokouCaseTests.expectedGrid($0.point) != nil && $0.households > 0 }
        var random = SplitMix64(seed: 77)
        var reports: [CaseRepository.Report] = []
        for i in 0..<24 {
            let point = buildings[random.below(buildings.count)].point
            reports.append(.init(category: i % 2 == 0 ? "refuse-pile" : "street-light", description: "d\(i)", point: point, reporterKind: .resident,
                                 at: monday9 + Int64(i) * 60))
            // A second report on the same building a minute later: the first is its duplicate, in the same transaction.
            if i % 6 == 0 { reports.append(.init(category: "refuse-pile", description: "again", point: point, reporterKind: .resident, at: monday9 + Int64(i) * 60 + 30)) }
        }
        let refusal: @Sendable (String) -> any Error = { StoreError.conflict("no service \($0)") }
        var submissions = try reports.map {
            CaseRepository.Submission($0, network: network, actor: "r", unknownCategory: refusal,
                                      placement: try CaseRepository.place($0, store: together.store, network: network))
        }
        submissions.insert(.init(.init(category: "no-such", description: "d", point: reports[0].point, reporterKind: .resident, at: monday9),
                                 network: network, actor: "r", unknownCategory: refusal), at: 3)
        submissions.insert(.init(.init(category: "noise", description: "d", point: Coordinate(longitude: 116.31, latitude: 100), reporterKind: .resident,
                                       at: monday9), network: network, actor: "r"), at: 7)
        let answers = try await CaseRepository.report(submissions, store: together.store)
        #expect(answers.count == submissions.count)
        if case .failure(let error) = answers[3] { #expect("\(error)".contains("no service no-such")) } else { Issue.record("an unknown service was registered") }
        if case .success = answers[7] { Issue.record("a point at latitude 100 was registered") }
        let registered = answers.enumerated().filter { $0.offset != 3 && $0.offset != 7 }.map(\.element)
        #expect(try together.count("cases") == reports.count && together.count("case_events") == reports.count)
        for (report, answer) in zip(reports, registered) {
            let (stored, routing) = try answer.get()
            let (expected, expectedRouting) = try CaseRepository.report(report, store: oneByOne.store, network: sequentialNetwork, actor: "r")
            #expect(stored.code == expected.code && stored.grid == expected.grid && stored.worker == expected.worker)
            #expect(stored.buildingID == expected.buildingID && stored.householdsNearby == expected.householdsNearby)
            #expect(stored.stepDeadline == expected.stepDeadline && stored.department == expected.department)
            #expect(routing.duplicates == expectedRouting.duplicates, "\(stored.code)")
        }
        #expect(registered.contains { (try? $0.get().1.duplicates.isEmpty) == false })
        #expect(try CaseRepository.inconsistent(store: together.store).isEmpty)
    }
}
