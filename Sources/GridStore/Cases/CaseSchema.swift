import GRDB
import GridCases

/// The tables of the grid's daily loop (migration v9-cases). The event log is append-only: triggers refuse
/// UPDATE and DELETE, so a case's state can always be replayed from it. `cases.state` and the deadlines beside it
/// are the replay's result, written in the same transaction as the event that changed them.
enum CaseSchema {
    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE departments (
                code TEXT PRIMARY KEY,
                name TEXT NOT NULL
            );
            CREATE TABLE case_categories (
                code TEXT PRIMARY KEY,
                name_zh TEXT NOT NULL,
                name_en TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('component', 'event')),
                department_code TEXT NOT NULL REFERENCES departments(code),
                handling_limit TEXT NOT NULL,
                checking_limit TEXT NOT NULL,
                priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 3),
                facility_category TEXT
            );
            CREATE TABLE case_settings (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            CREATE TABLE workers (
                id INTEGER PRIMARY KEY,
                code TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('grid_worker', 'supervisor', 'dispatcher', 'department_staff')),
                department_code TEXT REFERENCES departments(code),
                phone TEXT
            );
            CREATE TABLE worker_grids (
                id INTEGER PRIMARY KEY,
                worker_id INTEGER NOT NULL REFERENCES workers(id),
                grid_code TEXT NOT NULL,
                valid_from INTEGER NOT NULL,
                valid_to INTEGER CHECK (valid_to IS NULL OR valid_to > valid_from)
            );
            CREATE INDEX worker_grids_grid ON worker_grids(grid_code, valid_from);
            CREATE TABLE cases (
                id INTEGER PRIMARY KEY,
                code TEXT NOT NULL UNIQUE,
                category_code TEXT NOT NULL REFERENCES case_categories(code),
                description TEXT NOT NULL CHECK (length(description) <= 4000),
                address TEXT,
                longitude REAL NOT NULL CHECK (longitude BETWEEN -180 AND 180),
                latitude REAL NOT NULL CHECK (latitude BETWEEN -90 AND 90),
                building_id INTEGER,
                grid_code TEXT,
                community_code TEXT,
                outside_grids INTEGER NOT NULL CHECK (outside_grids IN (0, 1)),
                grid_distance_m REAL NOT NULL,
                worker_id INTEGER REFERENCES workers(id),
                department_code TEXT NOT NULL,
                reporter_kind TEXT NOT NULL CHECK (reporter_kind IN ('grid_worker', 'resident', 'hotline_12345', 'other')),
                reporter TEXT,
                priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 3),
                households_nearby INTEGER,
                impact TEXT,
                media TEXT NOT NULL DEFAULT '[]',
                duplicate_of TEXT,
                state TEXT NOT NULL,
                registered_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                step_started_at INTEGER,
                step_deadline INTEGER,
                handling_deadline INTEGER,
                closed_at INTEGER,
                events INTEGER NOT NULL
            );
            CREATE INDEX cases_category_state ON cases(category_code, state, registered_at);
            CREATE INDEX cases_grid ON cases(grid_code, registered_at);
            CREATE INDEX cases_registered ON cases(registered_at);
            CREATE INDEX cases_building ON cases(building_id);
            CREATE TABLE case_events (
                id INTEGER PRIMARY KEY,
                case_id INTEGER NOT NULL REFERENCES cases(id),
                seq INTEGER NOT NULL,
                action TEXT NOT NULL,
                from_state TEXT,
                to_state TEXT NOT NULL,
                actor TEXT NOT NULL,
                at INTEGER NOT NULL,
                note TEXT,
                extension_seconds INTEGER,
                UNIQUE (case_id, seq)
            );
            CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
            BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
            CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
            BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
            CREATE TABLE reporter_keys (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                key_sha256 TEXT NOT NULL UNIQUE,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER
            );
            """)
        try CaseSetup.install(catalog: .shipped, db)
        try CaseSetup.saveCalendar(.standard, db)
    }

    /// Migration v11-case-geometry: cases as a GIS layer. `cases.geom` is the reported point (EPSG:4326) with an
    /// R-tree, filled for the cases already stored; the insert writes it, and triggers keep it equal to
    /// longitude/latitude for any other writer. `cases_map` is the view a desktop GIS styles by: the stored state
    /// (the replay of the log, written with each event) and `overdue`, computed from the clock when read, with
    /// the API's rule (open, and the running step's deadline passed). The yellow light needs the working calendar,
    /// which SQL cannot evaluate: the API gives it.
    static func addGeometry(_ db: Database) throws {
        guard try Int.fetchOne(db, sql: "SELECT AddGeometryColumn('cases', 'geom', 4326, 'POINT', 'XY')") == 1 else {
            throw StoreError.corrupt("cannot register geometry column cases.geom")
        }
        try db.execute(sql: "UPDATE cases SET geom = MakePoint(longitude, latitude, 4326)")
        // Created before the spatial index's triggers: SQLite runs the newest trigger first, so Spatialite's insert
        // trigger (which empties the new row's R-tree entry) runs before this one's UPDATE fills it.
        try db.execute(sql: """
            CREATE TRIGGER cases_geom_on_insert AFTER INSERT ON cases WHEN NEW.geom IS NULL
            BEGIN UPDATE cases SET geom = MakePoint(NEW.longitude, NEW.latitude, 4326) WHERE id = NEW.id; END;
            CREATE TRIGGER cases_geom_on_move AFTER UPDATE OF longitude, latitude ON cases
            BEGIN UPDATE cases SET geom = MakePoint(NEW.longitude, NEW.latitude, 4326) WHERE id = NEW.id; END;
            """)
        guard try Int.fetchOne(db, sql: "SELECT CreateSpatialIndex('cases', 'geom')") == 1 else {
            throw StoreError.corrupt("cannot create the spatial index of cases.geom")
        }
        try db.execute(sql: """
            CREATE VIEW cases_map AS
            SELECT c.rowid AS rowid, c.id AS id, c.code AS code, c.category_code AS category, k.name_zh AS category_zh,
                c.state AS state, c.grid_code AS grid_code, c.community_code AS community_code, c.department_code AS department,
                c.priority AS priority, c.households_nearby AS households_nearby,
                datetime(c.registered_at, 'unixepoch') AS registered_utc, datetime(c.step_deadline, 'unixepoch') AS step_deadline_utc,
                CASE WHEN c.state NOT IN ('closed', 'void') AND c.step_deadline IS NOT NULL
                    AND CAST(strftime('%s', 'now') AS INTEGER) > c.step_deadline THEN 1 ELSE 0 END AS overdue,
                c.geom AS geom
            FROM cases c JOIN case_categories k ON k.code = c.category_code;
            INSERT INTO views_geometry_columns (view_name, view_geometry, view_rowid, f_table_name, f_geometry_column, read_only)
            VALUES ('cases_map', 'geom', 'rowid', 'cases', 'geom', 1);
            """)
    }

    /// Migration v12-case-counters: the evaluation's counters beside each case (`CaseCounters`), filled for the cases
    /// already stored by replaying their logs. The trigger counts an event appended to a row holding the replay of the
    /// events before it (`events` one short of the event's `seq`): a step ending past the row's running deadline is
    /// late. Otherwise a counting event leaves the counters unknown (`late_steps` NULL) for `CaseCounters.refresh`.
    /// Any change to the calendar or the categories drops the basis row, so every case is derived again.
    static func addCounters(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE cases ADD COLUMN late_steps INTEGER DEFAULT 0;
            ALTER TABLE cases ADD COLUMN reworks INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE cases ADD COLUMN extensions INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX cases_counters_unknown ON cases(id) WHERE late_steps IS NULL;
            CREATE TABLE case_counters_basis (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                basis TEXT NOT NULL
            );
            CREATE TRIGGER case_events_counters AFTER INSERT ON case_events
            WHEN NEW.action IN ('feedback', 'close', 'rework', 'void', 'return', 'extend')
            BEGIN
                UPDATE cases SET
                    reworks = reworks + (NEW.action = 'rework'),
                    extensions = extensions + (NEW.action = 'extend'),
                    late_steps = CASE WHEN events = NEW.seq - 1
                        THEN late_steps + (NEW.action <> 'extend' AND step_deadline IS NOT NULL AND NEW.at > step_deadline) END
                WHERE id = NEW.case_id AND late_steps IS NOT NULL;
            END;
            CREATE TRIGGER case_settings_insert_counters AFTER INSERT ON case_settings BEGIN DELETE FROM case_counters_basis; END;
            CREATE TRIGGER case_settings_update_counters AFTER UPDATE ON case_settings BEGIN DELETE FROM case_counters_basis; END;
            CREATE TRIGGER case_settings_delete_counters AFTER DELETE ON case_settings BEGIN DELETE FROM case_counters_basis; END;
            CREATE TRIGGER case_categories_insert_counters AFTER INSERT ON case_categories BEGIN DELETE FROM case_counters_basis; END;
            CREATE TRIGGER case_categories_update_counters AFTER UPDATE ON case_categories BEGIN DELETE FROM case_counters_basis; END;
            CREATE TRIGGER case_categories_delete_counters AFTER DELETE ON case_categories BEGIN DELETE FROM case_counters_basis; END;
            """)
        try CaseCounters.refresh(db)
    }

    /// Migration v13-case-duplicate-index: the duplicate search's two lookups (`CaseRepository.findDuplicates`). The
    /// open cases of a category whose point lies in the box around the walking limit, found by longitude within the
    /// category and state and checked on latitude, time and building inside the index, which also holds the code the
    /// search answers with; and those on the report's building. Walking is never shorter than the straight line, so the
    /// box holds every case the walk can reach.
    static let duplicateBoxIndex = "cases_duplicate_box"
    static let duplicateBuildingIndex = "cases_duplicate_building"

    static func addDuplicateIndexes(_ db: Database) throws {
        try db.execute(sql: """
            CREATE INDEX \(duplicateBoxIndex) ON cases(category_code, state, longitude, latitude, registered_at, building_id, code);
            CREATE INDEX \(duplicateBuildingIndex) ON cases(category_code, building_id, state, registered_at);
            """)
    }
}
