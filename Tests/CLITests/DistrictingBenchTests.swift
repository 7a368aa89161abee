import Foundation
import Testing

/// ../shared/bench/districting beside this checkout (its derived inputs and the peers' results).
enum DistrictingBenchData {
    static let folder: URL? = {
        let candidate = SharedData.folder("bench/districting")
        return FileManager.default.fileExists(atPath: candidate.appendingPathComponent("data/wdk3/input.json").path) ? candidate : nil
    }()

    static var available: Bool {
        if folder == nil { print("skipped: ../shared/bench/districting/data/wdk3 is not beside this checkout") }
        return folder != nil
    }
}

@Suite("communitygrid-bench districting on the peers' wdk3 input")
struct DistrictingBenchTests {
    @Test("our plan meets the goals beside the peers; our `current` row reproduces theirs", .enabled(if: DistrictingBenchData.available))
    func wdk3() throws {
        let folder = DistrictingBenchData.folder!
        let plans = try TemporaryDirectory()
        let result = try CLI.bench(["districting", "--input", folder.appendingPathComponent("data/wdk3").path,
                                    "--peers", folder.appendingPathComponent("results/results.jsonl").path, "--json", "--out", plans.path("plans.jsonl")])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        func row(_ method: String) throws -> [String: Any] { try #require(rows.first { $0["method"] as? String == method }) }

        // Our scoring of the current plan equals the harness's (README: wdk3 current PP 0.505, dist 84.8 m, 63 % in range).
        let mine = try row("current (ours)"), theirs = try row("current")
        for key in ["pp_mean", "dist_m", "hh_std", "in_range", "in_feasible", "outside", "hh_min", "hh_max"] {
            #expect((mine[key] as? NSNumber) == (theirs[key] as? NSNumber), "current \(key): ours \(mine[key] ?? "-") vs theirs \(theirs[key] ?? "-")")
        }

        let ours = try row("communitygrid")
        #expect(ours["in_feasible"] as? Double == 1, "every grid feasible")
        #expect(ours["contiguous"] as? Int == ours["grids"] as? Int, "every grid contiguous")
        let goals = try #require(report["goals"] as? [[String: Any]])
        for goal in goals where !(goal["goal"] as? String ?? "").hasPrefix("runtime") {
            // Runtime is measured in release builds by the bench itself; a debug test run says nothing about it.
            #expect(goal["met"] as? Bool == true, "\(goal["goal"] ?? ""): \(goal["detail"] ?? "")")
        }
        let lines = try String(contentsOfFile: plans.path("plans.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6, "one plan per community")
    }
}
