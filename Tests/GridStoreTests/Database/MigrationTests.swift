import Foundation
import GRDB
import GridStore
import Testing

@Suite("Store schema")
struct MigrationTests {
    @Test("a new file gets Spatialite metadata, every layer, and a spatial index on every geometry column")
    func freshStore() throws {
        let temporary = try TemporaryStore()
        let (metadata, columns, tables) = try temporary.store.read { db in
            (try Int.fetchOne(db, sql: "SELECT CheckSpatialMetadata()"),
             try Row.fetchAll(db, sql: "SELECT f_table_name, f_geometry_column, srid, spatial_index_enabled FROM geometry_columns ORDER BY 1, 2")
                .map { "\($0[0] as String).\($0[1] as String):\($0[2] as Int):\($0[3] as Int)" },
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        }
        #expect(metadata == 3)
        #expect(columns == [
            "buildings.footprint:4326:1", "buildings.point:4326:1", "cases.geom:4326:1", "communities.geom:4326:1",
            "facilities.geom:4326:1", "grids.geom:4326:1", "network_edges.geom:4326:1",
        ])
        for table in ["communities", "grids", "buildings", "facilities", "network_edges", "household_register", "import_log",
                      "idx_buildings_footprint", "idx_network_edges_geom"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
    }

    @Test("reopening migrates nothing twice and keeps the data")
    func reopen() throws {
        let temporary = try TemporaryStore()
        try temporary.store.write { db in
            try db.execute(sql: "INSERT INTO facilities (category, name, source, source_id, geom) VALUES ('clinic', 'A', 't', '1', MakePoint(116.3, 39.9, 4326))")
        }
        let migrations = try temporary.store.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(migrations.first == "v1: layers")
        let again = try Store.open(path: temporary.path)
        #expect(try again.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM facilities") } == 1)
        #expect(try again.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") } == migrations)
    }

    @Test("opening a missing file is a user error that names it")
    func missingFile() {
        #expect {
            _ = try Store.open(path: "/nonexistent/store.sqlite")
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.isUserError && error.description.contains("/nonexistent/store.sqlite")
        }
    }

    @Test("a file that is not SQLite is refused with its name")
    func notSQLite() throws {
        let temporary = try TemporaryStore()
        let path = try temporary.file("text.sqlite", String(repeating: "not a database ", count: 200))
        #expect(throws: (any Error).self) { _ = try Store.open(path: path) }
        expectUserError(naming: path, mentioning: ["text.sqlite"]) { _ = try Store.open(path: path) }
    }
}
