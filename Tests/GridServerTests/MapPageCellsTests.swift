import Foundation
import GridModel
import GridStore
import Hummingbird
import HummingbirdTesting
import Testing

/// Below zoom 12 (where grids begin) the MapLibre page draws the buildings layer's low-zoom features, cells of merged small buildings and
/// the large buildings drawn on their own, shaded by the share of their households meeting the theme's level or
/// requirement: the share's one definition (households meeting / households), from the sums each cell carries, in the
/// grids' classes.
@Suite("The map page below zoom 12: cells of merged buildings shaded by share")
struct MapPageCellsTests {
    /// A feature the page reports drawn: its households, those meeting the theme's level or requirement and the colour
    /// the map gives its fill.
    struct DrawnCell: Decodable {
        var cell: Bool
        var households: Int
        var met: Int?
        var colour: String
    }

    static let shareColours = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"]
    static let noHouseholdsColour = "#cfcfcf"

    @Test("MapLibre on Wudaokou at zooms 11 and 9: every cell and building drawn, coloured by its households' share in the grids' classes, their sums the run's, for a level and for a requirement; the legend says so in Chinese and English",
          .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
    func cellsShadedByShare() async throws {
        guard let chromium = MapPageBrowserTests.chromium, MapPageBrowserTests.available("maplibre") else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-cells-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try CoverageRunsAPITests.wudaokou(directory)
        try CoverageRunsAPITests.saveRun(store)

        try await application(store).testLive { client in
            let base = "http://127.0.0.1:\(try #require(client.port))/?lib=maplibre"
            let summary = try await client.execute(uri: "/coverage/summary", method: .get).json
            let listed = summary["classes"]?["breaks"]?.arrayValue?.compactMap { $0.doubleValue }
            let breaks = try #require(listed)
            #expect(breaks == [0.2, 0.4, 0.6, 0.8])
            let households = try #require(summary["summary"]?["households"]?.intValue)
            func covered(_ minutes: Double) throws -> Int { try Self.covered(summary, minutes) }
            for (zoom, minutes) in [(11, 15.0), (9, 10.0)] {
                let page = try await MapPageDOM.load(chromium, base + "#zoom=\(zoom)&theme=level:\(Int(minutes))",
                                                     screenshot: MapPageBrowserTests.screenshots.appendingPathComponent("wudaokou-cells-z\(zoom).png"))
                _ = try Self.checkCells(page, zoom: zoom, households: households, met: try covered(minutes))
            }

            // A requirement's theme: the cells and the buildings drawn on their own are shaded by their households
            // meeting it, from their own figures, and sum to the run's households meeting it.
            for (zoom, minutes, category) in [(11, 15.0, "school"), (9, 10.0, "transit_stop")] {
                let page = try await MapPageDOM.load(chromium, base + "#zoom=\(zoom)&theme=requirement:\(Int(minutes)):\(category)",
                                                     screenshot: MapPageBrowserTests.screenshots.appendingPathComponent("wudaokou-cells-z\(zoom)-\(category).png"))
                let cells = try Self.checkCells(page, zoom: zoom, households: households, met: try Self.covered(summary, minutes, requirement: category))
                #expect(page.text(id: "building-zoom-note")?.contains("满足所选层级或单项要求的比例着色") == true)
                #expect(!cells.contains { $0.colour == "#8d99ae" }, "no cell is left neutral grey")
            }

            // In English.
            let english = try await MapPageDOM.load(chromium, base + "#lang=en&zoom=11", screenshot: nil)
            #expect(english.status("data-ready") == "true" && english.status("data-errors") == "0", "\(english.errors)")
            #expect(english.text(id: "building-zoom-note")?.contains("Below zoom 12 the squares are cells of merged small buildings") == true)
            let englishRequirement = try await MapPageDOM.load(chromium, base + "#lang=en&zoom=11&theme=requirement:15:school", screenshot: nil)
            #expect(englishRequirement.text(id: "building-zoom-note")?.contains("meeting the chosen level or requirement") == true)
            #expect((english.status("data-cells-drawn").flatMap { Int($0) } ?? 0) > 0)

            // From zoom 12 the grids are shaded, and no cell is drawn; from zoom 13 buildings one by one.
            let grids = try await MapPageDOM.load(chromium, base + "#zoom=12", screenshot: nil)
            #expect(grids.status("data-ready") == "true" && grids.status("data-errors") == "0", "\(grids.errors)")
            #expect(grids.status("data-zoom") == "12.00" && grids.status("data-cells-drawn") == "0")
            #expect((grids.status("data-grids-drawn").flatMap { Int($0) } ?? 0) > 0)
            let close = try await MapPageDOM.load(chromium, base + "#zoom=14", screenshot: nil)
            #expect(close.status("data-ready") == "true" && close.status("data-errors") == "0", "\(close.errors)")
            #expect(close.status("data-zoom") == "14.00" && close.status("data-cells-drawn") == "0")
            #expect((close.status("data-tiles-drawn").flatMap { Int($0) } ?? 0) > 0)
        }
    }

    @Test("MapLibre on the demo district at zoom 10: cells in several classes, each coloured by its households' share, their sums the run's, for two levels and two requirements")
    func demoDistrictCells() async throws {
        guard let chromium = MapPageBrowserTests.chromium, MapPageBrowserTests.available("maplibre") else { return }
        try await application(DemoStore.shared.store).testLive { client in
            let base = "http://127.0.0.1:\(try #require(client.port))/?lib=maplibre"
            let summary = try await client.execute(uri: "/coverage/summary", method: .get).json
            let households = try #require(summary["summary"]?["households"]?.intValue)
            var colours = Set<String>()
            for minutes in [10.0, 15.0] {
                let page = try await MapPageDOM.load(chromium, base + "#zoom=10&theme=level:\(Int(minutes))",
                                                     screenshot: MapPageBrowserTests.screenshots.appendingPathComponent("demo-cells-\(Int(minutes)).png"))
                colours.formUnion(try Self.checkCells(page, zoom: 10, households: households, met: try Self.covered(summary, minutes)).map(\.colour))
            }
            // Not one colour for everything: the shares differ from cell to cell.
            #expect(colours.count >= 2, "\(colours)")
            var requirementColours = Set<String>()
            for (minutes, category) in [(15.0, "school"), (5.0, "kindergarten")] {
                let page = try await MapPageDOM.load(chromium, base + "#zoom=10&theme=requirement:\(Int(minutes)):\(category)",
                                                     screenshot: MapPageBrowserTests.screenshots.appendingPathComponent("demo-cells-\(Int(minutes))-\(category).png"))
                requirementColours.formUnion(try Self.checkCells(page, zoom: 10, households: households,
                                                                 met: try Self.covered(summary, minutes, requirement: category)).map(\.colour))
            }
            #expect(requirementColours.count >= 2, "\(requirementColours)")
        }
    }

    static func drawn(_ page: MapPageDOM) throws -> [DrawnCell] {
        try JSONDecoder().decode([DrawnCell].self, from: Data(try #require(page.status("data-cell-sample"), "\(page.statusTag)").utf8))
    }

    /// The run's households meeting the level of `minutes`, or its requirement of `category`.
    static func covered(_ summary: JSONValue, _ minutes: Double, requirement category: String? = nil) throws -> Int {
        let level = try #require(summary["summary"]?["levels"]?.arrayValue?.first { $0["minutes"]?.doubleValue == minutes })
        guard let category else { return try #require(level["households_covered"]?.intValue) }
        let requirement = try #require(level["requirements"]?.arrayValue?.first { $0["category"]?.stringValue == category })
        return try #require(requirement["households_covered"]?.intValue)
    }

    /// A page opened at `zoom` below 12 with the whole area in view: cells drawn, each coloured by the class of its
    /// households meeting the theme over its households (grey without households), and the households drawn, and
    /// those meeting the theme, the run's (each building counted once, on its own or in a cell).
    static func checkCells(_ page: MapPageDOM, zoom: Int, households: Int, met: Int) throws -> [DrawnCell] {
        #expect(page.status("data-ready") == "true" && page.status("data-errors") == "0", "\(page.errors)")
        #expect(page.status("data-zoom") == "\(zoom).00")
        let cells = try drawn(page)
        let count = try #require(page.status("data-cells-drawn").flatMap { Int($0) })
        #expect(count > 0 && cells.count == min(count, 200), "zoom \(zoom): \(count) drawn, \(cells.count) reported")
        #expect(cells.contains { $0.cell }, "zoom \(zoom): no cell of merged buildings drawn")
        for drawnCell in cells {
            let cellMet = try #require(drawnCell.met, "zoom \(zoom): a feature without the theme's sum")
            #expect(cellMet >= 0 && cellMet <= drawnCell.households)
            let expected = drawnCell.households > 0
                ? shareColours[MapPageExpectations.shareClass(Double(cellMet) / Double(drawnCell.households))] : noHouseholdsColour
            #expect(drawnCell.colour == expected, "zoom \(zoom): \(drawnCell)")
        }
        #expect(page.status("data-cell-households") == String(households), "zoom \(zoom)")
        #expect(page.status("data-cell-met") == String(met), "zoom \(zoom)")
        #expect(page.text(id: "building-zoom-note")?.contains("缩放级 12 以下，方块是合并的小建筑") == true)
        return cells
    }
}
