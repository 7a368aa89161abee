import Foundation
import Testing

@Suite("Household registers on the command line", .serialized)
struct RegisterCLITests {
    static let reliability = SharedData.folder("reliability")

    /// A store with the demo district's OSM data, as `scripts/demo.sh` builds it.
    static func demoStore(_ directory: TemporaryDirectory) throws -> String {
        let db = directory.path("demo.sqlite")
        #expect(try CLI.run(["--db", db, "init"]).status == 0)
        let osm = try CLI.run(["--db", db, "import", "osm", CLI.repository.appendingPathComponent("GeoData/demo-district.osm").path])
        #expect(osm.status == 0, "\(osm.stderr)")
        return db
    }

    static func info(_ db: String) throws -> String {
        let result = try CLI.run(["--db", db, "info", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    @Test("reliability/csv-households-sum-overflow.csv: exit 1 naming the line, no SQL text, store unchanged",
          .enabled(if: FileManager.default.fileExists(atPath: reliability.appendingPathComponent("csv-households-sum-overflow.csv").path),
                   "../shared/reliability is not beside this checkout"))
    func householdsSumOverflow() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.demoStore(directory)
        let before = try Self.info(db)
        let file = Self.reliability.appendingPathComponent("csv-households-sum-overflow.csv").path
        let result = try CLI.run(["--db", db, "import", "households", file])
        #expect(result.status == 1)
        #expect(result.stderr.contains(file) && result.stderr.contains("line 3") && result.stderr.contains("households"), "\(result.stderr)")
        for leak in ["SQL", "sqlite", "SELECT", "INSERT", "UPDATE", "integer overflow"] {
            #expect(!result.stderr.contains(leak), "stderr shows \(leak): \(result.stderr)")
        }
        #expect(try Self.info(db) == before)
    }

    @Test("a GBK register with Chinese headers imports through the binary; --encoding and --map; a bad byte names line and offset")
    func gbkRegister() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.demoStore(directory)
        let file = directory.path("register.csv")
        let converter = try Processes.run("/usr/bin/iconv", ["-f", "UTF-8", "-t", "GBK", "-o", file],
                                          input: Data("编号,单元,楼层,总户数\r\nw94,一单元,1,12\r\nw94,二单元,1,30\r\n".utf8))
        #expect(converter.status == 0, "\(converter.stderr)")

        let refused = try CLI.run(["--db", db, "import", "households", file, "--encoding", "gbk"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("households") && refused.stderr.contains("--map"), "\(refused.stderr)")
        let imported = try CLI.run(["--db", db, "import", "households", file, "--encoding", "gbk",
                                    "--map", "building_id=编号,households=总户数", "--json"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(imported.stdout.utf8)) as? [String: Any])
        #expect((summary["counts"] as? [String: Int])?["households"] == 42)
        #expect(summary["format"] as? String == "csv (gbk)")

        let info = try #require(try JSONSerialization.jsonObject(with: Data(Self.info(db).utf8)) as? [String: Any])
        #expect(info["household_register_rows"] as? Int == 2)
        let sources = try #require(info["households_by_source"] as? [[String: Any]])
        #expect(sources.contains { $0["source"] as? String == "register" && $0["households"] as? Int == 42 })

        let bad = directory.path("bad.csv")
        try (Data("building_id,households\nw94,".utf8) + Data([0xFF, 0x0A])).write(to: URL(fileURLWithPath: bad))
        let result = try CLI.run(["--db", db, "import", "households", bad])
        #expect(result.status == 1)
        #expect(result.stderr.contains("line 2, byte offset 27"), "\(result.stderr)")
        #expect(try CLI.run(["--db", db, "import", "households", bad, "--encoding", "latin1"]).status == 1)
    }
}
