import Foundation
import GRDB
import GridCases
import GridModel
import GridServices
@testable import GridStore
import Testing

/// The evaluation reads what each case's row keeps (v12-case-counters) instead of replaying logs; these tests hold
/// it to the replay: every figure of every unit equal, on a generated year, after random transitions and reports,
/// after the calendar and the limits change, and on a store migrated from v11.
@Suite("Case evaluation from kept counters equals the replay", .serialized)
struct CaseEvaluationExactTests {
    static let calendar = WorkingCalendar.standard
    static func instant(_ text: String) throws -> Timestamp { try #require(calendar.parseInstant(text)) }

    /// Periods and instants: months, the year, odd spans at odd times, and instants before, inside and after them.
    static func periods() throws -> [(from: Timestamp, to: Timestamp)] {
        var periods: [(Timestamp, Timestamp)] = []
        for month in 1...12 {
            periods.append((try instant(String(format: "2026-%02d-01", month)),
                            try instant(month == 12 ? "2027-01-01" : String(format: "2026-%02d-01", month + 1))))
        }
        periods.append((try instant("2026-01-01"), try instant("2027-01-01")))
        periods.append((try instant("2026-03-15T10:17:00+08:00"), try instant("2026-05-02T16:45:30+08:00")))
        periods.append((try instant("2026-12-20"), try instant("2027-02-01")))
        periods.append((try instant("2027-01-01"), try instant("2027-03-01")))
        return periods
    }

    static func nows() throws -> [Timestamp] {
        try ["2026-06-15T10:30:00+08:00", "2026-12-31T16:00:00+08:00", "2027-01-01", "2027-01-12T11:00:00+08:00", "2027-03-01"].map(instant)
    }

    /// Compares the evaluation with the replay for every unit, period and instant; returns the comparisons made.
    @discardableResult
    static func expectSameAsReplay(_ store: Store, periods: [(from: Timestamp, to: Timestamp)], nows: [Timestamp],
                                   sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        // The fast path must be the one compared: the counters are current when the evaluation reads them.
        _ = try CaseRepository.figures(store: store, unit: .grid, from: 0, to: 1, now: 0)
        #expect(try store.read { try CaseCounters.isCurrent($0) }, "counters not current", sourceLocation: sourceLocation)
        var compared = 0
        for unit in CaseFigures.Unit.allCases {
            for period in periods {
                for now in nows {
                    let fast = try CaseRepository.figures(store: store, unit: unit, from: period.from, to: period.to, now: now)
                    let replayed = try CaseRepository.figuresByReplay(store: store, unit: unit, from: period.from, to: period.to, now: now)
                    if fast != replayed {
                        let first = zip(fast, replayed).first { $0 != $1 }
                        Issue.record("\(unit) [\(period.from), \(period.to)) at \(now): \(fast.count) vs \(replayed.count) units; first difference \(String(describing: first))",
                                     sourceLocation: sourceLocation)
                        return compared
                    }
                    compared += 1
                }
            }
        }
        return compared
    }

    /// Every case's kept outcome against the replay of its log; returns the cases compared.
    @discardableResult
    static func expectOutcomesAreReplays(_ store: Store, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        try store.read { db in
            let catalog = try CaseSetup.catalog(db)
            let calendar = try CaseSetup.calendar(db)
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, code, category_code, state, registered_at, closed_at, step_deadline, late_steps, reworks, extensions FROM cases ORDER BY id
                """)
            var differing: [String] = []
            for row in rows {
                let category = try #require(catalog.category(row[2]))
                let replayed = try CaseTimeline.replay(try CaseRepository.events(db, caseID: row[0]), limits: category.limits, calendar: calendar).outcome
                let kept = CaseOutcome(state: try #require(CaseState(rawValue: row[3])), registeredAt: row[4], closedAt: row[5], stepDeadline: row[6],
                                       lateSteps: (row[7] as Int?) ?? -1, reworks: row[8], extensions: row[9])
                if kept != replayed { differing.append("\(row[1] as String): kept \(kept), replayed \(replayed)") }
            }
            #expect(differing.isEmpty, "\(differing.count) of \(rows.count) cases differ: \(differing.prefix(3))", sourceLocation: sourceLocation)
            return rows.count
        }
    }

    static func openCases(_ store: Store) throws -> [(code: String, state: String, updatedAt: Int64)] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT code, state, updated_at FROM cases WHERE state NOT IN ('closed', 'void') ORDER BY id")
                .map { (code: $0[0], state: $0[1], updatedAt: $0[2]) }
        }
    }

    static func generate(_ path: String, count: Int, seed: Int) throws {
        let result = try CLI.run(["--db", path, "cases", "generate", "--year", "2026", "--cases", String(count), "--seed", String(seed), "--json"])
        try #require(result.status == 0, "\(result.stderr)")
    }

    @Test("a generated year, then random transitions and reports, then a new calendar and new limits: every figure equals the replay's")
    func generatedYearAndRandomTransitions() throws {
        let directory = try TemporaryDirectory()
        let path = try DemoStore.copy(named: "year.sqlite", in: directory.url).path
        try Self.generate(path, count: 3000, seed: 21)
        let store = try Store.open(path: path)
        let periods = try Self.periods(), nows = try Self.nows()

        #expect(try Self.expectOutcomesAreReplays(store) == 3000)
        let late = try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM cases WHERE state = 'closed' AND late_steps > 0") ?? 0 }
        let reworked = try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM cases WHERE reworks > 0") ?? 0 }
        #expect(late > 100 && reworked > 100, "\(late) closed late, \(reworked) reworked")
        #expect(try Self.expectSameAsReplay(store, periods: periods, nows: nows) == 5 * periods.count * nows.count)

        // Random walks through the machine on the year's open cases and on new reports, at random later times,
        // each through the repository as the API and the command line make them.
        var random = SplitMix64(seed: 1414)
        let network = try CaseNetwork.load(store)
        let points: [Coordinate] = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT X(point), Y(point) FROM buildings ORDER BY id LIMIT 60").map { Coordinate(longitude: $0[0], latitude: $0[1]) }
        }
        let categories = try CaseSetup.catalog(store).categories.map(\.code)
        let january = try Self.instant("2027-01-04T08:00:00+08:00")
        for (i, point) in points.enumerated() {
            let report = CaseRepository.Report(category: categories[Int(random.next() % UInt64(categories.count))], description: "随机\(i)",
                                               point: point, reporterKind: .resident, at: january + Int64(random.next() % (20 * 86_400)))
            _ = try CaseRepository.report(report, store: store, network: network, actor: "resident-app", duplicates: .init(walkingMetres: 0, days: 0))
        }
        var moves = 0
        for _ in 0..<900 {
            let open = try Self.openCases(store)
            guard !open.isEmpty else { break }
            let row = open[Int(random.next() % UInt64(open.count))]
            let state = try #require(CaseState(rawValue: row.state))
            let allowed = CaseMachine.allowed(from: state)
            guard !allowed.isEmpty else { continue }
            let action = allowed[Int(random.next() % UInt64(allowed.count))]
            // Mostly within hours, sometimes days later: some steps in time, some late.
            let wait = random.next() % 4 == 0 ? Int64(random.next() % (12 * 86_400)) : Int64(random.next() % (6 * 3600))
            let limit = action == .extend ? try TimeLimit(value: Double(1 + random.next() % 48), unit: .hours) : nil
            _ = try CaseRepository.transition(store: store, code: row.code, action: action, actor: "tester", extension: limit, at: row.updatedAt + wait)
            moves += 1
        }
        // The walks go on until every case is closed or void, or 900 moves.
        #expect(moves > 500)
        // The trigger kept every counter: nothing was left for a replay to derive.
        #expect(try store.read { try CaseCounters.isCurrent($0) })
        try Self.expectOutcomesAreReplays(store)
        try Self.expectSameAsReplay(store, periods: periods, nows: nows)

        // Holidays in January move the open cases' deadlines, and so overdue now and on time.
        var calendar = try CaseSetup.calendar(store)
        for day in ["2027-01-05", "2027-01-06", "2027-01-07", "2027-01-15", "2026-12-31"] { calendar.holidays.insert(try #require(WorkingCalendar.parseDate(day))) }
        try CaseSetup.saveCalendar(calendar, store: store)
        #expect(try !store.read { try CaseCounters.isCurrent($0) })
        try Self.expectSameAsReplay(store, periods: periods, nows: nows)
        try Self.expectOutcomesAreReplays(store)

        // Limits changed by any writer, then more transitions under them.
        try store.write { try $0.execute(sql: "UPDATE case_categories SET handling_limit = '2h' WHERE code IN ('noise', 'refuse-pile', 'street-light')") }
        try Self.expectSameAsReplay(store, periods: periods, nows: nows)
        for _ in 0..<200 {
            let open = try Self.openCases(store)
            guard !open.isEmpty else { break }
            let row = open[Int(random.next() % UInt64(open.count))]
            let allowed = CaseMachine.allowed(from: try #require(CaseState(rawValue: row.state)))
            guard !allowed.isEmpty else { continue }
            let action = allowed[Int(random.next() % UInt64(allowed.count))]
            let limit = action == .extend ? try TimeLimit(value: 1, unit: .days) : nil
            _ = try CaseRepository.transition(store: store, code: row.code, action: action, actor: "tester", extension: limit,
                                              at: row.updatedAt + Int64(random.next() % (3 * 86_400)))
        }
        #expect(try store.read { try CaseCounters.isCurrent($0) })
        try Self.expectOutcomesAreReplays(store)
        try Self.expectSameAsReplay(store, periods: periods, nows: nows)
        #expect(try CaseRepository.inconsistent(store: store).isEmpty)
    }

    @Test("the month's cases are found by an index, the open ones by another; no scan of cases or events")
    func queryPlan() throws {
        let directory = try TemporaryDirectory()
        let path = try DemoStore.copy(named: "plan.sqlite", in: directory.url).path
        try Self.generate(path, count: 200, seed: 5)
        let store = try Store.open(path: path)
        for unit in CaseFigures.Unit.allCases {
            let plan = try store.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + CaseRepository.storedOutcomesSQL(unit), arguments: [0, 1]).map { $0["detail"] as String }
            }
            let text = plan.joined(separator: "\n")
            #expect(text.contains("cases_registered (registered_at>? AND registered_at<?)"), "\(unit):\n\(text)")
            #expect(text.contains("cases_category_state (category_code=? AND state=?)"), "\(unit):\n\(text)")
            #expect(!plan.contains { $0 == "SCAN c" || $0.hasPrefix("SCAN c ") || $0.contains("case_events") }, "\(unit):\n\(text)")
        }
    }

    @Test("a store at v11 with cases gets, when opened, counters equal to the replay of every log")
    func migrationFromV11() throws {
        let directory = try TemporaryDirectory()
        let path = try DemoStore.copy(named: "v11.sqlite", in: directory.url).path
        try Self.generate(path, count: 600, seed: 9)
        do {
            let store = try Store.open(path: path)
            // The store as it was before v12.
            try store.write { db in
                try db.execute(sql: """
                    DROP TRIGGER case_events_counters;
                    DROP TRIGGER case_settings_insert_counters;
                    DROP TRIGGER case_settings_update_counters;
                    DROP TRIGGER case_settings_delete_counters;
                    DROP TRIGGER case_categories_insert_counters;
                    DROP TRIGGER case_categories_update_counters;
                    DROP TRIGGER case_categories_delete_counters;
                    DROP INDEX cases_counters_unknown;
                    DROP TABLE case_counters_basis;
                    ALTER TABLE cases DROP COLUMN late_steps;
                    ALTER TABLE cases DROP COLUMN reworks;
                    ALTER TABLE cases DROP COLUMN extensions;
                    DELETE FROM grdb_migrations WHERE identifier = 'v12-case-counters';
                    """)
            }
        }
        let reopened = try Store.open(path: path)
        #expect(try reopened.read { try String.fetchOne($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1") } == "v12-case-counters")
        #expect(try reopened.read { try CaseCounters.isCurrent($0) })
        #expect(try Self.expectOutcomesAreReplays(reopened) == 600)
        try Self.expectSameAsReplay(reopened, periods: try Self.periods(), nows: try Self.nows())
        #expect(try CaseRepository.inconsistent(store: reopened).isEmpty)
    }
}
