import Foundation
import GRDB
import GridCases
import GridModel
import GridServices
import GridStore
import Testing

/// `kill -9` while `cases move` moves hundreds of cases, one transaction each: every case must still be the replay
/// of its log, and the moved ones a prefix of the order given.
@Suite("kill -9 during case transitions", .serialized)
struct CaseKillTests {
    @Test("kill -9 during cases move leaves every case consistent with its log")
    func killDuringTransitions() throws {
        let directory = try TemporaryDirectory()
        let base = try DemoStore.copy(named: "cases.sqlite", in: directory.url)
        let count = 300
        var codes: [String] = []
        do {
            let store = try Store.open(path: base.path)
            let network = try CaseNetwork.load(store)
            let points: [Coordinate] = try store.read { db in
                try Row.fetchAll(db, sql: "SELECT X(point), Y(point) FROM buildings ORDER BY id LIMIT \(count)").map { Coordinate(longitude: $0[0], latitude: $0[1]) }
            }
            let start = WorkingCalendar.standard.parseInstant("2026-03-02T09:00:00+08:00")!
            for (i, point) in points.enumerated() {
                let (stored, _) = try CaseRepository.report(.init(category: "street-light", description: "路灯\(i)", point: point, reporterKind: .gridWorker,
                                                                  at: start + Int64(i)), store: store, network: network, actor: "w")
                codes.append(stored.code)
            }
        }
        let work = directory.url.appendingPathComponent("work.sqlite")
        // One uninterrupted run for its duration.
        try StoreFiles.copy(base, to: work)
        let started = Date()
        let whole = try CLI.run(["--db", work.path, "cases", "move"] + codes + ["dispatch", "--at", "2026-03-02T10:00:00"])
        let duration = Date().timeIntervalSince(started)
        try #require(whole.status == 0, "\(whole.stderr)")
        var random = SplitMix64(seed: 14)
        var moved: [Int] = []
        for trial in 0..<5 {
            try StoreFiles.copy(base, to: work)
            let delay = duration * (0.3 + 0.6 * random.unit())
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["--db", work.path, "cases", "move"] + codes + ["dispatch", "--at", "2026-03-02T10:00:00"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try CLI.launch(process)
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let store = try Store.open(path: work.path)
            let bad = try CaseRepository.inconsistent(store: store)
            #expect(bad.isEmpty, "trial \(trial): cases not the replay of their log: \(bad.prefix(5))")
            let states: [String: String] = try store.read { db in
                Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT code, state FROM cases").map { ($0[0] as String, $0[1] as String) })
            }
            let dispatched = codes.prefix { states[$0] == "dispatched" }.count
            #expect(codes.dropFirst(dispatched).allSatisfy { states[$0] == "registered" }, "trial \(trial): moved cases are not a prefix")
            let events = try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM case_events") ?? 0 }
            #expect(events == codes.count + dispatched)
            moved.append(dispatched)
        }
        print("kill -9 cases move of \(codes.count) cases (\(Int(duration * 1000)) ms uninterrupted): moved before the kill \(moved)")
    }
}
