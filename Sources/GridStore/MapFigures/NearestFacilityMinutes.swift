import Foundation
import GRDB
import GridAnalysis

/// Walking minutes from each building to its nearest facility of one category, as a stored coverage run found them:
/// the run's reach distance divided by the run's walking speed, the speed its levels' distances come from.
public enum NearestFacilityMinutes {
    public struct Building: Sendable, Equatable {
        public var id: Int64
        public var facilityID: Int64
        public var distance: Double
        public var minutes: Double
    }

    public struct Answer: Sendable {
        public var run: Int64
        public var category: String
        public var walkingSpeed: Double
        /// Buildings of the run with a facility of the category in reach, by building id.
        public var buildings: [Building]
        /// Buildings of the run that reach no facility of the category (none placed, or none on their network part).
        public var unreached: [Int64]
    }

    public enum Refusal: Error, Sendable, Equatable {
        case noSuchRun(Int64, stored: [Int64])
        case unknownCategory(String, known: [String])
    }

    /// Minutes for `category` in run `run`, from the run's stored nearest facilities without searching again (each
    /// building's row for runs stored from v14 on, `coverage_nearest` for older runs).
    public static func read(store: Store, run: Int64, category: String) throws -> Answer {
        try store.read { db in
            guard let stored = try Row.fetchOne(db, sql: "SELECT profile, nearest_categories FROM coverage_runs WHERE id = ?", arguments: [run]) else {
                throw Refusal.noSuchRun(run, stored: try Int64.fetchAll(db, sql: "SELECT id FROM coverage_runs ORDER BY id"))
            }
            let profileText: String = stored[0]
            let profile = try JSONDecoder().decode(LifeCircleProfile.self, from: Data(profileText.utf8))
            guard profile.categories.contains(category) else { throw Refusal.unknownCategory(category, known: profile.categories) }
            let metresPerMinute = profile.walkingSpeed * 60
            func building(_ id: Int64, _ facilityID: Int64, _ distance: Double) -> Building {
                Building(id: id, facilityID: facilityID, distance: distance, minutes: (distance / metresPerMinute * 100).rounded() / 100)
            }
            guard let categoriesText = stored[1] as String? else {
                let buildings = try Row.fetchAll(db, sql: """
                    SELECT building_id, facility_id, distance_m FROM coverage_nearest WHERE run_id = ? AND category = ? ORDER BY building_id
                    """, arguments: [run, category]).map { row in building(row[0], row[1], row[2]) }
                let unreached = try Int64.fetchAll(db, sql: """
                    SELECT building_id FROM coverage_buildings AS b WHERE run_id = ?
                    AND NOT EXISTS (SELECT 1 FROM coverage_nearest AS n WHERE n.run_id = b.run_id AND n.building_id = b.building_id AND n.category = ?)
                    ORDER BY building_id
                    """, arguments: [run, category])
                return Answer(run: run, category: category, walkingSpeed: profile.walkingSpeed, buildings: buildings, unreached: unreached)
            }
            guard let categories = try? JSONDecoder().decode([String].self, from: Data(categoriesText.utf8)) else {
                throw StoreError.corrupt("coverage run \(run): nearest_categories is not a list of categories")
            }
            var buildings: [Building] = [], unreached: [Int64] = []
            let wanted = categories.firstIndex(of: category)
            let rows = try StoredRows(db, sql: "SELECT building_id, nearest FROM coverage_buildings WHERE run_id = ? ORDER BY building_id", arguments: [run])
            try rows.forEach { row in
                let id = try row.int64(0, "coverage run \(run) building")
                guard !row.isNull(1) else { throw StoreError.corrupt("coverage run \(run) building \(id): no nearest facilities") }
                var found: Building?
                try NearestColumn.decode(row.blob(1), categories: categories.count, what: "coverage run \(run) building \(id)") { c, facility, centimetres in
                    if c == wanted { found = building(id, facility, NearestColumn.metres(centimetres)) }
                }
                if let found { buildings.append(found) } else { unreached.append(id) }
            }
            return Answer(run: run, category: category, walkingSpeed: profile.walkingSpeed, buildings: buildings, unreached: unreached)
        }
    }
}
