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
    /// Features are cases, rendered as the command line and Open311 render them (`CaseFeatures`), id = case code.
    var rendersCases = false

    /// Query parameters of the collection beyond its properties' names.
    public enum Parameter: Sendable {
        /// Another name of a property's equality filter.
        case alias(String)
        /// Cases: open, closed (closed or void) or one state's name.
        case caseStatus
        /// Cases: true for open cases whose running step is past its deadline at the time of the request.
        case overdue
    }
    public var parameters: [String: Parameter] = [:]
    /// Its features have times (the cases): `datetime` is not the layers' no-op there.
    public var carriesTime: Bool { rendersCases }

    public func property(named name: String) -> Property? { properties.first { $0.name == name } }

    /// The layers: feature collections and tile layers.
    public static let all: [FeatureCollection] = [communities, grids, buildings, facilities, network]

    public static func named(_ id: String) -> FeatureCollection? { all.first { $0.id == id } }

    /// Every feature collection `/collections` lists: the layers and the cases.
    public static let listed: [FeatureCollection] = all + [cases]

    public static func listed(named id: String) -> FeatureCollection? { listed.first { $0.id == id } }

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
            Property(name: "source_node", expression: "t.source_node", type: .integer, description: "node at the start (in vector tiles from zoom 15)"),
            Property(name: "target_node", expression: "t.target_node", type: .integer, description: "node at the end (in vector tiles from zoom 15)"),
            Property(name: "length_m", expression: "round(t.length_m, 2)", type: .number, description: "length, m"),
            Property(name: "highway", expression: "t.highway", type: .string, description: "OSM highway=* class"),
            Property(name: "osm_way_id", expression: "t.osm_way_id", type: .integer, description: "OSM way id"),
        ])

    /// Cases of the grid's daily loop at their reported points. The properties are the case's JSON shape of the
    /// command line and `/collections/cases/items/{code}`; those with an expression filter and sort in SQL.
    public static let cases: FeatureCollection = {
        func computed(_ name: String, _ type: ValueType, _ description: String) -> Property {
            Property(name: name, expression: "NULL", type: type, description: description, queryable: false)
        }
        var collection = FeatureCollection(
            id: "cases", title: "Cases",
            description: "Cases of the grid's daily loop (reported problems) at their points: state, deadline light, grid and community codes.",
            table: "cases", geometryColumn: "geom", geometryType: "Point",
            properties: [
                Property(name: "code", expression: "t.code", type: .string, description: "case code (the feature id)"),
                Property(name: "category", expression: "t.category_code", type: .string, description: "case category code"),
                computed("description", .string, "what was reported"),
                computed("address", .string, "address given by the reporter"),
                computed("longitude", .number, "reported longitude (WGS84)"),
                computed("latitude", .number, "reported latitude (WGS84)"),
                Property(name: "building_id", expression: "t.building_id", type: .integer, description: "the building the point snaps to"),
                Property(name: "grid_code", expression: "t.grid_code", type: .string, description: "15-digit code of the grid at the time of report"),
                Property(name: "community_code", expression: "t.community_code", type: .string, description: "12-digit code of the community at the time of report"),
                computed("outside_grids", .boolean, "true when the point lies in no grid (routed to the nearest)"),
                computed("grid_distance_m", .number, "distance to the grid the case was routed to, m (0 inside it)"),
                Property(name: "worker", expression: "(SELECT w.code FROM workers w WHERE w.id = t.worker_id)", type: .string,
                         description: "code of the grid worker who checks the case"),
                Property(name: "department", expression: "t.department_code", type: .string, description: "department that handles the case"),
                Property(name: "reporter_kind", expression: "t.reporter_kind", type: .string, description: "grid_worker, resident, hotline_12345 or other"),
                computed("reporter", .string, "who reported"),
                Property(name: "priority", expression: "t.priority", type: .integer, description: "1 (highest) to 3"),
                Property(name: "households_nearby", expression: "t.households_nearby", type: .integer, description: "households within 5 minutes' walk"),
                computed("media", .string, "media references (array of strings)"),
                Property(name: "duplicate_of", expression: "t.duplicate_of", type: .string, description: "code of the case this one duplicates"),
                Property(name: "state", expression: "t.state", type: .string, description: "state: the replay of the case's event log"),
                computed("state_zh", .string, "state in Chinese"),
                computed("registered_at", .string, "registration time (ISO 8601, the calendar's offset)"),
                computed("updated_at", .string, "time of the last event"),
                computed("step_deadline", .string, "deadline of the running step on the working calendar"),
                computed("handling_deadline", .string, "handling deadline"),
                computed("closed_at", .string, "closing time"),
                computed("light", .string, "green, yellow (80 % of the step's working time used) or red (past its deadline) at the time of the request; null when no step runs"),
                computed("overdue", .boolean, "open and past the running step's deadline at the time of the request"),
                computed("allowed_actions", .string, "actions the state allows (array of strings)"),
                computed("facility_impact", .string, "for a category that takes a facility out of service: households losing each life-circle level (object)"),
            ])
        collection.rendersCases = true
        collection.parameters = ["grid": .alias("grid_code"), "community": .alias("community_code"), "status": .caseStatus, "overdue": .overdue]
        return collection
    }()
}
