import Foundation
import GRDB
import GridCases
import GridModel
import GridServices
import GridStore
import Testing

/// `cases generate` on the demo district: a small year, checked against the machine, the evaluation's own
/// definitions and the report-then-transition path it stands in for.
@Suite("Case generator on the demo district", .serialized)
struct CaseGenerateCLITests {
    static let count = 400

    static func dump(_ path: String) throws -> [String: [String]] {
        let store = try Store.open(path: path)
        return try store.read { db in
            var tables: [String: [String]] = [:]
            for (table, order) in [("cases", "id"), ("case_events", "case_id, seq"), ("workers", "id"), ("worker_grids", "id")] {
                tables[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(order)").map(\.description)
            }
            return tables
        }
    }

    static func generate(_ path: String, seed: Int, count: Int = count) throws -> [String: Any] {
        let result = try CLI.run(["--db", path, "cases", "generate", "--year", "2026", "--cases", String(count), "--seed", String(seed), "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test("same seed same rows, another seed other rows; every log replays to its stored case; a second year into the same store is refused")
    func deterministic() throws {
        let directory = try TemporaryDirectory()
        let a = try DemoStore.copy(named: "a.sqlite", in: directory.url).path
        let b = try DemoStore.copy(named: "b.sqlite", in: directory.url).path
        let c = try DemoStore.copy(named: "c.sqlite", in: directory.url).path
        let summary = try Self.generate(a, seed: 7)
        _ = try Self.generate(b, seed: 7)
        _ = try Self.generate(c, seed: 8)
        #expect(summary["cases"] as? Int == Self.count)
        let events = try #require(summary["events"] as? Int)
        // A case goes through six steps when nothing goes wrong; void ones take two, reworked ones more.
        #expect(events > Self.count * 5 && events < Self.count * 9, "\(events) events")
        let dumpA = try Self.dump(a)
        #expect(dumpA == (try Self.dump(b)), "the same seed gave other rows")
        #expect(dumpA["cases"] != (try Self.dump(c))["cases"])
        #expect(dumpA["case_events"]?.count == events && dumpA["cases"]?.count == Self.count)

        let store = try Store.open(path: a)
        #expect(try CaseRepository.inconsistent(store: store).isEmpty)
        let (listed, matched) = try CaseRepository.list(store: store, filter: { var f = CaseRepository.Filter(); f.limit = 10_000; return f }())
        #expect(matched == Self.count)
        // Believable: most closed, some voided, every channel, mostly in working hours, every grid served.
        let closed = listed.filter { $0.state == .closed }.count, voided = listed.filter { $0.state == .void }.count
        #expect(closed * 10 > Self.count * 8 && voided > 0 && voided * 10 < Self.count, "closed \(closed), void \(voided)")
        #expect(Set(listed.map(\.reporterKind)) == Set(CaseRepository.ReporterKind.allCases.map(\.rawValue)))
        let calendar = WorkingCalendar.standard
        let daytime = listed.filter { c in
            let hour = Int(calendar.format(c.registeredAt).dropFirst(11).prefix(2))!
            return (8...18).contains(hour)
        }.count
        #expect(daytime * 10 > Self.count * 7, "\(daytime) of \(Self.count) registered 08:00–18:59")
        #expect(listed.allSatisfy { $0.grid != nil && $0.worker != nil && $0.householdsNearby != nil })
        let years = Set(listed.map { calendar.format($0.registeredAt).prefix(4) })
        #expect(years == ["2026"])
        let actions = Set(try store.read { try String.fetchAll($0, sql: "SELECT DISTINCT action FROM case_events") })
        #expect(actions.isSuperset(of: ["register", "dispatch", "accept", "feedback", "check", "close", "void", "rework", "extend"]))

        let again = try CLI.run(["--db", a, "cases", "generate", "--year", "2026", "--cases", "10"])
        #expect(again.status == 1 && again.stderr.contains("already holds \(Self.count) cases registered in 2026"))
        #expect(try Self.dump(a) == dumpA)
    }

    @Test("the evaluation of a generated year holds together: per unit and month closed ≤ due ≤ registered, sums agree across units")
    func evaluation() throws {
        let directory = try TemporaryDirectory()
        let a = try DemoStore.copy(named: "a.sqlite", in: directory.url).path
        _ = try Self.generate(a, seed: 11)
        let store = try Store.open(path: a)
        let calendar = WorkingCalendar.standard
        let yearEnd = calendar.parseInstant("2027-01-01")!
        var total = 0
        for month in 1...12 {
            let from = calendar.parseInstant(String(format: "2026-%02d-01", month))!
            let to = calendar.parseInstant(month == 12 ? "2027-01-01" : String(format: "2026-%02d-01", month + 1))!
            var sums: [CaseFigures.Unit: [Int]] = [:]
            for unit in [CaseFigures.Unit.grid, .community, .street, .department] {
                let figures = try CaseRepository.figures(store: store, unit: unit, from: from, to: to, now: yearEnd)
                for f in figures {
                    #expect(f.closedOnTime <= f.closed && f.closed <= f.due && f.due <= f.registered, "\(unit) \(f.key) month \(month)")
                    #expect(f.reworked <= f.closed && f.extended <= f.due)
                    for rate in [f.closureRate, f.onTimeRate, f.reworkRate, f.extensionRate].compactMap({ $0 }) { #expect((0...1).contains(rate)) }
                    if f.closed > 0 { #expect((f.medianHoursToClose ?? -1) > 0) }
                }
                sums[unit] = [figures.map(\.registered).reduce(0, +), figures.map(\.due).reduce(0, +), figures.map(\.closed).reduce(0, +)]
            }
            #expect(Set(sums.values).count == 1, "month \(month): \(sums)")
            let registered = try store.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE registered_at >= ? AND registered_at < ?", arguments: [from, to]) ?? 0
            }
            #expect(sums[.grid]?.first == registered)
            total += registered
        }
        #expect(total == Self.count)
    }

    @Test("a generated year's rows are those reports and transitions one by one leave")
    func sameAsReportAndTransitions() throws {
        let directory = try TemporaryDirectory()
        let count = 150
        let generated = try DemoStore.copy(named: "generated.sqlite", in: directory.url).path
        let live = try DemoStore.copy(named: "live.sqlite", in: directory.url).path
        _ = try Self.generate(generated, seed: 3, count: count)
        // The same staff: a year of no cases adds them as the generator does.
        _ = try Self.generate(live, seed: 3, count: 0)
        let source = try Store.open(path: generated)
        let (cases, _) = try CaseRepository.list(store: source, filter: CaseRepository.Filter())
        let full = try cases.map { try #require(try CaseRepository.find(store: source, code: $0.code)) }
        var steps: [(at: Timestamp, index: Int, seq: Int)] = []
        for (i, c) in full.enumerated() { for (s, e) in c.events.enumerated() { steps.append((e.at, i, s)) } }
        steps.sort { ($0.at, $0.index, $0.seq) < ($1.at, $1.index, $1.seq) }
        let store = try Store.open(path: live)
        let network = try CaseNetwork.load(store)
        for step in steps {
            let c = full[step.index], event = c.events[step.seq]
            if step.seq == 0 {
                let report = CaseRepository.Report(category: c.category, description: c.description, point: c.point, address: c.address,
                                                   reporterKind: try #require(CaseRepository.ReporterKind(rawValue: c.reporterKind)),
                                                   reporter: c.reporter, media: c.media, at: event.at)
                let (stored, _) = try CaseRepository.report(report, store: store, network: network, actor: event.actor)
                #expect(stored.code == c.code)
            } else {
                let limit = try event.extensionSeconds.map { try TimeLimit(value: Double($0) / 3600, unit: .hours) }
                _ = try CaseRepository.transition(store: store, code: c.code, action: event.action, actor: event.actor, note: event.note,
                                                  extension: limit, at: event.at)
            }
        }
        let a = try Self.dump(generated), b = try Self.dump(live)
        for table in ["cases", "case_events"] {
            let x = a[table] ?? [], y = b[table] ?? []
            #expect(x.count == y.count && !x.isEmpty, "\(table): \(x.count) rows generated, \(y.count) by reports and transitions")
            if let i = x.indices.first(where: { $0 < y.count && x[$0] != y[$0] }) { Issue.record("\(table) row \(i + 1) differs:\n\(x[i])\n\(y[i])") }
        }
    }
}
