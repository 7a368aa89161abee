import Foundation
import GRDB

/// The coverage run the buildings' coverage properties come from (items and tiles alike): the latest stored run, with
/// the value `levels_met` has for a building meeting every level of that run's profile.
struct LatestCoverageRun: Sendable {
    var run: Int64
    var allLevels: String

    /// Asked for every tile and page of items: through a statement kept with the connection.
    static func runID(_ db: Database) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(id) FROM coverage_runs"))
    }

    /// `levels_met` of a building meeting every level of the run's profile.
    static func allLevels(run: Int64, _ db: Database) throws -> String {
        let profileText = try String.fetchOne(db, sql: "SELECT profile FROM coverage_runs WHERE id = ?", arguments: [run]) ?? "{}"
        let profile = try? JSONDecoder().decode(ProfileLevels.self, from: Data(profileText.utf8))
        return LevelsMet(minutes: (profile?.levels ?? []).map(\.minutes)).stored
    }

    static func read(_ db: Database) throws -> LatestCoverageRun? {
        guard let run = try runID(db) else { return nil }
        return LatestCoverageRun(run: run, allLevels: try allLevels(run: run, db))
    }

    private struct ProfileLevels: Decodable {
        struct Level: Decodable { var minutes: Double }
        var levels: [Level]
    }
}
