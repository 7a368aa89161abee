import Foundation
import Testing

/// `communitygrid report` as a street office runs it: HTML read as text, the PDF rendered to images with poppler's
/// pdftoppm, the XLSX read back with openpyxl and every figure compared with `coverage --format json`.
@Suite("Command line: report to HTML, PDF and XLSX on the demo district", .serialized)
struct ReportCLITests {
    static let street = "110105001"
    static let community = "110105001002"

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text.prefix(500))")
    }

    /// The demo store with its households and one stored coverage run: (store, run id, that run's JSON).
    static func demo(_ directory: TemporaryDirectory) throws -> (db: String, run: Int, coverage: [String: Any]) {
        let db = try AnalysisCLITests.demoStore(directory)
        let households = try CLI.run(["--db", db, "import", "households", CLI.repository.appendingPathComponent("GeoData/households.csv").path])
        #expect(households.status == 0, "\(households.stderr)")
        let coverage = try CLI.run(["--db", db, "coverage", "--format", "json"])
        #expect(coverage.status == 0, "\(coverage.stderr)")
        let object = try json(coverage.stdout)
        return (db, try #require(object["run_id"] as? Int), object)
    }

    /// Code → name of the demo's GeoJSON layer whose codes start with `prefix`.
    static func demoNames(_ layer: String, prefix: String) throws -> [String: String] {
        let data = try Data(contentsOf: CLI.repository.appendingPathComponent("GeoData/\(layer).geojson"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var names: [String: String] = [:]
        for feature in (object["features"] as? [[String: Any]]) ?? [] {
            let properties = feature["properties"] as? [String: Any] ?? [:]
            if let code = properties["code"] as? String, code.hasPrefix(prefix), let name = properties["name"] as? String { names[code] = name }
        }
        return names
    }

    @Test("HTML: self-contained (no http(s), script, link or src), Chinese headings, the street's community and grid names, maps and charts")
    func html() throws {
        let directory = try TemporaryDirectory()
        let (db, run, _) = try Self.demo(directory)
        let out = directory.path("street.html")
        let result = try CLI.run(["--db", db, "report", "--street", Self.street, "--run", String(run), "--name", "亚运村街道",
                                  "--date", "2026-12-01", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("coverage run \(run)"))
        let html = try String(contentsOfFile: out, encoding: .utf8)
        for reference in ["http://", "https://", "<script", "<link", " src=", "url(", "@import"] {
            #expect(!html.contains(reference), "the report refers to something outside itself: \(reference)")
        }
        for heading in ["亚运村街道", "社区生活圈评估报告", "报告日期 2026-12-01", "一、覆盖概况", "二、区域地图", "三、各网格覆盖", "覆盖最差的网格",
                        "四、各类设施步行可达", "五、建议选址", "六、网格均衡与巡查路线", "幼儿园", "第 \(run) 批"] {
            #expect(html.contains(heading), "missing \(heading)")
        }
        let communities = try Self.demoNames("communities", prefix: Self.street)
        let grids = try Self.demoNames("grids", prefix: Self.street)
        #expect(communities.count == 6 && grids.count >= 20)
        for (code, name) in communities.merging(grids, uniquingKeysWith: { a, _ in a }) {
            #expect(html.contains(name) && html.contains(code), "\(code) \(name) is not in the report")
        }
        // The two maps (coverage; the weakest category with the suggested sites) and the two charts are inline SVG.
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)
        #expect(html.contains("<path d=\"M") && html.contains("<circle") && html.contains("各网格覆盖率") && html.contains("各类设施步行可达户数"))

        // The same report again without --run reuses the latest current run (nothing new is stored).
        let again = try CLI.run(["--db", db, "report", "--street", Self.street, "--out", directory.path("again.html")])
        #expect(again.status == 0 && again.stdout.contains("coverage run \(run)") && !again.stderr.contains("computed"), "\(again.stderr)")
    }

    @Test("XLSX: one sheet per table with Chinese headers; every coverage figure equals `coverage --format json`, reach its buildings, balance `grids stats`")
    func workbook() throws {
        guard let reader = WorkbookReader.available() else { return }
        let directory = try TemporaryDirectory()
        let (db, run, coverage) = try Self.demo(directory)
        let out = directory.path("street.xlsx")
        let result = try CLI.run(["--db", db, "report", "--street", Self.street, "--run", String(run), "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let book = try reader.read(out)
        #expect(Array(book.keys).sorted() == ["概况", "社区覆盖", "网格覆盖", "最差网格", "设施步行可达", "建议选址", "网格均衡"].sorted())
        let communities = Set(try Self.demoNames("communities", prefix: Self.street).keys)
        let compared = try ReportFigures.expectCoverage(book, coverage, communities: communities, totalFromSummary: false)
        #expect(compared > 1000, "only \(compared) figures compared")
        try ReportFigures.expectReach(book, coverage, communities: communities)
        try ReportFigures.expectWorst(book)
        let stats = try Self.json(try CLI.run(["--db", db, "grids", "stats", "--json"]).stdout)
        try ReportFigures.expectBalance(book, stats: stats, communities: communities)
        try ReportFigures.expectSites(book)
    }

    @Test("PDF: printed by headless Chromium, rendered by pdftoppm to non-blank pages, a plausible page count")
    func pdf() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            print("skipped: Debian's chromium is not installed (scripts/setup.sh installs it)")
            return
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftoppm") else {
            print("skipped: poppler-utils (pdftoppm) is not installed (scripts/setup.sh installs it)")
            return
        }
        let directory = try TemporaryDirectory()
        let (db, run, _) = try Self.demo(directory)
        let out = directory.path("community.pdf")
        let result = try CLI.run(["--db", db, "report", "--community", Self.community, "--run", String(run), "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let pdf = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(pdf.starts(with: Data("%PDF".utf8)))
        let pages = try PageImages.render(out, in: directory)
        #expect((8...16).contains(pages.count), "\(pages.count) pages")
        for (index, page) in pages.enumerated() {
            #expect(page.inkShare > 0.002, "page \(index + 1) is blank (\(page.inkShare))")
        }
        // The map page carries shaded grids: far more ink than a page of text.
        #expect(pages.map(\.inkShare).max() ?? 0 > 0.1)
        let png = directory.path("page")
        let rendered = try CLI.run(URL(fileURLWithPath: "/usr/bin/pdftoppm"), ["-png", "-r", "60", "-f", "3", "-l", "3", out, png])
        #expect(rendered.status == 0)
        // pdftoppm pads the page number to the width of the page count.
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).first { $0.hasPrefix("page-") && $0.hasSuffix(".png") })
        let image = try Data(contentsOf: directory.url.appendingPathComponent(name))
        #expect(image.prefix(4) == Data([0x89, 0x50, 0x4e, 0x47]) && image.count > 10_000)
    }

    @Test("without a stored run the report computes and stores one, says so, and its figures are `coverage show`'s")
    func computesRun() throws {
        guard let reader = WorkbookReader.available() else { return }
        let directory = try TemporaryDirectory()
        let db = try AnalysisCLITests.demoStore(directory)
        let out = directory.path("community.xlsx")
        let made = try CLI.run(["--db", db, "report", "--community", Self.community, "--out", out])
        #expect(made.status == 0 && made.stderr.contains("computed and stored run 1"), "\(made.stderr)")
        let runs = try CLI.run(["--db", db, "coverage", "runs", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [Any])?.count == 1)
        let shown = try Self.json(try CLI.run(["--db", db, "coverage", "show", "1", "--community", Self.community, "--format", "json"]).stdout)
        let compared = try ReportFigures.expectCoverage(try reader.read(out), shown, communities: [Self.community], totalFromSummary: true)
        #expect(compared > 100)
        // The title names the community, and a street without --name is named by its code.
        let street = try CLI.run(["--db", db, "report", "--street", Self.street, "--out", directory.path("street.html")])
        #expect(street.status == 0 && !street.stderr.contains("computed"), "\(street.stderr)")
        #expect(try String(contentsOfFile: directory.path("street.html"), encoding: .utf8).contains("街道 \(Self.street)"))
    }

    @Test("bad arguments exit 1 naming the problem, and write nothing")
    func badArguments() throws {
        let directory = try TemporaryDirectory()
        let (db, _, _) = try Self.demo(directory)
        try FileManager.default.createDirectory(atPath: directory.path("folder.html"), withIntermediateDirectories: true)
        let cases: [([String], String)] = [
            (["--community", "110105001999", "--out", directory.path("a.html")], "110105001999"),
            (["--community", "亚运村西园社区", "--out", directory.path("a.html")], "give the code"),
            (["--street", "110105009", "--out", directory.path("a.html")], "110105009"),
            (["--street", "1101", "--out", directory.path("a.html")], "9 digits"),
            (["--community", Self.community, "--out", "/nonexistent-directory/report.html"], "/nonexistent-directory"),
            (["--community", Self.community, "--out", directory.path("folder.html")], "is a directory"),
            (["--community", Self.community, "--out", directory.path("report.txt")], ".txt"),
            (["--community", Self.community, "--out", directory.path("report")], "unknown extension"),
            (["--community", Self.community, "--run", "99", "--out", directory.path("a.html")], "99"),
            (["--out", directory.path("a.html")], "--community"),
            (["--community", Self.community, "--street", Self.street, "--out", directory.path("a.html")], "not both"),
        ]
        for (arguments, named) in cases {
            let result = try CLI.run(["--db", db, "report"] + arguments)
            #expect(result.status == 1, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(named), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("a.html")))
        #expect(!FileManager.default.fileExists(atPath: directory.path("report.txt")))

        // A PDF without a browser: the machine is at fault, not the input (exit 2), and the message says what to install.
        let noBrowser = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"), ["COMMUNITYGRID_CHROMIUM=/nonexistent/chromium", CLI.binary.path,
                                                                           "--db", db, "report", "--community", Self.community, "--out", directory.path("a.pdf")])
        #expect(noBrowser.status == 2 && noBrowser.stderr.contains("headless Chromium") && noBrowser.stderr.contains("chromium"), "\(noBrowser.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("a.pdf")))
    }
}

@Suite("Command line: report on Wudaokou (OSM 2017) cut into a 4 × 4 plan", .serialized,
       .enabled(if: FileManager.default.fileExists(atPath: wudaokouExtract.path), "../shared/geodata is not beside this checkout"))
struct ReportRealDataTests {
    @Test("HTML and XLSX of a real community: names, and every coverage figure equal to `coverage --community --format json`")
    func wudaokou() throws {
        let directory = try TemporaryDirectory()
        let db = try CoverageRunsCLITests.store(directory)
        let community = CoverageRunsCLITests.community
        let coverage = try CLI.run(["--db", db, "coverage", "--community", community, "--format", "json"])
        #expect(coverage.status == 0, "\(coverage.stderr)")
        let object = try ReportCLITests.json(coverage.stdout)
        let run = try #require(object["run_id"] as? Int)
        let html = directory.path("wudaokou.html")
        let made = try CLI.run(["--db", db, "report", "--community", community, "--run", String(run), "--out", html])
        #expect(made.status == 0, "\(made.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("五道口") && page.contains("社区生活圈评估报告") && !page.contains("http"))
        // The extract has no elderly care: the report says so in Chinese.
        #expect(page.contains("养老服务：库中无此类设施"))
        guard let reader = WorkbookReader.available() else { return }
        let xlsx = directory.path("wudaokou.xlsx")
        #expect(try CLI.run(["--db", db, "report", "--community", community, "--run", String(run), "--out", xlsx]).status == 0)
        let book = try reader.read(xlsx)
        let compared = try ReportFigures.expectCoverage(book, object, communities: [community], totalFromSummary: true)
        #expect(compared > 300, "only \(compared) figures compared")
        try ReportFigures.expectReach(book, object, communities: [community])
        try ReportFigures.expectWorst(book)
        try ReportFigures.expectSites(book)
        let stats = try ReportCLITests.json(try CLI.run(["--db", db, "grids", "stats", "--json"]).stdout)
        try ReportFigures.expectBalance(book, stats: stats, communities: [community])
    }
}

/// Reads an XLSX back with openpyxl: sheet name → rows of cells (numbers as NSNumber, text as String, blanks NSNull).
struct WorkbookReader {
    static let script = """
        import json, sys, openpyxl
        book = openpyxl.load_workbook(sys.argv[1], data_only=True)
        print(json.dumps({sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}, ensure_ascii=False, default=str))
        """

    /// nil (with the reason printed) when python3 or openpyxl is missing.
    static func available() -> WorkbookReader? {
        guard let probe = try? CLI.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import openpyxl"]), probe.status == 0 else {
            print("skipped: python3 with openpyxl is not installed (scripts/setup.sh installs it with pip)")
            return nil
        }
        return WorkbookReader()
    }

    func read(_ path: String) throws -> [String: [[Any]]] {
        let result = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", Self.script, path])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [[Any]]])
        return object
    }
}

/// The workbook's figures against the command line's JSON.
enum ReportFigures {
    static func minutes(_ value: Any?) -> String {
        let number = (value as? NSNumber)?.doubleValue ?? .nan
        return number == number.rounded() ? String(Int(number)) : String(number)
    }

    /// Data rows (up to the first blank row) as header → cell.
    static func records(_ sheet: [[Any]]?) throws -> [[String: Any]] {
        let sheet = try #require(sheet)
        let headers = try #require(sheet.first).map { ($0 as? String) ?? "" }
        var rows: [[String: Any]] = []
        for row in sheet.dropFirst() {
            guard let first = row.first, !(first is NSNull) else { break }
            rows.append(Dictionary(zip(headers, row).map { ($0, $1) }, uniquingKeysWith: { a, _ in a }))
        }
        return rows
    }

    static func number(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }

    /// One group's figures: every one must be a number in the sheet and equal the JSON's. Returns how many.
    static func expectGroup(_ row: [String: Any], _ group: [String: Any], where place: String) -> Int {
        var count = 0
        func same(_ header: String, _ expected: Any?) {
            let cell = row[header]
            #expect(cell is NSNumber, "\(place): \(header) is not a number (\(String(describing: cell)))")
            #expect(number(cell) != nil && number(cell) == number(expected), "\(place): \(header) \(String(describing: cell)) ≠ \(String(describing: expected))")
            count += 1
        }
        same("建筑数", group["buildings"])
        same("户数", group["households"])
        same("离网建筑数", group["off_network_buildings"])
        for level in (group["levels"] as? [[String: Any]]) ?? [] {
            let m = minutes(level["minutes"])
            same("\(m)分钟 达标户数", level["households_covered"])
            same("\(m)分钟 达标率", level["share"])
            same("\(m)分钟 达标建筑数", level["buildings_covered"])
            same("\(m)分钟 未达标建筑数", level["uncovered_buildings"])
            for requirement in (level["requirements"] as? [[String: Any]]) ?? [] {
                let category = requirement["category"] as? String ?? "?"
                let prefix = "\(m)分钟 ", households = "（\(category)） 户数", share = "（\(category)） 比例"
                guard let h = row.keys.first(where: { $0.hasPrefix(prefix) && $0.hasSuffix(households) }),
                      let s = row.keys.first(where: { $0.hasPrefix(prefix) && $0.hasSuffix(share) }) else {
                    Issue.record("\(place): no column for \(m) minutes \(category)")
                    continue
                }
                same(h, requirement["households_covered"])
                same(s, requirement["share"])
            }
        }
        return count
    }

    /// The community and grid sheets against the JSON's groups of the area; `totalFromSummary` when the JSON was
    /// asked for the same single community (its summary is then the area's total).
    static func expectCoverage(_ book: [String: [[Any]]], _ coverage: [String: Any], communities: Set<String>, totalFromSummary: Bool) throws -> Int {
        var compared = 0
        let jsonCommunities = ((coverage["communities"] as? [[String: Any]]) ?? []).filter { communities.contains($0["code"] as? String ?? "") }
        let jsonGrids = ((coverage["grids"] as? [[String: Any]]) ?? []).filter { communities.contains(String(($0["code"] as? String ?? "").prefix(12))) }
        let communityRows = try records(book["社区覆盖"])
        #expect(communityRows.count == jsonCommunities.count + 1)
        for row in communityRows {
            let code = try #require(row["社区编码"] as? String)
            #expect(row["社区名称"] is String)
            if code == "all" {
                if totalFromSummary { compared += expectGroup(row, try #require(coverage["summary"] as? [String: Any]), where: "total") }
                let households = jsonCommunities.reduce(0) { $0 + ((($1["households"] as? NSNumber)?.intValue) ?? 0) }
                #expect(number(row["户数"]) == Double(households))
                continue
            }
            let group = try #require(jsonCommunities.first { $0["code"] as? String == code }, "\(code) is not in the JSON")
            compared += expectGroup(row, group, where: "community \(code)")
        }
        let gridRows = try records(book["网格覆盖"])
        #expect(gridRows.count == jsonGrids.count)
        for row in gridRows {
            let code = try #require(row["网格编码"] as? String)
            let group = try #require(jsonGrids.first { $0["code"] as? String == code }, "\(code) is not in the JSON")
            #expect((row["网格名称"] as? String)?.isEmpty == false)
            compared += expectGroup(row, group, where: "grid \(code)")
        }
        return compared
    }

    /// Households within 5/10/15 minutes per category, counted again from the JSON's buildings (nearest distance ≤
    /// minutes × 60 × the profile's 1.2 m/s).
    static func expectReach(_ book: [String: [[Any]]], _ coverage: [String: Any], communities: Set<String>) throws {
        let buildings = ((coverage["buildings"] as? [[String: Any]]) ?? []).filter { communities.contains($0["community"] as? String ?? "") }
        #expect(!buildings.isEmpty)
        let rows = try records(book["设施步行可达"])
        #expect(rows.count >= 5)
        for row in rows {
            let category = try #require(row["类别代码"] as? String)
            for m in [5, 10, 15] {
                let limit = Double(m) * 60 * 1.2
                let expected = buildings.reduce(0) { sum, building in
                    let nearest = (building["nearest"] as? [String: Any])?[category] as? [String: Any]
                    let distance = (nearest?["distance_m"] as? NSNumber)?.doubleValue ?? .infinity
                    return sum + (distance <= limit ? ((building["households"] as? NSNumber)?.intValue ?? 0) : 0)
                }
                #expect(number(row["\(m)分钟内户数"]) == Double(expected), "\(category) within \(m) minutes")
            }
        }
    }

    /// Worst grids: ranked by the widest level's share, uncovered = households − covered.
    static func expectWorst(_ book: [String: [[Any]]]) throws {
        let rows = try records(book["最差网格"])
        #expect(!rows.isEmpty)
        let shares = rows.compactMap { number($0["15分钟 达标率"]) }
        #expect(shares.count == rows.count && shares == shares.sorted())
        let grids = Dictionary(try records(book["网格覆盖"]).map { ($0["网格编码"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        for row in rows {
            let grid = try #require(grids[row["网格编码"] as? String ?? ""])
            for m in [5, 10, 15] {
                #expect(number(row["\(m)分钟 未覆盖户数"]) == (number(grid["户数"]) ?? 0) - (number(grid["\(m)分钟 达标户数"]) ?? 0))
            }
        }
    }

    /// Suggested sites add households in decreasing order, and the running total adds up.
    static func expectSites(_ book: [String: [[Any]]]) throws {
        let rows = try records(book["建议选址"])
        #expect(!rows.isEmpty)
        let added = rows.compactMap { number($0["新增可达户数"]) }
        #expect(added.count == rows.count && added == added.sorted(by: >) && (added.first ?? 0) > 0)
        var running = 0.0
        for (row, households) in zip(rows, added) {
            running += households
            #expect(number(row["累计新增户数"]) == running)
        }
    }

    /// The balance sheet is `grids stats --json` for the area's grids: households, buildings, balance, round.
    static func expectBalance(_ book: [String: [[Any]]], stats: [String: Any], communities: Set<String>) throws {
        let grids = ((stats["grids"] as? [[String: Any]]) ?? []).filter { communities.contains($0["community"] as? String ?? "") }
        let rows = try records(book["网格均衡"])
        #expect(rows.count == grids.count && !rows.isEmpty)
        for row in rows {
            let code = try #require(row["网格编码"] as? String)
            let grid = try #require(grids.first { $0["code"] as? String == code })
            #expect(number(row["户数"]) == number(grid["households"]))
            #expect(number(row["建筑数"]) == number(grid["buildings"]))
            #expect(number(row["与目标差（户）"]) == number(grid["balance"]))
            #expect(number(row["巡查路线（米）"]) == number(grid["tour_m"]))
            #expect(number(row["直线路段数"]) == number(grid["tour_straight_legs"]))
        }
    }
}

/// A PDF's pages rendered by pdftoppm as greyscale PGM, with the share of pixels that are not white.
enum PageImages {
    struct Page { var inkShare: Double }

    static func render(_ pdf: String, in directory: TemporaryDirectory) throws -> [Page] {
        let prefix = directory.path("pgm")
        let result = try CLI.run(URL(fileURLWithPath: "/usr/bin/pdftoppm"), ["-gray", "-r", "30", pdf, prefix])
        #expect(result.status == 0, "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasPrefix("pgm") && $0.hasSuffix(".pgm") }.sorted()
        return try files.map { name in
            let data = try Data(contentsOf: directory.url.appendingPathComponent(name))
            // Binary PGM: "P5", width, height, maxval, each followed by whitespace, then one byte per pixel.
            var fields: [String] = [], index = data.startIndex, current = ""
            while fields.count < 4, index < data.endIndex {
                let byte = data[index]
                if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                    if !current.isEmpty { fields.append(current); current = "" }
                } else {
                    current.append(Character(UnicodeScalar(byte)))
                }
                index += 1
            }
            let pixels = data[index...]
            let ink = pixels.reduce(0) { $0 + ($1 < 235 ? 1 : 0) }
            #expect(fields.first == "P5" && !pixels.isEmpty)
            return Page(inkShare: Double(ink) / Double(max(pixels.count, 1)))
        }
    }
}
