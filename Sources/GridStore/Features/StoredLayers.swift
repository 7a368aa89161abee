import GRDB

/// Small questions a front end asks about the stored layers.
public enum StoredLayers {
    /// The layer tables a health check counts, in this order.
    public static let tables = ["communities", "grids", "buildings", "facilities", "network_edges"]

    /// Rows per layer table, in the order of `tables`.
    public static func counts(store: Store) throws -> [(table: String, count: Int)] {
        try store.read { db in
            try tables.map { table in (table, try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0) }
        }
    }

    /// The community codes the store holds.
    public static func communityCodes(store: Store) throws -> Set<String> {
        try store.read { db in Set(try String.fetchAll(db, sql: "SELECT code FROM communities")) }
    }
}
