import Foundation
import GridModel

/// A table of the report: the HTML shows it and the workbook holds it as one sheet, so both carry the same cells.
public struct ReportTable: Sendable {
    public enum Cell: Sendable, Hashable {
        case text(String)
        case integer(Int)
        /// A number with the decimals to show.
        case number(Double, decimals: Int)
        /// A share in 0…1, shown as a percentage.
        case share(Double)
        case empty
    }

    /// Sheet name (at most 31 characters, as Excel requires) and title.
    public var name: String
    public var title: String
    public var headers: [String]
    public var rows: [[Cell]]
    public var note: String?
}

extension ReportTable.Cell {
    public var text: String {
        switch self {
        case .text(let value): value
        case .integer(let value): String(value)
        case .number(let value, let decimals): String(format: "%.\(decimals)f", value)
        case .share(let value): ReportText.percent(value)
        case .empty: ""
        }
    }

    public var isNumeric: Bool {
        switch self {
        case .integer, .number, .share: true
        case .text, .empty: false
        }
    }
}

extension StreetReport {
    /// Every table, in the report's order.
    public var tables: [ReportTable] {
        [overviewTable, coverageTable(of: .community), coverageTable(of: .grid), worstGridsTable, reachTable, suggestionTable, balanceTable]
    }

    enum Grouping { case community, grid }

    var overviewTable: ReportTable {
        var rows: [[ReportTable.Cell]] = [
            [.text("区域"), .text("\(ReportText.areaKind(area.kind))：\(area.name)")],
            [.text("区域编码"), .text(area.code)],
            [.text("包含社区"), .text(area.communities.map { "\($0.name)（\($0.code)）" }.joined(separator: "、"))],
            [.text("报告日期"), .text(date)],
            [.text("覆盖计算批次"), .integer(Int(run.id))],
            [.text("计算时间"), .text(run.createdAt)],
            [.text("数据状态"), .text(run.staleNote.map { "数据已更新（\($0)），结果可能过时" } ?? "与当前数据一致")],
            [.text("生活圈标准"), .text(run.profileTitle.map { "\(run.profileName)：\($0)" } ?? run.profileName)],
            [.text("步行速度（米/秒）"), .number(run.walkingSpeed, decimals: 2)],
            [.text("建筑数"), .integer(total.buildings)],
            [.text("户数"), .integer(total.households)],
            [.text("网格数"), .integer(grids.count)],
        ]
        for (l, level) in levels.enumerated() {
            rows.append([.text("\(ReportText.minutes(level.minutes))分钟生活圈达标率"), .share(total.levels[l].share)])
        }
        for note in categoriesWithoutFacilities {
            rows.append([.text("缺失设施：\(ReportText.category(note.category))"), .text(ReportText.note(note.note))])
        }
        return ReportTable(name: "概况", title: "概况", headers: ["项目", "内容"], rows: rows, note: nil)
    }

    /// Column headers of one level's figures; the workbook's readers match these names.
    func levelHeaders() -> [String] {
        levels.flatMap { level -> [String] in
            let m = ReportText.minutes(level.minutes)
            return ["\(m)分钟 达标户数", "\(m)分钟 达标率", "\(m)分钟 达标建筑数", "\(m)分钟 未达标建筑数"]
                + level.requirements.flatMap { requirement -> [String] in
                    let name = "\(m)分钟 \(ReportText.requirement(requirement))（\(requirement.category)）"
                    return ["\(name) 户数", "\(name) 比例"]
                }
        }
    }

    func levelCells(_ row: CoverageRow) -> [ReportTable.Cell] {
        row.levels.flatMap { figures -> [ReportTable.Cell] in
            [.integer(figures.householdsCovered), .share(figures.share), .integer(figures.buildingsCovered), .integer(figures.uncoveredBuildings)]
                + zip(figures.requirementHouseholds, figures.requirementShares).flatMap { [ReportTable.Cell.integer($0.0), .share($0.1)] }
        }
    }

    func coverageTable(of grouping: Grouping) -> ReportTable {
        switch grouping {
        case .community:
            let rows = ([total] + communities).map { row -> [ReportTable.Cell] in
                [.text(row.code), .text(row.name), .integer(row.buildings), .integer(row.households), .integer(row.offNetworkBuildings)] + levelCells(row)
            }
            return ReportTable(name: "社区覆盖", title: "各社区生活圈覆盖", headers: ["社区编码", "社区名称", "建筑数", "户数", "离网建筑数"] + levelHeaders(),
                               rows: rows, note: "第一行为全区域合计（编码 all）。达标：该等级每项设施均在步行距离内。")
        case .grid:
            let rows = grids.map { row -> [ReportTable.Cell] in
                [.text(row.code), .text(row.name), .text(row.community ?? ""), .integer(row.buildings), .integer(row.households),
                 .integer(row.offNetworkBuildings)] + levelCells(row)
            }
            return ReportTable(name: "网格覆盖", title: "各网格生活圈覆盖",
                               headers: ["网格编码", "网格名称", "社区编码", "建筑数", "户数", "离网建筑数"] + levelHeaders(), rows: rows, note: nil)
        }
    }

    var worstGridsTable: ReportTable {
        let ranking = ReportText.minutes(levels[rankingLevel].minutes)
        let rows = worstGrids.enumerated().map { index, row -> [ReportTable.Cell] in
            [.integer(index + 1), .text(row.code), .text(row.name), .integer(row.households), .share(row.levels[rankingLevel].share)]
                + levels.indices.map { .integer(row.uncoveredHouseholds(level: $0)) }
        }
        return ReportTable(name: "最差网格", title: "覆盖最差的网格（按\(ranking)分钟生活圈达标率）",
                           headers: ["排名", "网格编码", "网格名称", "户数", "\(ranking)分钟 达标率"]
                               + levels.map { "\(ReportText.minutes($0.minutes))分钟 未覆盖户数" },
                           rows: rows, note: "未覆盖户数 = 户数 − 达标户数。")
    }

    var reachTable: ReportTable {
        let rows = reach.map { item -> [ReportTable.Cell] in
            [.text(ReportText.category(item.category)), .text(item.category), .integer(item.facilities)] + item.households.map { .integer($0) }
                + [.integer(total.households)]
        }
        return ReportTable(name: "设施步行可达", title: "各类设施步行可达户数",
                           headers: ["设施类别", "类别代码", "设施数"] + reachMinutes.map { "\(ReportText.minutes($0))分钟内户数" } + ["总户数"],
                           rows: rows, note: "最近一处该类设施的步行时间不超过所列分钟数（步行速度 \(String(format: "%.2f", run.walkingSpeed)) 米/秒）的户数。")
    }

    var suggestionTable: ReportTable {
        guard let suggestion else {
            return ReportTable(name: "建议选址", title: "建议选址", headers: ["序号"], rows: [], note: "无可建议的类别。")
        }
        let rows = suggestion.sites.enumerated().map { index, site -> [ReportTable.Cell] in
            [.integer(index + 1), .number(site.location.longitude, decimals: 6), .number(site.location.latitude, decimals: 6),
             .text(site.grid?.code ?? ""), .text(site.grid?.name ?? "区域外"), .integer(site.householdsAdded), .integer(site.buildingsAdded),
             .integer(site.cumulativeHouseholds),
             .share(suggestion.households == 0 ? 0 : Double(suggestion.householdsWithin + site.cumulativeHouseholds) / Double(suggestion.households))]
        }
        return ReportTable(
            name: "建议选址", title: "建议选址：\(ReportText.category(suggestion.category))",
            headers: ["序号", "经度", "纬度", "所在网格编码", "所在网格", "新增可达户数", "新增可达建筑数", "累计新增户数", "累计可达比例"],
            rows: rows,
            note: "最薄弱类别为\(ReportText.category(suggestion.category))：\(suggestion.households) 户中 \(suggestion.householdsWithin) 户在 \(ReportText.meters(suggestion.limitMeters)) 米步行范围内。按贪心最大覆盖依次选址。")
    }

    var balanceTable: ReportTable {
        let rows = balance.rows.map { row -> [ReportTable.Cell] in
            [.text(row.code), .text(row.name), .integer(row.households), .integer(row.buildings), .integer(row.balance),
             .text(row.inRange ? "是" : "否"), .number(row.tourMeters, decimals: 0), .number(row.tourMinutes, decimals: 1), .integer(row.tourStraightLegs)]
        }
        return ReportTable(
            name: "网格均衡", title: "网格均衡与网格员巡查路线",
            headers: ["网格编码", "网格名称", "户数", "建筑数", "与目标差（户）", "在范围内", "巡查路线（米）", "巡查步行（分钟）", "直线路段数"],
            rows: rows,
            note: "范围 \(balance.minimum)–\(balance.maximum) 户，目标 \((balance.minimum + balance.maximum) / 2) 户。巡查路线：经步行网络走遍网格内所有建筑并返回的闭合路线。")
    }
}
