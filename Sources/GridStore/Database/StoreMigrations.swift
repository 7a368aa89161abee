import GRDB

/// Versioned schema. Shipped migrations are never edited: add a new one instead.
enum StoreMigrations {
    /// Every geometry column: table, column, type, and whether it carries an R-tree.
    static let geometryColumns: [(table: String, column: String, type: String)] = [
        ("communities", "geom", "MULTIPOLYGON"),
        ("grids", "geom", "MULTIPOLYGON"),
        ("buildings", "footprint", "MULTIPOLYGON"),
        ("buildings", "point", "POINT"),
        ("facilities", "geom", "POINT"),
        ("network_edges", "geom", "LINESTRING"),
    ]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: layers") { db in
            // Inside the migration's transaction, so no transaction of its own (argument 0).
            if try Int.fetchOne(db, sql: "SELECT CheckSpatialMetadata()") != 3 {
                // WGS84 and its UTM zones only: the full EPSG table costs half a second per new file and nothing here needs it.
                try db.execute(sql: "SELECT InitSpatialMetadata(0, 'WGS84')")
                try db.execute(sql: "SELECT InsertEpsgSrid(4490)")
            }
            try db.execute(sql: """
                CREATE TABLE communities (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL UNIQUE CHECK (length(code) = 12),
                    name TEXT NOT NULL,
                    admin_code TEXT NOT NULL CHECK (length(admin_code) = 6),
                    street_code TEXT NOT NULL CHECK (length(street_code) = 3),
                    community_code TEXT NOT NULL CHECK (length(community_code) = 3),
                    source TEXT NOT NULL,
                    area_m2 REAL NOT NULL
                );
                CREATE TABLE grids (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL UNIQUE CHECK (length(code) = 15),
                    name TEXT NOT NULL,
                    community_code TEXT NOT NULL REFERENCES communities(code) ON UPDATE CASCADE,
                    source TEXT NOT NULL,
                    area_m2 REAL NOT NULL
                );
                CREATE INDEX grids_community ON grids(community_code);
                CREATE TABLE buildings (
                    id INTEGER PRIMARY KEY,
                    source TEXT NOT NULL,
                    source_id TEXT NOT NULL,
                    building_type TEXT NOT NULL,
                    name TEXT,
                    levels REAL NOT NULL,
                    levels_estimated INTEGER NOT NULL CHECK (levels_estimated IN (0, 1)),
                    households INTEGER NOT NULL CHECK (households >= 0),
                    households_source TEXT NOT NULL CHECK (households_source IN ('estimated', 'imported', 'register')),
                    area_m2 REAL NOT NULL,
                    UNIQUE (source, source_id)
                );
                CREATE INDEX buildings_source_id ON buildings(source_id);
                CREATE TABLE facilities (
                    id INTEGER PRIMARY KEY,
                    category TEXT NOT NULL,
                    name TEXT,
                    source TEXT NOT NULL,
                    source_id TEXT NOT NULL,
                    capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),
                    UNIQUE (source, source_id, category)
                );
                CREATE INDEX facilities_category ON facilities(category);
                CREATE TABLE network_edges (
                    id INTEGER PRIMARY KEY,
                    source_node INTEGER NOT NULL,
                    target_node INTEGER NOT NULL,
                    length_m REAL NOT NULL CHECK (length_m >= 0),
                    highway TEXT NOT NULL,
                    osm_way_id INTEGER,
                    source TEXT NOT NULL
                );
                CREATE INDEX network_edges_source ON network_edges(source_node);
                CREATE INDEX network_edges_target ON network_edges(target_node);
                CREATE TABLE household_register (
                    id INTEGER PRIMARY KEY,
                    building_id INTEGER NOT NULL REFERENCES buildings(id) ON DELETE CASCADE,
                    unit TEXT,
                    floor INTEGER,
                    households INTEGER NOT NULL CHECK (households >= 0),
                    source TEXT NOT NULL,
                    source_line INTEGER NOT NULL
                );
                CREATE INDEX household_register_building ON household_register(building_id);
                CREATE TABLE import_log (
                    id INTEGER PRIMARY KEY,
                    file TEXT NOT NULL,
                    format TEXT NOT NULL,
                    layer TEXT,
                    started_at TEXT NOT NULL,
                    finished_at TEXT NOT NULL,
                    counts TEXT NOT NULL,
                    warning_count INTEGER NOT NULL,
                    warnings TEXT NOT NULL
                );
                """)
            for (table, column, type) in geometryColumns {
                // Spatialite reports failure as 0, not as an SQL error.
                guard try Int.fetchOne(db, sql: "SELECT AddGeometryColumn(?, ?, 4326, ?, 'XY', 1)", arguments: [table, column, type]) == 1,
                      try Int.fetchOne(db, sql: "SELECT CreateSpatialIndex(?, ?)", arguments: [table, column]) == 1
                else { throw StoreError.corrupt("cannot register geometry column \(table).\(column)") }
            }
        }
        migrator.registerMigration("v2: coverage runs") { db in
            try db.execute(sql: """
                CREATE TABLE coverage_runs (
                    id INTEGER PRIMARY KEY,
                    created_at TEXT NOT NULL,
                    profile_name TEXT NOT NULL,
                    profile TEXT NOT NULL,
                    network_version TEXT NOT NULL,
                    seconds REAL NOT NULL,
                    buildings INTEGER NOT NULL,
                    households INTEGER NOT NULL,
                    summary TEXT NOT NULL
                );
                CREATE TABLE coverage_buildings (
                    run_id INTEGER NOT NULL REFERENCES coverage_runs(id) ON DELETE CASCADE,
                    building_id INTEGER NOT NULL,
                    households INTEGER NOT NULL,
                    grid_code TEXT,
                    community_code TEXT,
                    off_network_m REAL,
                    levels_met TEXT NOT NULL,
                    PRIMARY KEY (run_id, building_id)
                ) WITHOUT ROWID;
                CREATE TABLE coverage_nearest (
                    run_id INTEGER NOT NULL REFERENCES coverage_runs(id) ON DELETE CASCADE,
                    building_id INTEGER NOT NULL,
                    category TEXT NOT NULL,
                    facility_id INTEGER NOT NULL,
                    distance_m REAL NOT NULL,
                    PRIMARY KEY (run_id, building_id, category)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3: grid runs") { db in
            // Proposed and previous grids are kept as Spatialite geometry blobs, not registered layers: they are
            // records of a run, and only `grids` is the map layer.
            try db.execute(sql: """
                CREATE TABLE grid_runs (
                    id INTEGER PRIMARY KEY,
                    created_at TEXT NOT NULL,
                    parameters TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('dry_run', 'applied', 'reverted')),
                    communities TEXT NOT NULL,
                    base_fingerprint TEXT NOT NULL,
                    applied_fingerprint TEXT,
                    applied_at TEXT,
                    reverted_at TEXT,
                    seconds REAL NOT NULL,
                    metrics TEXT NOT NULL,
                    warnings TEXT NOT NULL
                );
                CREATE TABLE grid_run_buildings (
                    run_id INTEGER NOT NULL REFERENCES grid_runs(id) ON DELETE CASCADE,
                    building_id INTEGER NOT NULL,
                    households INTEGER NOT NULL,
                    from_grid TEXT,
                    to_grid TEXT NOT NULL,
                    PRIMARY KEY (run_id, building_id)
                ) WITHOUT ROWID;
                CREATE TABLE grid_run_grids (
                    run_id INTEGER NOT NULL REFERENCES grid_runs(id) ON DELETE CASCADE,
                    code TEXT NOT NULL CHECK (length(code) = 15),
                    name TEXT NOT NULL,
                    community_code TEXT NOT NULL,
                    households INTEGER NOT NULL,
                    buildings INTEGER NOT NULL,
                    area_m2 REAL NOT NULL,
                    polsby_popper REAL NOT NULL,
                    geom BLOB NOT NULL,
                    PRIMARY KEY (run_id, code)
                ) WITHOUT ROWID;
                CREATE TABLE grid_run_previous (
                    run_id INTEGER NOT NULL REFERENCES grid_runs(id) ON DELETE CASCADE,
                    code TEXT NOT NULL,
                    name TEXT NOT NULL,
                    community_code TEXT NOT NULL,
                    source TEXT NOT NULL,
                    area_m2 REAL NOT NULL,
                    geom BLOB NOT NULL,
                    PRIMARY KEY (run_id, code)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v4: grid run requests") { db in
            // A rebalance asked for over HTTP: its run id is reserved here when it is accepted, and the run lands in
            // grid_runs under that id when the plan is computed. Failed requests keep their error.
            try db.execute(sql: """
                CREATE TABLE grid_run_requests (
                    id INTEGER PRIMARY KEY,
                    created_at TEXT NOT NULL,
                    parameters TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('running', 'failed', 'done')),
                    finished_at TEXT,
                    error TEXT
                );
                """)
        }
        migrator.registerMigration("v5: register rows in grid runs") { db in
            // A building above a run's maximum is planned as its register rows, which may go to different grids: a run
            // lists the rows' moves, and apply records the rows placed in another grid than their building (whose grid
            // is the one holding its point), keeping the earlier placements for revert.
            try db.execute(sql: """
                CREATE TABLE grid_run_register (
                    run_id INTEGER NOT NULL REFERENCES grid_runs(id) ON DELETE CASCADE,
                    register_id INTEGER NOT NULL,
                    building_id INTEGER NOT NULL,
                    unit TEXT,
                    floor INTEGER,
                    households INTEGER NOT NULL,
                    from_grid TEXT,
                    to_grid TEXT NOT NULL,
                    PRIMARY KEY (run_id, register_id)
                ) WITHOUT ROWID;
                CREATE TABLE register_grids (
                    register_id INTEGER PRIMARY KEY REFERENCES household_register(id) ON DELETE CASCADE,
                    grid_code TEXT NOT NULL
                );
                CREATE TABLE grid_run_previous_register (
                    run_id INTEGER NOT NULL REFERENCES grid_runs(id) ON DELETE CASCADE,
                    register_id INTEGER NOT NULL,
                    grid_code TEXT NOT NULL,
                    PRIMARY KEY (run_id, register_id)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v6: register rows kept across re-imports") { db in
            // A register row remembers the building it was imported for by source and source id, so an OSM re-import
            // (which replaces the buildings) re-attaches it; a row whose building is gone keeps building_id NULL
            // (detached) instead of being deleted. SQLite cannot relax NOT NULL in place: the table is rebuilt
            // (foreign keys are off during migrations, so register_grids keeps its rows).
            try db.execute(sql: """
                CREATE TABLE household_register_v6 (
                    id INTEGER PRIMARY KEY,
                    building_id INTEGER REFERENCES buildings(id) ON DELETE SET NULL,
                    building_source TEXT NOT NULL,
                    building_source_id TEXT NOT NULL,
                    unit TEXT,
                    floor INTEGER,
                    households INTEGER NOT NULL CHECK (households >= 0),
                    source TEXT NOT NULL,
                    source_line INTEGER NOT NULL
                );
                INSERT INTO household_register_v6 (id, building_id, building_source, building_source_id, unit, floor,
                                                   households, source, source_line)
                SELECT r.id, b.id, coalesce(b.source, ''), coalesce(b.source_id, CAST(r.building_id AS TEXT)), r.unit,
                       r.floor, r.households, r.source, r.source_line
                FROM household_register r LEFT JOIN buildings b ON b.id = r.building_id;
                DROP TABLE household_register;
                ALTER TABLE household_register_v6 RENAME TO household_register;
                CREATE INDEX household_register_building ON household_register(building_id);
                CREATE INDEX household_register_building_source ON household_register(building_source, building_source_id);
                -- Which part of the households rule gave an estimated building its count (NULL: not estimated).
                ALTER TABLE buildings ADD COLUMN households_basis TEXT;
                """)
        }
        migrator.registerMigration("v7: grid code register") { db in
            // Every grid code with its validity, so a retired code is never given to another area. Filled from the
            // grids in the store (valid since an unknown time unless an applied run created them) and from earlier
            // runs: codes an applied run replaced and did not plan again, and codes a reverted run had created, are retired.
            try db.execute(sql: """
                CREATE TABLE grid_codes (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL CHECK (length(code) = 15),
                    community_code TEXT NOT NULL,
                    name TEXT NOT NULL,
                    valid_from TEXT,
                    valid_to TEXT,
                    created_run INTEGER REFERENCES grid_runs(id),
                    retired_run INTEGER REFERENCES grid_runs(id)
                );
                CREATE UNIQUE INDEX grid_codes_valid ON grid_codes(code) WHERE valid_to IS NULL;
                CREATE INDEX grid_codes_code ON grid_codes(code);
                CREATE INDEX grid_codes_community ON grid_codes(community_code);
                INSERT INTO grid_codes (code, community_code, name, valid_from, created_run)
                SELECT g.code, g.community_code, g.name, r.applied_at, r.id
                FROM grids g LEFT JOIN grid_runs r ON r.status = 'applied' AND g.source = 'grid-run:' || r.id ORDER BY g.code;
                INSERT INTO grid_codes (code, community_code, name, valid_to, retired_run)
                SELECT p.code, p.community_code, p.name, r.applied_at, r.id
                FROM grid_run_previous p JOIN grid_runs r ON r.id = p.run_id
                WHERE r.status = 'applied' AND p.code NOT IN (SELECT code FROM grids)
                  AND p.code NOT IN (SELECT code FROM grid_run_grids WHERE run_id = r.id) ORDER BY r.id, p.code;
                INSERT INTO grid_codes (code, community_code, name, valid_from, valid_to, created_run, retired_run)
                SELECT p.code, p.community_code, p.name, r.applied_at, r.reverted_at, r.id, r.id
                FROM grid_run_grids p JOIN grid_runs r ON r.id = p.run_id
                WHERE r.status = 'reverted' AND p.code NOT IN (SELECT code FROM grids) ORDER BY r.id, p.code;
                """)
        }
        migrator.registerMigration("v8: layer versions, building places, run versions") { db in
            // Per-layer versions raised by triggers on every row change, whichever process makes it; results record
            // them to be marked stale later. building_places holds each building's current grid and community with
            // the versions they were derived from. Coverage rows keep every requirement's verdict so a stored run
            // renders and compares without computing again.
            try db.execute(sql: """
                CREATE TABLE layer_versions (
                    layer TEXT PRIMARY KEY,
                    version INTEGER NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO layer_versions (layer, version) VALUES ('buildings', 1), ('facilities', 1), ('network', 1), ('grids', 1), ('communities', 1);
                CREATE TABLE building_places (
                    building_id INTEGER PRIMARY KEY,
                    grid_code TEXT,
                    community_code TEXT
                );
                CREATE INDEX building_places_grid ON building_places(grid_code);
                CREATE INDEX building_places_community ON building_places(community_code);
                CREATE TABLE building_places_basis (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    basis TEXT NOT NULL
                );
                ALTER TABLE coverage_runs ADD COLUMN data_versions TEXT;
                ALTER TABLE coverage_buildings ADD COLUMN requirements_met TEXT;
                ALTER TABLE grid_runs ADD COLUMN data_versions TEXT;
                """)
            try db.execute(sql: DataVersions.triggerSQL())
            try BuildingPlaces.refreshIfNeeded(db)
        }
        migrator.registerMigration("v9-cases") { db in
            try CaseSchema.create(db)
        }
        migrator.registerMigration("v10-run-vocabulary") { db in
            // Stored run parameters take the names of the HTTP body and the command line's JSON (min, max, grid_count,
            // from_current) instead of the Swift ones they were first stored under.
            try GridRunVocabulary.rename(db)
        }
        migrator.registerMigration("v11-case-geometry") { db in
            try CaseSchema.addGeometry(db)
        }
        migrator.registerMigration("v12-case-counters") { db in
            try CaseSchema.addCounters(db)
        }
        migrator.registerMigration("v13-case-duplicate-index") { db in
            try CaseSchema.addDuplicateIndexes(db)
        }
        migrator.registerMigration("v14-coverage-compact") { db in
            // A coverage run keeps each building's nearest facility per category in the building's row
            // (`NearestColumn`), in the order `nearest_categories` names: a city's run is a million rows instead of
            // five million. Runs stored before keep their `coverage_nearest` rows (nearest_categories NULL) and read as before.
            try db.execute(sql: """
                ALTER TABLE coverage_runs ADD COLUMN nearest_categories TEXT;
                ALTER TABLE coverage_buildings ADD COLUMN nearest BLOB;
                """)
        }
        return migrator
    }
}
