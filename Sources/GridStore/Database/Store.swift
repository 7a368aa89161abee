import Foundation
import GRDB
import GRDBSQLite

/// One CommunityGrid store: a Spatialite file that QGIS opens as it is.
///
/// All access goes through `read {}` / `write {}`; the connection never escapes them.
/// Every connection of the pool loads `mod_spatialite` (Debian's libsqlite3-mod-spatialite).
public final class Store: Sendable {
    public let path: String
    let pool: DatabasePool

    /// Opens an existing store and brings its schema up to date.
    public static func open(path: String) throws -> Store {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.badInput("no store at \(path); create it with `communitygrid --db \(path) init`")
        }
        return try Store(path: path)
    }

    /// Creates the file when missing, then migrates it.
    public static func create(path: String) throws -> Store {
        try Store(path: path)
    }

    private init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try Store.loadSpatialite(db)
            // WAL with NORMAL: a killed process loses no committed transaction and the file is never
            // corrupted; only a power cut may drop the last commit. Saves an fsync per commit.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if !db.configuration.readonly {
                // The writer's cache: with SQLite's default of 2 MB, a large transaction (an import, a coverage run)
                // spills its dirty pages to the WAL and reads them back, and CREATE INDEX sorts through temporary files.
                try db.execute(sql: "PRAGMA cache_size = -\(Store.writerCacheKiB)")
            }
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch let error as DatabaseError {
            throw StoreError.badInput("cannot open \(path) as a store: \(error.message ?? "\(error.resultCode)")")
        }
        try StoreMigrations.migrator.migrate(pool)
    }

    /// The page cache of the one writing connection, KiB (grown only as a transaction touches pages).
    static let writerCacheKiB = 256 * 1024

    static func loadSpatialite(_ db: Database) throws {
        guard let handle = db.sqliteConnection else { return }
        sqlite3_enable_load_extension(handle, 1)
        defer { sqlite3_enable_load_extension(handle, 0) }
        do {
            try db.execute(sql: "SELECT load_extension('mod_spatialite')")
        } catch {
            throw StoreError.environment(
                "cannot load mod_spatialite (install Debian's libsqlite3-mod-spatialite): \(error)")
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// One transaction: everything in `body` lands, or nothing does.
    public func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        defer { releaseLargeWriterCache() }
        return try pool.write(body)
    }

    /// For work that manages its own transactions or must run outside one (VACUUM, CreateSpatialIndex rebuilds).
    public func writeWithoutTransaction<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        defer { releaseLargeWriterCache() }
        return try pool.writeWithoutTransaction(body)
    }

    /// Above this, the writer's cache is let go after a write: a server that stored one large run would otherwise
    /// hold up to `writerCacheKiB` until it exits, while small writes (a case, a run's status) keep their pages.
    static let writerCacheKeptKiB = 32 * 1024

    /// The KiB the writer's cache holds now.
    func writerCacheUsedKiB() -> Int {
        pool.writeWithoutTransaction { db in Self.cacheUsedKiB(db) }
    }

    static func cacheUsedKiB(_ db: Database) -> Int {
        connectionStatus(db, SQLITE_DBSTATUS_CACHE_USED) / 1024
    }

    /// Pages this connection wrote out of its cache before a commit, since it was opened: what too small a cache costs.
    static func cacheSpilledPages(_ db: Database) -> Int {
        connectionStatus(db, SQLITE_DBSTATUS_CACHE_SPILL)
    }

    private static func connectionStatus(_ db: Database, _ item: Int32) -> Int {
        guard let handle = db.sqliteConnection else { return 0 }
        var current: Int32 = 0, highwater: Int32 = 0
        guard sqlite3_db_status(handle, item, &current, &highwater, 0) == SQLITE_OK else { return 0 }
        return Int(current)
    }

    private func releaseLargeWriterCache() {
        pool.writeWithoutTransaction { db in
            guard Self.cacheUsedKiB(db) > Self.writerCacheKeptKiB, let handle = db.sqliteConnection else { return }
            sqlite3_db_release_memory(handle)
        }
    }
}
