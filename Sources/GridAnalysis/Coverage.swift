import Dispatch
import GridModel
import Synchronization

/// Life-circle coverage: for every building the nearest facility of each category on foot, and whether
/// each level of a profile is met; totals per grid, community or any other grouping.
public enum Coverage {
    public struct Building: Sendable, Hashable {
        public var id: Int64
        public var point: Coordinate
        public var households: Int
        public var grid: String?
        public var community: String?
        public init(id: Int64, point: Coordinate, households: Int, grid: String? = nil, community: String? = nil) {
            self.id = id; self.point = point; self.households = households; self.grid = grid; self.community = community
        }
    }

    public struct Facility: Sendable, Hashable {
        public var id: Int64
        public var category: String
        public var location: Coordinate
        public init(id: Int64, category: String, location: Coordinate) {
            self.id = id; self.category = category; self.location = location
        }
    }

    public struct BuildingResult: Sendable, Hashable {
        /// Straight-line distance to the network; nil when the building is farther than the snap limit.
        public var offNetwork: Meters?
        /// Per profile category (`Result.categories` order): the nearest facility within the horizon.
        public var nearest: [NearestFacilitySearch.Answer?]
        /// Per level, per requirement: met or not.
        public var met: [[Bool]]
        /// Per level: every requirement met.
        public var levelMet: [Bool]
    }

    public struct Result: Sendable {
        public var profile: LifeCircleProfile
        public var categories: [String]
        public var buildings: [Building]
        public var results: [BuildingResult]
        /// Per category: facilities placed on the network, and those beyond the snap limit.
        public var facilitiesPlaced: [String: Int]
        public var facilitiesOffNetwork: [String: Int]

        public func categoryIndex(_ category: String) -> Int? { categories.firstIndex(of: category) }
    }

    /// Households and buildings covered, for one group of buildings.
    public struct Totals: Sendable, Hashable {
        public var key: String
        public var buildings = 0
        public var households = 0
        public var offNetworkBuildings = 0
        public var levels: [LevelTotals]

        public struct LevelTotals: Sendable, Hashable {
            public var minutes: Double
            public var householdsCovered = 0
            public var buildingsCovered = 0
            /// Per requirement of the level, households whose building meets it.
            public var householdsMeeting: [Int]
            /// Buildings with households that miss the level, by id.
            public var uncoveredBuildings: [Int64] = []
        }

        public func share(level: Int) -> Double {
            households == 0 ? 0 : Double(levels[level].householdsCovered) / Double(households)
        }
    }

    /// Snaps buildings and facilities, runs one multi-source search per category, and judges each level.
    public static func run(
        graph: WalkingGraph, snapper: EdgeSnapper, buildings: [Building], facilities: [Facility],
        profile: LifeCircleProfile, isCancelled: () -> Bool = { false }
    ) throws -> Result {
        let categories = profile.categories
        let targets = snapper.snap(buildings.map(\.point), maxDistance: profile.snapLimit)
        // Categories are independent searches: run them on every core, each with its own workspace.
        struct CategoryOutcome { var placed = 0; var offNetwork = 0; var nearest: [NearestFacilitySearch.Answer?] = []; var error: (any Error)? }
        var outcomes = [CategoryOutcome](repeating: CategoryOutcome(), count: categories.count)
        withoutActuallyEscaping(isCancelled) { poll in
        let cancelled = CancellationFlag(poll)
        outcomes.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots
            DispatchQueue.concurrentPerform(iterations: categories.count) { c in
                let category = categories[c]
                let members = facilities.filter { $0.category == category }
                let snaps = snapper.snap(members.map(\.location), maxDistance: profile.snapLimit)
                var sources: [NearestFacilitySearch.Source] = []
                for (facility, snap) in zip(members, snaps) {
                    if let snap { sources.append(.init(facilityID: facility.id, snap: snap)) }
                }
                var outcome = CategoryOutcome(placed: sources.count, offNetwork: members.count - sources.count)
                do {
                    outcome.nearest = try NearestFacilitySearch.run(
                        graph: graph, sources: sources, targets: targets, horizon: profile.horizon(for: category),
                        workspace: SearchWorkspace(), isCancelled: { cancelled.check() })
                } catch {
                    outcome.error = error
                }
                slots[c] = outcome
            }
        }
        }
        if let error = outcomes.lazy.compactMap(\.error).first { throw error }
        var placed: [String: Int] = [:], offNetwork: [String: Int] = [:]
        for (category, outcome) in zip(categories, outcomes) {
            placed[category] = outcome.placed
            offNetwork[category] = outcome.offNetwork
        }
        let nearest = outcomes.map(\.nearest)
        let requirementCategory = profile.levels.map { level in level.categories.map { categories.firstIndex(of: $0.category)! } }
        let limits = profile.levels.map { level in level.categories.map { profile.limit($0, at: level).value } }
        var results: [BuildingResult] = []
        results.reserveCapacity(buildings.count)
        for b in buildings.indices {
            let answers = categories.indices.map { nearest[$0][b] }
            var met: [[Bool]] = []
            for (l, level) in profile.levels.enumerated() {
                met.append(level.categories.indices.map { r in
                    guard let answer = answers[requirementCategory[l][r]] else { return false }
                    return answer.distance.value <= limits[l][r]
                })
            }
            results.append(BuildingResult(
                offNetwork: targets[b]?.offNetwork, nearest: answers, met: met, levelMet: met.map { $0.allSatisfy { $0 } }))
        }
        return Result(profile: profile, categories: categories, buildings: buildings, results: results,
                      facilitiesPlaced: placed, facilitiesOffNetwork: offNetwork)
    }
}

extension Coverage.Result {
    /// Totals per key (nil keys are left out), sorted by key; `"all"` for the whole area.
    public func totals(by key: (Coverage.Building) -> String?) -> [Coverage.Totals] {
        var byKey: [String: Coverage.Totals] = [:]
        // Updated in place (inout through the subscript): copying a group's id lists per building is quadratic.
        func add(_ building: Coverage.Building, _ result: Coverage.BuildingResult, to totals: inout Coverage.Totals) {
            totals.buildings += 1
            totals.households += building.households
            if result.offNetwork == nil { totals.offNetworkBuildings += 1 }
            for l in profile.levels.indices {
                if result.levelMet[l] {
                    totals.levels[l].householdsCovered += building.households
                    totals.levels[l].buildingsCovered += 1
                } else if building.households > 0 {
                    totals.levels[l].uncoveredBuildings.append(building.id)
                }
                for (r, met) in result.met[l].enumerated() where met {
                    totals.levels[l].householdsMeeting[r] += building.households
                }
            }
        }
        for (building, result) in zip(buildings, results) {
            guard let name = key(building) else { continue }
            if byKey[name] == nil {
                byKey[name] = Coverage.Totals(key: name, levels: profile.levels.map {
                    .init(minutes: $0.minutes, householdsMeeting: Array(repeating: 0, count: $0.categories.count))
                })
            }
            add(building, result, to: &byKey[name]!)
        }
        return byKey.values.sorted { $0.key < $1.key }
    }

    public var summary: Coverage.Totals { totals { _ in "all" }.first ?? Coverage.Totals(key: "all", levels: []) }
}

/// A caller's cancellation check shared by parallel searches: polled under a lock, sticky once true.
final class CancellationFlag: Sendable {
    private let state: Mutex<Bool>
    nonisolated(unsafe) private let poll: () -> Bool

    init(_ poll: @escaping () -> Bool) {
        self.poll = poll
        state = Mutex(false)
    }

    func check() -> Bool {
        state.withLock { cancelled in
            if !cancelled { cancelled = poll() }
            return cancelled
        }
    }
}
