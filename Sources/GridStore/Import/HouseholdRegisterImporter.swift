import Foundation
import GRDB
import GridModel

/// `import households FILE.csv`: household register rows (building, unit, floor, count).
///
/// Columns by header name: `building_id` (a building's source id such as `w123`, or its store id) or
/// `lon` + `lat` (matched to the building whose footprint contains the point); `households` (required);
/// `unit` and `floor` (optional). A building's household count becomes the sum of its rows.
public enum HouseholdRegisterImporter {
    /// `crs`: the system of the lon/lat columns (nil: WGS84); each point is converted before it is matched.
    public static func run(store: Store, path: String, crs: CoordinateSystem? = nil) throws -> ImportSummary {
        let started = Date()
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError.badInput("\(path): file not found or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StoreError.badInput("\(path): not UTF-8 text")
        }
        let rows: [CSVReader.Row]
        do { rows = try CSVReader.parse(text) } catch let CSVReader.Failure.unterminatedQuote(line) {
            throw StoreError.badInput("\(path): line \(line): a quoted field is never closed")
        }
        guard let header = rows.first else { throw StoreError.badInput("\(path): the file is empty") }
        let columns = Dictionary(header.fields.enumerated().map { ($1.trimmingCharacters(in: .whitespaces).lowercased(), $0) },
                                 uniquingKeysWith: { a, _ in a })
        let buildingColumn = columns["building_id"] ?? columns["building"]
        let lonColumn = columns["lon"] ?? columns["longitude"], latColumn = columns["lat"] ?? columns["latitude"]
        guard let householdsColumn = columns["households"] else {
            throw StoreError.badInput("\(path): line 1: no \"households\" column (header: \(header.fields.joined(separator: ",")))")
        }
        guard buildingColumn != nil || (lonColumn != nil && latColumn != nil) else {
            throw StoreError.badInput("\(path): line 1: needs a \"building_id\" column or \"lon\" and \"lat\" columns")
        }
        let unitColumn = columns["unit"], floorColumn = columns["floor"]
        let body = Array(rows.dropFirst())
        let source = "csv:" + URL(fileURLWithPath: path).lastPathComponent

        if let crs { _ = try CoordinateTransform(crs) }  // an unknown code fails before the transaction
        return try store.write { db in
            let pointTransform = try crs.map { try CoordinateTransform($0) }
            func fail(_ line: Int, _ message: String) -> StoreError { .badInput("\(path): line \(line): \(message)") }
            func field(_ row: CSVReader.Row, _ column: Int?) -> String? {
                guard let column, column < row.fields.count else { return nil }
                let value = row.fields[column].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
            var resolved: [(building: Int64, unit: String?, floor: Int?, households: Int, line: Int)] = []
            for row in body {
                guard row.fields.count == header.fields.count else {
                    throw fail(row.line, "\(row.fields.count) fields, the header has \(header.fields.count)")
                }
                guard let text = field(row, householdsColumn), let households = Int(text), households >= 0 else {
                    throw fail(row.line, "households must be a whole number ≥ 0, got \"\(field(row, householdsColumn) ?? "")\"")
                }
                var floor: Int?
                if let text = field(row, floorColumn) {
                    guard let value = Int(text) else { throw fail(row.line, "floor must be a whole number, got \"\(text)\"") }
                    floor = value
                }
                let building: Int64
                if let key = field(row, buildingColumn) {
                    let matches = try Int64.fetchAll(db, sql: "SELECT id FROM buildings WHERE source_id = ? LIMIT 2", arguments: [key])
                    if matches.count == 1 {
                        building = matches[0]
                    } else if matches.count > 1 {
                        throw fail(row.line, "building_id \"\(key)\" matches buildings from several sources")
                    } else if let id = Int64(key), try Bool.fetchOne(db, sql: "SELECT 1 FROM buildings WHERE id = ?", arguments: [id]) ?? false {
                        building = id
                    } else {
                        throw fail(row.line, "building_id \"\(key)\" matches no building in the store")
                    }
                } else {
                    guard let lonText = field(row, lonColumn), let latText = field(row, latColumn),
                          let x = Double(lonText), let y = Double(latText), x.isFinite, y.isFinite else {
                        throw fail(row.line, "needs building_id, or lon and lat as numbers")
                    }
                    var lon = x, lat = y
                    if let pointTransform {
                        guard let wgs84 = pointTransform.toWGS84(Coordinate(longitude: x, latitude: y)) else {
                            throw fail(row.line, "lon \(x), lat \(y) cannot be converted from \(pointTransform.system) to WGS84")
                        }
                        (lon, lat) = (wgs84.longitude, wgs84.latitude)
                    }
                    guard (-180...180).contains(lon), (-90...90).contains(lat) else {
                        let swapped = (-180...180).contains(lat) && (-90...90).contains(lon)
                        throw fail(row.line, "lon \(lon), lat \(lat) are outside WGS84" + (swapped ? "; lon and lat look swapped" : ""))
                    }
                    let matches = try Int64.fetchAll(db, sql: """
                        SELECT id FROM buildings
                        WHERE ST_Covers(footprint, MakePoint(?1, ?2, 4326))
                          AND rowid IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = 'buildings'
                                        AND f_geometry_column = 'footprint' AND search_frame = MakePoint(?1, ?2, 4326))
                        ORDER BY id LIMIT 1
                        """, arguments: [lon, lat])
                    guard let id = matches.first else { throw fail(row.line, "no building contains lon \(lon), lat \(lat)") }
                    building = id
                }
                resolved.append((building, field(row, unitColumn), floor, households, row.line))
            }
            let buildings = Set(resolved.map(\.building)).sorted()
            for id in buildings {
                try db.execute(sql: "DELETE FROM household_register WHERE building_id = ?", arguments: [id])
            }
            let insert = try db.makeStatement(sql: """
                INSERT INTO household_register (building_id, unit, floor, households, source, source_line) VALUES (?, ?, ?, ?, ?, ?)
                """)
            for row in resolved {
                try insert.execute(arguments: [row.building, row.unit, row.floor, row.households, source, row.line])
            }
            for id in buildings {
                try db.execute(sql: """
                    UPDATE buildings SET households = (SELECT SUM(households) FROM household_register WHERE building_id = ?1),
                        households_source = 'register' WHERE id = ?1
                    """, arguments: [id])
            }
            let summary = ImportSummary(
                file: path, format: "csv", layer: "household_register",
                counts: [("rows", resolved.count), ("buildings", buildings.count), ("households", resolved.reduce(0) { $0 + $1.households })],
                warnings: WarningList(), seconds: Date().timeIntervalSince(started))
            try summary.log(in: db, startedAt: started)
            return summary
        }
    }
}
