import GridModel
import GridTiles

/// A store layer as a vector-tile layer: the table, its geometry column and the properties each feature carries.
///
/// The property expressions are those the feature collections define (SQL over the alias `t`, and for buildings
/// `cb`, the latest coverage run's row, and `bp`, the building's current place), so a tile and the items endpoint
/// give a feature the same values.
public struct TileLayerSource: Sendable {
    public enum ValueType: String, Sendable { case integer, number, string, boolean }

    public struct Property: Sendable {
        public var name: String
        public var expression: String
        public var type: ValueType
        public init(name: String, expression: String, type: ValueType) {
            self.name = name; self.expression = expression; self.type = type
        }
    }

    /// The layer's name in the tile (the collection id).
    public var name: String
    public var table: String
    public var geometryColumn: String
    public var properties: [Property]
    /// Joins the latest coverage run (`cb`) and the current places (`bp`), as the buildings collection does.
    public var joinsCoverage: Bool
    /// Points are never too small to see; other layers drop features under a pixel.
    public var isPointLayer: Bool
    /// Buildings a tile cannot draw one by one (under a pixel, or clipped to less; below `generalisedBelowZoom` under
    /// a cell of `TileCells`) are summed into cells of `TileCells` instead of dropped: each building whose point lies
    /// in the tile is counted once, as itself or in its cell (see `TileReader`).
    public var mergesSmallBuildings = false
    /// Below this zoom the layer's tiles hold none of its features (grids: below it a city's grids are a few pixels
    /// each and their communities carry the same figures).
    public var drawnFromZoom = 0
    /// Properties left out below `generalisedBelowZoom`: text that weighs in a low-zoom tile and that nothing drawn
    /// at that zoom reads (a facility's source and its id there; the feature keeps its id, category and name).
    public var lowZoomOmittedProperties: Set<String> = []
    /// Properties drawn only from a zoom on: below it they are left out (the network's node ids, unique to each edge,
    /// are most of a street-level tile's value table and nothing drawn there reads them).
    public var propertiesFromZoom: [String: Int] = [:]
    /// Below this zoom a point layer keeps one feature per value of `thinningProperty` per cell of `TileCells`
    /// (below `generalisedBelowZoom` per square of `lowZoomThinningPixels`; the lowest id); from it on every point is
    /// drawn.
    public var thinningBelowZoom: Int?
    public var thinningProperty: String?
    /// Low-zoom generalisation of lines and outlines: below `TileLayerSource.generalisedBelowZoom` a feature whose
    /// R-tree box spans fewer than this many pixels both ways is left out (1: only what is under a pixel); below
    /// `outlinesNeedCellBelowZoom` one under a cell of `TileCells`, when this is over 1.
    public var lowZoomMinimumPixels = 1

    /// The pixels a feature's box must span (one way) to be drawn at zoom z: a building on its own, not merged into
    /// its cell; an outline at all.
    public func minimumPixels(z: Int) -> Int {
        guard z < Self.generalisedBelowZoom else { return 1 }
        if mergesSmallBuildings { return TileCells.cellPixels(z: z) }
        if lowZoomMinimumPixels > 1, z < Self.outlinesNeedCellBelowZoom { return max(lowZoomMinimumPixels, TileCells.cellPixels(z: z)) }
        return lowZoomMinimumPixels
    }
    /// Low-zoom generalisation by class: below a tier's zoom only features of its classes are drawn.
    public var lowZoomClasses: ZoomClasses?
    /// Below `generalisedBelowZoom` the layer's lines are drawn one feature per value of this property (the
    /// network's OSM way), the edges joined end to end, with `waySummedProperty` summed (see `TileReader`).
    public var lowZoomWayProperty: String?
    public var waySummedProperty: String?
    /// Below this zoom the lines are drawn one feature per class (`lowZoomClasses`' property) instead of per way:
    /// the way's own properties (its id, name) are left out, `waySummedProperty` and `edges` summed over the class.
    public var classJoinedBelowZoom: Int?
    /// The property `classJoinedBelowZoom` groups by.
    public var classProperty: String?

    /// Which classes (values of `expression`, SQL over `t`) a tile draws below each zoom.
    public struct ZoomClasses: Sendable {
        public var expression: String
        /// Ascending zooms; a tile of zoom z takes the first tier with `z < belowZoom`, none past the last.
        public var tiers: [(belowZoom: Int, classes: [String])]

        /// The classes drawn at zoom z, nil when every feature is.
        public func classes(z: Int) -> [String]? { tiers.first { z < $0.belowZoom }?.classes }
    }
    /// Grids and communities carry the latest coverage run's figures for the area of their `code`
    /// (`CoverageAreaFigures.tileProperties`): the households and, per level and requirement, the share meeting it.
    public var coverageAreas: CoverageAreaKind?
    /// Below `generalisedBelowZoom` the area figures are the households and the shares alone, without the households
    /// meeting each theme (`coverage_met_…`): communities, which a map shades by share at city zoom and whose counts
    /// weigh a quarter of a zoom 10 tile of a city.
    public var lowZoomSharesOnly = false

    public enum CoverageAreaKind: Sendable { case grids, communities }

    /// The layer of `DataVersions` whose version alone, with the drawing code, decides this layer's tiles: set for
    /// layers drawn from their own table only (no coverage run, places, figures or other table read), nil for the
    /// others. A tile's layer drawn at one version is then the same at any later one with that layer's version, so a
    /// change elsewhere (a coverage run) does not draw it again (`TileService`).
    public var ownVersionLayer: String?

    public init(name: String, table: String, geometryColumn: String, properties: [Property], joinsCoverage: Bool, isPointLayer: Bool) {
        self.name = name; self.table = table; self.geometryColumn = geometryColumn
        self.properties = properties; self.joinsCoverage = joinsCoverage; self.isPointLayer = isPointLayer
    }

    /// The zoom from which facilities are drawn one by one, however close.
    public static let facilitiesThinnedBelowZoom = 14
    /// The side, in pixels, of the squares in which a point layer keeps one feature per value below
    /// `generalisedBelowZoom`: about an icon's size (the map page's are 18 pixels), so a city's tile at zoom 10 holds a
    /// couple of thousand facilities rather than six thousand.
    public static let lowZoomThinningPixels = 32

    /// Below this zoom communities and grids need a box spanning 4 pixels, buildings one cell of `TileCells` (else
    /// they are merged into it), the network only its larger roads (`networkClasses`); from it on every feature over a
    /// pixel is drawn.
    public static let generalisedBelowZoom = TileCells.fineFromZoom
    /// Outlines of communities and grids spanning fewer pixels than this both ways are left out at low zoom.
    public static let lowZoomOutlinePixels = 4
    /// Below this zoom an outline needs a cell of `TileCells` (16 pixels) instead: a tile there spans a city, whose
    /// thousands of communities of a few pixels each weighed most of a megabyte; the cells of merged buildings carry
    /// their households and coverage.
    public static let outlinesNeedCellBelowZoom = 10
    /// Grids are drawn from this zoom; below it the communities (with the same coverage figures) stand for them.
    public static let gridsFromZoom = 12
    /// Below this zoom the cells of merged buildings, and the buildings drawn on their own, carry their households
    /// meeting each requirement of the run's profile: where a map shades them by a requirement, grids not being drawn
    /// yet. From it on the grids' figures (which have every requirement) stand for them, and the sums, which double a
    /// low-zoom tile of a city, would weigh every street-level tile for nothing.
    public static let requirementSumsBelowZoom = gridsFromZoom
    /// The network's edges carry their nodes' ids from this zoom on.
    public static let networkNodesFromZoom = 15
    /// Below this zoom the network is drawn one feature per class (OSM `highway`) in a tile.
    public static let networkJoinedByClassBelowZoom = 12

    /// The network's classes (OSM `highway`) at low zoom: to zoom 11 the through roads, at zoom 12 the streets as
    /// well; footways, paths, service roads and the rest from zoom 13 on.
    public static let networkClasses = ZoomClasses(expression: "t.highway", tiers: [
        (12, ["motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
              "tertiary", "tertiary_link"]),
        (generalisedBelowZoom, ["motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
                                "secondary_link", "tertiary", "tertiary_link", "residential", "unclassified", "living_street",
                                "pedestrian", "road"]),
    ])

    /// The properties of a cell of small buildings (`mergesSmallBuildings`), with the levels of the coverage run's
    /// profile (`households_met_5`, `households_met_10`, … as `levels_met` writes the minutes) and its requirements
    /// (the requirement themes of `CoverageAreaFigures.themes`: `households_met_10_school`, …).
    public static func mergedBuildingFields(levels: [String], requirements: [CoverageAreaFigures.Theme]) -> [(name: String, type: ValueType, description: String)] {
        var fields: [(name: String, type: ValueType, description: String)] = [
            ("buildings", .integer, "on a cell of small buildings merged at low zoom: how many buildings it holds"),
            ("households", .integer, "households (on a merged cell, the sum)"),
            ("area_m2", .number, "footprint area, m² (on a merged cell, the sum)"),
            ("coverage_run", .integer, "the coverage run the coverage sums come from"),
            ("households_coverage_met", .integer, "on a merged cell: households in buildings meeting every level of the run's profile"),
        ]
        for level in levels {
            fields.append(("households_met_\(level)", .integer, "on a merged cell: households in buildings meeting the \(level)-minute level"))
        }
        for requirement in requirements where requirement.category != nil {
            fields.append((requirement.cellProperty, .integer,
                           "on a merged cell: households in buildings meeting the \(CoverageRuns.formatMinutes(requirement.minutes))-minute level's requirement \(requirement.category ?? "");"
                           + " below zoom \(requirementSumsBelowZoom) only, there also on a building drawn on its own (its households, or 0)"))
        }
        return fields
    }

    /// The properties of a way of the network drawn below `generalisedBelowZoom` in place of its edges (below
    /// `networkJoinedByClassBelowZoom`, of all the edges of a class in the tile).
    public static let networkWayFields: [(name: String, type: ValueType, description: String)] = [
        ("edges", .integer, "below zoom 13, on a way of the network (below zoom 12, on all the ways of one highway class): how many edges the tile joins into it"),
        ("length_m", .number, "length, m (below zoom 13, of the edges joined)"),
    ]

    var spatialIndex: String { "idx_\(table)_\(geometryColumn)" }
}

/// The datum a tile is drawn in: WGS84 (every standard base map) or GCJ-02 (AMap, Tencent and other Chinese base
/// maps, whose streets are offset by a few hundred metres). The tile grid is WebMercatorQuad in both.
public enum TileDatum: String, Sendable, CaseIterable {
    case wgs84
    case gcj02

    var system: CoordinateReferenceSystem { self == .wgs84 ? .crs84 : .gcj02 }
}

extension TileLayerSource {
    /// A feature collection as a tile layer: the same properties, by the same expressions, as its items.
    public init(collection: FeatureCollection) {
        self.init(
            name: collection.id, table: collection.table, geometryColumn: collection.geometryColumn,
            properties: collection.properties.map {
                Property(name: $0.name, expression: $0.expression, type: ValueType(rawValue: $0.type.rawValue) ?? .string)
            },
            joinsCoverage: collection.joinsCoverage, isPointLayer: collection.geometryType == "Point")
        mergesSmallBuildings = collection.id == FeatureCollection.buildings.id
        coverageAreas = collection.id == FeatureCollection.grids.id ? .grids : collection.id == FeatureCollection.communities.id ? .communities : nil
        if collection.id == FeatureCollection.facilities.id {
            thinningBelowZoom = Self.facilitiesThinnedBelowZoom
            thinningProperty = "category"
            lowZoomOmittedProperties = ["source", "source_id"]
        }
        if collection.id == FeatureCollection.communities.id || collection.id == FeatureCollection.grids.id {
            lowZoomMinimumPixels = Self.lowZoomOutlinePixels
        }
        if collection.id == FeatureCollection.grids.id { drawnFromZoom = Self.gridsFromZoom }
        if collection.id == FeatureCollection.communities.id { lowZoomSharesOnly = true }
        if collection.id == FeatureCollection.network.id || collection.id == FeatureCollection.facilities.id {
            ownVersionLayer = DataVersions.layers.first { $0.table == collection.table }?.layer
        }
        if collection.id == FeatureCollection.network.id {
            lowZoomClasses = Self.networkClasses
            lowZoomWayProperty = "osm_way_id"
            waySummedProperty = "length_m"
            classJoinedBelowZoom = Self.networkJoinedByClassBelowZoom
            classProperty = "highway"
            propertiesFromZoom = ["source_node": Self.networkNodesFromZoom, "target_node": Self.networkNodesFromZoom]
        }
    }

    /// The layers `/tiles` serves, in their order there.
    public static var all: [TileLayerSource] { FeatureCollection.all.map(TileLayerSource.init(collection:)) }
}
