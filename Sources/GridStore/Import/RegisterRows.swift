import Foundation
import GRDB

/// Household register rows across building imports. A row keeps the source and source id of the building it
/// was imported for; when an import replaces buildings the row is detached (building_id NULL, never deleted)
/// and re-attached to the new building with the same source id, whose households become the register's sum.
enum RegisterRows {
    struct Reconciliation: Sendable {
        /// Rows that found their building again (in this import, or after having been detached earlier).
        var reattached = 0
        /// Rows of this import's source whose building is not in the store, kept detached.
        var detached = 0
        /// Buildings whose households are their register rows' sum.
        var registerBuildings = 0
    }

    /// Rows attached to buildings of a source: what a replacing import puts at stake.
    static func attachedRows(_ db: Database, source: String) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT count(*) FROM household_register r JOIN buildings b ON b.id = r.building_id WHERE b.source = ?
            """, arguments: [source]) ?? 0
    }

    /// Re-attaches detached rows by source id, sets the register sums on the buildings of `source`, and lists
    /// the rows still detached in `warnings`.
    static func reconcile(_ db: Database, source: String, warnings: inout WarningList) throws -> Reconciliation {
        var result = Reconciliation()
        try db.execute(sql: """
            UPDATE household_register
            SET building_id = (SELECT b.id FROM buildings b
                               WHERE b.source = household_register.building_source AND b.source_id = household_register.building_source_id)
            WHERE building_id IS NULL AND EXISTS (
                SELECT 1 FROM buildings b
                WHERE b.source = household_register.building_source AND b.source_id = household_register.building_source_id)
            """)
        result.reattached = db.changesCount
        try applySums(db, source: source)
        result.registerBuildings = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM buildings WHERE source = ? AND households_source = 'register'
            """, arguments: [source]) ?? 0
        result.detached = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM household_register WHERE building_id IS NULL AND building_source = ?
            """, arguments: [source]) ?? 0
        for row in try Row.fetchAll(db, sql: """
            SELECT building_source_id, count(*), min(source), group_concat(source_line, ', ')
            FROM household_register WHERE building_id IS NULL AND building_source = ?
            GROUP BY building_source_id ORDER BY building_source_id
            """, arguments: [source]) {
            let id: String = row[0], rows: Int = row[1], file: String = row[2], lines: String = row[3]
            warnings.add("register rows kept detached", "building \(id) is not in the store: its \(rows) register row(s) (\(file) line \(lines)) are kept detached")
        }
        return result
    }

    /// A building with register rows has their sum as its households (sums were checked on import).
    static func applySums(_ db: Database, source: String) throws {
        try db.execute(sql: """
            UPDATE buildings
            SET households = (SELECT sum(r.households) FROM household_register r WHERE r.building_id = buildings.id),
                households_source = 'register', households_basis = NULL
            WHERE source = ? AND id IN (SELECT building_id FROM household_register WHERE building_id IS NOT NULL)
            """, arguments: [source])
    }
}

/// Households by where they come from (register, imported, or the estimate and which part of its rule), and
/// the largest estimates, so an outlier is visible: the same figures in an import summary and in `info`.
public struct HouseholdSources: Sendable {
    public struct Group: Sendable {
        /// `register`, `imported` or `estimated`.
        public var source: String
        /// For estimates: the part of the rule that decided (`ImportRules.HouseholdBasis`), nil if unknown.
        public var basis: String?
        public var buildings: Int
        public var households: Int
        public var label: String { source + (basis.map { ": \($0)" } ?? "") }
    }

    public struct Building: Sendable {
        public var sourceID: String
        public var name: String?
        public var buildingType: String
        public var households: Int
        public var areaSquareMeters: Double
        public var levels: Double
    }

    public var groups: [Group] = []
    public var largestEstimates: [Building] = []

    /// Buildings of one source (`osm`), or every building when nil.
    static func read(_ db: Database, source: String?) throws -> HouseholdSources {
        let filter = source == nil ? "" : "WHERE source = ?"
        let arguments: StatementArguments = source.map { [$0] } ?? []
        var result = HouseholdSources()
        // total(): a float sum never overflows; the stored counts are bounded by the importers.
        result.groups = try Row.fetchAll(db, sql: """
            SELECT households_source, households_basis, count(*), CAST(total(households) AS INTEGER) FROM buildings \(filter)
            GROUP BY 1, 2 ORDER BY 4 DESC, 3 DESC, 1, 2
            """, arguments: arguments).map { Group(source: $0[0], basis: $0[1], buildings: $0[2], households: $0[3]) }
        let estimated = source == nil ? "WHERE households_source = 'estimated'" : "WHERE source = ? AND households_source = 'estimated'"
        result.largestEstimates = try Row.fetchAll(db, sql: """
            SELECT source_id, name, building_type, households, area_m2, levels FROM buildings \(estimated)
            ORDER BY households DESC, id LIMIT 10
            """, arguments: arguments).map {
            Building(sourceID: $0[0], name: $0[1], buildingType: $0[2], households: $0[3], areaSquareMeters: $0[4], levels: $0[5])
        }
        return result
    }

    public var lines: [String] {
        var lines: [String] = []
        if !groups.isEmpty {
            lines.append("households by source:")
            let width = groups.map(\.label.count).max() ?? 0
            for group in groups {
                lines.append("  \(group.label.padding(toLength: width, withPad: " ", startingAt: 0))  \(group.households) in \(group.buildings) buildings")
            }
        }
        if !largestEstimates.isEmpty {
            lines.append("largest estimates:")
            for item in largestEstimates {
                let area = Int(exactly: item.areaSquareMeters.rounded()) ?? 0
                let levels = item.levels == item.levels.rounded() ? "\(Int(exactly: item.levels) ?? 0)" : "\(item.levels)"
                lines.append("  \(item.households)  \(item.name ?? "(no name)") (\(item.sourceID), \(item.buildingType), \(area) m² × \(levels) levels)")
            }
        }
        return lines
    }

    public var json: [String: Any] {
        [
            "households_by_source": groups.map {
                ["source": $0.source, "basis": $0.basis as Any? ?? NSNull(), "buildings": $0.buildings, "households": $0.households] as [String: Any]
            },
            "largest_estimates": largestEstimates.map {
                ["source_id": $0.sourceID, "name": $0.name as Any? ?? NSNull(), "type": $0.buildingType, "households": $0.households,
                 "area_m2": $0.areaSquareMeters, "levels": $0.levels] as [String: Any]
            },
        ]
    }
}
