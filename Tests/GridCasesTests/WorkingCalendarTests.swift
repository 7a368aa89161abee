import Foundation
import GridCases
import GridModel
import Testing

@Suite("Working calendar and deadlines")
struct WorkingCalendarTests {
    let calendar = WorkingCalendar.standard

    @Test("civil dates round-trip and weekdays are right")
    func civil() {
        #expect(WorkingCalendar.parseDate("2026-03-02").map(WorkingCalendar.weekday) == 1)
        #expect(WorkingCalendar.parseDate("1970-01-01") == 0)
        #expect(WorkingCalendar.weekday(0) == 4)
        #expect(WorkingCalendar.parseDate("2026-02-29") == nil)
        #expect(WorkingCalendar.parseDate("2024-02-29") != nil)
        for day in stride(from: -1000, to: 40_000, by: 37) {
            #expect(WorkingCalendar.parseDate(WorkingCalendar.formatDate(day)) == day)
        }
    }

    @Test("4 working hours from Friday 16:00 end Monday 11:30 (lunch 12:00–13:30 and the weekend skipped)")
    func overWeekend() throws {
        let friday16 = calendar.parseInstant("2026-03-06T16:00:00+08:00")!
        let due = calendar.adding(workingSeconds: 4 * 3600, to: friday16)!
        #expect(calendar.format(due) == "2026-03-09T11:30:00+08:00")
        #expect(calendar.workingSeconds(from: friday16, to: due) == 4 * 3600)
    }

    @Test("holidays are data: a holiday is skipped and a 调休 Saturday counts")
    func holidays() throws {
        var holidayCalendar = calendar
        holidayCalendar.holidays = [WorkingCalendar.parseDate("2026-03-09")!]
        holidayCalendar.workdays = [WorkingCalendar.parseDate("2026-03-07")!]
        let friday16 = calendar.parseInstant("2026-03-06T16:00:00+08:00")!
        let due = holidayCalendar.adding(workingSeconds: 4 * 3600, to: friday16)!
        // Friday 16:00–17:30 (1.5 h), Saturday 09:00–11:30 (2.5 h).
        #expect(holidayCalendar.format(due) == "2026-03-07T11:30:00+08:00")
        // A day limit is one working day's hours (7 h on this calendar).
        #expect(calendar.seconds(of: TimeLimit.parse("2d")!) == 14 * 3600)
    }

    @Test("yellow at 80 % of the step's limit, red past it")
    func lights() throws {
        let events = [
            CaseEvent(action: .register, from: nil, to: .registered, at: monday9, actor: "w"),
            CaseEvent(action: .dispatch, from: .registered, to: .dispatched, at: monday9, actor: "d"),
        ]
        let timeline = try CaseTimeline.replay(events, limits: limits, calendar: calendar)
        // 4 working hours from Monday 09:00: due 14:30 (lunch break). 80 % = 3.2 h = 13:42.
        #expect(calendar.format(timeline.stepDeadline!) == "2026-03-02T14:30:00+08:00")
        #expect(timeline.light(at: calendar.parseInstant("2026-03-02T13:41:00+08:00")!, calendar: calendar) == .green)
        #expect(timeline.light(at: calendar.parseInstant("2026-03-02T13:42:00+08:00")!, calendar: calendar) == .yellow)
        #expect(timeline.light(at: calendar.parseInstant("2026-03-02T14:30:00+08:00")!, calendar: calendar) == .yellow)
        #expect(timeline.light(at: calendar.parseInstant("2026-03-02T14:30:01+08:00")!, calendar: calendar) == .red)
        // An approved extension of 2 h moves the deadline and the light.
        let extended = try CaseTimeline.replay(events + [try timeline.next(.extend, at: monday9 + 3600, actor: "s", extensionSeconds: 7200)],
                                               limits: limits, calendar: calendar)
        #expect(calendar.format(extended.stepDeadline!) == "2026-03-02T16:30:00+08:00")
        #expect(extended.light(at: calendar.parseInstant("2026-03-02T14:31:00+08:00")!, calendar: calendar) == .green)
    }

    @Test("a calendar file with a bad field is refused naming it")
    func badCalendar() {
        let text = #"{"workingHours":[{"start":"09:00","end":"25:00"}],"workingWeekdays":[1,2,3,4,5]}"#
        #expect(throws: CaseError.badInput("calendar workingHours: 09:00–25:00 is not HH:MM–HH:MM")) {
            try JSONDecoder().decode(WorkingCalendar.self, from: Data(text.utf8))
        }
        let round = try? JSONDecoder().decode(WorkingCalendar.self, from: JSONEncoder().encode(calendar))
        #expect(round == calendar)
    }
}

@Suite("Case catalog and evaluation")
struct CaseEvaluationTests {
    @Test("the shipped catalog decodes; every category's department exists; facility categories are profile categories")
    func shipped() throws {
        let catalog = CaseCatalog.shipped
        #expect(catalog.categories.count >= 10)
        #expect(try CaseCatalog.decode(Data(catalog.json.utf8), file: "round") == catalog)
        #expect(Set(catalog.categories.compactMap(\.facilityCategory)).isSubset(of: ["clinic", "kindergarten", "elderly_care", "community_service", "school", "grocery"]))
        let broken = CaseCatalog.shippedJSON.replacingOccurrences(of: #""department": "jiaoyu""#, with: #""department": "nowhere""#)
        #expect(throws: CaseError.badInput("cat.json: category kindergarten-closed: department nowhere is not among the departments")) {
            try CaseCatalog.decode(Data(broken.utf8), file: "cat.json")
        }
    }

    @Test("figures per grid: 结案率, 按期结案率, 返工率, 延期率, median, overdue now, per 100 households")
    func figures() throws {
        let calendar = WorkingCalendar.standard
        func make(_ actions: [(CaseAction, Int)], extensionSeconds: Int64? = nil) throws -> CaseTimeline {
            var events = [CaseEvent(action: .register, from: nil, to: .registered, at: monday9, actor: "w")]
            for (action, minutes) in actions {
                let t = try CaseTimeline.replay(events, limits: limits, calendar: calendar)
                events.append(try t.next(action, at: monday9 + Int64(minutes) * 60, actor: "x",
                                         extensionSeconds: action == .extend ? extensionSeconds : nil))
            }
            return try CaseTimeline.replay(events, limits: limits, calendar: calendar)
        }
        let onTime = try make([(.dispatch, 0), (.accept, 1), (.feedback, 60), (.check, 61), (.close, 120)])
        // Feedback two working days after dispatch: the handling step is late.
        let late = try make([(.dispatch, 0), (.accept, 1), (.feedback, 2 * 24 * 60), (.check, 2 * 24 * 60 + 1), (.close, 2 * 24 * 60 + 60)])
        let reworked = try make([(.dispatch, 0), (.accept, 1), (.feedback, 30), (.check, 31), (.rework, 40), (.feedback, 90), (.check, 91), (.close, 240)])
        let extendedOpen = try make([(.dispatch, 0), (.extend, 10)], extensionSeconds: 3600)
        let voided = try make([(.void, 5)])
        let cases = [onTime, late, reworked, extendedOpen, voided].map {
            EvaluatedCase(grid: "110108001001001", community: "110108001001", worker: "w", department: "d", timeline: $0)
        }
        let now = monday9 + 10 * 86_400
        let figures = CaseFigures.evaluate(cases, unit: .grid, from: monday9 - 3600, to: monday9 + 86_400, now: now,
                                           households: ["110108001001001": 250])
        #expect(figures.count == 1)
        let f = figures[0]
        #expect(f.registered == 5 && f.due == 4 && f.closed == 3 && f.closedOnTime == 2)
        #expect(f.closureRate == 0.75 && f.onTimeRate == 0.5)
        #expect(f.reworkRate == 1.0 / 3 && f.extensionRate == 0.25)
        #expect(f.overdueNow == 1)
        #expect(f.casesPer100Households == 2)
        // Median of 2 h, 4 h and 2 days + 1 h elapsed.
        #expect(f.medianHoursToClose == 4)
        #expect(CaseFigures.evaluate(cases, unit: .street, from: monday9, to: now, now: now).map(\.key) == ["110108001"])
    }
}
