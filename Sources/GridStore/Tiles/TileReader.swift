import Foundation
import GRDB
import GridModel
import GridTiles

/// Reads one tile's features from the store and encodes them as a Mapbox Vector Tile.
///
/// Candidates come from the layer's R-tree (the tile's box with its buffer, in WGS84; for GCJ-02 tiles the WGS84
/// box that holds the tile's GCJ-02 box). Features whose box spans less than a pixel in both directions are left
/// out in the same query, so a low-zoom tile over a city does not read every building's outline.
enum TileReader {
    typealias Coverage = LatestCoverageRun

    static func latestCoverage(_ db: Database) throws -> Coverage? { try LatestCoverageRun.read(db) }

    static func layer(_ source: TileLayerSource, _ tile: TileAddress, datum: TileDatum, options: TileGeometry.Options,
                      _ db: Database) throws -> VectorTileLayer {
        let geometry = TileGeometry(tile: tile, options: options)
        let box = datum.system.wgs84Envelope(of: geometry.bufferedBounds)
        let coverage = source.joinsCoverage ? try latestCoverage(db) : nil
        var sql = "SELECT t.id, AsBinary(t.\(source.geometryColumn))"
        for property in source.properties { sql += ", \(property.expression)" }
        sql += " FROM \(source.table) t"
        var arguments: [any DatabaseValueConvertible & Sendable] = []
        if source.joinsCoverage {
            sql += " LEFT JOIN coverage_buildings cb ON cb.run_id = ? AND cb.building_id = t.id"
            sql += " LEFT JOIN building_places bp ON bp.building_id = t.id AND \(BuildingPlaces.isCurrentSQL)"
            arguments.append(coverage?.run ?? -1)
        }
        sql += " WHERE t.id IN (SELECT pkid FROM \"\(source.spatialIndex)\" WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?"
        arguments += [box.maxLongitude, box.minLongitude, box.maxLatitude, box.minLatitude]
        if !source.isPointLayer {
            let span = geometry.minimumFeatureSpanDegrees
            sql += " AND (xmax - xmin >= ? OR ymax - ymin >= ?)"
            arguments += [span.longitude, span.latitude]
        }
        sql += ") ORDER BY t.id"
        var layer = VectorTileLayer(name: source.name, extent: options.extent)
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
        var properties: [(String, VectorTileLayer.Value)] = []
        while let row = try rows.next() {
            let id: Int64 = row[0]
            guard let wkb = row[1] as Data? else { continue }
            var feature = try Geometry(wkb: [UInt8](wkb))
            if datum != .wgs84 { feature = datum.system.fromWGS84(feature) }
            guard let shape = geometry.shape(feature) else { continue }
            properties.removeAll(keepingCapacity: true)
            for (offset, property) in source.properties.enumerated() {
                if let value = value(row[offset + 2] as DatabaseValue, property.type, coverage: coverage) {
                    properties.append((property.name, value))
                }
            }
            layer.add(id: UInt64(exactly: id), properties: properties, geometry: shape)
        }
        return layer
    }

    /// A column's value as the items endpoint gives it (`coverage_met` true when every level of the run's profile
    /// is met); nil for SQL NULL, which a vector tile leaves out.
    static func value(_ value: DatabaseValue, _ type: TileLayerSource.ValueType, coverage: Coverage?) -> VectorTileLayer.Value? {
        switch value.storage {
        case .null, .blob: return nil
        case .int64(let number):
            switch type {
            case .boolean: return .bool(number != 0)
            case .number: return .double(Double(number))
            default: return .integer(number)
            }
        case .double(let number):
            return number.isFinite ? .double(number) : nil
        case .string(let text):
            return type == .boolean ? .bool(text == coverage?.allLevels) : .string(text)
        }
    }

    /// The box of the layer's features (its R-tree's), nil when it is empty.
    static func extent(_ source: TileLayerSource, _ db: Database) throws -> BoundingBox? {
        guard let row = try Row.fetchOne(db, sql: "SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM \"\(source.spatialIndex)\""),
              let minX = row[0] as Double?, let minY = row[1] as Double?, let maxX = row[2] as Double?, let maxY = row[3] as Double?
        else { return nil }
        return BoundingBox(minLongitude: minX, minLatitude: minY, maxLongitude: maxX, maxLatitude: maxY)
    }
}
