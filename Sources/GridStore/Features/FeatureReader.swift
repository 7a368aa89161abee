import Foundation
import GRDB
import GridModel
import Synchronization

/// The store's feature query engine: reads features of a collection and writes them as GeoJSON bytes.
///
/// `bbox` is exact: the R-tree gives candidates, those whose box lies inside the query box match at once, and
/// only the ones straddling its edge have their geometry tested. A box holding the collection's whole extent
/// reads like no box, so a client asking for its whole view pages through the table.
public final class FeatureReader: FeatureSource {
    let store: Store
    let cache: FeatureCache?
    /// Per coverage run: the comma list of its profile's levels, the value `levels_met` has when all are met.
    private let allLevelsByRun = Mutex<[Int64: String]>([:])

    public init(store: Store) {
        self.store = store
        // Without the probe connection every request reads everything afresh, which is slower but as exact.
        cache = try? FeatureCache(path: store.path)
    }

    public func dataVersion() -> Int64? { try? cache?.version() }

    /// Kept per data version, as encoded features are: one R-tree scan after each commit.
    public func extent(of collection: FeatureCollection) throws -> BoundingBox? {
        let before = try? cache?.version()
        if let cache, let before, let known = cache.extent(collection.id, version: before) { return known }
        let extent = try store.read { db in try Self.extent(collection, db) }
        if let cache, let before, let after = try? cache.version(), after == before {
            cache.storeExtent(collection.id, extent, version: before)
        }
        return extent
    }

    /// The R-tree's extent (single precision, rounded outwards: it holds every geometry).
    static func extent(_ collection: FeatureCollection, _ db: Database) throws -> BoundingBox? {
        guard let row = try Row.fetchOne(db, sql: "SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM \"\(collection.spatialIndex)\""),
              let minX = row[0] as Double?, let minY = row[1] as Double?, let maxX = row[2] as Double?, let maxY = row[3] as Double?
        else { return nil }
        return BoundingBox(minLongitude: minX, minLatitude: minY, maxLongitude: maxX, maxLatitude: maxY)
    }

    typealias Coverage = LatestCoverageRun

    func latestCoverage(_ db: Database) throws -> Coverage? {
        guard let run = try LatestCoverageRun.runID(db) else { return nil }
        if let known = allLevelsByRun.withLock({ $0[run] }) { return Coverage(run: run, allLevels: known) }
        let all = try LatestCoverageRun.allLevels(run: run, db)
        allLevelsByRun.withLock { $0[run] = all }
        return Coverage(run: run, allLevels: all)
    }

    typealias Lookup = @Sendable ([Int64]) -> [Int64: [UInt8]]

    public func page(_ given: FeatureQuery) throws -> FeaturePage {
        var query = given
        let collection = query.collection
        // A box holding every feature selects them all: read as no box (no id list, a plain count).
        if let bbox = query.bbox, cache != nil, query.bboxCRS.isWGS84Equivalent, let extent = try extent(of: collection),
           bbox.minLongitude <= extent.minLongitude, extent.maxLongitude <= bbox.maxLongitude,
           bbox.minLatitude <= extent.minLatitude, extent.maxLatitude <= bbox.maxLatitude {
            query.bbox = nil
        }
        // Only the default representation is cached.
        let cacheable = query.crs == .crs84 && query.properties == nil
        var (page, version) = try throughCache(collection, enabled: cacheable, now: query.now) { lookup in try read(collection, query, cached: lookup) }
        page.dataVersion = version
        if query.offset + page.numberReturned < page.numberMatched { page.nextOffset = query.offset + query.limit }
        if query.offset > 0 { page.previousOffset = max(0, query.offset - query.limit) }
        return page
    }

    /// Runs `body` with the cache's lookup when the data version is the same before and after it, storing the
    /// features it encoded; otherwise (or when disabled) runs it again without the cache. See FeatureCache.
    /// Also gives the data version the value was read at, when it held throughout.
    private func throughCache<T>(_ collection: FeatureCollection, enabled: Bool, now: Int64,
                                 _ body: (Lookup?) throws -> (T, [Int64: EncodedFeature])) throws -> (T, version: Int64?) {
        let before = try? cache?.version()
        if enabled, let cache, let before {
            let (value, fresh) = try body { cache.lookup(collection.id, $0, version: before, now: now) }
            if let after = try? cache.version(), after == before {
                cache.store(collection.id, fresh, version: before)
                return (value, before)
            }
            return (try body(nil).0, nil)
        }
        let value = try body(nil).0
        guard let before, let after = try? cache?.version(), after == before else { return (value, nil) }
        return (value, before)
    }

    /// One page; features found by `cached` are copied, the others are encoded and handed back beside it.
    private func read(_ collection: FeatureCollection, _ query: FeatureQuery, cached: Lookup?) throws -> (FeaturePage, [Int64: EncodedFeature]) {
        try store.read { db -> (FeaturePage, [Int64: EncodedFeature]) in
            let coverage = collection.joinsCoverage ? try latestCoverage(db) : nil
            var exactIDs: [Int64]?
            if let bbox = query.bbox { exactIDs = try idsIntersecting(bbox, query: query, db) }
            let plain = query.filters.isEmpty && query.caseConditions.isEmpty && query.sortBy.isEmpty
            var pageIDs: [Int64]
            let matched: Int?
            if plain, let ids = exactIDs {
                let start = min(query.offset, ids.count), end = min(start + query.limit, ids.count)
                pageIDs = Array(ids[start..<end])
                matched = ids.count
            } else if cached != nil {
                // The page's ids first (cheap), so that only missing features are read and encoded.
                pageIDs = try self.ids(collection, query, coverage: coverage, restrictedTo: exactIDs, db)
                matched = nil
            } else {
                let (bytes, returned) = try select(collection, query, coverage: coverage, ids: exactIDs, paged: true, db)
                let matched = try numberMatched(collection, query, coverage: coverage, ids: exactIDs, returned: returned, db)
                return (FeaturePage(features: bytes, numberMatched: matched, numberReturned: returned), [:])
            }
            let hits = cached?(pageIDs) ?? [:]
            let missing = pageIDs.filter { hits[$0] == nil }
            var encoded: [Int64: EncodedFeature] = [:]
            if !missing.isEmpty {
                encoded = try selectEach(collection, query, coverage: coverage, ids: missing, db)
            }
            var out: [UInt8] = []
            out.reserveCapacity(pageIDs.count * 512)
            var returned = 0
            for id in pageIDs {
                guard let feature = hits[id] ?? encoded[id]?.bytes else { continue }
                if returned > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: feature)
                returned += 1
            }
            let total = try matched ?? numberMatched(collection, query, coverage: coverage, ids: exactIDs, returned: returned, db)
            return (FeaturePage(features: out, numberMatched: total, numberReturned: returned), encoded)
        }
    }

    func numberMatched(_ collection: FeatureCollection, _ query: FeatureQuery, coverage: Coverage?, ids: [Int64]?,
                       returned: Int, _ db: Database) throws -> Int {
        if returned < query.limit && (returned > 0 || query.offset == 0) { return query.offset + returned }
        return try count(collection, query, coverage: coverage, ids: ids, db)
    }

    /// The ids of one page, in the page's order.
    func ids(_ collection: FeatureCollection, _ query: FeatureQuery, coverage: Coverage?, restrictedTo ids: [Int64]?,
             _ db: Database) throws -> [Int64] {
        let (whereSQL, whereArguments) = whereClause(collection, query, coverage: coverage, ids: ids)
        var arguments: [any DatabaseValueConvertible & Sendable] = []
        if collection.joinsCoverage { arguments.append(coverage?.run ?? -1) }
        arguments += whereArguments + [query.limit, query.offset]
        let sql = "SELECT t.id" + fromClause(collection) + whereSQL + orderClause(query) + " LIMIT ? OFFSET ?"
        return try Int64.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
    }

    /// Each feature encoded on its own, by id.
    func selectEach(_ collection: FeatureCollection, _ query: FeatureQuery, coverage: Coverage?, ids: [Int64],
                    _ db: Database) throws -> [Int64: EncodedFeature] {
        var features: [Int64: EncodedFeature] = [:]
        features.reserveCapacity(ids.count)
        try encodeRows(collection, query, coverage: coverage, ids: ids, paged: false, db) { id, bytes, validUntil in
            features[id] = EncodedFeature(bytes: bytes, validUntil: validUntil)
        }
        return features
    }

    public func feature(in collection: FeatureCollection, id: Int64, crs: CoordinateReferenceSystem) throws -> [UInt8]? {
        var single = FeatureQuery(collection: collection, limit: 1)
        single.crs = crs
        let query = single
        return try throughCache(collection, enabled: crs == .crs84, now: query.now) { lookup -> ([UInt8]?, [Int64: EncodedFeature]) in
            if let hit = lookup?([id])[id] { return (hit, [:]) }
            let found = try store.read { db in
                try selectEach(collection, query, coverage: collection.joinsCoverage ? try latestCoverage(db) : nil, ids: [id], db)
            }
            return (found[id]?.bytes, found)
        }.0
    }

    // MARK: - SQL

    func idsIntersecting(_ box: BoundingBox, query: FeatureQuery, _ db: Database) throws -> [Int64] {
        let crs = query.bboxCRS, collection = query.collection
        let envelope = crs.isWGS84Equivalent ? box : crs.wgs84Envelope(of: box)
        let candidates = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT pkid, xmin, xmax, ymin, ymax FROM "\(collection.spatialIndex)" WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?
            """), arguments: [envelope.maxLongitude, envelope.minLongitude, envelope.maxLatitude, envelope.minLatitude])
        var ids: [Int64] = []
        var straddling: [Int64] = []
        var count = 0
        while let row = try candidates.next() {
            count += 1
            if count & 4095 == 0 { try query.checkDeadline() }
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
    func whereClause(_ collection: FeatureCollection, _ query: FeatureQuery, coverage: Coverage?, ids: [Int64]?) -> (String, [any DatabaseValueConvertible & Sendable]) {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible & Sendable] = []
        if let ids {
            conditions.append("t.id IN (SELECT value FROM json_each(?))")
            arguments.append(Self.jsonList(ids))
        }
        for filter in query.filters {
            let expression = filter.property.expression
            switch filter.value {
            case .boolean(let met):
                // coverage_met: every level of the run's profile met.
                let all = coverage?.allLevels ?? ""
                if met { conditions.append("\(expression) = ?") }
                else { conditions.append("(\(expression) IS NOT NULL AND \(expression) <> ?)") }
                arguments.append(all)
            case .integer(let number):
                conditions.append("\(expression) = ?"); arguments.append(number)
            case .number(let number):
                conditions.append("\(expression) = ?"); arguments.append(number)
            case .string(let text):
                conditions.append("\(expression) = ?"); arguments.append(text)
            }
        }
        for condition in query.caseConditions {
            switch condition {
            case .status("open"): conditions.append("t.state NOT IN ('closed', 'void')")
            case .status("closed"): conditions.append("t.state IN ('closed', 'void')")
            case .status(let state): conditions.append("t.state = ?"); arguments.append(state)
            case .overdue:
                conditions.append("(t.state NOT IN ('closed', 'void') AND t.step_deadline IS NOT NULL AND t.step_deadline < ?)")
                arguments.append(query.now)
            }
        }
        return (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "), arguments)
    }

    func fromClause(_ collection: FeatureCollection) -> String {
        var from = " FROM \(collection.table) t"
        if collection.joinsCoverage {
            from += " LEFT JOIN coverage_buildings cb ON cb.run_id = ? AND cb.building_id = t.id"
            // Places derived for older layers (a change by a process that did not derive them again) name no grid.
            from += " LEFT JOIN building_places bp ON bp.building_id = t.id AND \(BuildingPlaces.isCurrentSQL)"
        }
        return from
    }

    func count(_ collection: FeatureCollection, _ query: FeatureQuery, coverage: Coverage?, ids: [Int64]?, _ db: Database) throws -> Int {
        let (whereSQL, whereArguments) = whereClause(collection, query, coverage: coverage, ids: ids)
        // The coverage and place joins are on primary keys (one row or none per feature): without a filter on their
        // columns they leave the count as it is, and SQLite would probe both for every row (0.4 s on a million buildings).
        let joins = collection.joinsCoverage && !query.filters.isEmpty
        var arguments: [any DatabaseValueConvertible & Sendable] = []
        if joins { arguments.append(coverage?.run ?? -1) }
        arguments += whereArguments
        let sql = "SELECT count(*)" + (joins ? fromClause(collection) : " FROM \(collection.table) t") + whereSQL
        return try Int.fetchOne(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments)) ?? 0
    }

    func orderClause(_ query: FeatureQuery) -> String {
        var order = query.sortBy.map { key -> String in
            switch key {
            case .ascending(let p): "\(p.expression) ASC"
            case .descending(let p): "\(p.expression) DESC"
            }
        }
        order.append("t.id")
        return " ORDER BY " + order.joined(separator: ", ")
    }

    /// Encodes the selected rows one feature at a time, in order.
    func encodeRows(_ collection: FeatureCollection, _ query: FeatureQuery, coverage: Coverage?, ids: [Int64]?, paged: Bool,
                    _ db: Database, _ emit: (Int64, [UInt8], Int64) throws -> Void) throws {
        if collection.rendersCases { return try encodeCases(query, ids: ids, paged: paged, db, emit) }
        let properties = query.properties ?? collection.properties
        var sql = "SELECT t.id, AsBinary(t.\(collection.geometryColumn))"
        for property in properties { sql += ", \(property.expression)" }
        sql += fromClause(collection)
        let (whereSQL, whereArguments) = whereClause(collection, query, coverage: coverage, ids: ids)
        sql += whereSQL + orderClause(query)
        var arguments: [any DatabaseValueConvertible & Sendable] = []
        if collection.joinsCoverage { arguments.append(coverage?.run ?? -1) }
        arguments += whereArguments
        if paged {
            sql += " LIMIT ? OFFSET ?"
            arguments += [query.limit, query.offset]
        }
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
        var values: [(String, JSONValue)] = []
        values.reserveCapacity(properties.count)
        var count = 0
        while let row = try rows.next() {
            let id: Int64 = row[0]
            var geometry = try (row[1] as Data?).map { try Geometry(wkb: [UInt8]($0)) }
            if let g = geometry, query.crs != .crs84 { geometry = query.crs.geometryForOutput(fromWGS84: g) }
            values.removeAll(keepingCapacity: true)
            for (offset, property) in properties.enumerated() {
                values.append((property.name, Self.value(row[offset + 2] as DatabaseValue, property, coverage: coverage)))
            }
            var out: [UInt8] = []
            out.reserveCapacity(512)
            GeoJSON.appendFeature(id: .number(Double(id)), geometry: geometry, properties: values,
                                  precision: query.crs.precision, to: &out)
            try emit(id, out, .max)
            count += 1
            if count & 255 == 0 { try query.checkDeadline() }
        }
    }

    func select(_ collection: FeatureCollection, _ query: FeatureQuery, coverage: Coverage?, ids: [Int64]?, paged: Bool,
                _ db: Database) throws -> ([UInt8], Int) {
        var out: [UInt8] = []
        out.reserveCapacity(16 << 10)
        var returned = 0
        try encodeRows(collection, query, coverage: coverage, ids: ids, paged: paged, db) { _, feature, _ in
            if returned > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: feature)
            returned += 1
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
