/// The GeoJSON geometry types this product stores (RFC 7946 §3.1), without GeometryCollection.
public enum Geometry: Hashable, Sendable {
    case point(Coordinate)
    case multiPoint([Coordinate])
    case lineString(LineString)
    case multiLineString([LineString])
    case polygon(Polygon)
    case multiPolygon(MultiPolygon)

    /// The GeoJSON "type" value.
    public var typeName: String {
        switch self {
        case .point: "Point"
        case .multiPoint: "MultiPoint"
        case .lineString: "LineString"
        case .multiLineString: "MultiLineString"
        case .polygon: "Polygon"
        case .multiPolygon: "MultiPolygon"
        }
    }

    /// Nil only for empty multi-geometries.
    public var boundingBox: BoundingBox? {
        switch self {
        case .point(let c): BoundingBox(coordinates: CollectionOfOne(c))
        case .multiPoint(let cs): BoundingBox(coordinates: cs)
        case .lineString(let l): l.boundingBox
        case .multiLineString(let ls): BoundingBox(coordinates: ls.lazy.flatMap(\.coordinates))
        case .polygon(let p): p.boundingBox
        case .multiPolygon(let m): m.polygons.isEmpty ? nil : m.boundingBox
        }
    }

    /// Polygon or MultiPolygon as a MultiPolygon; nil for other types.
    public var asMultiPolygon: MultiPolygon? {
        switch self {
        case .polygon(let p): MultiPolygon([p])
        case .multiPolygon(let m): m
        default: nil
        }
    }
}
