import Foundation
import GRDB
import GridCases
import Synchronization

/// The data cases are registered against: departments and categories, the working calendar, workers and the grids
/// they serve, reporter keys.
public enum CaseSetup {
    // MARK: Catalog

    static func install(catalog: CaseCatalog, _ db: Database) throws {
        let used = try String.fetchAll(db, sql: "SELECT DISTINCT category_code FROM cases")
        let missing = Set(used).subtracting(catalog.categories.map(\.code))
        guard missing.isEmpty else {
            throw StoreError.badInput("the catalog lacks categories that stored cases use: \(missing.sorted().joined(separator: ", "))")
        }
        try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
        try db.execute(sql: "DELETE FROM case_categories")
        try db.execute(sql: "DELETE FROM departments")
        for department in catalog.departments {
            try db.execute(sql: "INSERT INTO departments (code, name) VALUES (?, ?)", arguments: [department.code, department.name])
        }
        for c in catalog.categories {
            try db.execute(sql: """
                INSERT INTO case_categories (code, name_zh, name_en, kind, department_code, handling_limit, checking_limit, priority, facility_category)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [c.code, c.nameZh, c.nameEn, c.kind.rawValue, c.department, c.handlingLimit.text, c.checkingLimit.text,
                                 c.priority, c.facilityCategory])
        }
        try db.execute(sql: "INSERT OR REPLACE INTO case_settings (name, value) VALUES ('catalog', ?)", arguments: [catalog.name])
    }

    /// Replaces the store's departments and categories (refused when a stored case uses a category it lacks).
    public static func install(catalog: CaseCatalog, store: Store) throws {
        try store.write { db in try install(catalog: catalog, db) }
    }

    public static func catalog(_ store: Store) throws -> CaseCatalog {
        try store.read { db in try catalog(db) }
    }

    /// The stored catalog. Kept decoded between reads under the literal text of its rows (`catalogKeySQL`), read in
    /// the caller's transaction: any change to the catalog's name, departments or categories is a new key, so the
    /// catalog served is always the one stored.
    static func catalog(_ db: Database) throws -> CaseCatalog {
        let key = try String.fetchOne(try db.cachedStatement(sql: catalogKeySQL)) ?? ""
        if let known = catalogCache.withLock({ $0?.key == key ? $0?.catalog : nil }) { return known }
        let catalog = try readCatalog(db)
        catalogCache.withLock { $0 = (key, catalog) }
        return catalog
    }

    /// Every value the catalog is read from as SQL literals (`quote`: strings quoted with quotes doubled, numbers,
    /// NULL, blobs in hex) between separators no literal holds unquoted, so equal keys mean equal rows.
    static let catalogKeySQL = """
        SELECT coalesce((SELECT quote(value) FROM case_settings WHERE name = 'catalog'), 'NULL')
            || ';' || coalesce((SELECT group_concat(quote(code) || ',' || quote(name), ';') FROM (SELECT code, name FROM departments ORDER BY code)), '')
            || ';;' || coalesce((SELECT group_concat(quote(code) || ',' || quote(name_zh) || ',' || quote(name_en) || ',' || quote(kind) || ','
                || quote(department_code) || ',' || quote(handling_limit) || ',' || quote(checking_limit) || ',' || quote(priority) || ','
                || quote(facility_category), ';') FROM (SELECT * FROM case_categories ORDER BY code)), '')
        """

    /// The last catalog decoded, with its key.
    static let catalogCache = Mutex<(key: String, catalog: CaseCatalog)?>(nil)

    /// The catalog as the rows hold it, decoded afresh.
    static func readCatalog(_ db: Database) throws -> CaseCatalog {
        let name = try String.fetchOne(db, sql: "SELECT value FROM case_settings WHERE name = 'catalog'") ?? "default"
        let departments = try Row.fetchAll(db, sql: "SELECT code, name FROM departments ORDER BY code").map { Department(code: $0[0], name: $0[1]) }
        let categories = try Row.fetchAll(db, sql: """
            SELECT code, name_zh, name_en, kind, department_code, handling_limit, checking_limit, priority, facility_category
            FROM case_categories ORDER BY code
            """).map { row -> CaseCategory in
            let code: String = row[0]
            guard let kind = CaseCategory.Kind(rawValue: row[3]), let handling = TimeLimit.parse(row[5]), let checking = TimeLimit.parse(row[6]) else {
                throw StoreError.corrupt("case category \(code): kind or limits unreadable")
            }
            return CaseCategory(code: code, nameZh: row[1], nameEn: row[2], kind: kind, department: row[4], handlingLimit: handling,
                                checkingLimit: checking, priority: row[7], facilityCategory: row[8])
        }
        do { return try CaseCatalog(name: name, departments: departments, categories: categories) } catch {
            throw StoreError.corrupt("stored case catalog: \(error.description)")
        }
    }

    // MARK: Calendar

    static func saveCalendar(_ calendar: WorkingCalendar, _ db: Database) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(calendar), as: UTF8.self)
        try db.execute(sql: "INSERT OR REPLACE INTO case_settings (name, value) VALUES ('calendar', ?)", arguments: [text])
    }

    public static func saveCalendar(_ calendar: WorkingCalendar, store: Store) throws {
        try store.write { db in try saveCalendar(calendar, db) }
    }

    public static func calendar(_ store: Store) throws -> WorkingCalendar {
        try store.read { db in try calendar(db) }
    }

    /// The stored calendar, kept decoded between reads under its stored text: a changed calendar is a new text.
    static func calendar(_ db: Database) throws -> WorkingCalendar {
        guard let text = try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM case_settings WHERE name = 'calendar'")) else {
            return .standard
        }
        if let known = calendarCache.withLock({ $0?.text == text ? $0?.calendar : nil }) { return known }
        let calendar = try decodeCalendar(text)
        calendarCache.withLock { $0 = (text, calendar) }
        return calendar
    }

    /// The last calendar decoded, with its stored text.
    static let calendarCache = Mutex<(text: String, calendar: WorkingCalendar)?>(nil)

    /// The calendar as stored, decoded afresh.
    static func readCalendar(_ db: Database) throws -> WorkingCalendar {
        try String.fetchOne(db, sql: "SELECT value FROM case_settings WHERE name = 'calendar'").map(decodeCalendar) ?? .standard
    }

    static func decodeCalendar(_ text: String) throws -> WorkingCalendar {
        do { return try JSONDecoder().decode(WorkingCalendar.self, from: Data(text.utf8)) } catch {
            throw StoreError.corrupt("stored working calendar: \(error)")
        }
    }

    // MARK: Workers

    public enum Role: String, Sendable, CaseIterable { case gridWorker = "grid_worker", supervisor, dispatcher, departmentStaff = "department_staff" }

    public struct Worker: Sendable, Hashable {
        public var id: Int64
        public var code: String
        public var name: String
        public var role: String
        public var department: String?
        /// Grids served now or in the future, with validity (valid_to nil: open-ended).
        public var grids: [(grid: String, from: Timestamp, to: Timestamp?)]

        public static func == (a: Worker, b: Worker) -> Bool { a.id == b.id }
        public func hash(into hasher: inout Hasher) { hasher.combine(id) }
    }

    @discardableResult
    public static func addWorker(store: Store, code: String, name: String, role: Role, department: String?, phone: String? = nil) throws -> Int64 {
        guard !code.isEmpty, code.count <= 64 else { throw StoreError.badInput("worker code must be 1–64 characters") }
        guard !name.isEmpty, name.count <= 200 else { throw StoreError.badInput("worker name must be 1–200 characters") }
        return try store.write { db in try addWorker(db, code: code, name: name, role: role, department: department, phone: phone) }
    }

    static func addWorker(_ db: Database, code: String, name: String, role: Role, department: String?, phone: String? = nil) throws -> Int64 {
        if let department, try Int.fetchOne(db, sql: "SELECT 1 FROM departments WHERE code = ?", arguments: [department]) == nil {
            throw StoreError.badInput("department \(department) is not in the store's catalog (see `cases categories`)")
        }
        if try Int.fetchOne(db, sql: "SELECT 1 FROM workers WHERE code = ?", arguments: [code]) != nil {
            throw StoreError.badInput("worker \(code) exists already")
        }
        try db.execute(sql: "INSERT INTO workers (code, name, role, department_code, phone) VALUES (?, ?, ?, ?, ?)",
                       arguments: [code, name, role.rawValue, department, phone])
        return db.lastInsertedRowID
    }

    /// Assigns a worker to a grid from `from`; the grid's previous assignment open at that time ends then, so a
    /// grid has one current grid worker.
    public static func assign(store: Store, worker code: String, grid: String, from: Timestamp) throws {
        try store.write { db in try assign(db, worker: code, grid: grid, from: from) }
    }

    static func assign(_ db: Database, worker code: String, grid: String, from: Timestamp) throws {
        guard let worker = try Row.fetchOne(db, sql: "SELECT id, role FROM workers WHERE code = ?", arguments: [code]) else {
            throw StoreError.badInput("no worker \(code); add one with `workers add`")
        }
        guard try Int.fetchOne(db, sql: "SELECT 1 FROM grids WHERE code = ?", arguments: [grid]) != nil else {
            throw StoreError.badInput("no grid \(grid) in the store")
        }
        let role: String = worker[1]
        try db.execute(sql: """
            UPDATE worker_grids SET valid_to = ?
            WHERE grid_code = ? AND valid_from < ? AND (valid_to IS NULL OR valid_to > ?)
              AND worker_id IN (SELECT id FROM workers WHERE role = ?)
            """, arguments: [from, grid, from, from, role])
        try db.execute(sql: "INSERT INTO worker_grids (worker_id, grid_code, valid_from) VALUES (?, ?, ?)", arguments: [worker[0] as Int64, grid, from])
    }

    public static func workers(_ store: Store) throws -> [Worker] {
        try store.read { db in
            let grids = try Row.fetchAll(db, sql: "SELECT worker_id, grid_code, valid_from, valid_to FROM worker_grids ORDER BY valid_from, grid_code")
            var byWorker: [Int64: [(grid: String, from: Timestamp, to: Timestamp?)]] = [:]
            for row in grids { byWorker[row[0], default: []].append((row[1], row[2], row[3])) }
            return try Row.fetchAll(db, sql: "SELECT id, code, name, role, department_code FROM workers ORDER BY code").map { row in
                Worker(id: row[0], code: row[1], name: row[2], role: row[3], department: row[4], grids: byWorker[row[0]] ?? [])
            }
        }
    }

    /// The grid worker serving `grid` at `time` (lowest id when several).
    static func currentWorker(_ db: Database, grid: String, at time: Timestamp) throws -> (id: Int64, code: String)? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT w.id, w.code FROM worker_grids g JOIN workers w ON w.id = g.worker_id
            WHERE g.grid_code = ? AND w.role = 'grid_worker' AND g.valid_from <= ? AND (g.valid_to IS NULL OR g.valid_to > ?)
            ORDER BY w.id LIMIT 1
            """), arguments: [grid, time, time]).map { ($0[0], $0[1]) }
    }

    // MARK: Reporter keys

    /// Makes a reporter key for `name`; only its SHA-256 is stored, the key is returned once.
    public static func addReporterKey(store: Store, name: String, now: Timestamp) throws -> String {
        guard !name.isEmpty, name.count <= 200 else { throw StoreError.badInput("a reporter key's name must be 1–200 characters") }
        var generator = SystemRandomNumberGenerator()
        let key = "rk_" + (0..<32).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16) }
            .map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        try store.write { db in
            try db.execute(sql: "INSERT INTO reporter_keys (name, key_sha256, created_at) VALUES (?, ?, ?)",
                           arguments: [name, KeyDigest.hex(key), now])
        }
        return key
    }

    /// The name of the reporter holding `key`, nil when no live key matches.
    public static func reporter(key: String, store: Store) throws -> String? {
        guard key.count <= 200 else { return nil }
        let digest = KeyDigest.hex(key)
        return try store.read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT name FROM reporter_keys WHERE key_sha256 = ? AND revoked_at IS NULL"), arguments: [digest])
        }
    }
}
