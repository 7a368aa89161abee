import Foundation
import GRDB
import GRDBSQLite
import GridAnalysis
import GridModel
import GridTiles

/// Every building with a representative point, as the low-zoom cells of a tile need it: its point in world units of
/// the tile's datum, the span of its R-tree box (what the tile query's one-pixel test reads), households, footprint
/// area and the latest coverage run's levels and requirements met. Sorted by the Morton key of the point, so a tile's
/// buildings are one contiguous range at every zoom.
///
/// Kept in memory by `TileService` and read again when the buildings or the latest coverage run change: the key is
/// read inside the same transaction as the tile, so a tile never mixes two versions of the store.
final class BuildingCellIndex: Sendable {
    struct Key: Hashable, Sendable {
        var buildingsVersion: Int64
        var coverageRun: Int64?
        var datum: TileDatum
    }

    let key: Key
    let keys: [UInt64]
    let worldX: [Double]
    let worldY: [Double]
    /// `xmax - xmin` and `ymax - ymin` of the footprint's R-tree entry; 0 without a footprint (never drawn on its own).
    let spanX: [Double]
    let spanY: [Double]
    let ids: [Int64]
    let households: [Int64]
    let area: [Double]
    /// Index into `levelSets`, or -1 without a coverage row.
    let levels: [Int32]
    /// The distinct `levels_met` values of the run, each split into its levels.
    let levelSets: [Set<String>]
    /// Index into `requirementSets`, or -1 without a coverage row.
    let requirements: [Int32]
    /// The requirements of the run's profile (its requirement themes, `CoverageAreaFigures.themes` without the
    /// levels); empty without a run, or when a building's `requirements_met` does not fit the profile (a run stored
    /// before verdicts were kept), so that no cell carries a sum that leaves buildings out.
    let requirementThemes: [CoverageAreaFigures.Theme]
    /// The distinct `requirements_met` values of the run, each as the positions in `requirementThemes` it meets.
    let requirementSets: [[Int]]
    /// The position in `requirementSets` of each distinct `requirements_met` value.
    let requirementSetIndex: [String: Int32]

    static func key(_ db: Database, datum: TileDatum) throws -> Key {
        // Read for every tile: through statements kept with the connection.
        let version = try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM layer_versions WHERE layer = 'buildings'")) ?? 0
        return Key(buildingsVersion: version, coverageRun: try LatestCoverageRun.runID(db), datum: datum)
    }

    /// Every building of the store (`only` nil), or only those whose point lies in the tile `only`: the same entries
    /// of that tile in the same order as the whole index holds them, read through the points' R-tree. The whole index
    /// is read by scans merged in id order (`scanned`), unless `joined`: by the one query a tile's read makes, with a
    /// lookup of the footprint's R-tree entry and of the run's row per building (the reference the tests compare with).
    init(_ db: Database, key: Key, only tile: TileAddress? = nil, joined: Bool = false) throws {
        self.key = key
        struct Entry {
            var key: UInt64; var x: Double; var y: Double; var sx: Double; var sy: Double; var id: Int64; var households: Int64; var area: Double
            var levels: Int32; var requirements: Int32
        }
        var entries: [Entry] = []
        var levelIndex: [String: Int32] = [:]
        var levelSets: [Set<String>] = []
        // The run's requirements, and per distinct verdict text the requirements it meets, by the verdicts' one
        // reading (`CoverageAreaFigures.themesMet`); a text that does not fit drops the requirements of every building.
        // Not for a tile from `requirementSumsBelowZoom` on (a street-level tile's own index), which draws no such sum.
        let wantsRequirements = tile.map { $0.z < TileLayerSource.requirementSumsBelowZoom } ?? true
        let profile = try (wantsRequirements ? key.coverageRun : nil).flatMap { run in
            try String.fetchOne(db, sql: "SELECT profile FROM coverage_runs WHERE id = ?", arguments: [run])
        }.flatMap { try? JSONDecoder().decode(LifeCircleProfile.self, from: Data($0.utf8)) }
        let themes = profile.map(CoverageAreaFigures.themes) ?? []
        var requirementOfTheme = [Int?](repeating: nil, count: themes.count)
        var requirementThemes: [CoverageAreaFigures.Theme] = []
        for (t, theme) in themes.enumerated() where theme.category != nil {
            requirementOfTheme[t] = requirementThemes.count
            requirementThemes.append(theme)
        }
        var requirementSetIndex: [String: Int32] = [:]
        var requirementSets: [[Int]] = []
        var requirementsFit = profile != nil
        let system = key.datum.system
        func add(id: Int64, longitude lon: Double, latitude lat: Double, households: Int64, area: Double, spanX: Double, spanY: Double,
                 met: String?, requirementsMet: String?) {
            guard lon.isFinite, lat.isFinite else { return }
            var point = Coordinate(longitude: lon, latitude: lat)
            if key.datum != .wgs84 { point = system.fromWGS84(point) }
            let x = WebMercator.worldX(longitude: point.longitude), y = WebMercator.worldY(latitude: point.latitude)
            if let tile {
                let home = TileCells.tile(worldX: x, worldY: y, z: tile.z)
                guard home.x == tile.x, home.y == tile.y else { return }
            }
            var levels: Int32 = -1
            if let met {
                if let known = levelIndex[met] { levels = known } else {
                    levels = Int32(levelSets.count)
                    levelIndex[met] = levels
                    levelSets.append(Set(met.split(separator: ",").map(String.init)))
                }
            }
            var requirements: Int32 = -1
            if let requirementsMet, let profile {
                if let known = requirementSetIndex[requirementsMet] { requirements = known } else if
                    let met = CoverageAreaFigures.themesMet(requirementsMet, profile: profile) {
                    requirements = Int32(requirementSets.count)
                    requirementSetIndex[requirementsMet] = requirements
                    requirementSets.append(met.compactMap { requirementOfTheme[$0] })
                } else {
                    requirementsFit = false
                }
            } else if met != nil {
                requirementsFit = false
            }
            entries.append(Entry(key: TileCells.key(worldX: x, worldY: y), x: x, y: y, sx: spanX, sy: spanY,
                                 id: id, households: households, area: area, levels: levels, requirements: requirements))
        }
        if tile == nil, !joined {
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM buildings") ?? 0
            entries.reserveCapacity(count)
            try Self.scanned(db, coverageRun: key.coverageRun, buildings: count, add)
        } else {
            var sql = """
                SELECT b.id, X(b.point), Y(b.point), b.households, b.area_m2, r.xmax - r.xmin, r.ymax - r.ymin, cb.levels_met, cb.requirements_met
                FROM buildings b
                LEFT JOIN idx_buildings_footprint r ON r.pkid = b.id
                LEFT JOIN coverage_buildings cb ON cb.run_id = ? AND cb.building_id = b.id
                WHERE b.point IS NOT NULL
                """
            var arguments: [any DatabaseValueConvertible & Sendable] = [key.coverageRun ?? -1]
            if let tile {
                // The tile's box in WGS84 grown by about a metre: every point whose tile is this one is among the candidates;
                // the exact test is `TileCells.tile` in `add`, as for the whole index.
                var box = key.datum.system.wgs84Envelope(of: tile.bounds(buffer: 0))
                let margin = 1e-5
                box.minLongitude -= margin; box.minLatitude -= margin; box.maxLongitude += margin; box.maxLatitude += margin
                sql += " AND b.id IN (SELECT pkid FROM idx_buildings_point WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?)"
                arguments += [box.maxLongitude, box.minLongitude, box.maxLatitude, box.minLatitude]
            }
            let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
            while let row = try rows.next() {
                guard let lon = row[1] as Double?, let lat = row[2] as Double? else { continue }
                add(id: row[0], longitude: lon, latitude: lat, households: row[3], area: row[4] as Double? ?? 0,
                    spanX: row[5] as Double? ?? 0, spanY: row[6] as Double? ?? 0, met: row[7] as String?, requirementsMet: row[8] as String?)
            }
        }
        // Ties (one key) in id order, so a cell's order of reading never depends on the load.
        entries.sort { ($0.key, $0.id) < ($1.key, $1.id) }
        keys = entries.map(\.key)
        worldX = entries.map(\.x)
        worldY = entries.map(\.y)
        spanX = entries.map(\.sx)
        spanY = entries.map(\.sy)
        ids = entries.map(\.id)
        households = entries.map(\.households)
        area = entries.map(\.area)
        levels = entries.map(\.levels)
        self.levelSets = levelSets
        let fits = requirementsFit && !requirementThemes.isEmpty
        requirements = fits ? entries.map(\.requirements) : []
        self.requirementThemes = fits ? requirementThemes : []
        self.requirementSets = fits ? requirementSets : []
        self.requirementSetIndex = fits ? requirementSetIndex : [:]
    }

    /// Every building with a point, in id order, with its footprint's R-tree spans and the run's verdicts: what the
    /// joined query answers, read as three scans (the R-tree's entries, the run's rows in building order, the
    /// buildings) instead of two lookups per building, which took most of the time on a city of a million. Points are
    /// read from their stored blobs in place, through Spatialite when a blob is not in the plain form.
    /// `buildings`: how many the store holds, the room the spans are given.
    private static func scanned(_ db: Database, coverageRun: Int64?, buildings: Int,
                                _ add: (Int64, Double, Double, Int64, Double, Double, Double, String?, String?) -> Void) throws {
        var spans: [Int64: (x: Double, y: Double)] = [:]
        spans.reserveCapacity(buildings)
        try StoredRows(db, sql: "SELECT pkid, xmax - xmin, ymax - ymin FROM idx_buildings_footprint").forEach { row in
            spans[sqlite3_column_int64(row.handle, 0)] = (sqlite3_column_double(row.handle, 1), sqlite3_column_double(row.handle, 2))
        }
        let runRows = try StoredRows(db, sql: "SELECT building_id, levels_met, requirements_met FROM coverage_buildings WHERE run_id = ? ORDER BY building_id",
                                     arguments: [coverageRun ?? -1])
        defer { runRows.reset() }
        // The run's next row (its building, levels and requirements), nil past the last.
        func nextRunRow() throws -> (id: Int64, met: String?, requirements: String?)? {
            guard try runRows.next() else { return nil }
            return (sqlite3_column_int64(runRows.handle, 0), runRows.text(1), runRows.text(2))
        }
        var runRow = try nextRunRow()
        let pointSQL = "SELECT X(?), Y(?)"
        try StoredRows(db, sql: "SELECT id, point, households, area_m2 FROM buildings WHERE point IS NOT NULL ORDER BY id").forEach { row in
            let id = sqlite3_column_int64(row.handle, 0)
            while let next = runRow, next.id < id { runRow = try nextRunRow() }
            let verdicts = runRow.flatMap { $0.id == id ? $0 : nil }
            let position: Coordinate
            if let plain = SpatialiteBlob.point(row.blob(1)) {
                position = plain
            } else {
                let blob = Data(row.blob(1))
                guard let read = try Row.fetchOne(db.cachedStatement(sql: pointSQL), arguments: [blob, blob]),
                      let lon = read[0] as Double?, let lat = read[1] as Double? else { return }
                position = Coordinate(longitude: lon, latitude: lat)
            }
            let span = spans[id] ?? (0, 0)
            add(id, position.longitude, position.latitude, try row.int64(2, "building \(id) households"),
                row.isNull(3) ? 0 : sqlite3_column_double(row.handle, 3), span.x, span.y, verdicts?.met, verdicts?.requirements)
        }
    }

    /// Positions of the buildings whose point lies in `tile`.
    func range(_ tile: TileAddress) -> Range<Int> {
        let keyRange = TileCells.keyRange(tile)
        return lowerBound(keyRange.lowerBound)..<lowerBound(keyRange.upperBound)
    }

    private func lowerBound(_ value: UInt64) -> Int {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// The sums the cells of small buildings of one tile carry: how many buildings, their households and footprint area,
/// and of those households how many meet every level of the coverage run, each level and each requirement (row-major,
/// cell by cell).
struct BuildingCellSums {
    var buildings: [Int32]
    var households: [Int64]
    var area: [Double]
    var householdsMeetingAll: [Int64]
    var householdsMeeting: [Int64]
    var householdsMeetingRequirement: [Int64]
    let levels: Int
    let requirements: Int
    let cells: Int

    /// The arrays are allocated at the first building added: most tiles at street level merge none.
    init(cells: Int, levels: Int, requirements: Int = 0) {
        self.levels = levels
        self.requirements = requirements
        self.cells = cells
        buildings = []
        households = []
        area = []
        householdsMeetingAll = []
        householdsMeeting = []
        householdsMeetingRequirement = []
    }

    /// `levels`: the bits of the profile's levels the building meets; `all`: every level's bit; `requirements`: the
    /// positions of the requirements it meets (`BuildingCellIndex.requirementSets`).
    mutating func add(cell: Int, households count: Int64, area footprint: Double, levels met: UInt64, all: UInt64, requirements metRequirements: [Int] = []) {
        if buildings.isEmpty {
            buildings = [Int32](repeating: 0, count: cells)
            households = [Int64](repeating: 0, count: cells)
            area = [Double](repeating: 0, count: cells)
            householdsMeetingAll = [Int64](repeating: 0, count: cells)
            householdsMeeting = [Int64](repeating: 0, count: cells * levels)
            householdsMeetingRequirement = [Int64](repeating: 0, count: cells * requirements)
        }
        for requirement in metRequirements { householdsMeetingRequirement[cell * requirements + requirement] += count }
        buildings[cell] += 1
        households[cell] += count
        area[cell] += footprint
        if all != 0, met & all == all { householdsMeetingAll[cell] += count }
        var bits = met
        while bits != 0 {
            let level = bits.trailingZeroBitCount
            householdsMeeting[cell * levels + level] += count
            bits &= bits - 1
        }
    }
}
