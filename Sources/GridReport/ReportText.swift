import Foundation

/// The report's Chinese wording: category names, units and number formats.
public enum ReportText {
    /// Chinese names of the import rules' categories; an unknown category keeps its key.
    public static let categoryNames: [String: String] = [
        "clinic": "医疗卫生", "pharmacy": "药店", "school": "学校", "kindergarten": "幼儿园", "elderly_care": "养老服务",
        "grocery": "菜市场与便利店", "community_service": "社区服务站", "rail_station": "轨道交通站", "transit_stop": "公交站",
    ]

    public static func category(_ key: String) -> String { categoryNames[key] ?? key }

    /// A requirement's Chinese name: the part of its label in parentheses when it has one (`primary school (小学)`),
    /// else the category's name.
    public static func requirement(_ requirement: StreetReport.Requirement) -> String {
        if let label = requirement.label, let open = label.lastIndex(where: { $0 == "(" || $0 == "（" }),
           let close = label.lastIndex(where: { $0 == ")" || $0 == "）" }), open < close {
            let inner = label[label.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            if !inner.isEmpty { return inner }
        }
        return category(requirement.category)
    }

    public static func minutes(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.1f", value)
    }

    public static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

    public static func meters(_ value: Double) -> String { String(format: "%.0f", value) }

    public static func areaKind(_ kind: StreetReport.AreaKind) -> String { kind == .community ? "社区" : "街道" }

    public static func note(_ note: String) -> String {
        note.hasPrefix("no facility") ? "库中无此类设施" : "设施均不在步行网络上"
    }
}
