import Foundation
import GRDB
import GridAnalysis
import GridCases
import GridModel

/// A generated year of cases stored as if reported and moved one by one: each case is routed by the reports' own
/// routing and written by the reports' own writer (`CaseRepository.insert`) with its whole log, so its rows are the
/// ones `report` followed by each `transition` would leave. Staff the year needs (a grid worker for every grid that
/// has none, a few handovers, dispatchers, a supervisor, department staff) are added first. One transaction: the
/// year lands whole or not at all.
public enum CaseGeneration {
    public struct Summary: Sendable {
        public var year: Int
        public var seed: UInt64
        public var cases: Int
        public var events: Int
        public var workersAdded: Int
        /// Cases per state at the year's end.
        public var states: [String: Int]
        public var firstCode: String?
        public var lastCode: String?
    }

    public static func generate(store: Store, network: CaseNetwork, year: Int, count: Int, seed: UInt64) throws -> Summary {
        guard (1970...2200).contains(year) else { throw StoreError.badInput("--year must be in [1970, 2200], got \(year)") }
        guard (0...5_000_000).contains(count) else { throw StoreError.badInput("--cases must be in [0, 5000000], got \(count)") }
        return try store.write { db in
            let catalog = try CaseSetup.catalog(db)
            let calendar = try CaseSetup.calendar(db)
            let start = calendar.parseInstant(String(format: "%04d-01-01", year))!
            let end = calendar.parseInstant(String(format: "%04d-01-01", year + 1))!
            let already = try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE registered_at >= ? AND registered_at < ?", arguments: [start, end]) ?? 0
            guard already == 0 else {
                throw StoreError.badInput("the store already holds \(already) cases registered in \(year); generate a year into a store without them")
            }
            var random = SplitMix64(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
            let added = try staff(db, catalog: catalog, from: start, end: end, random: &random)
            let streets = try Row.fetchAll(db, sql: """
                SELECT X(StartPoint(geom)), Y(StartPoint(geom)), X(EndPoint(geom)), Y(EndPoint(geom)), length_m FROM network_edges ORDER BY id
                """).map { (from: Coordinate(longitude: $0[0], latitude: $0[1]), to: Coordinate(longitude: $0[2], latitude: $0[3]), length: $0[4] as Double) }
            let places = CaseYear.Places(buildings: network.placed.buildings.map { ($0.point, $0.households) }, streets: streets,
                                         facilities: Dictionary(grouping: network.facilities, by: \.category).mapValues { $0.map(\.location) })
            let plan: [CaseYear.Case]
            do { plan = try CaseYear.generate(catalog: catalog, calendar: calendar, places: places, year: year, count: count, seed: seed) } catch let error as CaseError {
                throw StoreError.badInput(error.description)
            }
            var summary = Summary(year: year, seed: seed, cases: 0, events: 0, workersAdded: added, states: [:])
            var log: [(caseID: Int64, seq: Int, event: CaseEvent)] = []
            log.reserveCapacity(plan.count * 7)
            for (index, item) in plan.enumerated() {
                guard let category = catalog.category(item.category), let kind = CaseRepository.ReporterKind(rawValue: item.channel.rawValue) else {
                    throw StoreError.corrupt("generated case \(index): category \(item.category) or channel \(item.channel.rawValue) unknown")
                }
                let report = CaseRepository.Report(category: item.category, description: item.description, point: item.point, reporterKind: kind,
                                                   reporter: item.reporter, media: item.media, at: item.at)
                let routing = try CaseRepository.route(report, db, network: network, catalog: catalog, rule: nil)
                func actor(_ role: CaseYear.Role, at time: Timestamp) throws -> String {
                    switch role {
                    case .reporter:
                        switch item.channel {
                        case .gridWorker: return routing.worker ?? "grid-office"
                        case .hotline: return "12345"
                        case .resident: return "resident-app"
                        case .other: return "other"
                        }
                    case .dispatcher: return "dispatcher-\(1 + index % 2)"
                    case .department: return "\(category.department)-\(1 + index % 2)"
                    case .supervisor: return "supervisor-1"
                    case .gridWorker:
                        // Whoever serves the grid when the check is made (a handover may fall within a case).
                        guard let grid = routing.grid else { return "grid-office" }
                        return try CaseSetup.currentWorker(db, grid: grid, at: time)?.code ?? "grid-office"
                    }
                }
                var events = [CaseEvent(action: .register, from: nil, to: .registered, at: item.at, actor: try actor(.reporter, at: item.at))]
                var state = CaseState.registered
                for step in item.steps {
                    let to = try CaseMachine.target(of: step.action, from: state)
                    events.append(CaseEvent(action: step.action, from: state, to: to, at: step.at, actor: try actor(step.role, at: step.at),
                                            note: step.note, extensionSeconds: step.extensionHours.map { Int64($0) * 3600 }))
                    state = to
                }
                let (id, code) = try CaseRepository.insert(report, routing: routing, category: category, calendar: calendar, events: events,
                                                           duplicateOf: nil, appendEvents: false, db)
                for (seq, event) in events.enumerated() { log.append((id, seq + 1, event)) }
                if summary.firstCode == nil { summary.firstCode = code }
                summary.lastCode = code
                summary.cases += 1
                summary.events += events.count
                summary.states[state.rawValue, default: 0] += 1
            }
            // The log in the order the transitions would have been made: by time, then case, then step.
            log.sort { ($0.event.at, $0.caseID, $0.seq) < ($1.event.at, $1.caseID, $1.seq) }
            for entry in log { try CaseRepository.append(entry.event, caseID: entry.caseID, seq: entry.seq, db) }
            // Rows written ahead of their logs: the evaluation's counters come from the logs now complete.
            try CaseCounters.refresh(db)
            return summary
        }
    }

    /// The year's staff: a grid worker from the year's start on every grid without one then, a handover on about one
    /// grid in twelve, two dispatchers, a supervisor and two staff per department. Existing workers are kept.
    static func staff(_ db: Database, catalog: CaseCatalog, from start: Timestamp, end: Timestamp, random: inout SplitMix64) throws -> Int {
        var added = 0
        func add(_ code: String, _ name: String, _ role: CaseSetup.Role, department: String? = nil) throws {
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM workers WHERE code = ?", arguments: [code]) == nil else { return }
            _ = try CaseSetup.addWorker(db, code: code, name: name, role: role, department: department)
            added += 1
        }
        let grids = try String.fetchAll(db, sql: "SELECT code FROM grids ORDER BY code")
        for (i, grid) in grids.enumerated() where try CaseSetup.currentWorker(db, grid: grid, at: start) == nil {
            try add("gw-\(grid)", "网格员\(i + 1)", .gridWorker)
            try CaseSetup.assign(db, worker: "gw-\(grid)", grid: grid, from: start)
            if random.below(12) == 0 {
                let day = Int64(30 + random.below(300))
                try add("gw-\(grid)-2", "接任网格员\(i + 1)", .gridWorker)
                try CaseSetup.assign(db, worker: "gw-\(grid)-2", grid: grid, from: min(end - 86_400, start + day * 86_400))
            }
        }
        for n in 1...2 { try add("dispatcher-\(n)", "派遣员\(n)", .dispatcher) }
        try add("supervisor-1", "监督员1", .supervisor)
        for department in catalog.departments {
            for n in 1...2 { try add("\(department.code)-\(n)", "\(department.name)\(n)", .departmentStaff, department: department.code) }
        }
        return added
    }
}
