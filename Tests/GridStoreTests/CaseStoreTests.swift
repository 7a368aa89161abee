import Foundation
import GRDB
import GridAnalysis
import GridCases
import GridModel
import GridServices
import GridStore
import Testing

/// Monday 2026-03-02 09:00 Beijing time.
private let monday9: Timestamp = WorkingCalendar.standard.parseInstant("2026-03-02T09:00:00+08:00")!

@Suite("Case store")
struct CaseStoreTests {
    @Test("v9-cases: the shipped catalog and calendar are in a new store; the event log refuses UPDATE and DELETE")
    func schema() throws {
        let temporary = try TemporaryStore()
        let catalog = try CaseSetup.catalog(temporary.store)
        #expect(Set(catalog.categories) == Set(CaseCatalog.shipped.categories) && Set(catalog.departments) == Set(CaseCatalog.shipped.departments))
        #expect(try CaseSetup.calendar(temporary.store) == WorkingCalendar.standard)
        try temporary.store.write { db in
            try db.execute(sql: "INSERT INTO cases (code, category_code, description, longitude, latitude, outside_grids, grid_distance_m, department_code, reporter_kind, priority, state, registered_at, updated_at, events) VALUES ('x', 'noise', 'd', 116.3, 40.0, 1, 0, 'chengguan', 'other', 3, 'registered', 0, 0, 1)")
            try db.execute(sql: "INSERT INTO case_events (case_id, seq, action, to_state, actor, at) VALUES (1, 1, 'register', 'registered', 'a', 0)")
        }
        for sql in ["UPDATE case_events SET actor = 'b'", "DELETE FROM case_events"] {
            #expect(throws: DatabaseError.self) { try temporary.store.write { try $0.execute(sql: sql) } }
        }
        #expect(try temporary.count("case_events") == 1)
    }

    @Test("reporter keys are stored as SHA-256 only and recognised")
    func keys() throws {
        let temporary = try TemporaryStore()
        let key = try CaseSetup.addReporterKey(store: temporary.store, name: "street app", now: monday9)
        #expect(try CaseSetup.reporter(key: key, store: temporary.store) == "street app")
        #expect(try CaseSetup.reporter(key: key + "x", store: temporary.store) == nil)
        let stored = try temporary.store.read { try String.fetchAll($0, sql: "SELECT key_sha256 FROM reporter_keys") }
        #expect(stored.count == 1 && stored[0].count == 64 && !stored[0].contains(key))
    }
}

/// Wudaokou with a 4 × 4 plan of grids, a worker on every grid.
@Suite("Cases on Wudaokou", .enabled(if: SharedData.available, SharedData.skipReason), .serialized)
struct WudaokouCaseTests {
    static let (x0, y0, x1, y1) = (116.307, 39.989, 116.332, 40.013)

    /// The plan's grid of a point, by the rectangles' arithmetic.
    static func expectedGrid(_ p: Coordinate) -> String? {
        let col = Int(((p.longitude - x0) / (x1 - x0) * 4).rounded(.down)), row = Int(((y1 - p.latitude) / (y1 - y0) * 4).rounded(.down))
        guard (0..<4).contains(col), (0..<4).contains(row) else { return nil }
        return String(format: "110108001001%03d", row * 4 + col + 1)
    }

    static func prepared() throws -> TemporaryStore {
        let temporary = try WudaokouPlan.store(plan: 4)
        for g in 1...16 {
            let grid = String(format: "110108001001%03d", g)
            try CaseSetup.addWorker(store: temporary.store, code: "w\(g)", name: "网格员\(g)", role: .gridWorker, department: nil)
            try CaseSetup.assign(store: temporary.store, worker: "w\(g)", grid: grid, from: monday9 - 86_400 * 30)
        }
        return temporary
    }

    @Test("reports at buildings go to the grid holding the building and its grid worker; a point in no grid to the nearest, flagged")
    func routing() throws {
        let temporary = try Self.prepared()
        let store = temporary.store
        // A new worker takes grid 006 over from tomorrow: today's reports still go to w6.
        try CaseSetup.addWorker(store: store, code: "w6b", name: "接任网格员", role: .gridWorker, department: nil)
        try CaseSetup.assign(store: store, worker: "w6b", grid: "110108001001006", from: monday9 + 86_400)
        let network = try CaseNetwork.load(store)
        let buildings = try AnalysisData.buildings(store).filter { Self.expectedGrid($0.point) != nil && $0.households > 0 }
        #expect(buildings.count > 100)
        var random = SplitMix64(seed: 14)
        var checked = 0, sameBuilding = 0
        for _ in 0..<40 {
            let building = buildings[random.below(buildings.count)]
            let report = CaseRepository.Report(category: "street-light", description: "路灯不亮", point: building.point, reporterKind: .gridWorker, at: monday9)
            let (stored, routing) = try CaseRepository.report(report, store: store, network: network, actor: "w")
            let grid = Self.expectedGrid(building.point)!
            // A point on a grid boundary belongs to the lowest code; skip those rare ones.
            guard building.grid == grid else { continue }
            #expect(stored.grid == grid && stored.community == "110108001001" && !stored.outsideGrids)
            #expect(stored.worker == "w\(Int(grid.suffix(3))!)")
            #expect(stored.department == "shizheng" && routing.buildingID != nil)
            if routing.buildingID == building.id { sameBuilding += 1 }
            #expect(stored.state == .registered && stored.events.count == 1)
            checked += 1
        }
        #expect(checked > 30)
        // A representative point may fall in an overlapping footprint of a lower id; nearly all fall in their own.
        #expect(sameBuilding * 10 >= checked * 9)
        let later = CaseRepository.Report(category: "noise", description: "夜间施工", point: Coordinate(longitude: 116.3195, latitude: 40.0060),
                                          reporterKind: .resident, at: monday9 + 2 * 86_400)
        let (handover, _) = try CaseRepository.report(later, store: store, network: network, actor: "resident")
        // The grid of the building the point falls on, and from tomorrow grid 006's new worker.
        let grid = try #require(handover.grid)
        #expect(handover.worker == (grid == "110108001001006" ? "w6b" : "w\(Int(grid.suffix(3))!)"))
        #expect([Self.expectedGrid(later.point), Self.expectedGrid(Coordinate(longitude: later.point.longitude - 0.0005, latitude: later.point.latitude))].contains(grid))
        // East of the community: the nearest grid (a column-4 grid), flagged with its distance.
        let outside = CaseRepository.Report(category: "noise", description: "噪声", point: Coordinate(longitude: 116.3335, latitude: 39.9980),
                                            reporterKind: .hotline, at: monday9)
        let (far, _) = try CaseRepository.report(outside, store: store, network: network, actor: "12345")
        #expect(far.outsideGrids && far.grid == "110108001001012", "routed to \(far.grid ?? "none") at \(far.gridDistance) m")
        #expect(far.gridDistance > 100 && far.gridDistance < 160, "distance \(far.gridDistance)")
        // Consistent with the log.
        #expect(try CaseRepository.inconsistent(store: store).isEmpty)
    }

    @Test("duplicates by walking: two reports on one building are offered, two 30 m apart but far on foot are not")
    func duplicates() throws {
        let temporary = try Self.prepared()
        let store = temporary.store
        let network = try CaseNetwork.load(store)
        let rule = LifeCircleProfile.gb50180.reach
        let graph = try AnalysisData.graph(store)
        let snapper = rule.snapper(graph, facilities: try AnalysisData.facilities(store).map(\.location))
        let buildings = try AnalysisData.buildings(store)
        let snaps = rule.place(buildings.map(\.point), on: snapper)
        // Pairs of buildings 25–35 m apart in a straight line; walking between them measured on the network here.
        var near: (Int, Int)?, far: (Int, Int)?
        outer: for a in buildings.indices where snaps[a] != nil {
            for b in buildings.indices where b > a && snaps[b] != nil {
                let straight = Geodesy.distance(buildings[a].point, buildings[b].point).value
                guard (25...35).contains(straight) else { continue }
                let walk = try NearestFacilitySearch.run(graph: graph, sources: [.init(facilityID: 0, snap: snaps[a]!)], targets: [snaps[b]],
                                                         horizon: Meters(2000))[0]?.distance.value ?? .infinity
                if walk > 400, far == nil { far = (a, b) }
                if walk < 100, near == nil { near = (a, b) }
                if far != nil && near != nil { break outer }
            }
        }
        let (a, b) = try #require(far, "Wudaokou has buildings 30 m apart in a straight line and more than 400 m apart on foot")
        print("far pair: buildings \(buildings[a].id) and \(buildings[b].id), \(Geodesy.distance(buildings[a].point, buildings[b].point)) apart")
        func report(_ point: Coordinate, _ hours: Int64 = 0) throws -> (CaseRepository.StoredCase, CaseRepository.Routing) {
            try CaseRepository.report(.init(category: "refuse-pile", description: "垃圾堆积", point: point, reporterKind: .resident, at: monday9 + hours * 3600),
                                      store: store, network: network, actor: "r")
        }
        _ = try report(buildings[a].point)
        let (_, across) = try report(buildings[b].point, 1)
        #expect(across.duplicates.isEmpty, "offered \(across.duplicates) across a barrier")
        // The same building, a few metres away: offered.
        let (first, _) = try report(buildings[a].point, 2)
        let nudged = Coordinate(longitude: buildings[a].point.longitude + 0.00003, latitude: buildings[a].point.latitude)
        let (_, same) = try report(nudged, 3)
        #expect(same.duplicates.contains { $0.sameBuilding } || same.buildingID != buildings[a].id)
        #expect(same.duplicates.contains { $0.code == first.code })
        // Near on foot as well: offered with its walking distance.
        if let (c, d) = near {
            _ = try report(buildings[c].point, 4)
            let (_, close) = try report(buildings[d].point, 5)
            #expect(close.duplicates.contains { ($0.walkingDistance ?? .infinity) < 100 })
        }
        // Another category, or a closed case, is no duplicate.
        let (_, other) = try CaseRepository.report(.init(category: "noise", description: "噪声", point: buildings[a].point, reporterKind: .resident, at: monday9 + 6 * 3600),
                                                   store: store, network: network, actor: "r")
        #expect(other.duplicates.isEmpty)
    }

    @Test("impact: households within 5 minutes; a closed clinic carries the households losing each level, stored runs untouched")
    func impact() throws {
        let temporary = try Self.prepared()
        let store = temporary.store
        let network = try CaseNetwork.load(store)
        let runsBefore = try temporary.count("coverage_runs")
        let clinics = try AnalysisData.facilities(store).filter { $0.category == "clinic" }
        let clinic = try #require(clinics.first)
        let (stored, routing) = try CaseRepository.report(.init(category: "clinic-closed", description: "停诊", point: clinic.location, reporterKind: .gridWorker, at: monday9),
                                                          store: store, network: network, actor: "w")
        #expect((stored.householdsNearby ?? 0) > 0)
        let impact = try #require(stored.impact)
        #expect(impact.facilityID == clinic.id && impact.levels.count == LifeCircleProfile.gb50180.levels.count)
        // Only the 15-minute level asks for a clinic: it is the only one that can lose households, by the coverage core's own judgement.
        let full = try CoverageJob.compute(store: store, profile: .gb50180)
        // The network's parts stay those of the open facilities: a closure takes a facility out of service, not off the map.
        let graph = try AnalysisData.graph(store)
        let snapper = LifeCircleProfile.gb50180.reach.snapper(graph, facilities: try AnalysisData.facilities(store).map(\.location))
        let without = try Coverage.run(graph: graph, snapper: snapper,
                                       buildings: try AnalysisData.buildings(store),
                                       facilities: try AnalysisData.facilities(store).filter { $0.id != clinic.id }, profile: .gb50180)
        for (l, level) in impact.levels.enumerated() {
            var losing = 0
            for b in full.buildings.indices where full.results.isLevelMet(building: b, level: l) && !without.results.isLevelMet(building: b, level: l) {
                losing += full.buildings[b].households
            }
            #expect(level.householdsLosing == losing, "level \(level.minutes)")
        }
        #expect(routing.impact == impact)
        #expect(try temporary.count("coverage_runs") == runsBefore)
    }

    @Test("the loop: transitions one transaction each, illegal ones refused naming the allowed; figures per grid and worker")
    func loop() throws {
        let temporary = try Self.prepared()
        let store = temporary.store
        let network = try CaseNetwork.load(store)
        let point = Coordinate(longitude: 116.3195, latitude: 40.0060)
        let (c, _) = try CaseRepository.report(.init(category: "refuse-pile", description: "垃圾", point: point, reporterKind: .gridWorker, at: monday9),
                                               store: store, network: network, actor: "w")
        #expect(throws: StoreError.self) { try CaseRepository.transition(store: store, code: c.code, action: .close, actor: "x", at: monday9 + 60) }
        do {
            _ = try CaseRepository.transition(store: store, code: c.code, action: .close, actor: "x", at: monday9 + 60)
        } catch {
            #expect("\(error)".contains("allowed: dispatch, void"))
        }
        var t = monday9
        for action in [CaseAction.dispatch, .accept, .feedback, .check, .rework, .feedback, .check, .close] {
            t += 600
            _ = try CaseRepository.transition(store: store, code: c.code, action: action, actor: "x", at: t)
        }
        let closed = try #require(try CaseRepository.find(store: store, code: c.code))
        #expect(closed.state == .closed && closed.events.count == 9 && closed.closedAt == t)
        // A second case, left overdue in handling.
        let (late, _) = try CaseRepository.report(.init(category: "refuse-pile", description: "垃圾2", point: point, reporterKind: .resident, at: monday9),
                                                  store: store, network: network, actor: "r")
        _ = try CaseRepository.transition(store: store, code: late.code, action: .dispatch, actor: "d", at: monday9 + 60)
        let now = monday9 + 3 * 86_400
        let figures = try CaseRepository.figures(store: store, unit: .grid, from: monday9 - 3600, to: monday9 + 86_400, now: now)
        let grid = try #require(figures.first { $0.key == c.grid })
        #expect(grid.registered == 2 && grid.due == 2 && grid.closed == 1 && grid.reworked == 1 && grid.overdueNow == 1)
        #expect(grid.closureRate == 0.5 && grid.reworkRate == 1)
        #expect((grid.casesPer100Households ?? 0) > 0)
        let overdue = try CaseRepository.list(store: store, filter: { var f = CaseRepository.Filter(); f.overdueAt = now; return f }())
        #expect(overdue.cases.map(\.code) == [late.code])
        let workers = try CaseRepository.figures(store: store, unit: .worker, from: monday9 - 3600, to: monday9 + 86_400, now: now)
        #expect(workers.map(\.key) == [closed.worker!])
        #expect(try CaseRepository.inconsistent(store: store).isEmpty)
    }
}
