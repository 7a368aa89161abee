import GridModel

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
    /// Buildings a tile cannot draw one by one (under a pixel, or clipped to less) are summed into cells of
    /// `TileCells` instead of dropped: each building whose point lies in the tile is counted once, as itself or in
    /// its cell (see `TileReader`).
    public var mergesSmallBuildings = false
    /// Below this zoom a point layer keeps one feature per value of `thinningProperty` per cell of `TileCells`
    /// (the lowest id); from it on every point is drawn.
    public var thinningBelowZoom: Int?
    public var thinningProperty: String?
    /// Low-zoom generalisation of lines and outlines: below `TileLayerSource.generalisedBelowZoom` a feature whose
    /// R-tree box spans fewer than this many pixels both ways is left out (1: only what is under a pixel).
    public var lowZoomMinimumPixels = 1
    /// Low-zoom generalisation by class: below a tier's zoom only features of its classes are drawn.
    public var lowZoomClasses: ZoomClasses?
    /// Below `generalisedBelowZoom` the layer's lines are drawn one feature per value of this property (the
    /// network's OSM way), the edges joined end to end, with `waySummedProperty` summed (see `TileReader`).
    public var lowZoomWayProperty: String?
    public var waySummedProperty: String?

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

    public enum CoverageAreaKind: Sendable { case grids, communities }

    public init(name: String, table: String, geometryColumn: String, properties: [Property], joinsCoverage: Bool, isPointLayer: Bool) {
        self.name = name; self.table = table; self.geometryColumn = geometryColumn
        self.properties = properties; self.joinsCoverage = joinsCoverage; self.isPointLayer = isPointLayer
    }

    /// The zoom from which facilities are drawn one by one, however close.
    public static let facilitiesThinnedBelowZoom = 14

    /// Below this zoom communities and grids need a box spanning one cell of `TileCells` (4 pixels), and the network
    /// only its larger roads (`networkClasses`); from it on every feature over a pixel is drawn.
    public static let generalisedBelowZoom = 13
    /// Outlines of communities and grids spanning fewer pixels than this both ways are left out at low zoom.
    public static let lowZoomOutlinePixels = 4

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
    /// profile (`households_met_5`, `households_met_10`, … as `levels_met` writes the minutes).
    public static func mergedBuildingFields(levels: [String]) -> [(name: String, type: ValueType, description: String)] {
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
        return fields
    }

    /// The properties of a way of the network drawn below `generalisedBelowZoom` in place of its edges.
    public static let networkWayFields: [(name: String, type: ValueType, description: String)] = [
        ("edges", .integer, "below zoom 13, on a way of the network: how many of its edges the tile joins into it"),
        ("length_m", .number, "length, m (on a way below zoom 13, of the edges joined)"),
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
        }
        if collection.id == FeatureCollection.communities.id || collection.id == FeatureCollection.grids.id {
            lowZoomMinimumPixels = Self.lowZoomOutlinePixels
        }
        if collection.id == FeatureCollection.network.id {
            lowZoomClasses = Self.networkClasses
            lowZoomWayProperty = "osm_way_id"
            waySummedProperty = "length_m"
        }
    }

    /// The layers `/tiles` serves, in their order there.
    public static var all: [TileLayerSource] { FeatureCollection.all.map(TileLayerSource.init(collection:)) }
}
