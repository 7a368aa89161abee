import Foundation

/// The report as one self-contained HTML page (inline CSS and SVG, no script, no external reference), laid out for
/// A4 so that Chromium prints it to PDF as it shows it.
public enum ReportHTML {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static let style = """
        @page { size: A4; margin: 14mm 12mm; }
        body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif;
               color: #222; margin: 0 auto; max-width: 760px; font-size: 10.5pt; line-height: 1.45; }
        h1 { font-size: 24pt; margin: 0 0 12px; }
        h2 { font-size: 15pt; border-bottom: 2px solid #2b5d8a; padding-bottom: 3px; margin: 22px 0 8px; color: #1d3f5e; }
        h3 { font-size: 11.5pt; margin: 14px 0 6px; }
        section.title { min-height: 240mm; display: flex; flex-direction: column; justify-content: center; }
        section.title .sub { font-size: 14pt; color: #444; }
        section.title dl { display: grid; grid-template-columns: 8em 1fr; gap: 4px 12px; font-size: 11pt; margin-top: 28px; }
        section.title dt { color: #666; }
        section.title dd { margin: 0; }
        section.page { break-before: page; }
        table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 8.5pt; }
        th, td { border: 1px solid #bbb; padding: 2px 4px; }
        th { background: #e8eef4; font-weight: bold; }
        td.name { white-space: nowrap; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        tr { break-inside: avoid; }
        thead { display: table-header-group; }
        p.note { color: #555; font-size: 8.5pt; margin: 2px 0 8px; }
        .legend { font-size: 8.5pt; margin: 4px 0 10px; }
        .swatch { display: inline-block; width: 14px; height: 10px; border: 1px solid #888; vertical-align: middle; margin-right: 3px; }
        .dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; vertical-align: middle; margin-right: 3px; }
        svg { display: block; max-width: 100%; height: auto; font-family: inherit; }
        svg text.label { paint-order: stroke; stroke: #fff; stroke-width: 2.5px; fill: #111; }
        .key { display: flex; gap: 12px; flex-wrap: wrap; }
        .key div { border: 1px solid #ccc; border-radius: 4px; padding: 6px 10px; min-width: 120px; }
        .key .value { font-size: 16pt; font-weight: bold; color: #1d3f5e; }
        .warn { color: #a33; }
        """

    public static func render(_ report: StreetReport) -> String {
        let tables = report.tables
        let kind = ReportText.areaKind(report.area.kind)
        var html = """
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <title>\(escape(report.area.name))社区网格生活圈评估报告</title>
            <style>\(style)</style>
            </head>
            <body>

            """
        // Title page.
        html += "<section class=\"title\"><h1>\(escape(report.area.name))<br>社区生活圈评估报告</h1>"
        html += "<div class=\"sub\">\(kind)编码 \(escape(report.area.code))　·　报告日期 \(escape(report.date))</div><dl>"
        html += "<dt>\(kind)</dt><dd>\(escape(report.area.name))（\(escape(report.area.code))）</dd>"
        html += "<dt>包含社区</dt><dd>" + report.area.communities.map { "\(escape($0.name))（\(escape($0.code))）" }.joined(separator: "、") + "</dd>"
        html += "<dt>网格</dt><dd>\(report.grids.count) 个</dd>"
        html += "<dt>建筑 / 户数</dt><dd>\(report.total.buildings) 栋 / \(report.total.households) 户</dd>"
        html += "<dt>生活圈标准</dt><dd>\(escape(report.run.profileTitle ?? report.run.profileName))，步行速度 \(String(format: "%.2f", report.run.walkingSpeed)) 米/秒</dd>"
        html += "<dt>覆盖计算</dt><dd>第 \(report.run.id) 批（\(escape(report.run.createdAt))）"
        if let stale = report.run.staleNote { html += "<span class=\"warn\">；此后数据有更新（\(escape(stale))）</span>" }
        html += "</dd></dl></section>\n"

        // Summary and coverage by level and category.
        html += "<section class=\"page\"><h2>一、覆盖概况</h2><div class=\"key\">"
        for (l, level) in report.levels.enumerated() {
            html += "<div>\(ReportText.minutes(level.minutes))分钟生活圈<br><span class=\"value\">\(ReportText.percent(report.total.levels[l].share))</span><br>"
                + "\(report.total.levels[l].householdsCovered) / \(report.total.households) 户</div>"
        }
        html += "</div>"
        if !report.categoriesWithoutFacilities.isEmpty {
            html += "<p class=\"warn\">" + report.categoriesWithoutFacilities.map {
                "\(escape(ReportText.category($0.category)))：\(ReportText.note($0.note))，相关要求均不达标"
            }.joined(separator: "；") + "。</p>"
        }
        html += "<h3>各等级、各类设施达标情况（全区域）</h3><table><thead><tr><th>生活圈</th><th>设施要求</th><th>步行距离上限（米）</th><th>达标户数</th><th>比例</th></tr></thead><tbody>"
        for (l, level) in report.levels.enumerated() {
            let figures = report.total.levels[l]
            html += "<tr><td>\(ReportText.minutes(level.minutes))分钟</td><td><strong>全部要求</strong></td><td></td><td class=\"num\">\(figures.householdsCovered)</td><td class=\"num\">\(ReportText.percent(figures.share))</td></tr>"
            for (r, requirement) in level.requirements.enumerated() {
                html += "<tr><td></td><td>\(escape(ReportText.requirement(requirement)))</td><td class=\"num\">\(ReportText.meters(requirement.limitMeters))</td>"
                    + "<td class=\"num\">\(figures.requirementHouseholds[r])</td><td class=\"num\">\(ReportText.percent(figures.requirementShares[r]))</td></tr>"
            }
        }
        html += "</tbody></table>"
        html += "<h3>各社区</h3>" + summaryTable(report, rows: [report.total] + report.communities, codeHeader: "社区编码", nameHeader: "社区")
        html += "</section>\n"

        // Maps and charts.
        html += "<section class=\"page\"><h2>二、区域地图</h2>"
        html += "<p class=\"note\">网格按\(ReportText.minutes(report.levels[report.rankingLevel].minutes))分钟生活圈达标率着色；粗线为社区边界；圆点为设施；★为建议选址。</p>"
        html += ReportSVG.map(report) + "</section>\n"
        html += "<section class=\"page\"><h2>三、各网格覆盖</h2>" + ReportSVG.coverageChart(report)
        html += "<h3>覆盖最差的网格</h3>" + table(tables[3]) + "</section>\n"
        html += "<section class=\"page\"><h3>各网格覆盖率</h3>" + summaryTable(report, rows: report.grids, codeHeader: "网格编码", nameHeader: "网格") + "</section>\n"
        html += "<section class=\"page\"><h2>四、各类设施步行可达</h2><p class=\"note\">横轴为占总户数（\(report.total.households) 户）的比例，条末为户数。</p>" + ReportSVG.reachChart(report) + table(tables[4]) + "</section>\n"
        html += "<section class=\"page\"><h2>五、建议选址</h2>" + table(tables[5]) + ReportSVG.suggestionMap(report) + "</section>\n"
        html += "<section class=\"page\"><h2>六、网格均衡与巡查路线</h2>" + table(tables[6]) + "</section>\n"
        html += "<section class=\"page\"><h2>附表一：各社区分项达标明细</h2>"
        for l in report.levels.indices { html += requirementTable(report, rows: [report.total] + report.communities, codeHeader: "社区编码", nameHeader: "社区", level: l) }
        html += "</section>\n<section class=\"page\"><h2>附表二：各网格分项达标明细</h2>"
        for l in report.levels.indices { html += requirementTable(report, rows: report.grids, codeHeader: "网格编码", nameHeader: "网格", level: l) }
        html += "</section>\n"
        return html + "</body>\n</html>\n"
    }

    /// Households, per-level shares and uncovered households of groups: the compact form of the coverage tables.
    static func summaryTable(_ report: StreetReport, rows: [StreetReport.CoverageRow], codeHeader: String, nameHeader: String) -> String {
        var html = "<table><thead><tr><th>\(codeHeader)</th><th>\(nameHeader)</th><th>建筑</th><th>户数</th>"
        for level in report.levels {
            let m = ReportText.minutes(level.minutes)
            html += "<th>\(m)分钟达标户数</th><th>\(m)分钟达标率</th><th>\(m)分钟未覆盖户数</th>"
        }
        html += "</tr></thead><tbody>"
        for row in rows {
            html += "<tr><td>\(escape(row.code == "all" ? "合计" : row.code))</td><td class=\"name\">\(escape(row.name))</td><td class=\"num\">\(row.buildings)</td><td class=\"num\">\(row.households)</td>"
            for (l, figures) in row.levels.enumerated() {
                html += "<td class=\"num\">\(figures.householdsCovered)</td><td class=\"num\">\(ReportText.percent(figures.share))</td><td class=\"num\">\(row.uncoveredHouseholds(level: l))</td>"
            }
            html += "</tr>"
        }
        return html + "</tbody></table>"
    }

    /// One level's requirements per community or grid: the workbook's coverage sheets, cut by level so that they fit a page's width.
    static func requirementTable(_ report: StreetReport, rows: [StreetReport.CoverageRow], codeHeader: String, nameHeader: String, level l: Int) -> String {
        let level = report.levels[l]
        var html = "<h3>\(ReportText.minutes(level.minutes))分钟生活圈</h3><table><thead><tr><th>\(codeHeader)</th><th>\(nameHeader)</th><th>户数</th><th>达标户数</th><th>达标率</th>"
        for requirement in level.requirements {
            html += "<th>\(escape(ReportText.requirement(requirement)))（\(ReportText.meters(requirement.limitMeters))米）户数</th><th>比例</th>"
        }
        html += "</tr></thead><tbody>"
        for row in rows {
            let figures = row.levels[l]
            html += "<tr><td>\(escape(row.code == "all" ? "合计" : row.code))</td><td class=\"name\">\(escape(row.name))</td><td class=\"num\">\(row.households)</td>"
                + "<td class=\"num\">\(figures.householdsCovered)</td><td class=\"num\">\(ReportText.percent(figures.share))</td>"
            for (households, share) in zip(figures.requirementHouseholds, figures.requirementShares) {
                html += "<td class=\"num\">\(households)</td><td class=\"num\">\(ReportText.percent(share))</td>"
            }
            html += "</tr>"
        }
        return html + "</tbody></table>"
    }

    static func table(_ table: ReportTable) -> String {
        var html = "<table><thead><tr>" + table.headers.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in table.rows {
            html += "<tr>" + row.map { cell in
                cell.isNumeric ? "<td class=\"num\">\(escape(cell.text))</td>"
                    : cell.text.count <= 16 ? "<td class=\"name\">\(escape(cell.text))</td>" : "<td>\(escape(cell.text))</td>"
            }.joined() + "</tr>"
        }
        if table.rows.isEmpty { html += "<tr><td colspan=\"\(max(table.headers.count, 1))\">无</td></tr>" }
        html += "</tbody></table>"
        if let note = table.note { html += "<p class=\"note\">\(escape(note))</p>" }
        return html
    }
}
