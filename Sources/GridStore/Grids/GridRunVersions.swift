import GRDB

/// The data versions a grid run's plan was computed on. A dry run computed on older data is stale: its moves
/// and polygons describe buildings, grids or a network that have changed since. Applied and reverted runs are
/// history and are not judged.
public enum GridRunVersions {
    static func record(_ db: Database, run: Int64) throws {
        try db.execute(sql: "UPDATE grid_runs SET data_versions = ? WHERE id = ?", arguments: [try DataVersions.read(db).text, run])
    }

    /// nil for runs that are not dry runs.
    public static func freshness(store: Store, id: Int64) throws -> Freshness? {
        try store.read { db in try freshness(db, id: id) }
    }

    static func freshness(_ db: Database, id: Int64) throws -> Freshness? {
        guard let row = try Row.fetchOne(db, sql: "SELECT status, data_versions FROM grid_runs WHERE id = ?", arguments: [id]),
              row[0] as String == "dry_run" else { return nil }
        return Freshness(recorded: DataVersions.decode(row[1]), current: try DataVersions.read(db))
    }
}
