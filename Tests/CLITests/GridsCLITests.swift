import Foundation
import Testing

@Suite("Command line: grids", .serialized)
struct GridsCLITests {
    static func json(_ result: CLI.Result) throws -> [String: Any] {
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test("assign, check, stats, rebalance, runs, show, apply, revert with --json; bad input exits 1")
    func commands() throws {
        let directory = try TemporaryDirectory()
        let db = try AnalysisCLITests.demoStore(directory)
        let assign = try Self.json(try CLI.run(["--db", db, "grids", "assign", "--json"]))
        #expect((assign["buildings"] as? [Any])?.count == 718 && assign["outside"] as? Int == 0)
        let check = try CLI.run(["--db", db, "grids", "check", "--json"])
        #expect(check.status == 0 && check.stdout.hasPrefix("{\"type\":\"FeatureCollection\",\"features\":[]"))
        let stats = try Self.json(try CLI.run(["--db", db, "grids", "stats", "--min", "800", "--max", "1300", "--json"]))
        #expect((stats["grids"] as? [Any])?.count == 51)

        let run = try Self.json(try CLI.run(["--db", db, "grids", "rebalance", "--min", "800", "--max", "1300", "--json"]))
        let id = try #require(run["id"] as? Int)
        let metrics = try #require(run["metrics"] as? [String: Any])
        #expect(metrics["in_range"] as? Int == metrics["grids"] as? Int)
        let plain = try CLI.run(["--db", db, "grids", "rebalance", "--min", "800", "--max", "1300"])
        #expect(plain.stdout.hasPrefix("run \(id + 1) (dry_run)") && plain.stdout.contains("Polsby-Popper"))
        let show = try Self.json(try CLI.run(["--db", db, "grids", "show", String(id), "--json"]))
        let moves = try #require(show["moves"] as? [[String: Any]])
        #expect(!moves.isEmpty && moves.allSatisfy { ($0["source_id"] as? String)?.isEmpty == false })
        // Moves name their buildings: the store id and the source id, and the name when the building has one.
        let text = try CLI.run(["--db", db, "grids", "show", String(id)]).stdout
        for move in moves.prefix(5) {
            let name = (move["name"] as? String).map { " \"\($0)\"" } ?? ""
            #expect(text.contains("building \(move["building"]!)\(name) (\(move["source_id"]!)), \(move["households"]!) households: "))
        }
        #expect(try CLI.run(["--db", db, "grids", "runs"]).stdout.split(separator: "\n").count == 2)
        #expect(try CLI.run(["--db", db, "grids", "apply", String(id)]).status == 0)
        #expect(try CLI.run(["--db", db, "grids", "check"]).stdout.hasPrefix("no problems"))
        #expect(try CLI.run(["--db", db, "grids", "revert", String(id)]).status == 0)

        let bad = try CLI.run(["--db", db, "grids", "rebalance", "--min", "500", "--max", "100"])
        #expect(bad.status == 1 && bad.stderr.contains("--min"))
        let missing = try CLI.run(["--db", db, "grids", "apply", "99"])
        #expect(missing.status == 1 && missing.stderr.contains("99"))
    }

    static func grids(_ db: String) throws -> String {
        let result = try CLI.run(["--db", db, "grids", "stats", "--min", "800", "--max", "1300", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return (object["grids"] as? [[String: Any]] ?? []).map { "\($0["code"]!):\($0["households"]!)" }.joined(separator: ",")
    }

    @Test("kill -9 during apply leaves the grids exactly before or after; a reverted run's new codes are never given out again")
    func killDuringApply() throws {
        let directory = try TemporaryDirectory()
        let db = try AnalysisCLITests.demoStore(directory)
        let before = try Self.grids(db)
        let run = try Self.json(try CLI.run(["--db", db, "grids", "rebalance", "--min", "300", "--max", "500", "--json"]))
        var id = try #require(run["id"] as? Int)
        var after: String?
        var given: Set<String> = []
        var seen = (before: 0, after: 0)
        let kept = Set(before.split(separator: ",").map { String($0.prefix(15)) })
        // The plan without the codes new grids take: each fresh run gives its new grids codes never used before.
        func plan(_ grids: String) -> (String, Set<String>) {
            let items = grids.split(separator: ",").map(String.init)
            let fresh = Set(items.map { String($0.prefix(15)) }.filter { !kept.contains($0) })
            return (items.map { kept.contains(String($0.prefix(15))) ? $0 : "new" + $0.dropFirst(15) }.sorted().joined(separator: ","), fresh)
        }
        for attempt in 0..<12 {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["--db", db, "grids", "apply", String(id)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try CLI.launch(process)
            // Spread the kill over the process's life: start-up, migration check, the transaction, exit.
            usleep(UInt32(attempt * 15_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let now = try Self.grids(db)
            let status = try Self.json(try CLI.run(["--db", db, "grids", "show", String(id), "--json"]))["status"] as? String
            if now == before {
                #expect(status == "dry_run", "attempt \(attempt)")
                seen.before += 1
            } else {
                let (content, fresh) = plan(now)
                if let after { #expect(content == after, "attempt \(attempt)") } else { after = content }
                #expect(given.isDisjoint(with: fresh), "attempt \(attempt): codes of a reverted run given out again")
                given.formUnion(fresh)
                #expect(status == "applied", "attempt \(attempt)")
                seen.after += 1
                #expect(try CLI.run(["--db", db, "grids", "revert", String(id)]).status == 0)
                #expect(try Self.grids(db) == before)
                // A reverted run is a record; the next attempt applies a fresh run of the same parameters.
                let again = try Self.json(try CLI.run(["--db", db, "grids", "rebalance", "--min", "300", "--max", "500", "--json"]))
                id = try #require(again["id"] as? Int)
            }
        }
        let integrity = try CLI.run(["--db", db, "grids", "check"])
        #expect(integrity.status == 0 && integrity.stdout.hasPrefix("no problems"))
        #expect(seen.before + seen.after == 12)
    }
}
