import Foundation
import GridModel
import GridReport
import Testing

/// The renderer on a two-grid community: escaping, classes, and tables the workbook can hold.
@Suite("Report rendering: HTML, SVG classes and tables from values")
struct ReportRenderingTests {
    static func rectangle(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) throws -> MultiPolygon {
        MultiPolygon([try Polygon(exterior: [
            Coordinate(longitude: x0, latitude: y0), Coordinate(longitude: x1, latitude: y0), Coordinate(longitude: x1, latitude: y1),
            Coordinate(longitude: x0, latitude: y1), Coordinate(longitude: x0, latitude: y0),
        ])])
    }

    static func figures(_ covered: Int, of households: Int) -> StreetReport.LevelFigures {
        let share = households == 0 ? 0 : (Double(covered) / Double(households) * 10000).rounded() / 10000
        return .init(householdsCovered: covered, buildingsCovered: covered / 10, share: share, uncoveredBuildings: 3,
                     requirementHouseholds: [covered, households], requirementShares: [share, 1])
    }

    static func report() throws -> StreetReport {
        let community = "110105001002"
        let levels = [5.0, 15].map {
            StreetReport.Level(minutes: $0, requirements: [
                .init(category: "kindergarten", label: "kindergarten (幼儿园)", limitMeters: 300),
                .init(category: "grocery", label: nil, limitMeters: $0 * 72),
            ])
        }
        let row = { (code: String, name: String, households: Int, covered: [Int]) in
            StreetReport.CoverageRow(code: code, name: name, community: community, buildings: 40, households: households, offNetworkBuildings: 1,
                                     levels: covered.map { figures($0, of: households) })
        }
        let grids = [row("\(community)001", "西园<第1网格>&\"A\"", 400, [100, 300]), row("\(community)002", "西园第2网格", 350, [0, 350])]
        return StreetReport(
            area: .init(kind: .community, code: community, name: "亚运村西园社区", communities: [.init(code: community, name: "亚运村西园社区")]),
            date: "2026-12-01",
            run: .init(id: 3, createdAt: "2026-12-01T08:00:00Z", profileName: "gb50180", profileTitle: nil, walkingSpeed: 1.2, staleNote: "grids"),
            levels: levels, total: row("all", "亚运村西园社区", 750, [100, 650]), communities: [row(community, "亚运村西园社区", 750, [100, 650])],
            grids: grids, rankingLevel: 1, worstGrids: grids.reversed(), reachMinutes: [5, 15],
            reach: [.init(category: "kindergarten", households: [100, 400], facilities: 1)],
            suggestion: .init(category: "kindergarten", limitMeters: 300, householdsWithin: 100, households: 750,
                              sites: [.init(location: Coordinate(longitude: 116.405, latitude: 39.905), grid: .init(code: grids[0].code, name: grids[0].name),
                                            householdsAdded: 200, buildingsAdded: 12, cumulativeHouseholds: 200)],
                              gridShares: [grids[0].code: 0.25]),
            balance: .init(minimum: 300, maximum: 500, rows: [.init(code: grids[0].code, name: grids[0].name, households: 400, buildings: 40, balance: 0,
                                                                   inRange: true, tourMeters: 2310, tourMinutes: 32.1, tourStraightLegs: 0)]),
            communityShapes: [.init(code: community, name: "亚运村西园社区", shape: try rectangle(116.40, 39.90, 116.42, 39.91))],
            gridShapes: [.init(code: grids[0].code, name: grids[0].name, shape: try rectangle(116.40, 39.90, 116.41, 39.91)),
                         .init(code: grids[1].code, name: grids[1].name, shape: try rectangle(116.41, 39.90, 116.42, 39.91))],
            facilities: [.init(category: "kindergarten", name: "幼儿园<一>", location: Coordinate(longitude: 116.402, latitude: 39.902))],
            categoriesWithoutFacilities: [.init(category: "elderly_care", note: "no facility in the store")])
    }

    @Test("names are escaped everywhere, the page refers to nothing outside itself, a stale run is said so")
    func html() throws {
        let html = ReportHTML.render(try Self.report())
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<html lang=\"zh-CN\">"))
        #expect(html.contains("西园&lt;第1网格&gt;&amp;&quot;A&quot;") && !html.contains("<第1网格>"))
        #expect(html.contains("幼儿园&lt;一&gt;") && !html.contains("幼儿园<一>"))
        #expect(!html.contains("http") && !html.contains("<script") && !html.contains(" src="))
        #expect(html.contains("此后数据有更新（grids）") && html.contains("养老服务：库中无此类设施"))
        // Two maps, two charts; the second grid's 100 % lands in the top class, the first's 75 % in the fourth.
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)
        #expect(html.contains("fill=\"\(ReportSVG.classColours[4])\"") && html.contains("fill=\"\(ReportSVG.classColours[3])\""))
    }

    @Test("coverage classes are five equal intervals, the last one closed")
    func classes() {
        #expect([0, 0.1999, 0.2, 0.5, 0.7999, 0.8, 1].map(ReportSVG.classIndex) == [0, 0, 1, 2, 3, 4, 4])
    }

    @Test("tables: sheet names Excel accepts, one cell per header, shares as shares, requirement names from the label")
    func tables() throws {
        let report = try Self.report()
        let tables = report.tables
        #expect(Set(tables.map(\.name)).count == tables.count)
        for table in tables {
            #expect(table.name.count <= 31 && !table.name.contains(where: { "[]:*?/\\".contains($0) }))
            for row in table.rows { #expect(row.count == table.headers.count, "\(table.name)") }
        }
        let grids = try #require(tables.first { $0.name == "网格覆盖" })
        #expect(grids.headers.contains("5分钟 幼儿园（kindergarten） 户数") && grids.headers.contains("15分钟 菜市场与便利店（grocery） 比例"))
        let share = try #require(grids.headers.firstIndex(of: "15分钟 达标率"))
        #expect(grids.rows.map { $0[share] } == [.share(0.75), .share(1)])
        let worst = try #require(tables.first { $0.name == "最差网格" })
        #expect(worst.rows.first?[1] == .text("110105001002002") && worst.rows.first?.last == .integer(0))
    }
}
