import Foundation
import GRDB
import GridAnalysis
import GridModel

/// Stable grid identity. A grid of a plan that continues a current grid keeps its code and name; a new grid takes the
/// next sequence number its community has never used; a code, once retired, is never given to another area. The
/// register `grid_codes` (migration v7) holds every code with its validity: `valid_from`/`valid_to` (ISO 8601; a
/// NULL `valid_from` means the grid was in the store before the register recorded it) and the runs that created and
/// retired it.
public enum GridCodes {
    public struct Entry: Sendable, Hashable {
        public var code: String
        public var community: String
        public var name: String
        public var validFrom: String?
        public var validTo: String?
        public var createdRun: Int64?
        public var retiredRun: Int64?
        public var isValid: Bool { validTo == nil }
    }

    /// A grid of the community as it is now.
    public struct Current: Sendable {
        public var code: String
        public var name: String
        public var shape: MultiPolygon
    }

    public static func register(store: Store, community: String? = nil) throws -> [Entry] {
        try store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT code, community_code, name, valid_from, valid_to, created_run, retired_run FROM grid_codes
                WHERE ?1 IS NULL OR community_code = ?1 ORDER BY code, id
                """, arguments: [community]).map {
                Entry(code: $0[0], community: $0[1], name: $0[2], validFrom: $0[3], validTo: $0[4], createdRun: $0[5], retiredRun: $0[6])
            }
        }
    }

    /// The current grids of each community (the ones `apply` replaces).
    public static func current(_ store: Store) throws -> [String: [Current]] {
        try store.read { db in
            var result: [String: [Current]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT code, name, community_code, AsBinary(geom) FROM grids ORDER BY code") {
                let data: Data = row[3]
                let shape = try Geometry(wkb: [UInt8](data)).asMultiPolygon ?? MultiPolygon([])
                result[row[2], default: []].append(Current(code: row[0], name: row[1], shape: shape))
            }
            return result
        }
    }

    /// Per community code, the prefix of its grids' codes: administrative, street and community codes.
    public static func prefixes(_ store: Store) throws -> [String: String] {
        try store.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT code, admin_code || street_code || community_code FROM communities")
                .map { ($0[0] as String, $0[1] as String) })
        }
    }

    /// Every code ever used: in the register (valid or retired) or on a grid.
    public static func used(_ store: Store) throws -> UsedCodes {
        try store.read { db in UsedCodes(try String.fetchAll(db, sql: "SELECT code FROM grid_codes UNION SELECT code FROM grids")) }
    }

    /// Codes ever used, with the highest sequence number after each prefix: a run over a city's twelve thousand
    /// communities then finds a community's next number without scanning every code.
    public struct UsedCodes: Sendable {
        private(set) var codes: Set<String> = []
        /// Per prefix (a code without its last three characters), the highest of those three read as an integer.
        private var highest: [String: Int] = [:]

        init(_ codes: some Sequence<String>) { for code in codes { insert(code) } }

        public func contains(_ code: String) -> Bool { codes.contains(code) }

        mutating func insert(_ code: String) {
            codes.insert(code)
            guard code.count >= 3, let sequence = Int(String(code.suffix(3))) else { return }
            let prefix = String(code.dropLast(3))
            highest[prefix] = max(highest[prefix] ?? sequence, sequence)
        }

        /// The highest sequence number used after `prefix` (codes of exactly three more characters), 0 when none.
        func highestSequence(after prefix: String) -> Int { highest[prefix] ?? 0 }
    }

    /// Codes and names for a community's planned grids. `byHouseholds`: per planned grid, the index in `current` of the
    /// current grid it keeps most households of (one-to-one, Hungarian), or -1. A planned grid left unmatched and a
    /// current grid left unmatched are then paired by area overlap (one-to-one) when it covers half of either: a grid
    /// without buildings keeps its code too. The rest take the next unused sequence numbers of the community in
    /// reading order. `used` gains the new codes.
    public static func identify(store: Store, prefix: String, communityName: String, shapes: [MultiPolygon], byHouseholds: [Int],
                         current: [Current], used: inout UsedCodes) throws -> [(code: String, name: String, matched: Bool)] {
        var match = byHouseholds
        let openPlanned = shapes.indices.filter { match[$0] < 0 && !shapes[$0].polygons.isEmpty }
        let openCurrent = current.indices.filter { !match.contains($0) && !current[$0].shape.polygons.isEmpty }
        if !openPlanned.isEmpty && !openCurrent.isEmpty {
            let overlap: [[Double]] = try store.read { db in
                let area = try db.makeStatement(sql: "SELECT coalesce(ST_Area(ST_Intersection(GeomFromWKB(?, 4326), GeomFromWKB(?, 4326)), 1), 0)")
                return try openPlanned.map { g in
                    let wkb = Data(Geometry.multiPolygon(shapes[g]).wkb())
                    return try openCurrent.map { c in
                        guard shapes[g].boundingBox.intersects(current[c].shape.boundingBox) else { return 0 }
                        return try Double.fetchOne(area, arguments: [wkb, Data(Geometry.multiPolygon(current[c].shape).wkb())]) ?? 0
                    }
                }
            }
            for (row, column) in Hungarian.maximumWeightMatching(overlap).enumerated() where column >= 0 {
                let g = openPlanned[row], c = openCurrent[column]
                if overlap[row][column] >= 0.5 * min(shapes[g].areaSquareMeters, current[c].shape.areaSquareMeters) { match[g] = c }
            }
        }
        var result = match.map { c -> (code: String, name: String, matched: Bool) in c >= 0 ? (current[c].code, current[c].name, true) : ("", "", false) }
        let fresh = shapes.indices.filter { match[$0] < 0 }
        let order = GridNumbering.sequence(centres: fresh.map { shapes[$0].polygons.isEmpty ? Coordinate(longitude: 0, latitude: 0) : shapes[$0].representativePoint })
        var next = 1 + used.highestSequence(after: prefix)
        for index in fresh.indices.sorted(by: { order[$0] < order[$1] }) {
            while used.contains(GridNumbering.code(community: prefix, sequence: next)) { next += 1 }
            guard next <= 999 else {
                throw StoreError.badInput("community \(prefix): all 999 grid sequence numbers have been used (codes are never reused)")
            }
            let code = GridNumbering.code(community: prefix, sequence: next)
            used.insert(code)
            result[fresh[index]] = (code, "\(communityName)第\(next)网格", false)
        }
        return result
    }

    // MARK: the register, kept by apply, revert and imports

    /// Records the grids whose code has no valid entry (grids written before the register, or by hand): from `since`,
    /// or unknown (NULL).
    static func recordUnregistered(_ db: Database, since: String?) throws {
        try db.execute(sql: """
            INSERT INTO grid_codes (code, community_code, name, valid_from)
            SELECT g.code, g.community_code, g.name, ? FROM grids g
            WHERE NOT EXISTS (SELECT 1 FROM grid_codes c WHERE c.code = g.code AND c.valid_to IS NULL)
            """, arguments: [since])
        try db.execute(sql: """
            UPDATE grid_codes SET name = (SELECT g.name FROM grids g WHERE g.code = grid_codes.code),
                community_code = (SELECT g.community_code FROM grids g WHERE g.code = grid_codes.code)
            WHERE valid_to IS NULL AND code IN (SELECT code FROM grids)
            """)
    }

    /// Before `apply` replaces the grids of `communities` by run `run`'s: refused when a code the run would create was
    /// used since it was computed (a run applied and reverted meanwhile may have given it out).
    static func checkNew(_ db: Database, run: Int64, communities list: String) throws {
        let reused = try String.fetchAll(db, sql: """
            SELECT p.code FROM grid_run_grids p WHERE p.run_id = ?
            AND NOT EXISTS (SELECT 1 FROM grids g WHERE g.code = p.code AND g.community_code IN (\(list)))
            AND (EXISTS (SELECT 1 FROM grid_codes c WHERE c.code = p.code) OR EXISTS (SELECT 1 FROM grids g WHERE g.code = p.code))
            ORDER BY p.code
            """, arguments: [run])
        guard reused.isEmpty else {
            throw StoreError.conflict("RUN \(run): grid codes \(reused.joined(separator: ", ")) were given out since it was computed "
                                      + "(a code is never reused); run rebalance again")
        }
    }

    /// After `apply` put run `run`'s grids in place of the old ones of `communities` (whose codes were recorded before):
    /// codes no longer on a grid are retired, codes new on a grid are opened as the run's.
    static func applied(_ db: Database, run: Int64, communities list: String, at time: String) throws {
        try db.execute(sql: """
            UPDATE grid_codes SET valid_to = ?, retired_run = ?
            WHERE valid_to IS NULL AND community_code IN (\(list)) AND code NOT IN (SELECT code FROM grids)
            """, arguments: [time, run])
        try db.execute(sql: """
            INSERT INTO grid_codes (code, community_code, name, valid_from, created_run)
            SELECT p.code, p.community_code, p.name, ?, ? FROM grid_run_grids p
            WHERE p.run_id = ? AND NOT EXISTS (SELECT 1 FROM grid_codes c WHERE c.code = p.code AND c.valid_to IS NULL)
            """, arguments: [time, run, run])
    }

    /// After `revert` restored the grids run `run` replaced: the codes it retired are valid again, and the codes it
    /// created are retired (they named land for a while and are never given out again).
    static func reverted(_ db: Database, run: Int64, at time: String) throws {
        try db.execute(sql: "UPDATE grid_codes SET valid_to = ?, retired_run = ? WHERE created_run = ? AND valid_to IS NULL",
                       arguments: [time, run, run])
        try db.execute(sql: """
            UPDATE grid_codes SET valid_to = NULL, retired_run = NULL
            WHERE retired_run = ? AND created_run IS NOT ? AND code IN (SELECT code FROM grids)
            """, arguments: [run, run])
        try recordUnregistered(db, since: time)
    }
}
