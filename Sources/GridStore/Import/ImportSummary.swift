import Foundation
import GRDB

/// The outcome of one import: what was read, what was stored, what was wrong with the input.
public struct ImportSummary: Sendable {
    public var file: String
    public var format: String
    public var layer: String?
    public var counts: [(name: String, value: Int)]
    public var warnings: WarningList
    public var seconds: Double

    public func count(_ name: String) -> Int? { counts.first { $0.name == name }?.value }

    /// Human-readable lines for the end of an import.
    public var text: String {
        var lines = ["imported \(file) (\(format)\(layer.map { ", layer \($0)" } ?? "")) in \(String(format: "%.2f", seconds)) s"]
        let width = counts.map(\.name.count).max() ?? 0
        for (name, value) in counts {
            lines.append("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)")
        }
        if warnings.total > 0 {
            lines.append("warnings: \(warnings.total)")
            for (kind, count) in warnings.countsByKind { lines.append("  \(kind): \(count)") }
            for example in warnings.examples.prefix(10) { lines.append("  e.g. \(example)") }
        }
        return lines.joined(separator: "\n")
    }

    public var json: [String: Any] {
        [
            "file": file, "format": format, "layer": layer as Any? ?? NSNull(), "seconds": seconds,
            "counts": Dictionary(counts.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
            "warning_count": warnings.total,
            "warnings_by_kind": Dictionary(warnings.countsByKind.map { ($0.kind, $0.count) }, uniquingKeysWith: { a, _ in a }),
            "warning_examples": warnings.examples,
        ]
    }

    /// Written inside the import's own transaction, so the log and the data land together (and the buildings'
    /// grids and communities are derived again in it when the import changed them).
    func log(in db: Database, startedAt: Date) throws {
        try BuildingPlaces.refreshIfNeeded(db)
        let counts = try JSONSerialization.data(
            withJSONObject: Dictionary(counts.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }), options: [.sortedKeys])
        let warnings = try JSONSerialization.data(withJSONObject: self.warnings.examples)
        try db.execute(
            sql: """
                INSERT INTO import_log (file, format, layer, started_at, finished_at, counts, warning_count, warnings)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                file, format, layer, ISO8601DateFormatter().string(from: startedAt),
                ISO8601DateFormatter().string(from: Date()), String(decoding: counts, as: UTF8.self),
                self.warnings.total, String(decoding: warnings, as: UTF8.self),
            ])
    }
}
