import Foundation
import GRDB

/// Parameters of grid runs and run requests stored before the run vocabulary (`GridRuns.Parameters.Field`):
/// `minimum`, `maximum`, `gridCount`, `fromCurrent` become `min`, `max`, `grid_count`, `from_current`.
enum GridRunVocabulary {
    static let renamed = ["minimum": "min", "maximum": "max", "gridCount": "grid_count", "fromCurrent": "from_current"]

    static func rename(_ db: Database) throws {
        for table in ["grid_runs", "grid_run_requests"] {
            let rows = try Row.fetchAll(db, sql: "SELECT id, parameters FROM \(table) ORDER BY id")
            for row in rows {
                let id: Int64 = row[0]
                let text: String = row[1]
                guard let rewritten = try rewrite(text) else { continue }
                try db.execute(sql: "UPDATE \(table) SET parameters = ? WHERE id = ?", arguments: [rewritten, id])
            }
        }
    }

    /// The parameters' JSON with the old names replaced; nil when it holds none of them.
    static func rewrite(_ text: String) throws -> String? {
        guard var object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              object.keys.contains(where: { renamed[$0] != nil }) else { return nil }
        for (old, new) in renamed {
            guard let value = object.removeValue(forKey: old) else { continue }
            if object[new] == nil { object[new] = value }
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
