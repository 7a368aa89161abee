import Foundation
import GridModel
import Testing

@Suite("Command line", .serialized)
struct CLITests {
    @Test("--help on every command exits 0", arguments: [
        [], ["init"], ["import"], ["import", "osm"], ["import", "geojson"], ["import", "shapefile"], ["import", "gpkg"], ["import", "households"],
        ["export"], ["info"], ["rules"], ["demo"], ["cases", "generate"], ["tiles"], ["tiles", "seed"],
    ])
    func help(_ command: [String]) throws {
        let result = try CLI.run(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE"))
    }

    /// Every command of an executable, found by walking the SUBCOMMANDS of its own help.
    static func commands(_ run: ([String]) throws -> CLI.Result, under command: [String] = []) throws -> [[String]] {
        let help = try run(command + ["--help"]).stdout
        var found = [command]
        guard let section = help.range(of: "SUBCOMMANDS:\n") else { return found }
        for line in help[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            // A name is indented two spaces; wrapped abstracts are indented further.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }
            found += try commands(run, under: command + [String(name)])
        }
        return found
    }

    @Test("--help on every command of both executables, walked from their own help, exits 0 with its usage")
    func helpEverywhere() throws {
        let product = try Self.commands { try CLI.run($0) }, bench = try Self.commands { try CLI.bench($0) }
        #expect(product.count >= 23 && bench.count >= 5, "\(product) \(bench)")
        for command in product {
            let result = try CLI.run(command + ["--help"])
            #expect(result.status == 0, "\(command)")
            #expect(result.stdout.contains("USAGE: communitygrid " + command.joined(separator: " ")), "\(command): \(result.stdout.prefix(200))")
        }
        for command in bench {
            let result = try CLI.bench(command + ["--help"])
            #expect(result.status == 0, "\(command)")
            #expect(result.stdout.contains("USAGE: communitygrid-bench " + command.joined(separator: " ")), "\(command)")
        }
    }

    @Test("communitygrid-bench --help on every command exits 0", arguments: [
        [], ["peer"], ["coverage"], ["isochrone"], ["districting"],
    ])
    func benchHelp(_ command: [String]) throws {
        let result = try CLI.bench(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: communitygrid-bench " + command.joined(separator: " ")))
    }

    @Test("the benchmark commands live in communitygrid-bench, not in communitygrid")
    func benchExecutable() throws {
        let product = try CLI.run(["--help"])
        #expect(product.status == 0)
        #expect(!product.stdout.contains("bench"), "\(product.stdout)")
        let removed = try CLI.run(["bench", "peer"])
        #expect(removed.status == 1 && removed.stderr.contains("'bench'"), "\(removed.stderr)")
        let bench = try CLI.bench(["--help"])
        for command in ["peer", "coverage", "isochrone", "districting"] {
            #expect(bench.stdout.contains("\n  \(command) "), "communitygrid-bench --help lists \(command)")
        }
        // Usage errors and bad input exit 1, as in communitygrid.
        let missingDB = try CLI.bench(["isochrone"])
        #expect(missingDB.status == 1 && missingDB.stderr.contains("--db"), "\(missingDB.stderr)")
        let noData = try CLI.bench(["peer", "--data", "/nonexistent/peers", "--category", "school"])
        #expect(noData.status == 1 && noData.stderr.contains("/nonexistent/peers/nodes.csv"), "\(noData.stderr)")
    }

    @Test("communitygrid-bench coverage: a seeded city gives the same city and shares every run, one share per level")
    func benchCoverage() throws {
        func run(seed: Int) throws -> [String: Any] {
            let result = try CLI.bench(["coverage", "--nodes", "3000", "--seed", "\(seed)", "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        }
        let first = try run(seed: 7), again = try run(seed: 7)
        let profile = try CLI.run(["profile"])
        let levels = try #require(try JSONSerialization.jsonObject(with: Data(profile.stdout.utf8)) as? [String: Any])["levels"] as? [Any]
        let shares = try #require(first["shares"] as? [Double])
        #expect(shares.count == levels?.count && shares.allSatisfy { (0...1).contains($0) })
        #expect((first["graph_nodes"] as? Int ?? 0) > 0 && (first["buildings"] as? Int ?? 0) > 0)
        for key in ["graph_nodes", "graph_edges", "buildings", "facilities", "shares", "categories"] {
            #expect((first[key] as? NSObject) == (again[key] as? NSObject), "\(key) differs between two runs of one seed")
        }
    }

    @Test("usage errors exit 1 and say what is wrong")
    func usage() throws {
        let missingDB = try CLI.run(["info"])
        #expect(missingDB.status == 1)
        #expect(missingDB.stderr.contains("--db"))
        let unknown = try CLI.run(["frobnicate"])
        #expect(unknown.status == 1)
        let badLayer = try CLI.run(["--db", "x.sqlite", "export", "rivers"])
        #expect(badLayer.status == 1)
        let noStore = try CLI.run(["--db", "/nonexistent/dir/x.sqlite", "info"])
        #expect(noStore.status == 1)
        #expect(noStore.stderr.contains("/nonexistent/dir/x.sqlite"))
    }

    @Test("the demo district in GeoData/ loads end to end; info --json has the counts; export filters by bbox")
    func demoPipeline() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("demo.sqlite")
        let data = CLI.repository.appendingPathComponent("GeoData")
        #expect(try CLI.run(["--db", db, "init"]).status == 0)
        let osm = try CLI.run(["--db", db, "import", "osm", data.appendingPathComponent("demo-district.osm").path, "--json"])
        #expect(osm.status == 0, "\(osm.stderr)")
        // --db may also follow the subcommand.
        #expect(try CLI.run(["import", "geojson", data.appendingPathComponent("communities.geojson").path, "--layer", "communities", "--db", db]).status == 0)
        #expect(try CLI.run(["--db", db, "import", "geojson", data.appendingPathComponent("grids.geojson").path, "--layer", "grids"]).status == 0)
        let register = try CLI.run(["--db", db, "import", "households", data.appendingPathComponent("households.csv").path])
        #expect(register.status == 0, "\(register.stderr)")

        let info = try CLI.run(["--db", db, "info", "--json"])
        #expect(info.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        for key in ["buildings", "households", "facilities", "network_edges", "communities", "grids"] {
            let count = try #require(object[key] as? Int, "info --json lacks \(key)")
            #expect(count > 0, "\(key) is 0")
        }
        let categories = try #require(object["facilities_by_category"] as? [String: Int])
        for category in ["clinic", "pharmacy", "school", "kindergarten", "elderly_care", "grocery", "community_service", "transit_stop"] {
            #expect((categories[category] ?? 0) >= 2, "demo lacks \(category)")
        }
        #expect(object["spatial_metadata"] as? Int == 3)

        let all = try CLI.run(["--db", db, "export", "buildings"])
        #expect(all.status == 0)
        let everything = try GeoJSON.decodeFeatureCollection(Data(all.stdout.utf8))
        #expect(everything.count == object["buildings"] as? Int)
        let box = try #require(object["bbox"] as? [Double])
        let quarter = "\(box[0]),\(box[1]),\((box[0] + box[2]) / 2),\((box[1] + box[3]) / 2)"
        let some = try GeoJSON.decodeFeatureCollection(Data(try CLI.run(["--db", db, "export", "buildings", "--bbox", quarter]).stdout.utf8))
        #expect(some.count > 0 && some.count < everything.count)
    }

    @Test("bad input exits 1, names the file and leaves the store as it was")
    func badInput() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("s.sqlite")
        #expect(try CLI.run(["--db", db, "init"]).status == 0)
        let bad = directory.path("bad.geojson")
        try Data(#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"12"},"geometry":null}]}"#.utf8)
            .write(to: URL(fileURLWithPath: bad))
        let result = try CLI.run(["--db", db, "import", "geojson", bad, "--layer", "communities"])
        #expect(result.status == 1)
        #expect(result.stderr.contains(bad) && result.stderr.contains("feature 0"))
        let info = try CLI.run(["--db", db, "info", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(object["communities"] as? Int == 0)
        #expect((object["imports"] as? [Any])?.isEmpty == true)
    }

    @Test("rules prints valid JSON that --check accepts")
    func rules() throws {
        let directory = try TemporaryDirectory()
        let printed = try CLI.run(["rules"])
        #expect(printed.status == 0)
        let file = directory.path("rules.json")
        try Data(printed.stdout.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try CLI.run(["rules", "--check", file]).status == 0)
        try Data("{\"walk\": 1}".utf8).write(to: URL(fileURLWithPath: file))
        let bad = try CLI.run(["rules", "--check", file])
        #expect(bad.status == 1 && bad.stderr.contains(file))
    }
}
