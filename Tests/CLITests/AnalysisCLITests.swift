import Foundation
import Testing

@Suite("Command line: coverage, suggest, peer harness", .serialized)
struct AnalysisCLITests {
    static func demoStore(_ directory: TemporaryDirectory) throws -> String {
        let db = directory.path("demo.sqlite")
        let data = CLI.repository.appendingPathComponent("GeoData")
        for arguments in [
            ["init"], ["import", "osm", data.appendingPathComponent("demo-district.osm").path],
            ["import", "geojson", data.appendingPathComponent("communities.geojson").path, "--layer", "communities"],
            ["import", "geojson", data.appendingPathComponent("grids.geojson").path, "--layer", "grids"],
        ] {
            let result = try CLI.run(["--db", db] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        return db
    }

    @Test("coverage in every format; runs are stored and listed; --community filters")
    func coverage() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.demoStore(directory)
        let table = try CLI.run(["--db", db, "coverage"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("15-minute level") && table.stdout.contains("110105001001001"))

        let json = try CLI.run(["--db", db, "coverage", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let buildings = try #require(object["buildings"] as? [[String: Any]])
        #expect(buildings.count == 718)
        #expect((object["grids"] as? [Any])?.count == 51)
        #expect((object["communities"] as? [Any])?.count == 9)
        #expect(object["run_id"] as? Int == 2)

        let csv = try CLI.run(["--db", db, "coverage", "--format", "csv", "--community", "110105001002", "--dry-run"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("building_id,households,grid,community,off_network_m,kindergarten_facility") == true)
        #expect(lines.dropFirst().allSatisfy { $0.contains(",110105001002,") })
        #expect(lines.count > 10)

        let geojson = try CLI.run(["--db", db, "coverage", "--format", "geojson", "--dry-run"])
        #expect(geojson.stdout.hasPrefix("{\"type\":\"FeatureCollection\"") && geojson.stdout.contains("covered_15min"))

        // `--list` is the table of `coverage runs`: a header and one row per stored run, both current.
        let list = try CLI.run(["--db", db, "coverage", "--list"])
        let rows = list.stdout.split(separator: "\n")
        #expect(rows.count == 3 && rows.first?.hasPrefix("run ") == true)
        #expect(rows.dropFirst().allSatisfy { $0.hasSuffix("current") })
        #expect(list.stdout == (try CLI.run(["--db", db, "coverage", "runs"])).stdout)

        let unknown = try CLI.run(["--db", db, "coverage", "--community", "999999999999", "--dry-run"])
        #expect(unknown.status == 1 && unknown.stderr.contains("999999999999"))
        let badProfile = try CLI.run(["--db", db, "coverage", "--profile", directory.path("missing.json")])
        #expect(badProfile.status == 1 && badProfile.stderr.contains("missing.json"))
    }

    @Test("suggest: sites add uncovered households, in decreasing order")
    func suggest() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.demoStore(directory)
        let result = try CLI.run(["--db", db, "suggest", "--category", "kindergarten", "--count", "3", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let sites = try #require(object["sites"] as? [[String: Any]])
        #expect(sites.count == 3)
        let added = sites.compactMap { $0["households_added"] as? Int }
        #expect(added == added.sorted(by: >) && added[0] > 0)
        #expect((object["uncovered_households"] as? Int ?? 0) >= added.reduce(0, +))
        let bad = try CLI.run(["--db", db, "suggest", "--category", "kindergarten", "--count", "0"])
        #expect(bad.status == 1)
    }

    @Test("suggest --candidates reads CSV as the register does (quotes, CRLF); a bad row is refused naming its line")
    func suggestCandidatesCSV() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.demoStore(directory)
        let good = try directory.file("sites.csv", "name,lon,lat\r\n\"east, gate\",116.4625,39.9325\r\nwest,116.4585,39.9300\r\n")
        let result = try CLI.run(["--db", db, "suggest", "--category", "kindergarten", "--count", "1", "--candidates", good, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((object["sites"] as? [[String: Any]])?.count ?? 0 <= 1)
        let bad = try directory.file("bad.csv", "lon,lat\n116.4625,39.9325\n\n116.46,north\n")
        let refused = try CLI.run(["--db", db, "suggest", "--category", "kindergarten", "--candidates", bad])
        #expect(refused.status == 1 && refused.stderr.contains("bad.csv") && refused.stderr.contains("line 4"), "\(refused.stderr)")
        let open = try directory.file("open.csv", "lon,lat\n\"116.4625,39.9325\n")
        let unclosed = try CLI.run(["--db", db, "suggest", "--category", "kindergarten", "--candidates", open])
        #expect(unclosed.status == 1 && unclosed.stderr.contains("line 2") && unclosed.stderr.contains("never closed"), "\(unclosed.stderr)")
    }

    @Test("profile prints JSON that --check accepts")
    func profile() throws {
        let directory = try TemporaryDirectory()
        let printed = try CLI.run(["profile"])
        let file = directory.path("p.json")
        try Data(printed.stdout.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try CLI.run(["profile", "--check", file]).status == 0)
    }

    static let python = Python.has("osmium, networkx, shapely, scipy, numpy")

    static let harness = SharedData.folder("bench/peers")
    static let peersReady = FileManager.default.fileExists(atPath: harness.appendingPathComponent("derive.py").path) && python

    @Test("communitygrid-bench peer answers the harness task exactly as networkx, origin by origin (Helsinki)",
          .enabled(if: peersReady, "needs ../shared/bench/peers and python3 with osmium, networkx, shapely, scipy, numpy (scripts/setup.sh installs them)"),
          arguments: ["grocery", "pharmacy"])
    func peerAgainstNetworkx(_ category: String) throws {
        let directory = try TemporaryDirectory()
        let data = directory.path("hel")
        let geodata = SharedData.geodataFolder
        func python(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3"] + arguments
            process.standardOutput = FileHandle.nullDevice
            try CLI.launch(process)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "python3 \(arguments)")
        }
        try python([Self.harness.appendingPathComponent("derive.py").path, geodata.appendingPathComponent("dense_helsinki_centre_2019.osm.pbf").path, data])
        try python([Self.harness.appendingPathComponent("peer_networkx.py").path, "--data", data, "--category", category, "--out", directory.path("nx.csv")])
        let ours = try CLI.bench(["peer", "--data", data, "--category", category, "--out", directory.path("cg.csv")])
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout.hasPrefix("{\"peer\":\"communitygrid\""))

        func read(_ name: String) throws -> [String: String] {
            let lines = try String(contentsOfFile: directory.path(name), encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst()
            return Dictionary(lines.map { line in
                let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                return (f[0], f[3])
            }, uniquingKeysWith: { a, _ in a })
        }
        let networkx = try read("nx.csv"), communitygrid = try read("cg.csv")
        #expect(networkx.count == communitygrid.count && networkx.count > 400)
        var off = 0
        for (origin, expected) in networkx {
            let got = communitygrid[origin] ?? "missing"
            if expected.isEmpty || got.isEmpty {
                if expected != got { off += 1 }
            } else if abs(Double(expected)! - (Double(got) ?? .infinity)) > 0.5 {
                off += 1
            }
        }
        #expect(off == 0, "\(off) origins differ from networkx by more than 0.5 m")
    }
}
