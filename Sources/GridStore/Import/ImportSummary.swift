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
    /// What the import replaced or removed of what the store held, per layer; empty when it only added.
    public var changes: [Change] = []
    /// Households of the imported buildings by source, with the largest estimates (imports of buildings).
    public var households: HouseholdSources?

    public struct Change: Sendable {
        public var layer: String
        /// `replaced`, `removed`, `re-attached`, `kept detached`, `updated`.
        public var action: String
        public var count: Int
        public init(_ layer: String, _ action: String, _ count: Int) { self.layer = layer; self.action = action; self.count = count }
    }

    public func change(_ layer: String, _ action: String) -> Int? { changes.first { $0.layer == layer && $0.action == action }?.count }
    /// The coordinate system the file was read in and what named it, for layers converted to WGS84.
    public var coordinateSystem: String?

    public func count(_ name: String) -> Int? { counts.first { $0.name == name }?.value }

    /// Human-readable lines for the end of an import.
    public var text: String {
        var lines = ["imported \(file) (\(format)\(layer.map { ", layer \($0)" } ?? "")) in \(String(format: "%.2f", seconds)) s"]
        if let coordinateSystem { lines.append("  coordinates read as \(coordinateSystem), stored as WGS84") }
        let width = counts.map(\.name.count).max() ?? 0
        for (name, value) in counts {
            lines.append("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)")
        }
        if let households { lines += households.lines }
        if changes.isEmpty {
            lines.append("replaced or removed: nothing")
        } else {
            lines.append("replaced or removed:")
            let width = changes.map(\.layer.count).max() ?? 0
            for change in changes {
                lines.append("  \(change.layer.padding(toLength: width, withPad: " ", startingAt: 0))  \(change.count) \(change.action)")
            }
        }
        if warnings.total > 0 {
            lines.append("warnings: \(warnings.total)")
            for (kind, count) in warnings.countsByKind { lines.append("  \(kind): \(count)") }
            for example in warnings.examples.prefix(10) { lines.append("  e.g. \(example)") }
        }
        return lines.joined(separator: "\n")
    }

    public var json: [String: Any] {
        var object: [String: Any] = [
            "file": file, "format": format, "layer": layer as Any? ?? NSNull(), "seconds": seconds,
            "counts": Dictionary(counts.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
            "changes": changes.map { ["layer": $0.layer, "action": $0.action, "count": $0.count] as [String: Any] },
            "warning_count": warnings.total,
            "warnings_by_kind": Dictionary(warnings.countsByKind.map { ($0.kind, $0.count) }, uniquingKeysWith: { a, _ in a }),
            "warning_examples": warnings.examples,
            "crs": coordinateSystem as Any? ?? NSNull(),
        ]
        if let households { object.merge(households.json) { a, _ in a } }
        return object
    }

    /// Written inside the import's own transaction, so the log and the data land together (and the buildings'
    /// grids and communities are derived again in it when the import changed them).
    func log(in db: Database, startedAt: Date) throws {
        try BuildingPlaces.refreshIfNeeded(db)
        // Changes are logged beside the counts, as "LAYER ACTION".
        let named = counts + changes.map { (name: "\($0.layer) \($0.action)", value: $0.count) }
        let counts = try JSONSerialization.data(
            withJSONObject: Dictionary(named.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }), options: [.sortedKeys])
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
