import Foundation
import Testing

/// `demo --buildings N`: a generated city written as PBF (and XML on request), read back by the importers.
@Suite(.serialized) struct CityDemoCLITests {
    static func counts(_ result: CLI.Result) throws -> [String: Int] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(object["counts"] as? [String: Int])
    }

    @Test("a 5,000-building city imports the same from its PBF as from its XML, connected, with its layers and register")
    func cityImportsFromPBFAndXML() throws {
        let directory = try TemporaryDirectory()
        let out = directory.path("city")
        let made = try CLI.run(["demo", "--buildings", "5000", "--out", out, "--seed", "4", "--osm-xml"])
        #expect(made.status == 0, "\(made.stderr)")
        let pbf = directory.path("pbf.sqlite"), xml = directory.path("xml.sqlite")
        for db in [pbf, xml] { #expect(try CLI.run(["--db", db, "init"]).status == 0) }
        let fromPBF = try CLI.run(["--db", pbf, "import", "osm", out + "/city.osm.pbf", "--json"])
        let fromXML = try CLI.run(["--db", xml, "import", "osm", out + "/city.osm", "--json"])
        #expect(fromPBF.status == 0, "\(fromPBF.stderr)")
        #expect(fromXML.status == 0, "\(fromXML.stderr)")
        #expect(fromPBF.stdout.contains("osm (pbf)") && fromXML.stdout.contains("osm (xml)"))
        let a = try Self.counts(fromPBF), b = try Self.counts(fromXML)
        #expect(a == b)
        for key in ["buildings imported", "network edges", "facilities"] { #expect((a[key] ?? 0) > 0, "\(key)") }
        let buildings = a["buildings imported"] ?? 0
        #expect(abs(buildings - 5_000) < 1_000, "\(buildings) buildings")
        #expect(a["missing node references"] == 0 && a["buildings skipped"] == 0)

        for layer in ["communities", "grids"] {
            let result = try CLI.run(["--db", pbf, "import", "geojson", out + "/\(layer).geojson", "--layer", layer])
            #expect(result.status == 0, "\(layer): \(result.stderr)")
        }
        let register = try CLI.run(["--db", pbf, "import", "households", out + "/households.csv"])
        #expect(register.status == 0, "\(register.stderr)")
        let info = try #require(try JSONSerialization.jsonObject(with: Data(try CLI.run(["--db", pbf, "info", "--json"]).stdout.utf8)) as? [String: Any])
        #expect((info["communities"] as? Int ?? 0) >= 50 && (info["grids"] as? Int ?? 0) > (info["communities"] as? Int ?? 0))

        // Joined by footways: no building is off the network.
        let coverage = try CLI.run(["--db", pbf, "coverage", "--dry-run", "--format", "json"])
        #expect(coverage.status == 0, "\(coverage.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(coverage.stdout.utf8)) as? [String: Any])
        let summary = try #require(report["summary"] as? [String: Any])
        #expect(summary["off_network_buildings"] as? Int == 0)
        #expect(summary["buildings"] as? Int == buildings)
    }

    @Test("the same seed writes identical bytes; another seed another city")
    func sameSeedSameBytes() throws {
        let directory = try TemporaryDirectory()
        for (name, seed) in [("a", "9"), ("b", "9"), ("c", "10")] {
            let result = try CLI.run(["demo", "--buildings", "1500", "--out", directory.path(name), "--seed", seed])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let names = ["city.osm.pbf", "communities.geojson", "grids.geojson", "households.csv"]
        for name in names {
            let a = try Data(contentsOf: URL(fileURLWithPath: directory.path("a/" + name)))
            let b = try Data(contentsOf: URL(fileURLWithPath: directory.path("b/" + name)))
            #expect(!a.isEmpty && a == b, "\(name) differs between two runs with seed 9")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: directory.path("a/city.osm.pbf")))
        let c = try Data(contentsOf: URL(fileURLWithPath: directory.path("c/city.osm.pbf")))
        #expect(a != c)
        // Nothing but the files: the streamed sections are gone.
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path("a")).sorted()
        #expect(left == names.sorted())
    }

    @Test("without --buildings the command writes GeoData/ byte for byte")
    func demoDistrictUnchanged() throws {
        let directory = try TemporaryDirectory()
        let result = try CLI.run(["demo", "--out", directory.path("demo")])
        #expect(result.status == 0, "\(result.stderr)")
        let data = CLI.repository.appendingPathComponent("GeoData")
        for name in ["demo-district.osm", "communities.geojson", "grids.geojson", "households.csv"] {
            let written = try Data(contentsOf: URL(fileURLWithPath: directory.path("demo/" + name)))
            let shipped = try Data(contentsOf: data.appendingPathComponent(name))
            #expect(written == shipped, "\(name) differs from GeoData/")
        }
    }

    @Test("bad --buildings values and missing --out are usage errors (exit 1) that name the option")
    func badArguments() throws {
        let directory = try TemporaryDirectory()
        for arguments in [["demo", "--buildings", "0", "--out", directory.path("x")],
                          ["demo", "--buildings", "-5", "--out", directory.path("x")],
                          ["demo", "--buildings", "1000"],
                          ["demo", "--osm-xml", "--out", directory.path("x")]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 1, "\(arguments): \(result.status)")
            #expect(result.stderr.contains("--buildings") || result.stderr.contains("--osm-xml"), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("x")))
    }
}
