import GRDB
import GridCases

/// What the evaluation needs of each case's replay, kept in its row (migration v12-case-counters) so a period's
/// figures are read, not replayed: `late_steps` (steps finished past their deadline), `reworks` and `extensions`,
/// beside the replay's `state`, `closed_at` and `step_deadline` the row already holds.
///
/// A trigger on `case_events` counts each event appended to a row that holds the replay of the events before it, as
/// `report` and `transition` leave it. A counting event appended to a row written ahead of its log (a generated year
/// writes its rows first) or left behind it makes the counters unknown (`late_steps` NULL) until `refresh` derives
/// them from the log. Deadlines, and so late steps, depend on the working calendar and the categories' limits:
/// changing either drops the basis row, and `refresh` derives every case again under the new ones.
enum CaseCounters {
    /// The calendar and limits the stored deadlines and counters were derived under.
    static func basis(_ db: Database) throws -> String {
        try String.fetchOne(db, sql: """
            SELECT coalesce((SELECT value FROM case_settings WHERE name = 'calendar'), '') || char(10) ||
                coalesce((SELECT group_concat(code || ' ' || handling_limit || ' ' || checking_limit, char(10))
                          FROM (SELECT code, handling_limit, checking_limit FROM case_categories ORDER BY code)), '')
            """) ?? ""
    }

    /// Every case's counters and deadlines are those of its replay under the current calendar and limits.
    static func isCurrent(_ db: Database) throws -> Bool {
        guard let stored = try String.fetchOne(db, sql: "SELECT basis FROM case_counters_basis WHERE id = 1"), stored == (try basis(db)) else {
            return false
        }
        return try Int.fetchOne(db, sql: "SELECT 1 FROM cases WHERE late_steps IS NULL LIMIT 1") == nil
    }

    static func refreshIfNeeded(_ store: Store) throws {
        if try store.read({ try !isCurrent($0) }) { try store.write { try refresh($0) } }
    }

    /// Derives the unknown counters, or every case's when the calendar or limits changed, and records the basis.
    static func refresh(_ db: Database) throws {
        let basis = try basis(db)
        let stale = try String.fetchOne(db, sql: "SELECT basis FROM case_counters_basis WHERE id = 1") != basis
        try derive(db, everyCase: stale)
        try db.execute(sql: "INSERT OR REPLACE INTO case_counters_basis (id, basis) VALUES (1, ?)", arguments: [basis])
    }

    /// Replays the cases with unknown counters (or every case) and writes their counters and step deadlines.
    static func derive(_ db: Database, everyCase: Bool) throws {
        let catalog = try CaseSetup.catalog(db)
        let calendar = try CaseSetup.calendar(db)
        let chosen = everyCase ? "" : "WHERE late_steps IS NULL"
        var categories: [Int64: CaseCategory] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, category_code FROM cases \(chosen)") {
            let id: Int64 = row[0]
            guard let category = catalog.category(row[1]) else { throw StoreError.corrupt("case \(id): category \(row[1] as String) is gone") }
            categories[id] = category
        }
        guard !categories.isEmpty else { return }
        var derived: [(id: Int64, timeline: CaseTimeline)] = []
        derived.reserveCapacity(categories.count)
        var current: Int64?
        var events: [CaseEvent] = []
        func finish() throws {
            guard let id = current, let category = categories[id] else { return }
            derived.append((id, try CaseRepository.replay(events, category: category, calendar: calendar)))
            categories[id] = nil
        }
        // Actor and note play no part in a replay: not read.
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT case_id, action, from_state, to_state, at, extension_seconds FROM case_events
            \(everyCase ? "" : "WHERE case_id IN (SELECT id FROM cases WHERE late_steps IS NULL)") ORDER BY case_id, seq
            """)
        while let row = try cursor.next() {
            let id: Int64 = row[0]
            if id != current {
                try finish()
                current = id
                events.removeAll(keepingCapacity: true)
            }
            guard let action = CaseAction(rawValue: row[1]), let to = CaseState(rawValue: row[3]) else {
                throw StoreError.corrupt("case event with unknown action or state \(row[1] as String)/\(row[3] as String)")
            }
            let from: CaseState? = try (row[2] as String?).map {
                guard let state = CaseState(rawValue: $0) else { throw StoreError.corrupt("case event with unknown state \($0)") }
                return state
            }
            events.append(CaseEvent(action: action, from: from, to: to, at: row[4], actor: "", extensionSeconds: row[5]))
        }
        try finish()
        if let id = categories.keys.min() { throw StoreError.corrupt("case \(id) has no events") }
        let update = try db.makeStatement(sql: """
            UPDATE cases SET step_started_at = ?1, step_deadline = ?2, handling_deadline = ?3, late_steps = ?4, reworks = ?5, extensions = ?6
            WHERE id = ?7 AND (step_started_at IS NOT ?1 OR step_deadline IS NOT ?2 OR handling_deadline IS NOT ?3 OR late_steps IS NOT ?4
                OR reworks IS NOT ?5 OR extensions IS NOT ?6)
            """)
        for (id, t) in derived {
            try update.execute(arguments: [t.stepStartedAt, t.stepDeadline, t.handlingDeadline, t.lateSteps, t.reworks, t.extensions, id])
        }
    }
}
