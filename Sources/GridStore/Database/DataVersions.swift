import Foundation
import GRDB
import GridAnalysis
import GridModel

/// Per-layer data versions: counters that triggers on the layer tables raise on every insert, update and
/// delete (migration v8), so a change made by any process, ours or not, is seen. Results record the
/// versions they were computed on; a result whose versions differ from the store's is stale.
public struct DataVersions: Codable, Sendable, Hashable {
    public var buildings: Int64
    public var facilities: Int64
    public var network: Int64
    public var grids: Int64
    public var communities: Int64

    public init(buildings: Int64, facilities: Int64, network: Int64, grids: Int64, communities: Int64) {
        self.buildings = buildings; self.facilities = facilities; self.network = network; self.grids = grids; self.communities = communities
    }

    /// Layer name, the table its triggers watch.
    static let layers: [(layer: String, table: String)] = [
        ("buildings", "buildings"), ("facilities", "facilities"), ("network", "network_edges"), ("grids", "grids"), ("communities", "communities"),
    ]

    public static func read(_ db: Database) throws -> DataVersions {
        var values: [String: Int64] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT layer, version FROM layer_versions")) { values[row[0]] = row[1] }
        return DataVersions(buildings: values["buildings"] ?? 0, facilities: values["facilities"] ?? 0, network: values["network"] ?? 0,
                            grids: values["grids"] ?? 0, communities: values["communities"] ?? 0)
    }

    public static func current(_ store: Store) throws -> DataVersions { try store.read(read) }

    var byLayer: [(String, Int64)] {
        [("buildings", buildings), ("facilities", facilities), ("network", network), ("grids", grids), ("communities", communities)]
    }

    /// The layers whose version differs from `other`'s, in a fixed order.
    public func changedLayers(since other: DataVersions) -> [String] {
        zip(byLayer, other.byLayer).filter { $0.0.1 != $0.1.1 }.map(\.0.0)
    }

    public var json: [String: Any] { Dictionary(uniqueKeysWithValues: byLayer.map { ($0.0, $0.1 as Any) }) }

    /// SQL that is 1 when the versions recorded in `column` (JSON text; NULL for results stored before versions were
    /// kept) differ from the store's current ones, else 0: the same judgement as `Freshness`, for readers in SQL.
    public static func staleSQL(recordedIn column: String) -> String {
        let same = layers.map { layer, _ in
            "json_extract(\(column), '$.\(layer)') = (SELECT version FROM layer_versions WHERE layer = '\(layer)')"
        }.joined(separator: " AND ")
        return "CASE WHEN \(column) IS NULL THEN 1 WHEN \(same) THEN 0 ELSE 1 END"
    }

    public var text: String { String(decoding: try! JSONEncoder.sorted.encode(self), as: UTF8.self) }

    public static func decode(_ text: String?) -> DataVersions? {
        text.flatMap { try? JSONDecoder().decode(DataVersions.self, from: Data($0.utf8)) }
    }

    /// Raised set-wise after a bulk load that ran without the per-row triggers.
    static func bump(_ db: Database, tables: [String]) throws {
        for (layer, table) in layers where tables.contains(table) {
            try db.execute(sql: "UPDATE layer_versions SET version = version + 1 WHERE layer = ?", arguments: [layer])
        }
    }

    /// The triggers of migration v8, one per table and operation; named `lv_…` so bulk loads can set them aside.
    static func triggerSQL() -> String {
        layers.flatMap { layer, table in
            ["INSERT", "UPDATE", "DELETE"].map { operation in
                """
                CREATE TRIGGER lv_\(table)_\(operation.lowercased()) AFTER \(operation) ON \(table)
                BEGIN UPDATE layer_versions SET version = version + 1 WHERE layer = '\(layer)'; END;
                """
            }
        }.joined(separator: "\n")
    }
}

/// Whether a stored result was computed on the store's current data, and if not, what changed since.
public struct Freshness: Sendable, Hashable {
    /// nil for results stored before versions were recorded.
    public var recorded: DataVersions?
    public var current: DataVersions
    /// Layers changed since the result; every layer when the result carries no versions.
    public var changedLayers: [String]

    public init(recorded: DataVersions?, current: DataVersions) {
        self.recorded = recorded
        self.current = current
        changedLayers = recorded.map { current.changedLayers(since: $0) } ?? DataVersions.layers.map(\.layer)
    }

    public var isStale: Bool { !changedLayers.isEmpty }

    /// `current`, or `stale: grids, facilities changed since`.
    public var label: String {
        guard isStale else { return "current" }
        return recorded == nil ? "stale: computed before data versions were kept" : "stale: \(changedLayers.joined(separator: ", ")) changed since"
    }

    public var json: [String: Any] {
        ["stale": isStale, "changed_since": changedLayers, "data_versions": recorded?.json as Any? ?? NSNull(), "current_versions": current.json]
    }
}

/// Each building's current grid and community: the grid whose polygon holds the building's representative
/// point (lowest code where grids overlap or share the boundary), and that grid's community, else the
/// community holding the point. Kept in `building_places` with the versions it was derived from, and derived
/// again whenever buildings, grids or communities changed since, so it never names a grid that is gone.
public enum BuildingPlaces {
    public struct Place: Sendable, Hashable {
        public var grid: String?
        public var community: String?
    }

    /// The places of every building, derived from the current layers (no stored state read).
    static func derive(_ db: Database) throws -> [Int64: Place] {
        let grids = try AnalysisData.areas(db, sql: "SELECT code, community_code, AsBinary(geom) FROM grids ORDER BY code")
        let communities = try AnalysisData.areas(db, sql: "SELECT code, NULL, AsBinary(geom) FROM communities ORDER BY code")
        let gridLocator = PolygonLocator(grids.map(\.shape))
        let communityLocator = PolygonLocator(communities.map(\.shape))
        var places: [Int64: Place] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT id, X(point), Y(point) FROM buildings WHERE point IS NOT NULL")
        while let row = try rows.next() {
            let point = Coordinate(longitude: row[1], latitude: row[2])
            let grid = gridLocator.first(containing: point).map { grids[$0] }
            places[row[0]] = Place(grid: grid?.code, community: grid?.community ?? communityLocator.first(containing: point).map { communities[$0].code })
        }
        return places
    }

    static func basis(_ versions: DataVersions) -> String {
        "buildings:\(versions.buildings);grids:\(versions.grids);communities:\(versions.communities)"
    }

    /// SQL true when `building_places` matches the current layers (readers that cannot write use it to
    /// show no grid rather than an outdated one).
    static let currentSQL = """
        (SELECT basis FROM building_places_basis WHERE id = 1) =
        (SELECT 'buildings:' || (SELECT version FROM layer_versions WHERE layer = 'buildings') ||
                ';grids:' || (SELECT version FROM layer_versions WHERE layer = 'grids') ||
                ';communities:' || (SELECT version FROM layer_versions WHERE layer = 'communities'))
        """
    public static var isCurrentSQL: String { currentSQL }

    /// Derives the places again when the layers changed since they were stored; inside the caller's transaction.
    public static func refreshIfNeeded(_ db: Database) throws {
        let versions = try DataVersions.read(db)
        let stored = try String.fetchOne(db, sql: "SELECT basis FROM building_places_basis WHERE id = 1")
        if stored == basis(versions) { return }
        let places = try derive(db)
        try db.execute(sql: "DELETE FROM building_places")
        let insert = try db.makeStatement(sql: "INSERT INTO building_places (building_id, grid_code, community_code) VALUES (?, ?, ?)")
        for (id, place) in places { try insert.execute(arguments: [id, place.grid, place.community]) }
        try db.execute(sql: "INSERT OR REPLACE INTO building_places_basis (id, basis) VALUES (1, ?)", arguments: [basis(versions)])
    }

    public static func refreshIfNeeded(_ store: Store) throws {
        let stale = try store.read { db in
            try String.fetchOne(db, sql: "SELECT basis FROM building_places_basis WHERE id = 1") != basis(try DataVersions.read(db))
        }
        if stale { try store.write { try refreshIfNeeded($0) } }
    }

    /// The current places (derived again first when needed).
    public static func current(_ store: Store) throws -> [Int64: Place] {
        try refreshIfNeeded(store)
        return try store.read { db in
            var places: [Int64: Place] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT building_id, grid_code, community_code FROM building_places") {
                places[row[0]] = Place(grid: row[1], community: row[2])
            }
            return places
        }
    }
}
