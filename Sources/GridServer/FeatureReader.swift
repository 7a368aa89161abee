import Foundation
import GRDB
import GridModel
import GridStore
import Synchronization

/// Reads features of a collection from the store and writes them as GeoJSON bytes.
///
/// `bbox` is exact: the R-tree gives candidates, those whose box lies inside the query box match at once, and
/// only the ones straddling its edge have their geometry tested.
final class FeatureReader: Sendable {
    let store: Store
    /// Per coverage run: the comma list of its profile's levels, the value `levels_met` has when all are met.
    private let allLevelsByRun = Mutex<[Int64: String]>([:])

    init(store: Store) { self.store = store }

    struct Page: Sendable {
        var features: [UInt8]
        var numberMatched: Int
        var numberReturned: Int
    }

    struct Coverage: Sendable {
        var run: Int64
        var allLevels: String
    }

    func latestCoverage(_ db: Database) throws -> Coverage? {
        guard let run = try Int64.fetchOne(db, sql: "SELECT max(id) FROM coverage_runs") else { return nil }
        if let known = allLevelsByRun.withLock({ $0[run] }) { return Coverage(run: run, allLevels: known) }
        let profileText = try String.fetchOne(db, sql: "SELECT profile FROM coverage_runs WHERE id = ?", arguments: [run]) ?? "{}"
        let profile = try? JSONDecoder().decode(ProfileLevels.self, from: Data(profileText.utf8))
        let all = (profile?.levels ?? []).map { CoverageRuns.formatMinutes($0.minutes) }.joined(separator: ",")
        allLevelsByRun.withLock { $0[run] = all }
        return Coverage(run: run, allLevels: all)
    }

    private struct ProfileLevels: Decodable {
        struct Level: Decodable { var minutes: Double }
        var levels: [Level]
    }

    func items(_ collection: FeatureCollection, _ query: ItemsQuery) throws -> Page {
        try store.read { db in
            let coverage = collection.joinsCoverage ? try latestCoverage(db) : nil
            var exactIDs: [Int64]?
            if let bbox = query.bbox { exactIDs = try idsIntersecting(bbox, crs: query.bboxCRS, collection: collection, db) }
            let plain = query.filters.isEmpty && query.sortBy.isEmpty
            if plain, let ids = exactIDs {
                // Paged straight from the sorted id list: no count query needed.
                let start = min(query.offset, ids.count), end = min(start + query.limit, ids.count)
                let page = Array(ids[start..<end])
                let (bytes, returned) = try select(collection, query, coverage: coverage, ids: page, paged: false, db)
                return Page(features: bytes, numberMatched: ids.count, numberReturned: returned)
            }
            let (bytes, returned) = try select(collection, query, coverage: coverage, ids: exactIDs, paged: true, db)
            let matched: Int
            if returned < query.limit && (returned > 0 || query.offset == 0) {
                matched = query.offset + returned
            } else {
                matched = try count(collection, query, coverage: coverage, ids: exactIDs, db)
            }
            return Page(features: bytes, numberMatched: matched, numberReturned: returned)
        }
    }

    /// One feature as a GeoJSON Feature, or nil when there is none with this id.
    func item(_ collection: FeatureCollection, id: Int64, crs: CoordinateReferenceSystem) throws -> [UInt8]? {
        try store.read { db in
            let coverage = collection.joinsCoverage ? try latestCoverage(db) : nil
            var query = try ItemsQuery(collection: collection, parameters: [], limits: RequestLimits())
            query.crs = crs
            let (bytes, returned) = try select(collection, query, coverage: coverage, ids: [id], paged: false, db)
            return returned == 1 ? bytes : nil
        }
    }

    // MARK: - SQL

    func idsIntersecting(_ box: BoundingBox, crs: CoordinateReferenceSystem, collection: FeatureCollection, _ db: Database) throws -> [Int64] {
        let envelope = crs.isWGS84Equivalent ? box : crs.wgs84Envelope(of: box)
        let index = "idx_\(collection.table)_\(collection.geometryColumn)"
        let candidates = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT pkid, xmin, xmax, ymin, ymax FROM "\(index)" WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?
            """), arguments: [envelope.maxLongitude, envelope.minLongitude, envelope.maxLatitude, envelope.minLatitude])
        var ids: [Int64] = []
        var straddling: [Int64] = []
        for row in candidates {
            let id: Int64 = row[0]
            let inside = crs.isWGS84Equivalent && box.minLongitude <= row[1] && row[2] <= box.maxLongitude
                && box.minLatitude <= row[3] && row[4] <= box.maxLatitude
            if inside { ids.append(id) } else { straddling.append(id) }
        }
        if !straddling.isEmpty {
            let statement = try db.cachedStatement(sql: """
                SELECT t.id, AsBinary(t.\(collection.geometryColumn)) FROM \(collection.table) t
                WHERE t.id IN (SELECT value FROM json_each(?))
                """)
            let rows = try Row.fetchCursor(statement, arguments: [Self.jsonList(straddling)])
            while let row = try rows.next() {
                guard let wkb = row[1] as Data? else { continue }
                var geometry = try Geometry(wkb: [UInt8](wkb))
                if !crs.isWGS84Equivalent { geometry = crs.fromWGS84(geometry) }
                if geometry.intersects(box) { ids.append(row[0]) }
            }
        }
        ids.sort()
        return ids
    }

    static func jsonList(_ ids: [Int64]) -> String {
        var text = "["
        text.reserveCapacity(ids.count * 8)
        for (i, id) in ids.enumerated() {
            if i > 0 { text += "," }
            text += String(id)
        }
        return text + "]"
    }

    /// WHERE clause and its arguments after the coverage run argument.
    func whereClause(_ collection: FeatureCollection, _ query: ItemsQuery, coverage: Coverage?, ids: [Int64]?) -> (String, [any DatabaseValueConvertible & Sendable]) {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible & Sendable] = []
        if let ids {
            conditions.append("t.id IN (SELECT value FROM json_each(?))")
            arguments.append(Self.jsonList(ids))
        }
        for (property, value) in query.filters {
            switch property.type {
            case .boolean:
                // coverage_met: every level of the run's profile met.
                let all = coverage?.allLevels ?? ""
                if value == "true" { conditions.append("\(property.expression) = ?") }
                else { conditions.append("(\(property.expression) IS NOT NULL AND \(property.expression) <> ?)") }
                arguments.append(all)
            case .integer:
                conditions.append("\(property.expression) = ?"); arguments.append(Int64(value) ?? 0)
            case .number:
                conditions.append("\(property.expression) = ?"); arguments.append(Double(value) ?? 0)
            case .string:
                conditions.append("\(property.expression) = ?"); arguments.append(value)
            }
        }
        return (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "), arguments)
    }

    func fromClause(_ collection: FeatureCollection) -> String {
        var from = " FROM \(collection.table) t"
        if collection.joinsCoverage { from += " LEFT JOIN coverage_buildings cb ON cb.run_id = ? AND cb.building_id = t.id" }
        return from
    }

    func count(_ collection: FeatureCollection, _ query: ItemsQuery, coverage: Coverage?, ids: [Int64]?, _ db: Database) throws -> Int {
        let (whereSQL, whereArguments) = whereClause(collection, query, coverage: coverage, ids: ids)
        var arguments: [any DatabaseValueConvertible & Sendable] = []
        if collection.joinsCoverage { arguments.append(coverage?.run ?? -1) }
        arguments += whereArguments
        let sql = "SELECT count(*)" + fromClause(collection) + whereSQL
        return try Int.fetchOne(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments)) ?? 0
    }

    func select(_ collection: FeatureCollection, _ query: ItemsQuery, coverage: Coverage?, ids: [Int64]?, paged: Bool,
                _ db: Database) throws -> ([UInt8], Int) {
        let properties = query.properties ?? collection.properties
        var sql = "SELECT t.id, AsBinary(t.\(collection.geometryColumn))"
        for property in properties { sql += ", \(property.expression)" }
        sql += fromClause(collection)
        let (whereSQL, whereArguments) = whereClause(collection, query, coverage: coverage, ids: ids)
        sql += whereSQL
        var order = query.sortBy.map { key -> String in
            switch key {
            case .ascending(let p): "\(p.expression) ASC"
            case .descending(let p): "\(p.expression) DESC"
            }
        }
        order.append("t.id")
        sql += " ORDER BY " + order.joined(separator: ", ")
        var arguments: [any DatabaseValueConvertible & Sendable] = []
        if collection.joinsCoverage { arguments.append(coverage?.run ?? -1) }
        arguments += whereArguments
        if paged {
            sql += " LIMIT ? OFFSET ?"
            arguments += [query.limit, query.offset]
        }
        var out: [UInt8] = []
        out.reserveCapacity(16 << 10)
        var returned = 0
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
        var values: [(String, JSONValue)] = []
        values.reserveCapacity(properties.count)
        while let row = try rows.next() {
            let id: Int64 = row[0]
            var geometry = try (row[1] as Data?).map { try Geometry(wkb: [UInt8]($0)) }
            if let g = geometry, query.crs != .crs84 { geometry = query.crs.geometryForOutput(fromWGS84: g) }
            values.removeAll(keepingCapacity: true)
            for (offset, property) in properties.enumerated() {
                values.append((property.name, Self.value(row[offset + 2] as DatabaseValue, property, coverage: coverage)))
            }
            if returned > 0 { out.append(UInt8(ascii: ",")) }
            GeoJSON.appendFeature(id: .number(Double(id)), geometry: geometry, properties: values,
                                  precision: query.crs.precision, to: &out)
            returned += 1
            if returned & 255 == 0 { try RequestDeadline.check() }
        }
        return (out, returned)
    }

    static func value(_ value: DatabaseValue, _ property: FeatureCollection.Property, coverage: Coverage?) -> JSONValue {
        switch value.storage {
        case .null: return .null
        case .int64(let number): return property.type == .boolean ? .bool(number != 0) : .number(Double(number))
        case .double(let number): return .number(number)
        case .string(let text):
            if property.type == .boolean { return .bool(text == coverage?.allLevels) }
            return .string(text)
        case .blob: return .null
        }
    }
}
