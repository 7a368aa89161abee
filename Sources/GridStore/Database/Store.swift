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
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch let error as DatabaseError {
            throw StoreError.badInput("cannot open \(path) as a store: \(error.message ?? "\(error.resultCode)")")
        }
        try StoreMigrations.migrator.migrate(pool)
    }

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
        try pool.write(body)
    }

    /// For work that manages its own transactions or must run outside one (VACUUM, CreateSpatialIndex rebuilds).
    public func writeWithoutTransaction<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction(body)
    }
}
