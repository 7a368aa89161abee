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

    public init(name: String, table: String, geometryColumn: String, properties: [Property], joinsCoverage: Bool, isPointLayer: Bool) {
        self.name = name; self.table = table; self.geometryColumn = geometryColumn
        self.properties = properties; self.joinsCoverage = joinsCoverage; self.isPointLayer = isPointLayer
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
    }
}
