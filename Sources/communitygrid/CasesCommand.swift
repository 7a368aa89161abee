import ArgumentParser
import Foundation
import GridCases
import GridCommandLine
import GridModel
import GridServices
import GridStore

/// `cases report|list|show|move|stats|keys|categories`: the grid's daily loop.
struct CasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases",
        abstract: "Cases: report, route, move through the loop (立案 → 派遣 → 处理 → 反馈 → 核查 → 结案), evaluate.",
        subcommands: [CasesReportCommand.self, CasesListCommand.self, CasesShowCommand.self, CasesMoveCommand.self, CasesStatsCommand.self,
                      CasesKeysCommand.self, CasesCategoriesCommand.self, CasesGenerateCommand.self])
}

/// Case-core errors are the user's input (exit 1); times given on the command line are read on the store's calendar.
enum CaseArguments {
    static func now(_ text: String?, calendar: WorkingCalendar) throws -> Timestamp {
        guard let text else { return Int64(Date().timeIntervalSince1970) }
        guard let t = calendar.parseInstant(text) else {
            throw StoreError.badInput("\(text) is not a date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM:SS with an optional Z or ±HH:MM)")
        }
        return t
    }

    static func user<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as CaseError { throw StoreError.badInput(error.description) }
    }
}

struct CasesReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Register a case at a point: routed to building, grid, grid worker and department; possible duplicates listed.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var profileOptions: ProfileOptions
    @Option(help: "Case category code (see `cases categories`).") var category: String
    @Option(help: "Longitude (WGS84).") var lon: Double
    @Option(help: "Latitude (WGS84).") var lat: Double
    @Option(help: "What is wrong (at most 4,000 characters).") var description: String
    @Option(help: "Address text.") var address: String?
    @Option(help: "grid_worker, resident, hotline_12345 or other.") var reporterKind: String = "grid_worker"
    @Option(help: "Who reported it.") var reporter: String?
    @Option(help: "A photo or video reference (repeatable).") var media: [String] = []
    @Option(help: "Registration time (default now).") var at: String?
    @Option(help: "Who registers it.") var actor: String = "cli"
    @Option(help: "Code of the case this one duplicates.") var duplicateOf: String?
    @Option(help: "Duplicates: metres on foot.") var duplicateMetres: Double = 250
    @Option(help: "Duplicates: days back.") var duplicateDays: Double = 7
    @Flag(help: "JSON output.") var json = false

    func run() async throws {
        let store = try store.open()
        let calendar = try CaseSetup.calendar(store)
        guard let kind = CaseRepository.ReporterKind(rawValue: reporterKind) else {
            throw StoreError.badInput("--reporter-kind must be one of \(CaseRepository.ReporterKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard duplicateMetres.isFinite, (0...5000).contains(duplicateMetres), duplicateDays.isFinite, (0...366).contains(duplicateDays) else {
            throw StoreError.badInput("--duplicate-metres must be in [0, 5000] and --duplicate-days in [0, 366]")
        }
        let network = try CaseNetwork.load(store, profile: try profileOptions.load())
        let report = CaseRepository.Report(category: category, description: description, point: Coordinate(longitude: lon, latitude: lat),
                                           address: address, reporterKind: kind, reporter: reporter, media: media,
                                           at: try CaseArguments.now(at, calendar: calendar))
        let (stored, routing) = try CaseRepository.report(report, store: store, network: network, actor: actor, duplicateOf: duplicateOf,
                                                          duplicates: .init(walkingMetres: duplicateMetres, days: duplicateDays))
        let now = max(report.at, Int64(Date().timeIntervalSince1970))
        if json {
            var object = stored.json(calendar: calendar, now: now, events: true)
            object["possible_duplicates"] = routing.duplicates.map { ["code": $0.code, "same_building": $0.sameBuilding, "walking_m": $0.walkingDistance.map { $0 as Any } ?? NSNull()] }
            try Console.printJSON(object)
            return
        }
        print("case \(stored.code) registered: \(stored.category) → department \(stored.department)")
        if let grid = stored.grid {
            print(stored.outsideGrids ? String(format: "in no grid; nearest grid %@ at %.1f m (flagged)", grid, stored.gridDistance)
                                      : "grid \(grid), community \(stored.community ?? "-"), building \(stored.buildingID.map(String.init) ?? "-")")
        } else {
            print("no grid in the store")
        }
        print("grid worker: \(stored.worker ?? "none assigned")")
        print("households within 5 minutes' walk: \(stored.householdsNearby.map(String.init) ?? "off the network")")
        if let impact = stored.impact {
            print("facility \(impact.facilityID) (\(impact.category)) out of service: households losing each level: "
                  + impact.levels.map { "\(Int($0.minutes)) min \($0.householdsLosing)" }.joined(separator: ", "))
        }
        for d in routing.duplicates {
            print("possible duplicate: \(d.code)" + (d.sameBuilding ? " (same building)" : "") + (d.walkingDistance.map { String(format: ", %.0f m on foot", $0) } ?? ""))
        }
    }
}

struct CasesListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Cases, filtered; overdue ones with --overdue.")
    @OptionGroup var store: StoreOptions
    @Option(help: "open, closed, or a state (registered, dispatched, handling, handled, checking, closed, void, returned, suspended).") var status: String?
    @Option(help: "Category code.") var category: String?
    @Option(help: "Grid code.") var grid: String?
    @Option(help: "Community code.") var community: String?
    @Flag(help: "Only open cases whose running step is past its deadline.") var overdue = false
    @Option(help: "The time to judge deadlines at (default now).") var now: String?
    @Option(help: "At most this many cases.") var limit: Int = 100
    @Flag(help: "JSON output.") var json = false

    func run() async throws {
        let store = try store.open()
        let calendar = try CaseSetup.calendar(store)
        let now = try CaseArguments.now(now, calendar: calendar)
        guard (1...10_000).contains(limit) else { throw StoreError.badInput("--limit must be in [1, 10000]") }
        var filter = CaseRepository.Filter()
        filter.status = status
        filter.category = category
        filter.grid = grid
        filter.community = community
        filter.overdueAt = overdue ? now : nil
        filter.limit = limit
        let (cases, matched) = try CaseRepository.list(store: store, filter: filter)
        if json {
            try Console.printJSON(["matched": matched, "cases": cases.map { $0.json(calendar: calendar, now: now) }])
            return
        }
        print("\(matched) cases" + (matched > cases.count ? " (first \(cases.count))" : ""))
        for c in cases {
            let light = c.light(calendar: calendar, now: now)?.rawValue ?? "-"
            print("\(c.code)  \(c.state.rawValue) (\(c.state.chineseName))  \(c.category)  grid \(c.grid ?? "-")  worker \(c.worker ?? "-")  due \(c.stepDeadline.map(calendar.format) ?? "-")  \(light)")
        }
    }
}

struct CasesShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One case with its history.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Case code.") var code: String
    @Option(help: "The time to judge deadlines at (default now).") var now: String?
    @Flag(help: "JSON output.") var json = false

    func run() async throws {
        let store = try store.open()
        let calendar = try CaseSetup.calendar(store)
        let now = try CaseArguments.now(now, calendar: calendar)
        guard let c = try CaseRepository.find(store: store, code: code) else { throw StoreError.badInput("no case \(code)") }
        if json {
            try Console.printJSON(c.json(calendar: calendar, now: now, events: true))
            return
        }
        print("case \(c.code): \(c.category), \(c.state.rawValue) (\(c.state.chineseName)), \(c.description)")
        print("grid \(c.grid ?? "-")\(c.outsideGrids ? " (outside every grid)" : ""), community \(c.community ?? "-"), worker \(c.worker ?? "-"), department \(c.department)")
        print("deadline \(c.stepDeadline.map(calendar.format) ?? "-"), light \(c.light(calendar: calendar, now: now)?.rawValue ?? "-")")
        print("allowed next: \(CaseMachine.allowed(from: c.state).map(\.rawValue).joined(separator: ", "))")
        for e in c.events {
            print("  \(calendar.format(e.at))  \(e.action.rawValue) (\(e.action.chineseName))  \(e.from?.rawValue ?? "-") → \(e.to.rawValue)  by \(e.actor)\(e.note.map { ": \($0)" } ?? "")")
        }
    }
}

struct CasesMoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move", abstract: "Apply an action to cases: dispatch, accept, feedback, check, close, rework, void, return, extend, suspend, resume.",
        discussion: "`cases move CODE... ACTION`: each case moves in its own transaction, in the order given; the first refusal stops the command.")
    @OptionGroup var store: StoreOptions
    @Argument(help: ArgumentHelp("Case codes, then the action.", valueName: "CODE... ACTION")) var items: [String]
    @Option(help: "Who acts.") var actor: String = "cli"
    @Option(help: "A note for the log.") var note: String?
    @Option(name: .customLong("extension"), help: "For extend: the working time granted (e.g. 4h, 2d).") var extensionLimit: String?
    @Option(help: "When (default now).") var at: String?
    @Flag(help: "JSON output.") var json = false

    func run() async throws {
        guard items.count >= 2, let actionText = items.last else { throw ValidationError("give one or more case codes, then the action") }
        let store = try store.open()
        let calendar = try CaseSetup.calendar(store)
        guard let action = CaseAction(rawValue: actionText), action != .register else {
            throw StoreError.badInput("unknown action \(actionText); actions: \(CaseAction.allCases.filter { $0 != .register }.map(\.rawValue).joined(separator: ", "))")
        }
        var limit: TimeLimit?
        if let extensionLimit {
            guard let parsed = TimeLimit.parse(extensionLimit) else { throw StoreError.badInput("--extension must be working hours or days like 4h or 2d") }
            limit = parsed
        }
        for code in items.dropLast() {
            let at = try CaseArguments.now(at, calendar: calendar)
            let c = try CaseRepository.transition(store: store, code: code, action: action, actor: actor, note: note, extension: limit, at: at)
            if json {
                try Console.printJSON(c.json(calendar: calendar, now: at, events: true))
            } else {
                print("case \(c.code): \(c.state.rawValue) (\(c.state.chineseName)); deadline \(c.stepDeadline.map(calendar.format) ?? "-"); next: \(CaseMachine.allowed(from: c.state).map(\.rawValue).joined(separator: ", "))")
            }
        }
    }
}

struct CasesStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Evaluation over a period: registered, due, 结案率, 按期结案率, 返工率, 延期率, median time to close, overdue now, per 100 households.")
    @OptionGroup var store: StoreOptions
    @Option(help: "grid, community, street, worker or department.") var by: String = "grid"
    @Option(help: "Period start (date or time; default 30 days before --to).") var from: String?
    @Option(help: "Period end, exclusive (default now).") var to: String?
    @Option(help: "The time to judge overdue at (default now).") var now: String?
    @Flag(help: "JSON output.") var json = false

    func run() async throws {
        let store = try store.open()
        let calendar = try CaseSetup.calendar(store)
        guard let unit = CaseFigures.Unit(rawValue: by) else {
            throw StoreError.badInput("--by must be one of \(CaseFigures.Unit.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let now = try CaseArguments.now(now, calendar: calendar)
        let end = try to.map { try CaseArguments.now($0, calendar: calendar) } ?? now + 1  // up to and including now
        let start = try from.map { try CaseArguments.now($0, calendar: calendar) } ?? end - 30 * 86_400
        let figures = try CaseRepository.figures(store: store, unit: unit, from: start, to: end, now: now)
        if json {
            try Console.printJSON(["from": calendar.format(start), "to": calendar.format(end), "now": calendar.format(now), "units": figures.map(\.json)])
            return
        }
        func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
        print("\(unit.rawValue)  registered  due  closed  结案率  按期结案率  返工率  延期率  median h  overdue  per 100 hh")
        for f in figures {
            print("\(f.key)  \(f.registered)  \(f.due)  \(f.closed)  \(percent(f.closureRate))  \(percent(f.onTimeRate))  \(percent(f.reworkRate))  \(percent(f.extensionRate))  \(f.medianHoursToClose.map { String(format: "%.1f", $0) } ?? "-")  \(f.overdueNow)  \(f.casesPer100Households.map { String(format: "%.2f", $0) } ?? "-")")
        }
    }
}

struct CasesKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Reporter keys for Open311 clients.", subcommands: [CasesKeysAddCommand.self])
}

struct CasesKeysAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Make a reporter key (printed once; only its SHA-256 is stored).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Who holds the key (an app, a hotline).") var name: String

    func run() async throws {
        let key = try CaseSetup.addReporterKey(store: try store.open(), name: name, now: Int64(Date().timeIntervalSince1970))
        print(key)
    }
}

struct CasesCategoriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "categories", abstract: "Print the store's departments and case categories as JSON, or replace them from a file.")
    @OptionGroup var store: StoreOptions
    @Option(help: "A catalog file (the printed JSON, edited) to install.") var load: String?

    func run() async throws {
        let store = try store.open()
        if let load {
            guard let data = FileManager.default.contents(atPath: load) else { throw StoreError.badInput("--load \(load): no such file") }
            let catalog = try CaseArguments.user { try CaseCatalog.decode(data, file: load) }
            try CaseSetup.install(catalog: catalog, store: store)
            print("\(catalog.categories.count) categories, \(catalog.departments.count) departments installed from \(load)")
            return
        }
        print(try CaseSetup.catalog(store).json)
    }
}

/// `workers add|assign|list`.
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers", abstract: "Grid workers, supervisors, dispatchers and department staff, and the grids each serves.",
        subcommands: [WorkersAddCommand.self, WorkersAssignCommand.self, WorkersListCommand.self])
}

struct WorkersAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a worker.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Worker code.") var code: String
    @Option(help: "Name.") var name: String
    @Option(help: "grid_worker, supervisor, dispatcher or department_staff.") var role: String = "grid_worker"
    @Option(help: "Department code (department staff).") var department: String?
    @Option(help: "Phone.") var phone: String?

    func run() async throws {
        guard let role = CaseSetup.Role(rawValue: role) else {
            throw StoreError.badInput("--role must be one of \(CaseSetup.Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try CaseSetup.addWorker(store: try store.open(), code: code, name: name, role: role, department: department, phone: phone)
        print("worker \(code) added")
    }
}

struct WorkersAssignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign", abstract: "A worker serves a grid from a date; the grid's previous worker of that role stops then.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Worker code.") var worker: String
    @Argument(help: "Grid code.") var grid: String
    @Option(help: "From (date or time; default now).") var from: String?

    func run() async throws {
        let store = try store.open()
        let calendar = try CaseSetup.calendar(store)
        let start = try CaseArguments.now(from, calendar: calendar)
        try CaseSetup.assign(store: store, worker: worker, grid: grid, from: start)
        print("worker \(worker) serves grid \(grid) from \(calendar.format(start))")
    }
}

struct WorkersListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Workers and the grids they serve.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "JSON output.") var json = false

    func run() async throws {
        let store = try store.open()
        let calendar = try CaseSetup.calendar(store)
        let workers = try CaseSetup.workers(store)
        if json {
            try Console.printJSON(workers.map { w -> [String: Any] in
                ["code": w.code, "name": w.name, "role": w.role, "department": w.department ?? NSNull(),
                 "grids": w.grids.map { ["grid": $0.grid, "from": calendar.format($0.from), "to": $0.to.map { calendar.format($0) as Any } ?? NSNull()] }]
            })
            return
        }
        for w in workers {
            let grids = w.grids.map { "\($0.grid) from \(calendar.format($0.from).prefix(10))" + ($0.to.map { " to \(calendar.format($0).prefix(10))" } ?? "") }
            print("\(w.code)  \(w.name)  \(w.role)\(w.department.map { "  \($0)" } ?? "")  \(grids.joined(separator: "; "))")
        }
    }
}

/// `calendar show|set-holidays|load`.
struct CalendarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar", abstract: "The working calendar deadlines are counted on.",
        subcommands: [CalendarShowCommand.self, CalendarHolidaysCommand.self, CalendarLoadCommand.self])
}

struct CalendarShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the calendar as JSON (edit it and `calendar load` it).")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(try CaseSetup.calendar(try store.open())), as: UTF8.self))
    }
}

struct CalendarHolidaysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-holidays", abstract: "Replace the holidays (days off) and adjusted working days (调休) of the calendar.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Holidays, YYYY-MM-DD.") var holidays: [String] = []
    @Option(help: "Working days on a weekend, YYYY-MM-DD (repeatable).") var workday: [String] = []

    func run() async throws {
        let store = try store.open()
        var calendar = try CaseSetup.calendar(store)
        func days(_ list: [String]) throws -> Set<Int> {
            Set(try list.map { text in
                guard let day = WorkingCalendar.parseDate(text) else { throw StoreError.badInput("\(text) is not a date YYYY-MM-DD") }
                return day
            })
        }
        calendar.holidays = try days(holidays)
        calendar.workdays = try days(workday)
        try CaseSetup.saveCalendar(calendar, store: store)
        print("\(calendar.holidays.count) holidays, \(calendar.workdays.count) adjusted working days")
    }
}

struct CalendarLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Replace the calendar from a JSON file.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Calendar file.") var file: String

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw StoreError.badInput("\(file): no such file") }
        let calendar: WorkingCalendar
        do { calendar = try JSONDecoder().decode(WorkingCalendar.self, from: data) } catch let error as CaseError {
            throw StoreError.badInput("\(file): \(error.description)")
        } catch {
            throw StoreError.badInput("\(file): not a calendar (\(error))")
        }
        try CaseSetup.saveCalendar(calendar, store: try store.open())
        print("calendar loaded from \(file)")
    }
}
