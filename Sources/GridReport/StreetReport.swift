import GridModel

/// Everything a street office's report shows, as values: assembled from the store by GridStore
/// (`StreetReports.assemble`), rendered here to HTML and to tables without any I/O.
public struct StreetReport: Sendable {
    public enum AreaKind: String, Sendable { case community, street }

    public struct Named: Sendable, Hashable {
        public var code: String
        public var name: String
        public init(code: String, name: String) { self.code = code; self.name = name }
    }

    public struct Area: Sendable {
        public var kind: AreaKind
        public var code: String
        public var name: String
        public var communities: [Named]
        public init(kind: AreaKind, code: String, name: String, communities: [Named]) {
            self.kind = kind; self.code = code; self.name = name; self.communities = communities
        }
    }

    public struct Run: Sendable {
        public var id: Int64
        public var createdAt: String
        public var profileName: String
        public var profileTitle: String?
        public var walkingSpeed: Double
        /// nil when the run is current; else which layers changed since.
        public var staleNote: String?
        public init(id: Int64, createdAt: String, profileName: String, profileTitle: String?, walkingSpeed: Double, staleNote: String?) {
            self.id = id; self.createdAt = createdAt; self.profileName = profileName; self.profileTitle = profileTitle
            self.walkingSpeed = walkingSpeed; self.staleNote = staleNote
        }
    }

    public struct Requirement: Sendable, Hashable {
        public var category: String
        public var label: String?
        public var limitMeters: Double
        public init(category: String, label: String?, limitMeters: Double) {
            self.category = category; self.label = label; self.limitMeters = limitMeters
        }
    }

    public struct Level: Sendable, Hashable {
        public var minutes: Double
        public var requirements: [Requirement]
        public init(minutes: Double, requirements: [Requirement]) { self.minutes = minutes; self.requirements = requirements }
    }

    /// One level's figures for a group, exactly as `coverage --format json` gives them.
    public struct LevelFigures: Sendable, Hashable {
        public var householdsCovered: Int
        public var buildingsCovered: Int
        public var share: Double
        public var uncoveredBuildings: Int
        public var requirementHouseholds: [Int]
        public var requirementShares: [Double]
        public init(householdsCovered: Int, buildingsCovered: Int, share: Double, uncoveredBuildings: Int,
                    requirementHouseholds: [Int], requirementShares: [Double]) {
            self.householdsCovered = householdsCovered; self.buildingsCovered = buildingsCovered; self.share = share
            self.uncoveredBuildings = uncoveredBuildings; self.requirementHouseholds = requirementHouseholds
            self.requirementShares = requirementShares
        }
    }

    /// A community, a grid or the whole area.
    public struct CoverageRow: Sendable, Hashable {
        public var code: String
        public var name: String
        public var community: String?
        public var buildings: Int
        public var households: Int
        public var offNetworkBuildings: Int
        public var levels: [LevelFigures]
        public init(code: String, name: String, community: String?, buildings: Int, households: Int, offNetworkBuildings: Int,
                    levels: [LevelFigures]) {
            self.code = code; self.name = name; self.community = community; self.buildings = buildings
            self.households = households; self.offNetworkBuildings = offNetworkBuildings; self.levels = levels
        }

        /// Households that miss the level.
        public func uncoveredHouseholds(level: Int) -> Int { households - levels[level].householdsCovered }
    }

    /// Households whose nearest facility of a category is within each of the report's walking times.
    public struct CategoryReach: Sendable, Hashable {
        public var category: String
        public var households: [Int]
        public var facilities: Int
        public init(category: String, households: [Int], facilities: Int) {
            self.category = category; self.households = households; self.facilities = facilities
        }
    }

    public struct Site: Sendable, Hashable {
        public var location: Coordinate
        public var grid: Named?
        public var householdsAdded: Int
        public var buildingsAdded: Int
        public var cumulativeHouseholds: Int
        public init(location: Coordinate, grid: Named?, householdsAdded: Int, buildingsAdded: Int, cumulativeHouseholds: Int) {
            self.location = location; self.grid = grid; self.householdsAdded = householdsAdded
            self.buildingsAdded = buildingsAdded; self.cumulativeHouseholds = cumulativeHouseholds
        }
    }

    /// Where new facilities of the weakest category would reach the most households the category leaves out.
    public struct Suggestion: Sendable {
        public var category: String
        public var limitMeters: Double
        public var householdsWithin: Int
        public var households: Int
        public var sites: [Site]
        /// Per grid code, the share of its households within the limit today (the second map's shading).
        public var gridShares: [String: Double]
        public init(category: String, limitMeters: Double, householdsWithin: Int, households: Int, sites: [Site], gridShares: [String: Double]) {
            self.category = category; self.limitMeters = limitMeters; self.householdsWithin = householdsWithin
            self.households = households; self.sites = sites; self.gridShares = gridShares
        }
    }

    public struct BalanceRow: Sendable, Hashable {
        public var code: String
        public var name: String
        public var households: Int
        public var buildings: Int
        public var balance: Int
        public var inRange: Bool
        public var tourMeters: Double
        public var tourMinutes: Double
        public var tourStraightLegs: Int
        public init(code: String, name: String, households: Int, buildings: Int, balance: Int, inRange: Bool,
                    tourMeters: Double, tourMinutes: Double, tourStraightLegs: Int) {
            self.code = code; self.name = name; self.households = households; self.buildings = buildings; self.balance = balance
            self.inRange = inRange; self.tourMeters = tourMeters; self.tourMinutes = tourMinutes; self.tourStraightLegs = tourStraightLegs
        }
    }

    public struct Balance: Sendable {
        public var minimum: Int
        public var maximum: Int
        public var rows: [BalanceRow]
        public init(minimum: Int, maximum: Int, rows: [BalanceRow]) { self.minimum = minimum; self.maximum = maximum; self.rows = rows }
    }

    public struct Shape: Sendable {
        public var code: String
        public var name: String
        public var shape: MultiPolygon
        public init(code: String, name: String, shape: MultiPolygon) { self.code = code; self.name = name; self.shape = shape }
    }

    public struct Facility: Sendable, Hashable {
        public var category: String
        public var name: String?
        public var location: Coordinate
        public init(category: String, name: String?, location: Coordinate) { self.category = category; self.name = name; self.location = location }
    }

    public struct Note: Sendable, Hashable {
        public var category: String
        public var note: String
        public init(category: String, note: String) { self.category = category; self.note = note }
    }

    public var area: Area
    /// The day the report was made (yyyy-MM-dd).
    public var date: String
    public var run: Run
    public var levels: [Level]
    public var total: CoverageRow
    public var communities: [CoverageRow]
    public var grids: [CoverageRow]
    /// Which level ranks the worst grids (the widest one), and the ranked grids.
    public var rankingLevel: Int
    public var worstGrids: [CoverageRow]
    /// The walking times of the reach table (the profile's levels), and a row per category.
    public var reachMinutes: [Double]
    public var reach: [CategoryReach]
    public var suggestion: Suggestion?
    public var balance: Balance
    public var communityShapes: [Shape]
    public var gridShapes: [Shape]
    public var facilities: [Facility]
    public var categoriesWithoutFacilities: [Note]

    public init(area: Area, date: String, run: Run, levels: [Level], total: CoverageRow, communities: [CoverageRow], grids: [CoverageRow],
                rankingLevel: Int, worstGrids: [CoverageRow], reachMinutes: [Double], reach: [CategoryReach], suggestion: Suggestion?,
                balance: Balance, communityShapes: [Shape], gridShapes: [Shape], facilities: [Facility], categoriesWithoutFacilities: [Note]) {
        self.area = area; self.date = date; self.run = run; self.levels = levels; self.total = total; self.communities = communities
        self.grids = grids; self.rankingLevel = rankingLevel; self.worstGrids = worstGrids; self.reachMinutes = reachMinutes
        self.reach = reach; self.suggestion = suggestion; self.balance = balance; self.communityShapes = communityShapes
        self.gridShapes = gridShapes; self.facilities = facilities; self.categoriesWithoutFacilities = categoriesWithoutFacilities
    }
}
