import GRDB

/// Spatialite keeps each geometry column consistent with per-row triggers (type check, R-tree update,
/// timestamp): about 45 µs a row, most of an import's time. A bulk load inside one transaction
/// drops the insert triggers, inserts, then checks types, fills the R-trees and restores the triggers
/// set-wise (the layer versions' insert triggers too, raised once at the end). DDL is transactional in SQLite, so a failure or a crash leaves the triggers as they were.
enum BulkLoad {
    static func run<T>(_ db: Database, tables: [String], body: () throws -> T) throws -> T {
        let columns = StoreMigrations.geometryColumns.filter { tables.contains($0.table) }
        var firstNewID: [String: Int64] = [:]
        for table in tables {
            firstNewID[table] = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM \(table)") ?? 1)
        }
        let placeholders = tables.map { _ in "?" }.joined(separator: ", ")
        let triggers = try Row.fetchAll(
            db,
            sql: """
                SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (\(placeholders))
                  AND (name LIKE 'ggi!_%' ESCAPE '!' OR name LIKE 'gii!_%' ESCAPE '!' OR name LIKE 'tmi!_%' ESCAPE '!'
                       OR name LIKE 'lv!_%!_insert' ESCAPE '!')
                """,
            arguments: StatementArguments(tables)
        ).map { (name: $0[0] as String, sql: $0[1] as String) }
        for trigger in triggers { try db.execute(sql: "DROP TRIGGER \"\(trigger.name)\"") }

        let result = try body()

        for (table, column, _) in columns {
            let from = firstNewID[table] ?? 1
            let misfits = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM \(table) AS t, geometry_columns AS g
                WHERE g.f_table_name = '\(table)' AND g.f_geometry_column = '\(column)' AND t.id >= ?
                  AND t.\(column) IS NOT NULL AND GeometryConstraints(t.\(column), g.geometry_type, g.srid) IS NOT 1
                """, arguments: [from]) ?? 0
            guard misfits == 0 else {
                throw StoreError.corrupt("\(misfits) rows of \(table).\(column) have the wrong geometry type or SRID")
            }
            try db.execute(sql: """
                INSERT INTO idx_\(table)_\(column) (pkid, xmin, xmax, ymin, ymax)
                SELECT id, MbrMinX(\(column)), MbrMaxX(\(column)), MbrMinY(\(column)), MbrMaxY(\(column))
                FROM \(table) WHERE id >= ? AND \(column) IS NOT NULL
                """, arguments: [from])
            try db.execute(sql: """
                UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                WHERE f_table_name = '\(table)' AND f_geometry_column = '\(column)'
                """)
        }
        for trigger in triggers { try db.execute(sql: trigger.sql) }
        // The layer versions' insert triggers were set aside with the others: raise the versions once.
        try DataVersions.bump(db, tables: tables)
        return result
    }
}
