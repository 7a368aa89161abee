import Foundation
import GRDB
import GridAnalysis
import GridModel

/// Coverage runs are records: the profile, a summary, and every building's result, for map clients to read later.
public enum CoverageRuns {
    public struct Stored: Sendable {
        public var id: Int64
        public var createdAt: String
        public var profileName: String
        public var buildings: Int
        public var households: Int
        public var summary: String
    }

    /// Runs coverage on the store's current content. Points snap to the largest connected part of the
    /// network: fragments cut off by an extract's edge or by missing nodes would otherwise strand the
    /// buildings beside them (the peer harness keeps only that part too).
    public static func compute(store: Store, profile: LifeCircleProfile, isCancelled: () -> Bool = { false }) throws -> Coverage.Result {
        let graph = try AnalysisData.graph(store)
        let snapper = ReachRule.snapper(graph)
        return try Coverage.run(
            graph: graph, snapper: snapper, buildings: try AnalysisData.buildings(store),
            facilities: try AnalysisData.facilities(store), profile: profile, isCancelled: isCancelled)
    }

    /// Stores a result in one transaction; returns the run id.
    @discardableResult
    public static func save(_ result: Coverage.Result, store: Store, seconds: Double) throws -> Int64 {
        let version = try AnalysisData.version(store)
        let profileJSON = String(decoding: try JSONEncoder().encode(result.profile), as: UTF8.self)
        let summary = String(decoding: try JSONSerialization.data(withJSONObject: summaryJSON(result), options: [.sortedKeys]), as: UTF8.self)
        let totals = result.summary
        return try store.write { db in
            try db.execute(sql: """
                INSERT INTO coverage_runs (created_at, profile_name, profile, network_version, seconds, buildings, households, summary)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [ISO8601DateFormatter().string(from: Date()), result.profile.name, profileJSON, version, seconds,
                                 totals.buildings, totals.households, summary])
            let run = db.lastInsertedRowID
            let building = try db.makeStatement(sql: """
                INSERT INTO coverage_buildings (run_id, building_id, households, grid_code, community_code, off_network_m, levels_met)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            let nearest = try db.makeStatement(sql: "INSERT INTO coverage_nearest (run_id, building_id, category, facility_id, distance_m) VALUES (?, ?, ?, ?, ?)")
            for (item, outcome) in zip(result.buildings, result.results) {
                let met = zip(result.profile.levels, outcome.levelMet).filter(\.1).map { formatMinutes($0.0.minutes) }.joined(separator: ",")
                try building.execute(arguments: [run, item.id, item.households, item.grid, item.community, outcome.offNetwork?.value, met])
                for (category, answer) in zip(result.categories, outcome.nearest) {
                    guard let answer else { continue }
                    try nearest.execute(arguments: [run, item.id, category, answer.facilityID, (answer.distance.value * 100).rounded() / 100])
                }
            }
            return run
        }
    }

    public static func list(store: Store) throws -> [Stored] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, created_at, profile_name, buildings, households, summary FROM coverage_runs ORDER BY id")
                .map { Stored(id: $0[0], createdAt: $0[1], profileName: $0[2], buildings: $0[3], households: $0[4], summary: $0[5]) }
        }
    }

    public static func formatMinutes(_ minutes: Double) -> String {
        minutes == minutes.rounded() ? String(Int(minutes)) : String(minutes)
    }

    /// The summary as JSON-ready values: per level, households covered and share, and per requirement.
    public static func summaryJSON(_ result: Coverage.Result) -> [String: Any] {
        let totals = result.summary
        return [
            "buildings": totals.buildings, "households": totals.households, "off_network_buildings": totals.offNetworkBuildings,
            "levels": levelsJSON(totals, result.profile),
            "facilities_placed": result.facilitiesPlaced, "facilities_off_network": result.facilitiesOffNetwork,
        ]
    }

    public static func levelsJSON(_ totals: Coverage.Totals, _ profile: LifeCircleProfile) -> [[String: Any]] {
        zip(profile.levels, totals.levels).map { level, counts in
            [
                "minutes": level.minutes,
                "households_covered": counts.householdsCovered,
                "buildings_covered": counts.buildingsCovered,
                "share": totals.households == 0 ? 0 : (Double(counts.householdsCovered) / Double(totals.households) * 10000).rounded() / 10000,
                "uncovered_buildings": counts.uncoveredBuildings.count,
                "requirements": zip(level.categories, counts.householdsMeeting).map { requirement, households in
                    [
                        "category": requirement.category, "label": requirement.label as Any? ?? NSNull(),
                        "limit_m": profile.limit(requirement, at: level).value,
                        "households_covered": households,
                        "share": totals.households == 0 ? 0 : (Double(households) / Double(totals.households) * 10000).rounded() / 10000,
                    ] as [String: Any]
                },
            ] as [String: Any]
        }
    }
}
