import Foundation
import GRDB
import GRDBSQLite
import GridAnalysis
import GridModel

/// Coverage runs are records: the profile, the data versions it was computed on, a summary, and every building's
/// result (nearest facilities and every requirement's verdict), so a run renders and compares later without a search.
public enum CoverageRuns {
    public struct Stored: Sendable {
        public var id: Int64
        public var createdAt: String
        public var profileName: String
        public var buildings: Int
        public var households: Int
        public var summary: String
        public var freshness: Freshness

        /// Households covered per level, as stored in the summary (minutes, households).
        public var levelsCovered: [(minutes: Double, households: Int)] {
            guard let object = try? JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any],
                  let levels = object["levels"] as? [[String: Any]] else { return [] }
            return levels.compactMap { level in
                guard let minutes = (level["minutes"] as? NSNumber)?.doubleValue, let households = (level["households_covered"] as? NSNumber)?.intValue else { return nil }
                return (minutes, households)
            }
        }

        public var json: [String: Any] {
            var object: [String: Any] = ["id": id, "created_at": createdAt, "profile": profileName, "buildings": buildings, "households": households,
                                         "levels": levelsCovered.map { ["minutes": $0.minutes, "households_covered": $0.households] }]
            for (key, value) in freshness.json { object[key] = value }
            return object
        }
    }

    /// A stored run read back: its record and its result. Buildings carry their current grid and community
    /// (`BuildingPlaces`), never a grid that is gone; `existing` holds the ids still in the store.
    public struct Loaded: Sendable {
        public var run: Stored
        public var result: Coverage.Result
        public var existing: Set<Int64>
    }

    /// Stores a result in one transaction; returns the run id. `versions`: the data versions read before the
    /// computation (read now when nil), so a change landing during it leaves the run stale.
    @discardableResult
    public static func save(_ result: Coverage.Result, store: Store, seconds: Double, versions: DataVersions? = nil) throws -> Int64 {
        let version = try AnalysisData.version(store)
        let profileJSON = String(decoding: try JSONEncoder().encode(result.profile), as: UTF8.self)
        let totals = result.summary
        let summary = String(decoding: try JSONSerialization.data(withJSONObject: summaryJSON(result, totals: totals), options: [.sortedKeys]),
                             as: UTF8.self)
        let recorded = try versions ?? DataVersions.current(store)
        // The run's rows reference the run inserted first in the same transaction, so checking that reference for each
        // of a city's millions of rows proves nothing: the checks are off for this transaction only.
        return try store.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
            var run: Int64 = 0
            try db.inTransaction(.immediate) {
                run = try insert(result, db: db, profileJSON: profileJSON, version: version, seconds: seconds, totals: totals,
                                 summary: summary, recorded: recorded)
                return .commit
            }
            return run
        }
    }

    private static func insert(_ result: Coverage.Result, db: Database, profileJSON: String, version: String, seconds: Double,
                               totals: Coverage.Totals, summary: String, recorded: DataVersions) throws -> Int64 {
        let categories = result.categories
        let categoriesJSON = String(decoding: try JSONEncoder().encode(categories), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO coverage_runs (created_at, profile_name, profile, network_version, seconds, buildings, households, summary, data_versions,
                                       nearest_categories)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [ISO8601DateFormatter().string(from: Date()), result.profile.name, profileJSON, version, seconds,
                             totals.buildings, totals.households, summary, recorded.text, categoriesJSON])
        let run = db.lastInsertedRowID
        // A city's run is a million rows: they are bound straight to SQLite (`RowWriter`), the two texts per building
        // come from the few distinct verdict patterns, spelled once each, and every category's nearest facility
        // goes in the building's own row (`NearestColumn`) rather than a row per building and category.
        let building = try RowWriter(db, sql: """
            INSERT INTO coverage_buildings (run_id, building_id, households, grid_code, community_code, off_network_m, levels_met, requirements_met,
                                            nearest)
            VALUES
            """, row: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", columns: 9, total: result.buildings.count)
        let levels = result.profile.levels
        let requirements = levels.reduce(0) { $0 + $1.categories.count }
        // Verdicts as bits (`BuildingResults.verdictBits`) when they fit in 64; otherwise spelled per building.
        let asBits = requirements <= 64 && levels.count <= 64
        func verdictsText(_ b: Int) -> String {
            levels.indices.map { l in
                String(levels[l].categories.indices.map { result.results.isMet(building: b, level: l, requirement: $0) ? "1" : "0" })
            }.joined(separator: "|")
        }
        var levelsText: [UInt64: String] = [:], verdictsTexts: [UInt64: String] = [:]
        var nearestBytes: [UInt8] = []
        for (b, item) in result.buildings.enumerated() {
            let met: String, verdicts: String
            if asBits {
                let bits = result.results.verdictBits(building: b)
                met = levelsText[bits.levels] ?? {
                    let text = LevelsMet.met(building: b, in: result).stored
                    levelsText[bits.levels] = text
                    return text
                }()
                verdicts = verdictsTexts[bits.requirements] ?? {
                    let text = verdictsText(b)
                    verdictsTexts[bits.requirements] = text
                    return text
                }()
            } else {
                met = LevelsMet.met(building: b, in: result).stored
                verdicts = verdictsText(b)
            }
            building.bind(1, run); building.bind(2, item.id); building.bind(3, Int64(item.households))
            building.bind(4, item.grid); building.bind(5, item.community)
            building.bind(6, result.results.offNetworkDistance(b)?.value)
            building.bind(7, met); building.bind(8, verdicts)
            var unstorable: Double?
            NearestColumn.encode(into: &nearestBytes, categories: categories.count) { c in
                guard let answer = result.results.nearest(building: b, category: c) else { return nil }
                guard let centimetres = NearestColumn.centimetres(answer.distance.value) else {
                    unstorable = answer.distance.value
                    return nil
                }
                return (answer.facilityID, centimetres)
            }
            if let unstorable { throw StoreError.corrupt("building \(item.id): walking distance \(unstorable) m cannot be stored") }
            building.bind(9, nearestBytes)
            try building.insert()
        }
        return run
    }

    /// Prepared INSERTs executed many times with values bound directly (SQLite copies texts), so a row costs no
    /// argument array; used inside the caller's write transaction only. Rows go `batch` to a statement while that
    /// many remain (one statement run per batch instead of per row), the last ones one by one; `total` rows in all.
    private final class RowWriter {
        static let batch = 64
        let db: Database
        let batchStatement: Statement?
        let single: Statement
        let columns: Int32
        /// Rows still to insert before the current one, and the current row's place in the batch (-1: one by one).
        private var remaining: Int
        private var slot: Int32 = 0
        private var handle: SQLiteStatement

        init(_ db: Database, sql: String, row: String, columns: Int32, total: Int) throws {
            self.db = db
            self.columns = columns
            single = try db.makeStatement(sql: sql + " " + row)
            batchStatement = total >= Self.batch
                ? try db.makeStatement(sql: sql + " " + Array(repeating: row, count: Self.batch).joined(separator: ", ")) : nil
            remaining = total
            handle = (batchStatement ?? single).sqliteStatement
            if batchStatement == nil { slot = -1 }
        }

        private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

        /// The parameter number of `column` (1-based) in the current row.
        @inline(__always) private func at(_ column: Int32) -> Int32 { max(slot, 0) * columns + column }

        func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, at(index), value) }
        func bind(_ index: Int32, _ value: Double?) {
            if let value { sqlite3_bind_double(handle, at(index), value) } else { sqlite3_bind_null(handle, at(index)) }
        }
        func bind(_ index: Int32, _ value: String?) {
            guard var value else { sqlite3_bind_null(handle, at(index)); return }
            let index = at(index)
            // An empty text (a building meeting no level) must stay '' : a null pointer would bind NULL.
            _ = value.withUTF8 { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else { return sqlite3_bind_text(handle, index, "", 0, Self.transient) }
                return sqlite3_bind_text(handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient)
            }
        }

        /// A blob, empty (not NULL) when `bytes` is.
        func bind(_ index: Int32, _ bytes: [UInt8]) {
            let index = at(index)
            _ = bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress, !raw.isEmpty else { return sqlite3_bind_zeroblob(handle, index, 0) }
                return sqlite3_bind_blob(handle, index, base, Int32(raw.count), Self.transient)
            }
        }

        /// Ends the current row: runs the statement when its batch is full, or the single row.
        func insert() throws {
            remaining -= 1
            if slot >= 0 {
                slot += 1
                guard slot == Int32(Self.batch) else { return }
                try step((batchStatement ?? single))
                // A full batch only while a whole one remains.
                slot = remaining >= Self.batch ? 0 : -1
                handle = (slot >= 0 ? batchStatement ?? single : single).sqliteStatement
            } else {
                try step(single)
            }
        }

        private func step(_ statement: Statement) throws {
            let code = sqlite3_step(statement.sqliteStatement)
            sqlite3_reset(statement.sqliteStatement)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
            }
        }
    }

    public static func list(store: Store) throws -> [Stored] {
        try store.read { db in
            let current = try DataVersions.read(db)
            return try Row.fetchAll(db, sql: "SELECT id, created_at, profile_name, buildings, households, summary, data_versions FROM coverage_runs ORDER BY id")
                .map { Stored(id: $0[0], createdAt: $0[1], profileName: $0[2], buildings: $0[3], households: $0[4], summary: $0[5],
                              freshness: Freshness(recorded: DataVersions.decode($0[6]), current: current)) }
        }
    }

    public static func latestID(store: Store) throws -> Int64? {
        try store.read { try Int64.fetchOne($0, sql: "SELECT max(id) FROM coverage_runs") }
    }

    /// Reads a stored run back as a result, without searching.
    public static func load(store: Store, id: Int64) throws -> Loaded {
        try BuildingPlaces.refreshIfNeeded(store)
        return try store.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, created_at, profile_name, buildings, households, summary, data_versions, profile, nearest_categories FROM coverage_runs WHERE id = ?
                """, arguments: [id]) else {
                let known = try Int64.fetchAll(db, sql: "SELECT id FROM coverage_runs ORDER BY id")
                throw StoreError.notFound(.coverageRun, value: String(id), problem: "no such coverage run (" + (known.isEmpty ? "the store has none; run `coverage` first" : "stored: \(known.map(String.init).joined(separator: ", "))") + ")")
            }
            let run = Stored(id: row[0], createdAt: row[1], profileName: row[2], buildings: row[3], households: row[4], summary: row[5],
                             freshness: Freshness(recorded: DataVersions.decode(row[6]), current: try DataVersions.read(db)))
            let profileText: String = row[7]
            let profile = try JSONDecoder().decode(LifeCircleProfile.self, from: Data(profileText.utf8))
            let categories = profile.categories
            let categoryIndex = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($0.element, $0.offset) })
            let summary = (try? JSONSerialization.jsonObject(with: Data(run.summary.utf8))) as? [String: Any] ?? [:]
            func counts(_ key: String) -> [String: Int] {
                ((summary[key] as? [String: Any]) ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue }
            }
            var points: [Int64: Coordinate] = [:]
            for point in try Row.fetchAll(db, sql: "SELECT id, X(point), Y(point) FROM buildings WHERE id IN (SELECT building_id FROM coverage_buildings WHERE run_id = ?)",
                                          arguments: [id]) {
                points[point[0]] = Coordinate(longitude: point[1], latitude: point[2])
            }
            var places: [Int64: BuildingPlaces.Place] = [:]
            for place in try Row.fetchAll(db, sql: "SELECT building_id, grid_code, community_code FROM building_places WHERE building_id IN (SELECT building_id FROM coverage_buildings WHERE run_id = ?)",
                                          arguments: [id]) {
                places[place[0]] = BuildingPlaces.Place(grid: place[1], community: place[2])
            }
            let placesCurrent = try Bool.fetchOne(db, sql: "SELECT \(BuildingPlaces.currentSQL)") ?? false
            // Runs stored from v14 on name their categories and hold each building's nearest facilities in its row;
            // older runs hold a `coverage_nearest` row per building and category.
            let compactCategories: [Int?]? = try (row[8] as String?).map { text in
                guard let stored = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
                    throw StoreError.corrupt("coverage run \(id): nearest_categories is not a list of categories")
                }
                return stored.map { categoryIndex[$0] }
            }
            var buildings: [Coverage.Building] = [], offNetwork: [Meters?] = [], met: [[[Bool]]] = []
            var nearest = [[NearestFacilitySearch.Answer?]](repeating: [], count: categories.count)
            var index: [Int64: Int] = [:]
            let rows = try StoredRows(db, sql: """
                SELECT building_id, households, off_network_m, levels_met, requirements_met, nearest FROM coverage_buildings WHERE run_id = ? ORDER BY building_id
                """, arguments: [id])
            try rows.forEach { item in
                let buildingID = try item.int64(0, "coverage run \(id) building")
                let b = buildings.count
                index[buildingID] = b
                guard let households = Int(exactly: try item.int64(1, "coverage run \(id) building \(buildingID) households")) else {
                    throw StoreError.corrupt("coverage run \(id) building \(buildingID): households out of range")
                }
                // The building's current grid; none when it left the store or the places could not be derived again.
                let place = placesCurrent ? places[buildingID] : nil
                buildings.append(Coverage.Building(id: buildingID, point: points[buildingID] ?? Coordinate(longitude: 0, latitude: 0),
                                                   households: households, grid: place?.grid, community: place?.community))
                offNetwork.append(item.isNull(2) ? nil : Meters(try item.double(2, "off_network_m")))
                if let verdicts = item.text(4) {
                    met.append(verdicts.split(separator: "|", omittingEmptySubsequences: false).map { $0.map { $0 == "1" } })
                } else {
                    met.append([])  // filled below from the distances (runs stored before verdicts were kept)
                }
                for c in nearest.indices { nearest[c].append(nil) }
                guard let compactCategories else { return }
                guard !item.isNull(5) else { throw StoreError.corrupt("coverage run \(id) building \(buildingID): no nearest facilities") }
                try NearestColumn.decode(item.blob(5), categories: compactCategories.count, what: "coverage run \(id) building \(buildingID)") { s, facility, centimetres in
                    guard let c = compactCategories[s] else { return }
                    nearest[c][b] = NearestFacilitySearch.Answer(facilityID: facility, distance: Meters(NearestColumn.metres(centimetres)))
                }
            }
            if compactCategories == nil {
                let cursor = try Row.fetchCursor(db, sql: "SELECT building_id, category, facility_id, distance_m FROM coverage_nearest WHERE run_id = ?", arguments: [id])
                while let answer = try cursor.next() {
                    guard let b = index[answer[0]], let c = categoryIndex[answer[1]] else { continue }
                    nearest[c][b] = NearestFacilitySearch.Answer(facilityID: answer[2], distance: Meters(answer[3]))
                }
            }
            for b in met.indices where met[b].count != profile.levels.count || zip(met[b], profile.levels).contains(where: { $0.count != $1.categories.count }) {
                met[b] = profile.levels.map { level in
                    level.categories.map { requirement in
                        nearest[categoryIndex[requirement.category]!][b].map { $0.distance.value <= profile.limit(requirement, at: level).value } ?? false
                    }
                }
            }
            let result = Coverage.Result(profile: profile, buildings: buildings, nearest: nearest, offNetwork: offNetwork, met: met,
                                         facilitiesPlaced: counts("facilities_placed"), facilitiesOffNetwork: counts("facilities_off_network"))
            return Loaded(run: run, result: result, existing: Set(points.keys))
        }
    }

    // MARK: checking what a user names

    /// Refuses a community code the store does not hold, listing the ones it does.
    public static func checkCommunity(_ code: String, store: Store) throws {
        let known = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT code, name FROM communities ORDER BY code").map { (code: $0[0] as String, name: $0[1] as String) }
        }
        if known.contains(where: { $0.code == code }) { return }
        let list = known.isEmpty ? "the store holds no community (import them with `import geojson FILE --layer communities`)"
            : "valid: " + known.map { "\($0.code) (\($0.name))" }.joined(separator: ", ")
        let byName = known.first { $0.name == code }.map { "; \(code) is the name of \($0.code), give the code" } ?? ""
        throw StoreError.notFound(.community, value: code, problem: "no such community\(byName); \(list)")
    }

    /// Categories a facility may have: the import rules', the profile's and those stored.
    public static func knownCategories(store: Store, profile: LifeCircleProfile) throws -> [String] {
        let stored = try store.read { try String.fetchAll($0, sql: "SELECT DISTINCT category FROM facilities") }
        return Array(Set(ImportRules.default.categories + profile.categories + stored)).sorted()
    }

    public static func checkCategory(_ category: String, store: Store, profile: LifeCircleProfile) throws {
        let known = try knownCategories(store: store, profile: profile)
        guard known.contains(category) else {
            throw StoreError.invalid(.category, value: category, problem: "unknown category; valid: \(known.joined(separator: ", "))")
        }
    }

    /// Planned facilities from a GeoJSON file of Points with a `category` (and optional `name`), numbered -1, -2, …
    /// so they never collide with stored ids. Errors name the file, the feature and the field.
    public static func plannedFacilities(path: String, store: Store, profile: LifeCircleProfile) throws -> [Coverage.Facility] {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.badInput("\(path): file not found") }
        let features: [Feature]
        do { features = try GeoJSON.decodeFeatureCollection(data) } catch { throw StoreError.badInput("\(path): \(error)") }
        guard !features.isEmpty else { throw StoreError.badInput("\(path): no feature (give GeoJSON Points with a category)") }
        let known = try knownCategories(store: store, profile: profile)
        return try features.enumerated().map { index, feature in
            guard case .point(let point)? = feature.geometry else {
                throw StoreError.badInput("\(path): feature \(index): geometry must be a Point")
            }
            guard case .string(let category)? = feature.properties["category"], !category.isEmpty else {
                throw StoreError.badInput("\(path): feature \(index): property \"category\" is missing (valid: \(known.joined(separator: ", ")))")
            }
            guard known.contains(category) else {
                throw StoreError.badInput("\(path): feature \(index): category \(category) is unknown; valid: \(known.joined(separator: ", "))")
            }
            return Coverage.Facility(id: -Int64(index + 1), category: category, location: point)
        }
    }

    public static func formatMinutes(_ minutes: Double) -> String {
        minutes == minutes.rounded() ? String(Int(minutes)) : String(minutes)
    }

    /// The summary as JSON-ready values: per level, households covered and share, and per requirement.
    public static func summaryJSON(_ result: Coverage.Result, totals: Coverage.Totals? = nil) -> [String: Any] {
        let totals = totals ?? result.summary
        return [
            "buildings": totals.buildings, "households": totals.households, "off_network_buildings": totals.offNetworkBuildings,
            "levels": levelsJSON(totals, result.profile),
            "facilities_placed": result.facilitiesPlaced, "facilities_off_network": result.facilitiesOffNetwork,
            "categories_without_facilities": result.facilityNotes.map { ["category": $0.category, "note": $0.note] },
            "network_parts": networkPartsJSON(result),
        ]
    }

    /// The network's parts the buildings and facilities joined, most households first.
    public static func networkPartsJSON(_ result: Coverage.Result) -> [[String: Any]] {
        result.networkParts.map { part in
            ["part": Int(part.component), "nodes": part.nodes, "length_m": (part.length.value * 10).rounded() / 10, "largest": part.isLargest,
             "buildings": part.buildings, "households": part.households, "facilities": part.facilities] as [String: Any]
        }
    }

    public static func levelsJSON(_ totals: Coverage.Totals, _ profile: LifeCircleProfile) -> [[String: Any]] {
        zip(profile.levels, totals.levels).map { level, counts in
            [
                "minutes": level.minutes,
                "households_covered": counts.householdsCovered,
                "buildings_covered": counts.buildingsCovered,
                "share": share(counts.householdsCovered, of: totals.households),
                "uncovered_buildings": counts.uncoveredBuildings.count,
                "requirements": zip(level.categories, counts.householdsMeeting).map { requirement, households in
                    [
                        "category": requirement.category, "label": requirement.label as Any? ?? NSNull(),
                        "limit_m": profile.limit(requirement, at: level).value,
                        "households_covered": households,
                        "share": share(households, of: totals.households),
                    ] as [String: Any]
                },
            ] as [String: Any]
        }
    }
}
