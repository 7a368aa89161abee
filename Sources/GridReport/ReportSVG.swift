import Foundation
import GridModel

/// The report's maps and charts as inline SVG (no scripts, no external references).
public enum ReportSVG {
    /// Coverage classes of the grid map: five equal intervals of the share of households meeting the level.
    public static let classBounds: [Double] = [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    public static let classColours = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"]
    public static let levelColours = ["#2b83ba", "#fdae61", "#7b3294", "#1a9641", "#d7191c"]
    public static let categoryColours: [String: String] = [
        "clinic": "#e41a1c", "pharmacy": "#f781bf", "school": "#377eb8", "kindergarten": "#ff7f00", "elderly_care": "#984ea3",
        "grocery": "#4daf4a", "community_service": "#a65628", "rail_station": "#333333", "transit_stop": "#999999",
    ]

    public static func classIndex(_ share: Double) -> Int {
        for i in 1..<classBounds.count - 1 where share < classBounds[i] { return i - 1 }
        return classColours.count - 1
    }

    static func colour(category: String) -> String { categoryColours[category] ?? "#555555" }

    static func escape(_ text: String) -> String { ReportHTML.escape(text) }

    /// Local equirectangular frame fitted into `width` × at most `maxHeight` pixels.
    struct Frame {
        var box: BoundingBox
        var scale: Double
        var cosLatitude: Double
        var width: Double
        var height: Double
        let padding = 12.0

        init(box: BoundingBox, width: Double, maxHeight: Double) {
            self.box = box
            cosLatitude = cos((box.minLatitude + box.maxLatitude) / 2 * .pi / 180)
            let spanX = max((box.maxLongitude - box.minLongitude) * cosLatitude, 1e-9)
            let spanY = max(box.maxLatitude - box.minLatitude, 1e-9)
            scale = min((width - 2 * padding) / spanX, (maxHeight - 2 * padding) / spanY)
            // A tall area gets a narrower drawing rather than empty space beside it.
            self.width = max(spanX * scale + 2 * padding, 240)
            height = spanY * scale + 2 * padding
        }

        func point(_ c: Coordinate) -> (x: Double, y: Double) {
            (padding + (c.longitude - box.minLongitude) * cosLatitude * scale, padding + (box.maxLatitude - c.latitude) * scale)
        }

        func path(_ shape: MultiPolygon) -> String {
            var d = ""
            for polygon in shape.polygons {
                for ring in [polygon.exterior] + polygon.holes {
                    for (i, c) in ring.coordinates.enumerated() {
                        let p = point(c)
                        d += (i == 0 ? "M" : "L") + String(format: "%.1f %.1f", p.x, p.y)
                    }
                    d += "Z"
                }
            }
            return d
        }

        /// Metres per pixel, for the scale bar.
        var metersPerPixel: Double { 111_320 / scale }
    }

    /// The area: grids shaded by the ranking level's share, community boundaries, facilities, suggested sites.
    public static func map(_ report: StreetReport, width: Double = 700, maxHeight: Double = 620) -> String {
        let level = ReportText.minutes(report.levels[report.rankingLevel].minutes)
        return map(report, shares: Dictionary(report.grids.map { ($0.code, $0.levels[report.rankingLevel].share) }, uniquingKeysWith: { a, _ in a }),
                   legend: "网格\(level)分钟生活圈达标率", category: nil, width: width, maxHeight: maxHeight)
    }

    /// The weakest category: grids shaded by the share of households within its limit, its facilities, the suggested sites.
    public static func suggestionMap(_ report: StreetReport, width: Double = 700, maxHeight: Double = 520) -> String {
        guard let suggestion = report.suggestion else { return "" }
        return map(report, shares: suggestion.gridShares,
                   legend: "网格内\(ReportText.meters(suggestion.limitMeters))米步行可达\(ReportText.category(suggestion.category))的户数比例",
                   category: suggestion.category, width: width, maxHeight: maxHeight)
    }

    static func map(_ report: StreetReport, shares: [String: Double], legend: String, category: String?, width: Double, maxHeight: Double) -> String {
        let shapes = report.communityShapes.map(\.shape) + report.gridShapes.map(\.shape)
        guard var box = BoundingBox(coordinates: shapes.flatMap { $0.polygons.flatMap(\.exterior.coordinates) }) else {
            return "<p class=\"empty\">区域无边界数据，无法绘制地图。</p>"
        }
        // Facilities just outside the area still serve it: keep those near the box.
        let margin = max(box.maxLatitude - box.minLatitude, box.maxLongitude - box.minLongitude) * 0.05
        let facilities = report.facilities.filter {
            (category == nil || $0.category == category) && $0.location.longitude >= box.minLongitude - margin && $0.location.longitude <= box.maxLongitude + margin
                && $0.location.latitude >= box.minLatitude - margin && $0.location.latitude <= box.maxLatitude + margin
        }
        for facility in facilities { box.include(facility.location) }
        for site in report.suggestion?.sites ?? [] { box.include(site.location) }
        let frame = Frame(box: box, width: width, maxHeight: maxHeight)
        var svg = String(format: "<svg class=\"map\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"区域地图\">",
                         frame.width, frame.height, frame.width, frame.height)
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"#f7f7f4\"/>"
        for grid in report.gridShapes {
            let fill = shares[grid.code].map { classColours[classIndex($0)] } ?? "#dddddd"
            svg += "<path d=\"\(frame.path(grid.shape))\" fill=\"\(fill)\" fill-opacity=\"0.85\" stroke=\"#666\" stroke-width=\"0.6\" fill-rule=\"evenodd\"><title>\(escape(grid.name))（\(grid.code)）\(shares[grid.code].map(ReportText.percent) ?? "")</title></path>"
        }
        for community in report.communityShapes {
            svg += "<path d=\"\(frame.path(community.shape))\" fill=\"none\" stroke=\"#222\" stroke-width=\"2\" fill-rule=\"evenodd\"/>"
        }
        // Grid names where the grid is wide enough for them.
        for grid in report.gridShapes {
            guard let gridBox = BoundingBox(coordinates: grid.shape.polygons.flatMap(\.exterior.coordinates)) else { continue }
            let a = frame.point(Coordinate(longitude: gridBox.minLongitude, latitude: gridBox.maxLatitude))
            let b = frame.point(Coordinate(longitude: gridBox.maxLongitude, latitude: gridBox.minLatitude))
            let fontSize = 9.0
            guard Double(grid.name.count) * fontSize * 0.95 < b.x - a.x, b.y - a.y > fontSize * 1.6 else { continue }
            let p = frame.point(grid.shape.representativePoint)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"label\" font-size=\"%.0f\" text-anchor=\"middle\">", p.x, p.y, fontSize)
                + escape(grid.name) + "</text>"
        }
        for facility in facilities {
            let p = frame.point(facility.location)
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%@\" stroke=\"#fff\" stroke-width=\"0.8\">", p.x, p.y, colour(category: facility.category))
                + "<title>\(escape(ReportText.category(facility.category)))\(facility.name.map { "：" + escape($0) } ?? "")</title></circle>"
        }
        for (i, site) in (report.suggestion?.sites ?? []).enumerated() {
            let p = frame.point(site.location)
            svg += String(format: "<g transform=\"translate(%.1f %.1f)\"><path d=\"M0 -9 L2.6 -3 L9 -3 L3.8 1.2 L5.6 8 L0 4 L-5.6 8 L-3.8 1.2 L-9 -3 L-2.6 -3 Z\" fill=\"#000\" stroke=\"#fff\" stroke-width=\"1\"/>", p.x, p.y)
                + "<text x=\"11\" y=\"4\" font-size=\"11\" font-weight=\"bold\" class=\"label\">\(i + 1)</text></g>"
        }
        // Scale bar: a round number of metres near a fifth of the width.
        let target = frame.width / 5 * frame.metersPerPixel
        let magnitude = pow(10, floor(log10(max(target, 1))))
        let metres = [1.0, 2, 5, 10].map { $0 * magnitude }.last { $0 <= target } ?? magnitude
        let pixels = metres / frame.metersPerPixel
        svg += String(format: "<g transform=\"translate(16 %.1f)\"><rect x=\"-4\" y=\"-14\" width=\"%.1f\" height=\"22\" fill=\"#fff\" fill-opacity=\"0.8\"/><path d=\"M0 0 H%.1f\" stroke=\"#000\" stroke-width=\"3\"/><text x=\"0\" y=\"-4\" font-size=\"10\">%@ 米</text></g>",
                      frame.height - 12, pixels + 8, pixels, ReportText.meters(metres))
        svg += "<text x=\"\(Int(frame.width) - 16)\" y=\"28\" font-size=\"16\" text-anchor=\"middle\" font-weight=\"bold\">北</text>"
        svg += "<path d=\"M\(Int(frame.width) - 16) 4 l5 9 h-10 z\" fill=\"#000\"/>"
        return svg + "</svg>" + mapLegend(report, title: legend, facilities: facilities)
    }

    static func mapLegend(_ report: StreetReport, title: String, facilities: [StreetReport.Facility]) -> String {
        var html = "<div class=\"legend\"><div><strong>\(escape(title))</strong>（等距五级）："
        for i in classColours.indices {
            html += "<span class=\"swatch\" style=\"background:\(classColours[i])\"></span>\(Int(classBounds[i] * 100))–\(Int(classBounds[i + 1] * 100))%　"
        }
        html += "</div><div><strong>设施</strong>："
        let present = Set(facilities.map(\.category))
        for category in categoryColours.keys.sorted() where present.contains(category) {
            html += "<span class=\"dot\" style=\"background:\(colour(category: category))\"></span>\(escape(ReportText.category(category)))　"
        }
        if present.isEmpty { html += "无" }
        html += "</div>"
        if let suggestion = report.suggestion, !suggestion.sites.isEmpty {
            html += "<div><strong>★ 建议选址</strong>：\(escape(ReportText.category(suggestion.category)))（编号见建议选址表）</div>"
        }
        return html + "</div>"
    }

    /// One row per grid, one bar per level: the share of households meeting it.
    public static func coverageChart(_ report: StreetReport, width: Double = 700) -> String {
        let rows = report.grids
        guard !rows.isEmpty else { return "<p class=\"empty\">区域内无网格。</p>" }
        let labelWidth = 150.0, barHeight = 5.0, gap = 6.0
        let rowHeight = Double(report.levels.count) * barHeight + gap
        let plot = width - labelWidth - 60
        let height = Double(rows.count) * rowHeight + 40
        var svg = String(format: "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"各网格覆盖率\">",
                         width, height, width, height)
        for tick in stride(from: 0.0, through: 1.0, by: 0.2) {
            let x = labelWidth + tick * plot
            svg += String(format: "<line x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"14\" font-size=\"9\" text-anchor=\"middle\">%d%%</text>",
                          x, x, height - 16, x, Int(tick * 100))
        }
        for (r, row) in rows.enumerated() {
            let y = 22 + Double(r) * rowHeight
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\">", labelWidth - 6, y + rowHeight / 2)
                + escape(row.name) + "</text>"
            for (l, figures) in row.levels.enumerated() {
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@ %@分钟 %@</title></rect>",
                              labelWidth, y + Double(l) * barHeight, max(figures.share * plot, 0.5), barHeight - 0.5,
                              levelColours[l % levelColours.count], escape(row.name), ReportText.minutes(report.levels[l].minutes), ReportText.percent(figures.share))
            }
        }
        svg += legendRow(report.levels.map { "\(ReportText.minutes($0.minutes))分钟生活圈" }, y: height - 4, x: labelWidth)
        return svg + "</svg>"
    }

    /// Households within each walking time of their nearest facility, per category.
    public static func reachChart(_ report: StreetReport, width: Double = 700) -> String {
        guard !report.reach.isEmpty, report.total.households > 0 else { return "<p class=\"empty\">无户数。</p>" }
        let labelWidth = 130.0, barHeight = 9.0, gap = 8.0
        let rowHeight = Double(report.reachMinutes.count) * barHeight + gap
        let plot = width - labelWidth - 90
        let height = Double(report.reach.count) * rowHeight + 44
        var svg = String(format: "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"各类设施步行可达户数\">",
                         width, height, width, height)
        let total = Double(report.total.households)
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            let x = labelWidth + tick * plot
            svg += String(format: "<line x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"14\" font-size=\"9\" text-anchor=\"middle\">%d%%</text>",
                          x, x, height - 18, x, Int(tick * 100))
        }
        for (r, item) in report.reach.enumerated() {
            let y = 22 + Double(r) * rowHeight
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">", labelWidth - 6, y + rowHeight / 2)
                + escape(ReportText.category(item.category)) + "</text>"
            for (m, households) in item.households.enumerated() {
                let w = Double(households) / total * plot
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"8\">%d</text>",
                              labelWidth, y + Double(m) * barHeight, max(w, 0.5), barHeight - 1, levelColours[m % levelColours.count],
                              labelWidth + max(w, 0.5) + 3, y + Double(m) * barHeight + barHeight - 2, households)
            }
        }
        svg += legendRow(report.reachMinutes.map { "\(ReportText.minutes($0))分钟内" }, y: height - 4, x: labelWidth)
        return svg + "</svg>"
    }

    static func legendRow(_ labels: [String], y: Double, x: Double) -> String {
        var svg = ""
        for (i, label) in labels.enumerated() {
            let left = x + Double(i) * 120
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"8\" fill=\"%@\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"9\">%@</text>",
                          left, y - 8, levelColours[i % levelColours.count], left + 14, y, escape(label))
        }
        return svg
    }
}
