import Foundation
import GRDB
import GRDBSQLite
import GridAnalysis
import GridModel
import GridTiles
import Synchronization

/// A stored coverage run rolled up by the buildings' current grids and communities, held compactly: per area its
/// households and, per theme (each level, then each of its requirements), the households meeting it. These are the
/// groups of `/coverage` (`Coverage.Result.totals` by current grid and community, `CoverageRuns.share`), read
/// straight from the run's stored verdicts in one grouped query, so a city's rollup takes seconds, not the loading of
/// every building's nearest facilities.
public struct CoverageAreaFigures: Sendable {
    /// A figure the map shades areas by: a level (all its requirements) or one requirement of a level.
    public struct Theme: Sendable, Equatable {
        /// `level:15` or `requirement:10:school`, as the map page's address writes it.
        public var key: String
        public var minutes: Double
        public var category: String?
        /// The theme's tile properties: the share meeting it and the households meeting it.
        public var shareProperty: String
        public var householdsProperty: String
        /// The property of a low-zoom cell of merged buildings (`BuildingCellSums`) holding its households meeting the
        /// theme: `households_met_15` for a level, `households_met_15_school` for a requirement.
        public var cellProperty: String
    }

    public struct Area: Sendable, Equatable {
        public var code: String
        public var buildings: Int
        public var households: Int
        /// Households meeting each theme, in `themes` order.
        public var meeting: [Int]
    }

    public var run: Int64
    public var profile: LifeCircleProfile
    public var themes: [Theme]
    /// Sorted by code, as `/coverage` lists them.
    public var grids: [Area]
    public var communities: [Area]
    /// Grids and communities the store holds (those without a building of the run have no area above).
    public var storedGrids: Int
    public var storedCommunities: Int
    private var gridPositions: [String: Int]
    private var communityPositions: [String: Int]

    /// Equal intervals of 20 percentage points on the share of households meeting a theme: class i holds shares from
    /// `classBreaks[i-1]` (0 for the first) up to, not including, `classBreaks[i]`; areas without households have none.
    public static let classBreaks: [Double] = [0.2, 0.4, 0.6, 0.8]

    public static func shareClass(_ share: Double) -> Int {
        // The breaks passed, counted without a new array: the summary classes every area for every theme.
        var passed = 0
        for limit in classBreaks where share >= limit { passed += 1 }
        return passed
    }

    /// Tile property of the households of the run's buildings in the area.
    public static let householdsProperty = "coverage_households"
    public static let runProperty = "coverage_run"

    public func grid(_ code: String) -> Area? { gridPositions[code].map { grids[$0] } }
    public func community(_ code: String) -> Area? { communityPositions[code].map { communities[$0] } }

    /// The share of an area's households meeting theme `t`, as `/coverage` gives it.
    public func share(_ area: Area, theme t: Int) -> Double { CoverageRuns.share(area.meeting[t], of: area.households) }

    /// The share class of an area for theme `t`; nil without households.
    public func shareClass(_ area: Area, theme t: Int) -> Int? { area.households > 0 ? Self.shareClass(share(area, theme: t)) : nil }

    /// The tile properties of an area: the run, its households and, per theme, the share and the households meeting it.
    public func tileProperties(_ area: Area) -> [(String, VectorTileLayer.Value)] {
        var properties: [(String, VectorTileLayer.Value)] = [(Self.runProperty, .integer(run)), (Self.householdsProperty, .integer(Int64(area.households)))]
        for (t, theme) in themes.enumerated() {
            properties.append((theme.shareProperty, .double(share(area, theme: t))))
            properties.append((theme.householdsProperty, .integer(Int64(area.meeting[t]))))
        }
        return properties
    }

    /// The names of those properties, for a layer's field list.
    public var tilePropertyNames: [String] { [Self.runProperty, Self.householdsProperty] + themes.flatMap { [$0.shareProperty, $0.householdsProperty] } }

    /// The themes of a profile: each level, then each of its requirements.
    public static func themes(_ profile: LifeCircleProfile) -> [Theme] {
        var themes: [Theme] = []
        for level in profile.levels {
            let minutes = CoverageRuns.formatMinutes(level.minutes)
            themes.append(Theme(key: "level:\(minutes)", minutes: level.minutes, category: nil,
                                shareProperty: "coverage_share_\(minutes)", householdsProperty: "coverage_met_\(minutes)",
                                cellProperty: "households_met_\(minutes)"))
            for requirement in level.categories {
                themes.append(Theme(key: "requirement:\(minutes):\(requirement.category)", minutes: level.minutes, category: requirement.category,
                                    shareProperty: "coverage_share_\(minutes)_\(requirement.category)",
                                    householdsProperty: "coverage_met_\(minutes)_\(requirement.category)",
                                    cellProperty: "households_met_\(minutes)_\(requirement.category)"))
            }
        }
        return themes
    }

    /// The positions in `themes(profile)` of the themes a stored verdict text meets (`requirements_met`: per level,
    /// one `0` or `1` per requirement in the profile's order, levels joined by `|`, as `1011|01101`); a level is met
    /// when each of its requirements is. Nil when the text is not of the profile's shape.
    public static func themesMet(_ verdicts: String, profile: LifeCircleProfile) -> [Int]? {
        let levels = verdicts.split(separator: "|", omittingEmptySubsequences: false)
        guard levels.count == profile.levels.count,
              zip(levels, profile.levels).allSatisfy({ $0.count == $1.categories.count && $0.allSatisfy { $0 == "0" || $0 == "1" } })
        else { return nil }
        var flags: [Bool] = []
        for level in levels {
            flags.append(!level.contains("0"))
            flags.append(contentsOf: level.map { $0 == "1" })
        }
        return flags.indices.filter { flags[$0] }
    }

    /// Areas ranked worst first for theme `t`: lowest share, then most households not meeting it, then code; areas
    /// without households left out.
    public func worst(_ areas: [Area], theme t: Int, count: Int) -> [Area] {
        typealias Ranked = (share: Double, uncovered: Int, code: String, position: Int)
        func before(_ a: Ranked, _ b: Ranked) -> Bool { (a.share, -a.uncovered, a.code) < (b.share, -b.uncovered, b.code) }
        // The `count` first kept in order while the areas pass once (a city has tens of thousands).
        var kept: [Ranked] = []
        for (position, area) in areas.enumerated() where area.households > 0 {
            let item: Ranked = (share(area, theme: t), area.households - area.meeting[t], area.code, position)
            if kept.count == count, let last = kept.last, !before(item, last) { continue }
            let at = kept.firstIndex { before(item, $0) } ?? kept.endIndex
            kept.insert(item, at: at)
            if kept.count > count { kept.removeLast() }
        }
        return kept.map { areas[$0.position] }
    }

    /// Areas per share class for theme `t` (five classes) and the stored areas without households (or without a
    /// building of the run).
    public func classCounts(_ areas: [Area], stored: Int, theme t: Int) -> (classes: [Int], noHouseholds: Int) {
        var classes = Array(repeating: 0, count: Self.classBreaks.count + 1)
        for area in areas { if let c = shareClass(area, theme: t) { classes[c] += 1 } }
        return (classes, max(0, stored - classes.reduce(0, +)))
    }

    // MARK: reading

    public struct GridName: Sendable {
        public var name: String?
        public var community: String?
    }

    /// The names and communities of the stored grids among `codes`.
    public static func gridNames(_ codes: [String], store: Store) throws -> [String: GridName] {
        try store.read { db in
            var names: [String: GridName] = [:]
            for code in codes {
                if let row = try Row.fetchOne(db, sql: "SELECT name, community_code FROM grids WHERE code = ?", arguments: [code]) {
                    names[code] = GridName(name: row[0], community: row[1])
                }
            }
            return names
        }
    }

    /// The rollup of run `run` against the buildings' current places (derived again first when the layers changed).
    public static func read(store: Store, run: Int64) throws -> CoverageAreaFigures {
        try BuildingPlaces.refreshIfNeeded(store)
        if let figures = try store.read({ try fromVerdicts($0, run: run) }) { return figures }
        // A run stored before verdicts were kept: its result read back whole, the verdicts derived from distances.
        let loaded = try CoverageRuns.load(store: store, id: run)
        return try store.read { db in try fromResult(loaded.result, run: run, db) }
    }

    /// One pass over the run's stored verdicts in building order, summed per area as it goes; nil when a verdict is
    /// missing or does not fit the profile. A city's million rows are read with SQLite's own accessors and each text
    /// looked up only when it differs from the row before (neighbouring buildings share their grid), rather than
    /// grouped by SQLite first: that sorted every row by three texts and took most of a second start's first page.
    static func fromVerdicts(_ db: Database, run: Int64) throws -> CoverageAreaFigures? {
        guard let profileText = try String.fetchOne(db, sql: "SELECT profile FROM coverage_runs WHERE id = ?", arguments: [run]) else {
            throw StoreError.notFound(.coverageRun, value: String(run), problem: "no such coverage run")
        }
        let profile = try JSONDecoder().decode(LifeCircleProfile.self, from: Data(profileText.utf8))
        let placesCurrent = try Bool.fetchOne(db, sql: "SELECT \(BuildingPlaces.currentSQL)") ?? false
        let themes = themes(profile)
        // Per distinct verdict text (numbered as first seen), the themes it meets; nil: not of the profile's shape.
        var verdictTexts = TextNumbers(), patterns: [[Int]?] = []
        func meets(_ verdicts: String) -> [Int]? { themesMet(verdicts, profile: profile) }
        var grids = AreaSums(themes: themes.count), communities = AreaSums(themes: themes.count)
        let rows = try StoredRows(db, sql: """
            SELECT bp.grid_code, bp.community_code, cb.requirements_met, cb.households
            FROM coverage_buildings cb LEFT JOIN building_places bp ON bp.building_id = cb.building_id
            WHERE cb.run_id = ?
            """, arguments: [run])
        struct Unfit: Error {}
        do {
            try rows.forEach { row in
                guard let verdicts = verdictTexts.number(row, 2) else { throw Unfit() }
                if verdicts == patterns.count { patterns.append(meets(verdictTexts.texts[verdicts])) }
                guard let met = patterns[verdicts] else { throw Unfit() }
                // A place derived from layers that changed since is no place (as `CoverageRuns.load` reads it).
                guard placesCurrent else { return }
                // As SQL's sum: a NULL adds nothing.
                let households = row.isNull(3) ? 0 : Int(sqlite3_column_int64(row.handle, 3))
                if let grid = grids.codes.number(row, 0) { try grids.add(grid, households: households, met: met) }
                if let community = communities.codes.number(row, 1) { try communities.add(community, households: households, met: met) }
            }
        } catch is Unfit {
            return nil
        }
        return try CoverageAreaFigures(run: run, profile: profile, themes: themes, grids: grids.areas(), communities: communities.areas(), db)
    }

    /// The texts of one column numbered in the order first seen. A row holding the same bytes as the row before is
    /// numbered by one comparison, without a string or a lookup.
    struct TextNumbers {
        private(set) var texts: [String] = []
        private var numbers: [String: Int] = [:]
        private var last: [UInt8] = []
        private var lastNumber: Int?

        /// The number of the row's text in `column`; nil for NULL.
        mutating func number(_ row: StoredRows, _ column: Int32) -> Int? {
            guard let start = sqlite3_column_text(row.handle, column) else { return nil }
            let bytes = UnsafeBufferPointer(start: start, count: Int(sqlite3_column_bytes(row.handle, column)))
            if let lastNumber, bytes.count == last.count,
               last.withUnsafeBufferPointer({ kept in kept.baseAddress.map { memcmp($0, start, kept.count) == 0 } ?? true }) {
                return lastNumber
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let number: Int
            if let known = numbers[text] { number = known } else {
                number = texts.count
                numbers[text] = number
                texts.append(text)
            }
            last.removeAll(keepingCapacity: true)
            last.append(contentsOf: bytes)
            lastNumber = number
            return number
        }
    }

    /// Buildings, households and households meeting each theme, per area numbered by `codes`.
    struct AreaSums {
        var codes = TextNumbers()
        private var buildings: [Int] = [], households: [Int] = [], meeting: [Int] = []
        let themes: Int

        init(themes: Int) { self.themes = themes }

        /// `met`: the themes the building meets.
        mutating func add(_ area: Int, households count: Int, met: [Int]) throws {
            if area == buildings.count {
                buildings.append(0)
                households.append(0)
                meeting.append(contentsOf: repeatElement(0, count: themes))
            }
            func plus(_ a: Int, _ b: Int) throws -> Int {
                let (sum, overflow) = a.addingReportingOverflow(b)
                guard !overflow else { throw StoreError.corrupt("coverage households: the sum of an area's households overflows") }
                return sum
            }
            buildings[area] += 1
            households[area] = try plus(households[area], count)
            for t in met { meeting[area * themes + t] = try plus(meeting[area * themes + t], count) }
        }

        /// The areas sorted by code.
        func areas() -> [Area] {
            buildings.indices.map { a in
                Area(code: codes.texts[a], buildings: buildings[a], households: households[a], meeting: Array(meeting[a * themes ..< (a + 1) * themes]))
            }.sorted { $0.code < $1.code }
        }
    }

    /// The same rollup from a whole result (`Coverage.Result.totals`).
    static func fromResult(_ result: Coverage.Result, run: Int64, _ db: Database) throws -> CoverageAreaFigures {
        let themes = themes(result.profile)
        func areas(_ totals: [Coverage.Totals]) -> [Area] {
            totals.map { group in
                var meeting: [Int] = []
                for level in group.levels {
                    meeting.append(level.householdsCovered)
                    meeting.append(contentsOf: level.householdsMeeting)
                }
                return Area(code: group.key, buildings: group.buildings, households: group.households, meeting: meeting)
            }
        }
        return try CoverageAreaFigures(run: run, profile: result.profile, themes: themes, grids: areas(result.totals { $0.grid }),
                                       communities: areas(result.totals { $0.community }), db)
    }

    private init(run: Int64, profile: LifeCircleProfile, themes: [Theme], grids: [Area], communities: [Area], _ db: Database) throws {
        self.run = run
        self.profile = profile
        self.themes = themes
        self.grids = grids
        self.communities = communities
        storedGrids = try Int.fetchOne(db, sql: "SELECT count(*) FROM grids") ?? 0
        storedCommunities = try Int.fetchOne(db, sql: "SELECT count(*) FROM communities") ?? 0
        gridPositions = Dictionary(uniqueKeysWithValues: grids.enumerated().map { ($0.element.code, $0.offset) })
        communityPositions = Dictionary(uniqueKeysWithValues: communities.enumerated().map { ($0.element.code, $0.offset) })
    }
}

extension CoverageRuns {
    /// The share of `households` that `covered` is, to four decimals: the one definition `/coverage`, the command line
    /// and the map use (0 for no households).
    public static func share(_ covered: Int, of households: Int) -> Double {
        households == 0 ? 0 : (Double(covered) / Double(households) * 10000).rounded() / 10000
    }
}

/// The latest coverage run's area figures, kept between requests and tiles: read again only when the latest run or
/// a layer's version changed (SQLite's `data_version`, on a connection that never writes, says when to look).
public final class CoverageAreaFiguresCache: Sendable {
    public let store: Store
    private let probe: DatabaseQueue?
    private struct Kept: Sendable {
        var dataVersion: Int64?
        var key: String
        var figures: CoverageAreaFigures?
    }
    private let kept = Mutex<Kept?>(nil)
    /// Held while figures are read, so concurrent callers wait for one reading instead of each reading.
    private let reading = Mutex(())

    public init(store: Store) {
        self.store = store
        var configuration = Configuration()
        configuration.readonly = true
        probe = try? DatabaseQueue(path: store.path, configuration: configuration)
    }

    func dataVersion() -> Int64? { try? probe?.read { try Int64.fetchOne($0, sql: "PRAGMA data_version") ?? 0 } }

    /// The latest run's id and what its figures depend on: the run and the layers' versions.
    private func currentKey() throws -> (run: Int64?, key: String) {
        try store.read { db in
            let run = try LatestCoverageRun.runID(db)
            return (run, "\(run.map(String.init) ?? "none");\(try DataVersions.read(db).text)")
        }
    }

    /// The latest run's figures (nil without a run).
    public func latest() throws -> CoverageAreaFigures? {
        let version = dataVersion()
        if let version, let hit = kept.withLock({ $0 }), hit.dataVersion == version { return hit.figures }
        return try reading.withLock { _ in
            let version = dataVersion()
            if let version, let hit = kept.withLock({ $0 }), hit.dataVersion == version { return hit.figures }
            let (run, key) = try currentKey()
            if let hit = kept.withLock({ $0 }), hit.key == key {
                kept.withLock { $0?.dataVersion = version }
                return hit.figures
            }
            let figures = try run.map { try CoverageAreaFigures.read(store: store, run: $0) }
            // Kept only when the run and the layers are those they were read for (refreshing the places commits too,
            // so the data version is read after the figures).
            let after = dataVersion()
            if try currentKey().key == key { kept.withLock { $0 = Kept(dataVersion: after, key: key, figures: figures) } }
            return figures
        }
    }
}
