/// The layers served as feature collections (OGC API – Features), and how each maps onto the store's tables.
///
/// Every name a query may use (property, filter, sort key) is looked up here; SQL is never built from
/// request text, only from these descriptors, and the SQL stays inside the store.
public struct FeatureCollection: Sendable {
    public enum ValueType: String, Sendable { case integer, number, string, boolean }

    public struct Property: Sendable {
        public let name: String
        /// SQL expression over the table alias `t` (and for buildings `cb`, the latest coverage row, and `bp`, the current place).
        let expression: String
        public let type: ValueType
        public let description: String
        /// Usable as an equality filter and as a sort key.
        public var queryable: Bool = true

        init(name: String, expression: String, type: ValueType, description: String, queryable: Bool = true) {
            self.name = name
            self.expression = expression
            self.type = type
            self.description = description
            self.queryable = queryable
        }
    }

    public let id: String
    public let title: String
    public let description: String
    let table: String
    let geometryColumn: String
    public let geometryType: String
    public let properties: [Property]
    /// Joins the latest coverage run's row (`cb`); the run id is bound as the first argument.
    var joinsCoverage = false

    public func property(named name: String) -> Property? { properties.first { $0.name == name } }

    public static let all: [FeatureCollection] = [communities, grids, buildings, facilities, network]

    public static func named(_ id: String) -> FeatureCollection? { all.first { $0.id == id } }

    /// The R-tree of the collection's geometry column.
    var spatialIndex: String { "idx_\(table)_\(geometryColumn)" }

    public static let communities = FeatureCollection(
        id: "communities", title: "Communities", description: "Community (社区) boundaries with their 12-digit codes.",
        table: "communities", geometryColumn: "geom", geometryType: "MultiPolygon",
        properties: [
            Property(name: "code", expression: "t.code", type: .string, description: "12-digit community code"),
            Property(name: "name", expression: "t.name", type: .string, description: "community name"),
            Property(name: "admin_code", expression: "t.admin_code", type: .string, description: "6-digit administrative division code"),
            Property(name: "street_code", expression: "t.street_code", type: .string, description: "3-digit street (街道) code"),
            Property(name: "community_code", expression: "t.community_code", type: .string, description: "3-digit community number"),
            Property(name: "area_m2", expression: "round(t.area_m2, 1)", type: .number, description: "area, m²"),
        ])

    public static let grids = FeatureCollection(
        id: "grids", title: "Grids", description: "Grid (网格) polygons with their 15-digit codes.",
        table: "grids", geometryColumn: "geom", geometryType: "MultiPolygon",
        properties: [
            Property(name: "code", expression: "t.code", type: .string, description: "15-digit grid code"),
            Property(name: "name", expression: "t.name", type: .string, description: "grid name"),
            Property(name: "community", expression: "t.community_code", type: .string, description: "12-digit code of the grid's community"),
            Property(name: "area_m2", expression: "round(t.area_m2, 1)", type: .number, description: "area, m²"),
        ])

    public static let buildings = FeatureCollection(
        id: "buildings", title: "Buildings",
        description: "Residential and other buildings with households, and the latest coverage run's result for each.",
        table: "buildings", geometryColumn: "footprint", geometryType: "MultiPolygon",
        properties: [
            Property(name: "source", expression: "t.source", type: .string, description: "where the building comes from (osm, geojson, …)"),
            Property(name: "source_id", expression: "t.source_id", type: .string, description: "id in the source (OSM: w123 / r456)"),
            Property(name: "type", expression: "t.building_type", type: .string, description: "building type (OSM building=*)"),
            Property(name: "name", expression: "t.name", type: .string, description: "name"),
            Property(name: "levels", expression: "t.levels", type: .number, description: "storeys above ground"),
            Property(name: "households", expression: "t.households", type: .integer, description: "households"),
            Property(name: "households_source", expression: "t.households_source", type: .string, description: "estimated, imported or register"),
            Property(name: "area_m2", expression: "round(t.area_m2, 1)", type: .number, description: "footprint area, m²"),
            Property(name: "grid_code", expression: "bp.grid_code", type: .string,
                      description: "the building's current grid: the grid holding its point (lowest code on a shared boundary); null when none does"),
            Property(name: "community_code", expression: "bp.community_code", type: .string,
                      description: "the building's current community: its grid's, else the community holding its point"),
            Property(name: "coverage_levels_met", expression: "cb.levels_met", type: .string,
                      description: "life-circle levels (minutes, comma-separated) whose every requirement the building meets; null without a coverage run"),
            Property(name: "coverage_met", expression: "cb.levels_met", type: .boolean,
                      description: "true when every level of the run's profile is met; null without a coverage run"),
            Property(name: "coverage_run", expression: "cb.run_id", type: .integer,
                      description: "the coverage run the coverage properties come from (see /coverage/runs/{id}); null without a run", queryable: false),
            Property(name: "coverage_stale", expression: "(SELECT \(DataVersions.staleSQL(recordedIn: "r.data_versions")) FROM coverage_runs r WHERE r.id = cb.run_id)",
                      type: .boolean, description: "true when a layer changed since that coverage run was computed; null without a run", queryable: false),
            Property(name: "off_network_m", expression: "cb.off_network_m", type: .number,
                      description: "distance from the building to the walking network, m", queryable: false),
        ],
        joinsCoverage: true)

    public static let facilities = FeatureCollection(
        id: "facilities", title: "Facilities", description: "Service facilities by category (clinic, kindergarten, school, …).",
        table: "facilities", geometryColumn: "geom", geometryType: "Point",
        properties: [
            Property(name: "category", expression: "t.category", type: .string, description: "service category"),
            Property(name: "name", expression: "t.name", type: .string, description: "name"),
            Property(name: "source", expression: "t.source", type: .string, description: "where the facility comes from (osm, geojson, …)"),
            Property(name: "source_id", expression: "t.source_id", type: .string, description: "id in the source"),
            Property(name: "capacity", expression: "t.capacity", type: .integer, description: "capacity (places), when known"),
        ])

    public static let network = FeatureCollection(
        id: "network", title: "Walking network", description: "Edges of the walking network, split at junctions.",
        table: "network_edges", geometryColumn: "geom", geometryType: "LineString",
        properties: [
            Property(name: "source_node", expression: "t.source_node", type: .integer, description: "node at the start"),
            Property(name: "target_node", expression: "t.target_node", type: .integer, description: "node at the end"),
            Property(name: "length_m", expression: "round(t.length_m, 2)", type: .number, description: "length, m"),
            Property(name: "highway", expression: "t.highway", type: .string, description: "OSM highway=* class"),
            Property(name: "osm_way_id", expression: "t.osm_way_id", type: .integer, description: "OSM way id"),
        ])
}
