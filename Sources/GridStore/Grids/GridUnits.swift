import Foundation
import GRDB
import GridAnalysis
import GridModel

/// What a reassignment run plans with: buildings, except that a building above the maximum with register rows is
/// planned as its rows; plus the barrier lines and the register rows already placed in another grid than their
/// building (`register_grids`, written by `apply`).
public enum GridUnits {
    public struct RegisterRow: Sendable {
        public var id: Int64
        public var building: Int64
        public var unit: String?
        public var floor: Int?
        public var households: Int
    }

    public struct Unit: Sendable {
        /// Index into the community's buildings.
        public var building: Int
        public var register: RegisterRow?
        public var households: Int
        public var point: Coordinate
        /// The unit at the building's own point: the building follows its grid.
        public var atPoint: Bool
        public var current: String?

        public func describe(_ buildings: [GridReports.Building]) -> String {
            guard let register else { return "building \(buildings[building].id)" }
            return "register row \(register.id) of building \(buildings[building].id)"
        }
    }

    /// Register rows of buildings with more than `above` households, by building id.
    public static func registers(_ store: Store, above: Int) throws -> [Int64: [RegisterRow]] {
        try store.read { db in
            var rows: [Int64: [RegisterRow]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT r.id, r.building_id, r.unit, r.floor, r.households FROM household_register r
                JOIN buildings b ON b.id = r.building_id WHERE b.households > ? ORDER BY r.building_id, r.id
                """, arguments: [above]) {
                let item = RegisterRow(id: row[0], building: row[1], unit: row[2], floor: row[3], households: row[4])
                rows[item.building, default: []].append(item)
            }
            return rows
        }
    }

    /// Register rows placed in another grid than their building's, by register id.
    public static func overrides(_ store: Store) throws -> [Int64: String] {
        try store.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT register_id, grid_code FROM register_grids").map { ($0[0] as Int64, $0[1] as String) })
        }
    }

    /// Register rows placed in another grid than their building's, with their building and households.
    static func placedRows(_ db: Database) throws -> [(register: Int64, building: Int64, households: Int, grid: String)] {
        try Row.fetchAll(db, sql: """
            SELECT g.register_id, r.building_id, r.households, g.grid_code FROM register_grids g JOIN household_register r ON r.id = g.register_id
            WHERE r.building_id IS NOT NULL ORDER BY g.register_id
            """).map { ($0[0], $0[1], $0[2], $0[3]) }
    }

    public struct BarrierLine: Sendable {
        public var line: LineString
        public var box: BoundingBox
    }

    public static func barrierLines(_ store: Store, classes: [String]) throws -> [BarrierLine] {
        guard !classes.isEmpty else { return [] }
        return try store.read { db in
            let marks = classes.map { _ in "?" }.joined(separator: ",")
            return try Row.fetchAll(db, sql: "SELECT AsBinary(geom) FROM network_edges WHERE highway IN (\(marks)) ORDER BY id",
                                    arguments: StatementArguments(classes)).compactMap { row in
                let data: Data = row[0]
                guard case .lineString(let line) = try Geometry(wkb: [UInt8](data)), let box = BoundingBox(coordinates: line.coordinates) else { return nil }
                return BarrierLine(line: line, box: box)
            }
        }
    }

    /// Distance of a split building's other rows from its point: their Voronoi cells are then wedges of the
    /// building's cell around it, and the building's own point stays inside the first row's cell.
    static let splitRadius = 2.0

    /// One unit per building; a building above the maximum with register rows gives one unit per row, the first at
    /// the building's point and the others on a small circle around it.
    public static func units(buildings: [GridReports.Building], grids: [String?], registers: [Int64: [RegisterRow]], overrides: [Int64: String],
                      projection: LocalProjection) -> [Unit] {
        var units: [Unit] = []
        for (b, building) in buildings.enumerated() {
            guard let rows = registers[building.id], rows.count > 1 else {
                units.append(Unit(building: b, register: nil, households: building.households, point: building.point, atPoint: true, current: grids[b]))
                continue
            }
            let centre = projection.project(building.point)
            for (i, row) in rows.enumerated() {
                var point = building.point
                if i > 0 {
                    let angle = 2 * Double.pi * Double(i - 1) / Double(rows.count - 1)
                    point = projection.unproject(x: centre.x + splitRadius * cos(angle), y: centre.y + splitRadius * sin(angle))
                }
                units.append(Unit(building: b, register: row, households: row.households, point: point, atPoint: i == 0,
                                  current: overrides[row.id] ?? grids[b]))
            }
        }
        return units
    }
}
