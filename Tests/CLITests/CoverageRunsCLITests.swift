import Foundation
import Testing

/// `coverage runs|show|compare|--what-if` as a planner types them, on Wudaokou (OSM 2017) cut into a 4 × 4 plan.
/// The extract has no elderly care and no community service station.
let wudaokouExtract = SharedData.extract("cn_beijing_haidian_wudaokou_2017.osm")

@Suite("Command line: coverage runs, show, compare, what-if on real data", .serialized,
       .enabled(if: FileManager.default.fileExists(atPath: wudaokouExtract.path), "../shared/geodata is not beside this checkout"))
struct CoverageRunsCLITests {
    static let wudaokou = wudaokouExtract
    static let community = "110108001001"

    static func rectangle(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> String {
        #"{"type":"Polygon","coordinates":[[[\#(a),\#(b)],[\#(c),\#(b)],[\#(c),\#(d)],[\#(a),\#(d)],[\#(a),\#(b)]]]}"#
    }

    static func store(_ directory: TemporaryDirectory) throws -> String {
        let db = directory.path("wudaokou.sqlite")
        let (x0, y0, x1, y1) = (116.3075, 39.9895, 116.3320, 40.0130)
        var grids: [String] = []
        for i in 0..<4 {
            for j in 0..<4 {
                grids.append(#"{"type":"Feature","properties":{"code":"\#(community)\#(String(format: "%03d", i * 4 + j + 1))","name":"g"},"geometry":\#(rectangle(x0 + (x1 - x0) * Double(j) / 4, y1 - (y1 - y0) * Double(i + 1) / 4, x0 + (x1 - x0) * Double(j + 1) / 4, y1 - (y1 - y0) * Double(i) / 4))}"#)
            }
        }
        try Data(#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"\#(community)","name":"五道口"},"geometry":\#(rectangle(x0, y0, x1, y1))}]}"#.utf8)
            .write(to: URL(fileURLWithPath: directory.path("c.geojson")))
        try Data(#"{"type":"FeatureCollection","features":[\#(grids.joined(separator: ","))]}"#.utf8).write(to: URL(fileURLWithPath: directory.path("g.geojson")))
        for arguments in [["init"], ["import", "osm", wudaokou.path], ["import", "geojson", directory.path("c.geojson"), "--layer", "communities"],
                          ["import", "geojson", directory.path("g.geojson"), "--layer", "grids"]] {
            let result = try CLI.run(["--db", db] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        return db
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("categories without a facility are named in table, json, csv, geojson and show; the uncovered count agrees everywhere")
    func missingCategoriesNamed() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.store(directory)
        let table = try CLI.run(["--db", db, "coverage"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("elderly_care: no facility in the store") && table.stdout.contains("community_service: no facility in the store"))
        let json = try Self.json(try CLI.run(["--db", db, "coverage", "--format", "json"]).stdout)
        let named = ((json["categories_without_facilities"] as? [[String: Any]]) ?? []).compactMap { $0["category"] as? String }
        #expect(named == ["community_service", "elderly_care"])
        let csv = try CLI.run(["--db", db, "coverage", "--format", "csv", "--dry-run"])
        #expect(csv.stderr.contains("elderly_care: no facility in the store"))
        let header = csv.stdout.split(separator: "\n")[0].split(separator: ",").map(String.init)
        let column = try #require(header.firstIndex(of: "elderly_care_facility"))
        #expect(csv.stdout.split(separator: "\n").dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false)[column] == "none in store" })
        let geojson = try Self.json(try CLI.run(["--db", db, "coverage", "--format", "geojson", "--dry-run"]).stdout)
        #expect(((geojson["categories_without_facilities"] as? [[String: Any]]) ?? []).compactMap { $0["note"] as? String } == ["no facility in the store", "no facility in the store"])
        let shown = try CLI.run(["--db", db, "coverage", "show", "2"])
        #expect(shown.stdout.contains("elderly_care: no facility in the store") && shown.stdout.contains("run 2 of"))

        // The table's uncovered count is the JSON's, level by level.
        let levels = ((json["summary"] as? [String: Any])?["levels"] as? [[String: Any]]) ?? []
        for level in levels {
            let minutes = (level["minutes"] as? NSNumber)?.intValue ?? 0
            let uncovered = (level["uncovered_buildings"] as? NSNumber)?.intValue ?? -1
            #expect(table.stdout.contains("\(minutes)-minute level:") && table.stdout.contains("\(uncovered) uncovered buildings with households"))
        }
    }

    @Test("runs table, show renders a stored run without storing, compare after an import, what-if stores nothing and equals the import")
    func runsShowCompareWhatIf() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.store(directory)
        #expect(try CLI.run(["--db", db, "coverage", "--format", "json"]).status == 0)
        let plan = directory.path("plan.geojson")
        try Data(#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"k1","properties":{"category":"kindergarten","name":"planned"},"geometry":{"type":"Point","coordinates":[116.3260,40.0050]}}]}"#.utf8)
            .write(to: URL(fileURLWithPath: plan))
        let whatIf = try CLI.run(["--db", db, "coverage", "--what-if", plan, "--format", "json"])
        #expect(whatIf.status == 0, "\(whatIf.stderr)")
        let predicted = try Self.json(whatIf.stdout)
        #expect(try CLI.run(["--db", db, "coverage", "runs"]).stdout.split(separator: "\n").count == 2)  // header + run 1: nothing stored

        let shownJSON = try CLI.run(["--db", db, "coverage", "show", "1", "--format", "json"])
        #expect(try Self.json(shownJSON.stdout)["run_id"] as? Int == 1)
        for format in ["csv", "geojson", "table"] { #expect(try CLI.run(["--db", db, "coverage", "show", "1", "--format", format]).status == 0) }
        #expect(try CLI.run(["--db", db, "coverage", "runs"]).stdout.split(separator: "\n").count == 2)  // show stores nothing

        #expect(try CLI.run(["--db", db, "import", "geojson", plan, "--layer", "facilities"]).status == 0)
        #expect(try CLI.run(["--db", db, "coverage", "--dry-run"]).status == 0)
        #expect(try CLI.run(["--db", db, "coverage", "--format", "csv"]).status == 0)
        let runs = try CLI.run(["--db", db, "coverage", "runs"])
        let rows = runs.stdout.split(separator: "\n")
        #expect(rows.count == 3 && rows[1].hasSuffix("stale: facilities changed since") && rows[2].hasSuffix("current"), "\(runs.stdout)")
        let runsJSON = try #require(try JSONSerialization.jsonObject(with: Data(try CLI.run(["--db", db, "coverage", "runs", "--json"]).stdout.utf8)) as? [[String: Any]])
        #expect(runsJSON.map { $0["stale"] as? Bool } == [true, false])

        let compared = try Self.json(try CLI.run(["--db", db, "coverage", "compare", "1", "2", "--json"]).stdout)
        // What-if predicted exactly what the import did.
        for key in ["total", "grids", "communities"] {
            #expect(NSArray(array: compared[key] as? [Any] ?? []) == NSArray(array: predicted[key] as? [Any] ?? []), "\(key)")
        }
        let total = (compared["total"] as? [[String: Any]]) ?? []
        let gained = total.first { ($0["category"] as? String) == "kindergarten" && ($0["minutes"] as? NSNumber)?.intValue == 5 }?["households_gained"] as? Int
        #expect((gained ?? 0) > 0)
        let table = try CLI.run(["--db", db, "coverage", "compare", "1", "2"])
        #expect(table.stdout.contains("5-min kindergarten") && table.stdout.contains("+\(gained ?? -1) households"))
        let geojson = try Self.json(try CLI.run(["--db", db, "coverage", "compare", "1", "2", "--format", "geojson"]).stdout)
        #expect((geojson["features"] as? [Any])?.count == (compared["changed_buildings"] as? [Any])?.count)
    }

    @Test("unknown categories, communities and runs are refused with exit 1 and the valid ones listed")
    func refusals() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.store(directory)
        let category = try CLI.run(["--db", db, "suggest", "--category", "养老院", "--meters", "500"])
        #expect(category.status == 1 && category.stdout.isEmpty)
        #expect(category.stderr.contains("养老院") && category.stderr.contains("valid:") && category.stderr.contains("elderly_care"))
        for code in ["学清路社区", "110108001999"] {
            let refused = try CLI.run(["--db", db, "coverage", "--community", code])
            #expect(refused.status == 1 && refused.stderr.contains(code) && refused.stderr.contains("valid: 110108001001 (五道口)"), "\(refused.stderr)")
        }
        #expect(try CLI.run(["--db", db, "coverage", "runs"]).stdout.contains("no coverage run"))  // a refused --community stores nothing
        let missing = try CLI.run(["--db", db, "coverage", "show", "7"])
        #expect(missing.status == 1 && missing.stderr.contains("RUN 7"))
        let badPlan = directory.path("bad.geojson")
        try Data(#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Point","coordinates":[116.32,40.0]}}]}"#.utf8)
            .write(to: URL(fileURLWithPath: badPlan))
        let refusedPlan = try CLI.run(["--db", db, "coverage", "--what-if", badPlan])
        #expect(refusedPlan.status == 1 && refusedPlan.stderr.contains("feature 0") && refusedPlan.stderr.contains("category"))
    }
}
