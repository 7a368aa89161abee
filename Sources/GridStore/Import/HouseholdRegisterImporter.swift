import Foundation
import GRDB
import GridModel

/// `import households FILE.csv`: household register rows (building, unit, floor, count).
///
/// Columns by header name (English, or the Chinese names registers use; `--map` names any other header):
/// `building_id` (a building's source id such as `w123`, or its store id) or `lon` + `lat` (matched to the
/// building whose footprint contains the point); `households` (required); `unit` and `floor` (optional).
/// A building's household count becomes the sum of its rows. UTF-8 (with or without BOM), GBK or GB18030.
public enum HouseholdRegisterImporter {
    /// The fields a register row has, each with the header names taken for it when `--map` does not name one.
    public static let headerAliases: [(field: String, headers: [String])] = [
        ("building_id", ["building_id", "building", "楼栋编号", "楼栋号", "楼栋", "楼号", "建筑编号"]),
        ("unit", ["unit", "单元", "单元号"]),
        ("floor", ["floor", "楼层", "所在楼层", "层"]),
        ("households", ["households", "户数", "住户数"]),
        ("lon", ["lon", "longitude", "lng", "经度"]),
        ("lat", ["lat", "latitude", "纬度"]),
    ]

    public struct Options: Sendable {
        /// nil: UTF-8 when the file is valid UTF-8, else GB18030 (which includes GBK).
        public var encoding: TextEncoding?
        /// Field → header name in the file, from `--map building_id=编号,households=总户数`.
        public var columns: [String: String]
        /// The system of the lon/lat columns (nil: WGS84); each point is converted before it is matched.
        public var crs: CoordinateSystem?

        public init(encoding: TextEncoding? = nil, columns: [String: String] = [:], crs: CoordinateSystem? = nil) {
            self.encoding = encoding
            self.columns = columns
            self.crs = crs
        }
    }

    /// Parses `FIELD=HEADER,…` (the fields of `headerAliases`).
    public static func columnMapping(_ text: String?) throws -> [String: String] {
        var mapping: [String: String] = [:]
        guard let text, !text.isEmpty else { return mapping }
        let fields = headerAliases.map(\.field)
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[1].isEmpty else {
                throw StoreError.badInput("--map: expected FIELD=HEADER, got \"\(pair)\"")
            }
            guard fields.contains(parts[0]) else {
                throw StoreError.badInput("--map: a register has no field \"\(parts[0])\" (fields: \(fields.joined(separator: ", ")))")
            }
            mapping[parts[0]] = parts[1]
        }
        return mapping
    }

    /// Where a row says its households live.
    enum Place: Sendable {
        case building(String)
        case point(Coordinate)
    }

    struct Row: Sendable {
        var line: Int
        var place: Place
        var unit: String?
        var floor: Int?
        var households: Int
    }

    public static func run(store: Store, path: String, options: Options = Options()) throws -> ImportSummary {
        let started = Date()
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError.badInput("\(path): file not found or not readable")
        }
        let decoded: TextDecoding.Decoded
        do {
            decoded = try TextDecoding.decode([UInt8](data), as: options.encoding)
        } catch {
            throw StoreError.badInput("\(path): \(describe(error))")
        }
        let rows = try parse(decoded.text, path: path, options: options)
        let source = "csv:" + URL(fileURLWithPath: path).lastPathComponent

        if let crs = options.crs { _ = try CoordinateTransform(crs) }  // an unknown code fails before the transaction
        return try store.write { db in
            let pointTransform = try options.crs.map { try CoordinateTransform($0) }
            func fail(_ line: Int, _ message: String) -> StoreError { .badInput("\(path): line \(line): \(message)") }
            var resolved: [(building: Int64, row: Row)] = []
            var sums: [Int64: Int] = [:]
            var total = 0
            for row in rows {
                var row = row
                if let pointTransform, case .point(let given) = row.place {
                    guard let wgs84 = pointTransform.toWGS84(given) else {
                        throw fail(row.line, "lon \(given.longitude), lat \(given.latitude) cannot be converted from \(pointTransform.system) to WGS84")
                    }
                    row.place = .point(wgs84)
                }
                let building = try match(row, db: db, fail: fail)
                let (sum, overflow) = sums[building, default: 0].addingReportingOverflow(row.households)
                guard !overflow else {
                    throw fail(row.line, "the households of this building add up to more than \(Int.max)")
                }
                let (all, overflowAll) = total.addingReportingOverflow(row.households)
                guard !overflowAll else { throw fail(row.line, "the file's households add up to more than \(Int.max)") }
                sums[building] = sum
                total = all
                resolved.append((building, row))
            }
            let buildings = sums.keys.sorted()
            var replaced = 0
            // The statements run for each row or building are prepared once: a register of a million rows would
            // otherwise compile a statement for every row and building.
            let delete = try db.cachedStatement(sql: """
                DELETE FROM household_register WHERE building_id = ?1
                   OR (building_id IS NULL AND (building_source, building_source_id) = (SELECT source, source_id FROM buildings WHERE id = ?1))
                """)
            for id in buildings {
                try delete.execute(arguments: [id])
                replaced += db.changesCount
            }
            let insert = try db.makeStatement(sql: """
                INSERT INTO household_register (building_id, building_source, building_source_id, unit, floor, households, source, source_line)
                SELECT id, source, source_id, ?, ?, ?, ?, ? FROM buildings WHERE id = ?
                """)
            for (building, row) in resolved {
                try insert.execute(arguments: [row.unit, row.floor, row.households, source, row.line, building])
            }
            let update = try db.cachedStatement(sql: """
                UPDATE buildings SET households = ?, households_source = 'register', households_basis = NULL WHERE id = ?
                """)
            for id in buildings {
                try update.execute(arguments: [sums[id] ?? 0, id])
            }
            // Every later sum over the store (info, coverage, grids) must stay inside 64 bits.
            let storeTotal = try Double.fetchOne(db, sql: "SELECT total(households) FROM buildings") ?? 0
            guard storeTotal < 0x1p62 else {
                throw StoreError.badInput("\(path): the store's households would add up to \(storeTotal), more than 2^62; check the households column")
            }
            let counts: [(name: String, value: Int)] = [
                ("rows", resolved.count), ("buildings", buildings.count), ("households", total),
            ]
            var summary = ImportSummary(
                file: path, format: "csv (\(decoded.encoding.rawValue)\(decoded.detected ? ", detected" : ""))",
                layer: "household_register", counts: counts,
                warnings: WarningList(), seconds: Date().timeIntervalSince(started))
            if replaced > 0 { summary.changes.append(.init("household_register", "earlier rows replaced", replaced)) }
            try summary.log(in: db, startedAt: started)
            return summary
        }
    }

    static func describe(_ error: TextDecoding.Failure) -> String {
        func hex(_ bytes: [UInt8]) -> String {
            bytes.map { ($0 < 16 ? "0x0" : "0x") + String($0, radix: 16, uppercase: true) }.joined(separator: " ")
        }
        switch error {
        case let .invalid(encoding, offset, line, bytes):
            return "line \(line), byte offset \(offset): \(hex(bytes)) is not valid \(encoding.iconvName) (the encoding --encoding gave)"
        case let .notUTF8NorGB18030(offset, line, bytes):
            return "line \(line), byte offset \(offset): \(hex(bytes)) is not valid UTF-8, and the file is not GBK/GB18030 either; save it as CSV UTF-8 or pass --encoding"
        case .utf16:
            return "UTF-16 text (Excel's \"Unicode Text\"); save the register as CSV (UTF-8 or GBK)"
        case .unavailable(let encoding):
            return "this system's iconv cannot decode \(encoding.iconvName)"
        }
    }

    /// The header and the rows, checked field by field (no store access).
    static func parse(_ text: String, path: String, options: Options) throws -> [Row] {
        let records = try CSVReader.rows(of: text, path: path)
        guard let header = records.first else { throw StoreError.badInput("\(path): the file is empty") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let headerText = header.fields.joined(separator: ",")
        var columns: [String: Int] = [:]
        for (field, aliases) in headerAliases {
            if let mapped = options.columns[field] {
                guard let index = names.firstIndex(of: mapped.trimmingCharacters(in: .whitespaces).lowercased()) else {
                    throw StoreError.badInput("\(path): line 1: --map \(field)=\(mapped), but the header has no column \"\(mapped)\" (header: \(headerText))")
                }
                columns[field] = index
                continue
            }
            let found = names.indices.filter { aliases.contains(names[$0]) }
            if found.count > 1 {
                let which = found.map { "\"\(header.fields[$0])\"" }.joined(separator: " and ")
                throw StoreError.badInput("\(path): line 1: columns \(which) both mean \(field); choose one with --map \(field)=HEADER")
            }
            columns[field] = found.first
        }
        guard let householdsColumn = columns["households"] else {
            throw StoreError.badInput("\(path): line 1: no \"households\" (户数) column (header: \(headerText)); --map households=HEADER names it")
        }
        let buildingColumn = columns["building_id"], lonColumn = columns["lon"], latColumn = columns["lat"]
        guard buildingColumn != nil || (lonColumn != nil && latColumn != nil) else {
            throw StoreError.badInput("\(path): line 1: needs a \"building_id\" (楼栋编号) column or \"lon\" and \"lat\" (经度, 纬度) columns (header: \(headerText))")
        }
        func fail(_ line: Int, _ message: String) -> StoreError { .badInput("\(path): line \(line): \(message)") }
        func field(_ row: CSVReader.Row, _ column: Int?) -> String? {
            guard let column, column < row.fields.count else { return nil }
            let value = row.fields[column].trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
        var rows: [Row] = []
        for record in records.dropFirst() {
            guard record.fields.count == header.fields.count else {
                throw fail(record.line, "\(record.fields.count) fields, the header has \(header.fields.count)")
            }
            guard let text = field(record, householdsColumn), let households = Int(text), households >= 0 else {
                throw fail(record.line, "households must be a whole number ≥ 0, got \"\(field(record, householdsColumn) ?? "")\"")
            }
            var floor: Int?
            if let text = field(record, columns["floor"]) {
                guard let value = Int(text) else { throw fail(record.line, "floor must be a whole number, got \"\(text)\"") }
                floor = value
            }
            let place: Place
            if let key = field(record, buildingColumn) {
                place = .building(key)
            } else {
                guard let lonText = field(record, lonColumn), let latText = field(record, latColumn),
                      let lon = Double(lonText), let lat = Double(latText), lon.isFinite, lat.isFinite else {
                    throw fail(record.line, "needs building_id, or lon and lat as finite numbers")
                }
                place = .point(Coordinate(longitude: lon, latitude: lat))
            }
            rows.append(Row(line: record.line, place: place, unit: field(record, columns["unit"]), floor: floor, households: households))
        }
        return rows
    }

    /// The store id of the building a row belongs to.
    static func match(_ row: Row, db: Database, fail: (Int, String) -> StoreError) throws -> Int64 {
        switch row.place {
        case .building(let key):
            let matches = try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM buildings WHERE source_id = ? LIMIT 2"), arguments: [key])
            if matches.count == 1 { return matches[0] }
            if matches.count > 1 { throw fail(row.line, "building_id \"\(key)\" matches buildings from several sources") }
            if let id = Int64(key), try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM buildings WHERE id = ?"), arguments: [id]) ?? false {
                return id
            }
            throw fail(row.line, "building_id \"\(key)\" matches no building in the store")
        case .point(let point):
            // Checked here, not when parsing, so that a transform from another CRS can come between the two.
            let (lon, lat) = (point.longitude, point.latitude)
            guard (-180...180).contains(lon), (-90...90).contains(lat) else {
                let swapped = (-180...180).contains(lat) && (-90...90).contains(lon)
                throw fail(row.line, "lon \(lon), lat \(lat) are outside WGS84" + (swapped ? "; lon and lat look swapped" : ""))
            }
            let matches = try Int64.fetchAll(db.cachedStatement(sql: """
                SELECT id FROM buildings
                WHERE ST_Covers(footprint, MakePoint(?1, ?2, 4326))
                  AND rowid IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = 'buildings'
                                AND f_geometry_column = 'footprint' AND search_frame = MakePoint(?1, ?2, 4326))
                ORDER BY id LIMIT 1
                """), arguments: [point.longitude, point.latitude])
            guard let id = matches.first else {
                throw fail(row.line, "no building contains lon \(point.longitude), lat \(point.latitude)")
            }
            return id
        }
    }
}
