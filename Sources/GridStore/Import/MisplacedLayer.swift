import Foundation
import GRDB
import GridAnalysis
import GridModel

/// Layers read in the wrong coordinate system are refused before they are stored, with the system to name.
enum MisplacedLayer {
    /// The middle of the store's data (buildings, else communities, else the network), for guessing zones.
    static func dataCentre(_ store: Store) throws -> Coordinate? {
        try store.read { db in
            for (table, column) in [("buildings", "point"), ("communities", "geom"), ("network_edges", "geom")] {
                if let row = try Row.fetchOne(db, sql: """
                    SELECT avg((MbrMinX(\(column)) + MbrMaxX(\(column))) / 2), avg((MbrMinY(\(column)) + MbrMaxY(\(column))) / 2)
                    FROM \(table) WHERE \(column) IS NOT NULL
                    """), let lon = row[0] as Double?, let lat = row[1] as Double? {
                    return Coordinate(longitude: lon, latitude: lat)
                }
            }
            return nil
        }
    }

    struct Candidate {
        var system: CoordinateSystem
        var reason: String
        var wgs84: Coordinate
        /// Where the middle of the layer lands.
        var layerMiddle: Coordinate
        var name: String
    }

    /// Systems that would put a position given in metres somewhere sensible: the CGCS2000 Gauss–Krüger zone its
    /// easting's prefix names (3° zones 25–45 are EPSG:4513–4533, 6° zones 13–23 EPSG:4491–4501), the
    /// zones without prefix at the longitude of the store's data (3°: EPSG:4534–4554, 6°: 4502–4512, and UTM),
    /// and Web Mercator. Nearest to the store's data first.
    /// `middle`: the middle of the whole layer, which is what is compared with the store's data.
    static func candidates(for position: Coordinate, middle: Coordinate, near centre: Coordinate?) -> [Candidate] {
        let easting = position.longitude
        var proposals: [(Int, String)] = []
        let prefix = Int(exactly: (easting / 1_000_000).rounded(.down)) ?? 0
        if (25...45).contains(prefix) {
            proposals.append((4513 + prefix - 25, "the easting's zone prefix \(prefix) is a 3° Gauss–Krüger zone"))
        }
        if (13...23).contains(prefix) {
            proposals.append((4491 + prefix - 13, "the easting's zone prefix \(prefix) is a 6° Gauss–Krüger zone"))
        }
        if let centre, (0..<1_000_000).contains(easting) {
            let meridian3 = Int((centre.longitude / 3).rounded()) * 3
            if (75...135).contains(meridian3) {
                proposals.append((4534 + (meridian3 - 75) / 3, "no zone prefix; the store's data lies in the 3° zone of central meridian \(meridian3)° E"))
            }
            let meridian6 = Int((centre.longitude / 6).rounded(.down)) * 6 + 3
            if (75...135).contains(meridian6) {
                proposals.append((4502 + (meridian6 - 75) / 6, "no zone prefix; the store's data lies in the 6° zone of central meridian \(meridian6)° E"))
            }
            if (-180...180).contains(centre.longitude) {
                let zone = min(60, Int((centre.longitude + 180) / 6) + 1)
                proposals.append(((centre.latitude >= 0 ? 32600 : 32700) + zone, "the store's data lies in UTM zone \(zone)"))
            }
        }
        if abs(easting) <= 20_037_508.35, abs(position.latitude) <= 20_048_966.11 {
            proposals.append((3857, "Web Mercator, as web maps draw"))
        }
        var found: [Candidate] = []
        for (code, reason) in proposals {
            guard let transform = try? CoordinateTransform(.epsg(code)), let wgs84 = transform.toWGS84(position),
                  let layer = transform.toWGS84(middle),
                  abs(wgs84.longitude) <= 180, abs(wgs84.latitude) <= 85 else { continue }
            found.append(Candidate(system: .epsg(code), reason: reason, wgs84: wgs84, layerMiddle: layer, name: transform.name))
        }
        if let centre {
            found = found.enumerated().sorted {
                let a = Geodesy.distance($0.element.layerMiddle, centre), b = Geodesy.distance($1.element.layerMiddle, centre)
                return a != b ? a < b : $0.offset < $1.offset
            }.map(\.element)
        }
        return found
    }

    static func projectedError(
        path: String, featureIndex: Int, position: Coordinate, middle: Coordinate, near centre: Coordinate?, command: RerunCommand
    ) -> StoreError {
        let text = positionText(position)
        var message = "\(path): feature \(featureIndex): position \(text) is in projected metres, not WGS84 longitude/latitude, and the file names no coordinate system."
        let found = candidates(for: position, middle: middle, near: centre)
        guard let best = found.first else {
            message += " Name it with --crs EPSG:NNNN (CGCS2000 Gauss–Krüger: 3° zones EPSG:4513–4533 with the zone prefix, 4534–4554 without; 6° zones 4491–4501 with, 4502–4512 without; Web Mercator 3857)."
            return .badInput(message)
        }
        func place(_ candidate: Candidate) -> String {
            var text = String(format: "%.4f° E, %.4f° N", candidate.wgs84.longitude, candidate.wgs84.latitude)
            if let centre {
                let metres = Geodesy.distance(candidate.layerMiddle, centre).value
                text += metres < 1000 ? String(format: " (the layer's middle %.0f m from the store's data)", metres)
                    : String(format: " (the layer's middle %.1f km from the store's data)", metres / 1000)
            }
            return text
        }
        message += " It is likely \(best.system) (\(best.name); \(best.reason)), which puts it at \(place(best))."
        let others = found.dropFirst().prefix(3)
        if !others.isEmpty {
            message += " Other readings: " + others.map { "\($0.system) (\($0.name)) at \(place($0))" }.joined(separator: "; ") + "."
        }
        message += " Re-run: \(command.with(best.system))"
        message += " (or reproject first, naming the source: ogr2ogr -s_srs \(best.system) -t_srs EPSG:4326 out.\(command.format == .shapefile ? "shp" : command.format.rawValue) \(RerunCommand.shellQuoted(path)))"
        return .badInput(message)
    }

    /// The share of the store's buildings near the layer that fall inside it, read as it was given and read as if
    /// its positions were GCJ-02 or BD-09 (shifted back to WGS84). Nil when the reading as given is as good as any
    /// (fewer than 10 percentage points and 5 buildings behind) or there are too few buildings to judge (under 10);
    /// otherwise the refusal text.
    static func checkAlignment(areas: [MultiPolygon], read system: CoordinateSystem, db: Database, path: String, command: RerunCommand) throws -> String? {
        guard !areas.isEmpty else { return nil }
        let readings: [(label: String, areas: [MultiPolygon])] = [
            ("as given", areas),
            ("as GCJ-02 shifted back", areas.map { shifted($0, ChinaCoordinates.gcj02ToWGS84) }),
            ("as BD-09 shifted back", areas.map { shifted($0) { ChinaCoordinates.gcj02ToWGS84(ChinaCoordinates.bd09ToGCJ02($0)) } }),
        ]
        var envelope = readings[0].areas[0].boundingBox
        for reading in readings { for area in reading.areas { envelope = envelope.union(area.boundingBox) } }
        let points = try Row.fetchAll(db, sql: """
            SELECT X(point), Y(point) FROM buildings
            WHERE rowid IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = 'buildings' AND f_geometry_column = 'footprint'
                            AND search_frame = BuildMbr(?, ?, ?, ?, 4326))
            """, arguments: [envelope.minLongitude, envelope.minLatitude, envelope.maxLongitude, envelope.maxLatitude])
            .compactMap { row -> Coordinate? in
                guard let lon = row[0] as Double?, let lat = row[1] as Double? else { return nil }
                let c = Coordinate(longitude: lon, latitude: lat)
                return envelope.contains(c) ? c : nil
            }
        // Fewer buildings than this around the layer say nothing about its place.
        guard points.count >= 10 else { return nil }
        let inside = readings.map { reading in
            let locator = PolygonLocator(reading.areas)
            return points.reduce(0) { $0 + (locator.first(containing: $1) == nil ? 0 : 1) }
        }
        let given = inside[0]
        // Clearly more: 10 percentage points, and at least 5 buildings so a handful cannot decide it.
        guard let best = (1..<readings.count).max(by: { inside[$0] < inside[$1] }),
              Double(inside[best] - given) >= 0.10 * Double(points.count), inside[best] - given >= 5 else { return nil }
        func share(_ i: Int) -> String {
            String(format: "%@ %.1f %% (%d)", readings[i].label, 100 * Double(inside[i]) / Double(points.count), inside[i])
        }
        let shares = (0..<readings.count).map(share).joined(separator: ", ")
        var message = "\(path): the layer misses the store's buildings: of the \(points.count) buildings around it, inside the layer read \(shares). "
        let suggested: CoordinateSystem = best == 1 ? .gcj02 : .bd09
        if system.isWGS84Equivalent {
            message += "Its positions look like \(suggested == .gcj02 ? "GCJ-02 (AMap, Tencent maps)" : "BD-09 (Baidu maps)"): re-run \(command.with(suggested)) (or keep the layer where it is with --accept-misaligned)."
        } else {
            message += "It was read as \(system) and lies where it would if those positions were \(suggested) offsets: check the file's coordinate system (or keep the layer where it is with --accept-misaligned)."
        }
        return message
    }

    static func shifted(_ area: MultiPolygon, _ transform: (Coordinate) -> Coordinate) -> MultiPolygon {
        Geometry.multiPolygon(area).mappingCoordinates(transform).asMultiPolygon ?? area
    }
}
