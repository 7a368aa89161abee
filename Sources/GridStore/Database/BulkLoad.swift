import GRDB
import GRDBSQLite

/// Spatialite keeps each geometry column consistent with per-row triggers (type check, R-tree update,
/// timestamp): about 45 µs a row, most of an import's time. A bulk load inside one transaction
/// drops the insert triggers, inserts, then checks types, fills the R-trees and restores the triggers
/// set-wise (the layer versions' insert triggers too, raised once at the end). An R-tree that is empty
/// is built packed (`RTreePacking`), an order of magnitude faster than inserting entry by entry. DDL is transactional in SQLite, so a failure or a crash leaves the triggers as they were.
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
            let index = "idx_\(table)_\(column)"
            if try RTreePacking.isEmpty(db, index: index) {
                // An empty index (a first import, or one that replaced every row) is built packed, in one go.
                try RTreePacking.fill(db, index: index, table: table, column: column, fromID: from)
            } else {
                try db.execute(sql: """
                    INSERT INTO \(index) (pkid, xmin, xmax, ymin, ymax)
                    SELECT id, MbrMinX(\(column)), MbrMaxX(\(column)), MbrMinY(\(column)), MbrMaxY(\(column))
                    FROM \(table) WHERE id >= ? AND \(column) IS NOT NULL
                    """, arguments: [from])
            }
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

/// Builds an empty SQLite R-tree (Spatialite's `idx_<table>_<column>`, `rtree(pkid, xmin, xmax, ymin, ymax)`)
/// in one pass by writing its three shadow tables, as SQLite's R-tree module reads them: `<index>_node`
/// (node number → a blob of `nodeSize` bytes: 2-byte tree depth, meaningful in the root only, 2-byte cell
/// count, then cells of an 8-byte id and four 4-byte floats, all big-endian), `<index>_parent` (node → parent
/// node) and `<index>_rowid` (entry id → leaf node). The root is node 1. Entries are packed Sort-Tile-Recursive
/// (by x in slices, by y within a slice), so nodes are full and neighbours share nodes. Coordinates are rounded
/// outwards to floats exactly as the module rounds an inserted double, so the index holds the same values an
/// INSERT would have stored. Everything happens in the caller's transaction: a failure or a kill leaves the old
/// index.
enum RTreePacking {
    struct Entry {
        var id: Int64
        var minX: Float, maxX: Float, minY: Float, maxY: Float
        var centerX: Float { minX / 2 + maxX / 2 }
        var centerY: Float { minY / 2 + maxY / 2 }
    }

    static func isEmpty(_ db: Database, index: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM \"\(index)_rowid\")") ?? false
    }

    static func fill(_ db: Database, index: String, table: String, column: String, fromID: Int64) throws {
        guard let nodeSize = try Int.fetchOne(db, sql: "SELECT length(data) FROM \"\(index)_node\" WHERE nodeno = 1"),
              nodeSize >= 4 + 24 * 2
        else { throw StoreError.corrupt("the spatial index \(index) has no root node") }
        var entries: [Entry] = []
        let boxes = try db.makeStatement(sql: """
            SELECT id, MbrMinX(\(column)), MbrMaxX(\(column)), MbrMinY(\(column)), MbrMaxY(\(column))
            FROM \(table) WHERE id >= ? AND \(column) IS NOT NULL ORDER BY id
            """)
        try boxes.setArguments([fromID])
        let handle = boxes.sqliteStatement
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
            }
            let entry = Entry(
                id: sqlite3_column_int64(handle, 0),
                minX: roundedDown(sqlite3_column_double(handle, 1)), maxX: roundedUp(sqlite3_column_double(handle, 2)),
                minY: roundedDown(sqlite3_column_double(handle, 3)), maxY: roundedUp(sqlite3_column_double(handle, 4)))
            guard entry.minX <= entry.maxX, entry.minY <= entry.maxY else {
                throw StoreError.corrupt("row \(entry.id) of \(table).\(column) has an inverted bounding box")
            }
            entries.append(entry)
        }
        sqlite3_reset(handle)
        guard !entries.isEmpty else { return }

        let capacity = (nodeSize - 4) / 24
        var writer = try ShadowWriter(db, index: index, nodeSize: nodeSize)
        try writer.clear()
        var leafOf: [(id: Int64, node: Int64)] = []
        leafOf.reserveCapacity(entries.count)
        var level = entries
        entries = []
        var depth = 0
        var nextNode: Int64 = 2
        // Each pass packs one level into nodes and hands their boxes up, until the root can hold them all.
        while level.count > capacity {
            pack(&level, capacity: capacity)
            var parents: [Entry] = []
            parents.reserveCapacity(level.count / capacity + 1)
            var start = 0
            while start < level.count {
                let cells = level[start..<min(start + capacity, level.count)]
                let node = nextNode
                nextNode += 1
                try writer.node(node, depth: nil, cells: cells)
                for cell in cells {
                    if depth == 0 { leafOf.append((cell.id, node)) } else { try writer.parent(of: cell.id, is: node) }
                }
                var box = Entry(id: node, minX: .infinity, maxX: -.infinity, minY: .infinity, maxY: -.infinity)
                for cell in cells {
                    box.minX = min(box.minX, cell.minX); box.maxX = max(box.maxX, cell.maxX)
                    box.minY = min(box.minY, cell.minY); box.maxY = max(box.maxY, cell.maxY)
                }
                parents.append(box)
                start += capacity
            }
            level = parents
            depth += 1
        }
        try writer.node(1, depth: depth, cells: level[...])
        for cell in level {
            if depth == 0 { leafOf.append((cell.id, 1)) } else { try writer.parent(of: cell.id, is: 1) }
        }
        // Ascending ids append to the rowid table's B-tree instead of splitting it all over.
        leafOf.sort { $0.id < $1.id }
        for (id, node) in leafOf { try writer.leaf(of: id, is: node) }
    }

    /// Sort-Tile-Recursive order: ⌈√(nodes)⌉ vertical slices by centre x, each sorted by centre y.
    static func pack(_ entries: inout [Entry], capacity: Int) {
        let nodes = (entries.count + capacity - 1) / capacity
        let slices = Int(Double(nodes).squareRoot().rounded(.up))
        let sliceSize = ((nodes + slices - 1) / slices) * capacity
        entries.sort { ($0.centerX, $0.id) < ($1.centerX, $1.id) }
        var start = 0
        while start < entries.count {
            let end = min(start + sliceSize, entries.count)
            entries[start..<end].sort { ($0.centerY, $0.id) < ($1.centerY, $1.id) }
            start = end
        }
    }

    /// As SQLite's R-tree stores a minimum: the nearest float not above the double.
    static func roundedDown(_ value: Double) -> Float {
        var rounded = Float(value)
        if Double(rounded) > value { rounded = Float(value * (value < 0 ? 1 + 1 / 8_388_608.0 : 1 - 1 / 8_388_608.0)) }
        return rounded
    }

    /// As SQLite's R-tree stores a maximum: the nearest float not below the double.
    static func roundedUp(_ value: Double) -> Float {
        var rounded = Float(value)
        if Double(rounded) < value { rounded = Float(value * (value < 0 ? 1 - 1 / 8_388_608.0 : 1 + 1 / 8_388_608.0)) }
        return rounded
    }

    /// Prepared inserts into the three shadow tables.
    private struct ShadowWriter {
        let db: Database
        let index: String
        let nodeSize: Int
        let nodeInsert: Statement, parentInsert: Statement, rowidInsert: Statement
        var blob: [UInt8]

        init(_ db: Database, index: String, nodeSize: Int) throws {
            self.db = db
            self.index = index
            self.nodeSize = nodeSize
            nodeInsert = try db.makeStatement(sql: "INSERT OR REPLACE INTO \"\(index)_node\" (nodeno, data) VALUES (?, ?)")
            parentInsert = try db.makeStatement(sql: "INSERT INTO \"\(index)_parent\" (nodeno, parentnode) VALUES (?, ?)")
            rowidInsert = try db.makeStatement(sql: "INSERT INTO \"\(index)_rowid\" (rowid, nodeno) VALUES (?, ?)")
            blob = [UInt8](repeating: 0, count: nodeSize)
        }

        /// An empty tree may still hold nodes left by earlier deletes: only the root stays.
        func clear() throws {
            try db.execute(sql: "DELETE FROM \"\(index)_node\" WHERE nodeno <> 1")
            try db.execute(sql: "DELETE FROM \"\(index)_parent\"")
            try db.execute(sql: "DELETE FROM \"\(index)_rowid\"")
        }

        mutating func node(_ number: Int64, depth: Int?, cells: ArraySlice<Entry>) throws {
            for position in blob.indices { blob[position] = 0 }
            put16(UInt16(depth ?? 0), at: 0)
            put16(UInt16(cells.count), at: 2)
            var offset = 4
            for cell in cells {
                put64(UInt64(bitPattern: cell.id), at: offset)
                put32(cell.minX.bitPattern, at: offset + 8)
                put32(cell.maxX.bitPattern, at: offset + 12)
                put32(cell.minY.bitPattern, at: offset + 16)
                put32(cell.maxY.bitPattern, at: offset + 20)
                offset += 24
            }
            let statement = nodeInsert.sqliteStatement
            sqlite3_bind_int64(statement, 1, number)
            // Bound without a copy (SQLITE_STATIC): the step runs while the buffer is pinned.
            try blob.withUnsafeBytes { bytes in
                sqlite3_bind_blob(statement, 2, bytes.baseAddress, Int32(bytes.count), nil)
                try step(statement)
            }
        }

        func parent(of node: Int64, is parent: Int64) throws {
            let statement = parentInsert.sqliteStatement
            sqlite3_bind_int64(statement, 1, node)
            sqlite3_bind_int64(statement, 2, parent)
            try step(statement)
        }

        func leaf(of id: Int64, is node: Int64) throws {
            let statement = rowidInsert.sqliteStatement
            sqlite3_bind_int64(statement, 1, id)
            sqlite3_bind_int64(statement, 2, node)
            try step(statement)
        }

        private func step(_ statement: SQLiteStatement) throws {
            let code = sqlite3_step(statement)
            sqlite3_reset(statement)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
            }
        }

        private mutating func put16(_ value: UInt16, at offset: Int) {
            blob[offset] = UInt8(value >> 8); blob[offset + 1] = UInt8(value & 0xFF)
        }

        private mutating func put32(_ value: UInt32, at offset: Int) {
            for byte in 0..<4 { blob[offset + byte] = UInt8((value >> (24 - 8 * UInt32(byte))) & 0xFF) }
        }

        private mutating func put64(_ value: UInt64, at offset: Int) {
            for byte in 0..<8 { blob[offset + byte] = UInt8((value >> (56 - 8 * UInt64(byte))) & 0xFF) }
        }
    }
}
