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
    }

    /// The layers `/tiles` serves, in their order there.
    public static var all: [TileLayerSource] { FeatureCollection.all.map(TileLayerSource.init(collection:)) }
}
